import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import type { Serde } from '../serde/serde.js';
import type { ErrorPolicy, RequestIdSource } from '../topology/spec.js';
import type { Clock } from './clock.js';
import { deadLetterRecord } from './dead-letters/dead-letter.js';
import { lastModelHop, LineageHeader, originTime, outputHeaders, resolveRequestId } from './lineage.js';
import { strictUtf8 } from '../serde/utf8.js';
import { decodeHeaders, type OutgoingRecord, type SourceRecord, type StageRecord } from './record.js';
import type { KeyDecoder } from '../serde/key-decoder.js';
import type { RecordHolder, RecordResult, StageHandler } from './stage-handler.js';
import type { Context, Span } from '@opentelemetry/api';
import { endToEndMetrics } from '../telemetry/stage-metrics.js';
import { contextOf, endSpan, startBatchSpan, startRecordSpan, traceHeaders } from '../telemetry/tracing.js';
import { ExperimentHeader } from '../routing/experiment-headers.js';

export interface StagePipelineOptions {
  readonly stage: string;
  readonly handler: StageHandler;
  readonly serdeFor: (topic: string) => Serde;
  /** The decoder of a topic's declared key format (undefined: undeclared, keys offered as UTF-8 text when valid). */
  readonly keyDecoderFor: (topic: string) => KeyDecoder | undefined;
  readonly onError: ErrorPolicy;
  readonly deadLetterTopic: string;
  readonly requestId?: RequestIdSource | undefined;
  readonly clock: Clock;
  /** For trace attributes (messaging.consumer.group.name). */
  readonly consumerGroup?: string | undefined;
  /** Whether `from`'s bytes may be written to `to` as they are (outputs marked `unchanged`); never when absent. */
  readonly sameEncoding?: (from: string, to: string) => boolean;
  /**
   * Why an encoded record cannot be written (RecordTooLarge: over its topic's max.message.bytes),
   * or undefined. Checked before producing, so one oversized output dead-letters its input
   * instead of failing the produce request of the whole batch. No check when absent.
   */
  readonly tooLarge?: (record: OutgoingRecord) => KascadeError | undefined;
  /** The only top-level fields the handler reads (fieldsReadBy): the rest of each value need not be decoded. */
  readonly fieldsRead?: readonly string[] | undefined;
}

export interface BatchOutcome {
  /** Everything to write, outputs and dead letters, in input order (so per-key order holds). */
  readonly outgoing: readonly OutgoingRecord[];
  readonly processed: number;
  readonly deadLettered: number;
  readonly skipped: number;
}

/** A record failed under `onError: fail`: the stage stops instead of writing anything for this batch. */
export class StageFailure extends KascadeError {
  readonly source: SourceRecord;
  constructor(source: SourceRecord, cause: KascadeError) {
    super(cause.code, `record ${source.topic}/${source.partition}@${source.offset}: ${cause.message}`, { cause });
    this.source = source;
  }
}

type Decoded = { readonly record: StageRecord } | { readonly error: KascadeError };

/** One input's fate before encoding: a handler result, or a decode failure (no record). */
interface Handled {
  readonly source: SourceRecord;
  readonly record?: StageRecord;
  readonly result: RecordResult;
  /** The trace context the record arrived with. */
  readonly parent?: Context | undefined;
}

/**
 * decode -> handler -> encode -> lineage, for one batch, independent of the transport: the Kafka
 * stage service and the in-memory test driver both run stages through this.
 *
 * Throws a retriable KascadeError for systemic trouble (registry unreachable): nothing of the
 * batch is written and the caller retries the whole batch. Throws StageFailure under `fail`.
 */
export class StagePipeline {
  private readonly observeEndToEnd: (milliseconds: number) => void;

  constructor(private readonly options: StagePipelineOptions) {
    this.observeEndToEnd = endToEndMetrics(options.stage);
  }

