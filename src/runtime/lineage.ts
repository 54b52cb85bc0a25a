import { parseRecordPath, textAtPath } from '../inference/record-path.js';
import type { RequestIdSource } from '../topology/spec.js';
import { headerText, type SourceRecord } from './record.js';

/** Header names kascade writes on every output. */
export const LineageHeader = {
  sourceTopic: 'kascade.source.topic',
  sourcePartition: 'kascade.source.partition',
  sourceOffset: 'kascade.source.offset',
  stage: 'kascade.stage',
  requestId: 'kascade.request-id',
  /** When the request entered the pipeline: the first record's Kafka timestamp (ms since the epoch), kept at every hop. */
  originTime: 'kascade.origin.time',
  /** Every model the record passed through, in order: `id@version,id@version`. */
  models: 'kascade.lineage.models',
  /** W3C trace context: passed through untouched until telemetry continues the trace. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/**
 * The request id of a record: from the configured field or header, else the `kascade.request-id`
 * header an earlier stage wrote, else derived from the record's position, so that a re-run after
 * a crash gives the same id (outputs stay deterministic).
 */
export function resolveRequestId(source: SourceRecord, value: unknown, from: RequestIdSource | undefined): string {
  if (from !== undefined && 'field' in from) {
    const found = textAtPath(value, parseRecordPath(from.field));
    if (found !== undefined && found !== '') return found;
  }
  const header = from !== undefined && 'header' in from ? from.header : LineageHeader.requestId;
  const fromHeader = headerText(source.headers[header]) ?? headerText(source.headers[LineageHeader.requestId]);
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return `${source.topic}/${source.partition}/${source.offset}`;
}

/**
 * Headers of an output: the input's headers carried forward (so experiment, arm and trace
 * context survive every hop), then the handler's own, then this hop's lineage, then `extra`
 * (the trace context). `incoming` is the record's decoded headers; one object is built per
 * output, as this runs for every record.
 */
export function outputHeaders(
  stage: string,
  source: SourceRecord,
  incoming: Readonly<Record<string, string>>,
  requestId: string,
  handlerHeaders: Readonly<Record<string, string>> | undefined,
  extra?: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> = { ...incoming };
  headers[LineageHeader.originTime] ??= source.timestamp;
  if (handlerHeaders !== undefined) Object.assign(headers, handlerHeaders);
  headers[LineageHeader.sourceTopic] = source.topic;
  headers[LineageHeader.sourcePartition] = String(source.partition);
  headers[LineageHeader.sourceOffset] = source.offset;
  headers[LineageHeader.stage] = stage;
  headers[LineageHeader.requestId] = requestId;
  if (extra !== undefined) Object.assign(headers, extra);
  return headers;
}

/** The models lineage after one more model: the incoming list with `id@version` appended. */
export function appendModelLineage(incoming: string | undefined, modelId: string, modelVersion: string): string {
  const hop = `${modelId}@${modelVersion}`;
  return incoming === undefined || incoming === '' ? hop : `${incoming},${hop}`;
}

/** When the request a record belongs to entered the pipeline, in ms since the epoch (NaN when unknown). */
export function originTime(source: SourceRecord): number {
  return Number(headerText(source.headers[LineageHeader.originTime]) ?? source.timestamp);
}