  /**
   * Processes one chunk under its batch span; `write`, when given, delivers the outcome inside
   * the span too, so the span covers consume, decode, model, encode and produce.
   */
  async processBatch(sources: readonly SourceRecord[], write?: (outcome: BatchOutcome) => Promise<void>): Promise<BatchOutcome> {
    const first = sources[0];
    const parents = sources.map((source) => contextOf(source.headers));
    const batchSpan = startBatchSpan(this.options.stage, parents, () => ({
      ...this.messagingAttributes(first),
      'messaging.operation.type': 'process',
      'messaging.batch.message_count': sources.length,
      'kascade.batch.size': sources.length,
    }));
    try {
      const outcome = await this.processTraced(sources, parents);
      if (write !== undefined) await write(outcome);
      return outcome;
    } catch (error) {
      endSpan(batchSpan, { code: isKascadeError(error) ? error.code : 'Error', message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      if (batchSpan.isRecording()) batchSpan.end();
    }
  }

  /** Messaging attributes of a span; built by assignment, as it runs for every recording span. */
  private messagingAttributes(source: SourceRecord | undefined): Record<string, string | number> {
    const attributes: Record<string, string | number> = { 'messaging.system': 'kafka', 'kascade.stage': this.options.stage };
    if (source !== undefined) {
      attributes['messaging.destination.name'] = source.topic;
      attributes['messaging.destination.partition.id'] = String(source.partition);
    }
    if (this.options.consumerGroup !== undefined) attributes['messaging.consumer.group.name'] = this.options.consumerGroup;
    return attributes;
  }

  private async processTraced(sources: readonly SourceRecord[], parents: readonly Context[]): Promise<BatchOutcome> {
    const now = this.options.clock.now().getTime();
    for (const source of sources) {
      const origin = originTime(source);
      if (Number.isFinite(origin)) this.observeEndToEnd(Math.max(0, now - origin));
    }
    const decoded = await Promise.all(sources.map((source) => this.decode(source)));
    const records = decoded.flatMap((entry) => ('record' in entry ? [entry.record] : []));
    const results = records.length === 0 ? [] : await this.options.handler.process(records);
    if (results.length !== records.length) {
      throw new KascadeError(ErrorCode.TransformFailed, `stage ${this.options.stage}: handler returned ${results.length} results for ${records.length} records`);
    }
    const handled: Handled[] = [];
    let next = 0;
    for (const [index, entry] of decoded.entries()) {
      const source = sources[index];
      if (source === undefined) continue;
      if ('error' in entry) {
        handled.push({ source, result: { error: entry.error }, parent: parents[index] });
        continue;
      }
      const result = results[next++];
      if (result !== undefined) handled.push({ source, record: entry.record, result, parent: parents[index] });
    }
    return this.assemble(handled, sources.length);
  }

  /** The handler's RecordHolder, when it holds records back (collect). */
  get holder(): RecordHolder | undefined {
    return this.options.handler.holder;
  }

  /** Encodes what the holder lets go of for this partition on its own schedule (timeouts). */
  async expire(topic: string, partition: number): Promise<BatchOutcome> {
    const released = this.holder?.expire(topic, partition) ?? [];
    return this.assemble(
      released.map(({ record, outputs }) => ({ source: record.source, record, result: { outputs } })),
      0,
    );
  }

  /** Encodes results in input order and turns failures into dead letters, skips or a StageFailure per the policy. */
  private async assemble(handled: readonly Handled[], processed: number): Promise<BatchOutcome> {
    const outgoing: OutgoingRecord[] = [];
    let deadLettered = 0;
    let skipped = 0;
    for (const entry of handled) {
      let failure: KascadeError | undefined;
      const { record } = entry;
      // Held records written on a timeout come without the context they arrived with.
      const parent = entry.parent ?? contextOf(entry.source.headers);
      const span = record === undefined ? undefined : this.recordSpan(record, parent, entry.result);
      if ('error' in entry.result) {
        failure = entry.result.error;
      } else if (record !== undefined && span !== undefined) {
        // A span that records continues the trace in the outputs; otherwise the incoming context is carried as it came.
        const encoded = await this.encode(record, entry.result, span.isRecording() ? traceHeaders(parent, span) : undefined);
        if (Array.isArray(encoded)) outgoing.push(...encoded);
        else failure = encoded;
      }
      if (span !== undefined) endSpan(span, failure === undefined ? undefined : { code: failure.code, message: failure.message });
      if (failure === undefined) continue;
      switch (this.options.onError) {
        case 'fail':
          throw new StageFailure(entry.source, failure);
        case 'skip':
          skipped++;
          break;
        case 'dlq': {
          deadLettered++;
          const deadLetter = deadLetterRecord(entry.source, failure, this.options.stage, this.options.deadLetterTopic, this.options.clock.now());
          // The broker would refuse it, and the batch with it, on every retry: the stage stops and says why.
          const tooLarge = this.options.tooLarge?.(deadLetter);
          if (tooLarge !== undefined) {
            throw new StageFailure(entry.source, new KascadeError(tooLarge.code, `its dead letter (${failure.code}) cannot be written: ${tooLarge.message}`));
          }
          outgoing.push(deadLetter);
        }
      }
    }
    return { outgoing, processed, deadLettered, skipped };
  }

  /**
   * Everything done to a record before its handler: key, value, request id, headers. Any of it
   * failing is the record's failure (dead-lettered per the policy), never the batch's, except
   * systemic trouble (registry unreachable), which propagates so the batch is retried.
   */
  private async decode(source: SourceRecord): Promise<Decoded> {
    let key: unknown;
    try {
      const decoder = source.key === null ? undefined : this.options.keyDecoderFor(source.topic);
      key = source.key === null ? null : decoder === undefined ? strictUtf8(source.key) : await decoder.decode(source.key);
    } catch (error) {
      return { error: recordLevel(error, ErrorCode.DecodeFailed, `cannot decode key from ${source.topic}`) };
    }
    let value: unknown;
    try {
      const serde = this.options.serdeFor(source.topic);
      const fields = this.options.fieldsRead;
      value = fields !== undefined && serde.deserializeFields !== undefined ? await serde.deserializeFields(source.value, fields) : await serde.deserialize(source.value);
    } catch (error) {
      return { error: recordLevel(error, ErrorCode.DecodeFailed, `cannot decode value from ${source.topic}`) };
    }
    try {
      return {
        record: { source, keyBytes: source.key, key, value, requestId: resolveRequestId(source, value, this.options.requestId), headers: decodeHeaders(source.headers) },
      };
    } catch (error) {
      return { error: recordLevel(error, ErrorCode.DecodeFailed, `cannot read the headers of a record from ${source.topic}`) };
    }
  }

  /** The record's span, child of the context it arrived with; its context goes into the outputs' headers. */
  private recordSpan(record: StageRecord, parent: Context, result: RecordResult): Span {
    return startRecordSpan(this.options.stage, parent, () => this.recordAttributes(record, result));
  }

  private recordAttributes(record: StageRecord, result: RecordResult): Record<string, string | number> {
    const attributes = this.messagingAttributes(record.source);
    attributes['messaging.kafka.offset'] = record.source.offset;
    attributes['kascade.request_id'] = record.requestId;
    const queueWait = this.options.clock.now().getTime() - Number(record.source.timestamp);
    if (Number.isFinite(queueWait)) attributes['kascade.queue_wait_ms'] = queueWait;
    const arm = record.headers[ExperimentHeader.arm];
    if (arm !== undefined) attributes['kascade.arm'] = arm;
    // A model served the record here when the outputs' model lineage grew by a hop.
    const models = 'outputs' in result ? result.outputs[0]?.headers?.[LineageHeader.models] : undefined;
    const served = models !== record.headers[LineageHeader.models] ? lastModelHop(models) : undefined;
    if (served !== undefined) {
      attributes['kascade.model.id'] = served.id;
      attributes['kascade.model.version'] = served.version;
    }
    return attributes;
  }

  /** The encoded outputs of one record, or the record-level error that stops all of them. */
  private async encode(record: StageRecord, result: RecordResult, traceContext: Readonly<Record<string, string>> | undefined): Promise<OutgoingRecord[] | KascadeError> {
    if ('error' in result) return result.error;
    const encoded: OutgoingRecord[] = [];
    for (const output of result.outputs) {
      let value: Buffer | null;
      try {
        value =
          output.unchanged === true && this.options.sameEncoding?.(record.source.topic, output.topic) === true
            ? record.source.value
            : await this.options.serdeFor(output.topic).serialize(output.value);
      } catch (error) {
        return recordLevel(error, ErrorCode.EncodeFailed, `cannot encode output for ${output.topic}`);
      }
      const outgoing: OutgoingRecord = {
        topic: output.topic,
        key: output.key,
        value,
        headers: outputHeaders(this.options.stage, record.source, record.requestId, output.headers, traceContext),
      };
      // One output that cannot be written fails the record (all its outputs), like an encoding error.
      const tooLarge = this.options.tooLarge?.(outgoing);
      if (tooLarge !== undefined) return tooLarge;
      encoded.push(outgoing);
    }
    return encoded;
  }
}

/** Systemic (retriable) errors propagate so the batch is retried; anything else belongs to the record. */
function recordLevel(error: unknown, code: ErrorCode, context: string): KascadeError {
  if (isKascadeError(error)) {
    if (error.retriable) throw error;
    return error;
  }
  return new KascadeError(code, `${context}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
