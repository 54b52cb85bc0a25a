import { parseRecordPath, textAtPath, type RecordPath } from '../inference/record-path.js';
import type { RequestIdSource } from '../topology/spec.js';
import { headerText, type SourceRecord } from './record.js';

/** Header names kascade writes on every output. */
export const LineageHeader = {
  /** The input record this output came from: `topic/partition/offset` (topic names never hold `/`). */
  source: 'kascade.source',
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

/** A stage's request-id field, split once per configuration object, not once per record. */
const requestIdPaths = new WeakMap<RequestIdSource, RecordPath>();

function requestIdPath(from: RequestIdSource & { readonly field: string }): RecordPath {
  let path = requestIdPaths.get(from);
  if (path === undefined) {
    path = parseRecordPath(from.field);
    requestIdPaths.set(from, path);
  }
  return path;
}

/**
 * The request id of a record: from the configured field or header, else the `kascade.request-id`
 * header an earlier stage wrote, else derived from the record's position, so that a re-run after
 * a crash gives the same id (outputs stay deterministic).
 */
export function resolveRequestId(source: SourceRecord, value: unknown, from: RequestIdSource | undefined): string {
  if (from !== undefined && 'field' in from) {
    const found = textAtPath(value, requestIdPath(from));
    if (found !== undefined && found !== '') return found;
  }
  const header = from !== undefined && 'header' in from ? from.header : LineageHeader.requestId;
  const fromHeader = headerText(source.headers[header]) ?? headerText(source.headers[LineageHeader.requestId]);
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return sourcePosition(source);
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
  headers[LineageHeader.source] = sourcePosition(source);
  headers[LineageHeader.stage] = stage;
  headers[LineageHeader.requestId] = requestId;
  if (extra !== undefined) Object.assign(headers, extra);
  return headers;
}

/** `topic/partition/offset` of a record: the `kascade.source` header, and the default request id. */
export function sourcePosition(source: Pick<SourceRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${source.topic}/${String(source.partition)}/${source.offset}`;
}

/** Where a `kascade.source` header points, or undefined when it is not `topic/partition/offset`. */
export function parseSourcePosition(header: string): { readonly topic: string; readonly partition: number; readonly offset: string } | undefined {
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(header);
  if (match === null) return undefined;
  const [, topic = '', partition = '', offset = ''] = match;
  return { topic, partition: Number(partition), offset };
}

/**
 * The last hop of a `kascade.lineage.models` list: the model that served this record, as
 * `{ id, version }`. Model ids never hold `@` or `,` (they are names); a version may hold `@`.
 */
export function lastModelHop(models: string | undefined): { readonly id: string; readonly version: string } | undefined {
  const hop = models?.slice(models.lastIndexOf(',') + 1);
  const at = hop?.indexOf('@') ?? -1;
  if (hop === undefined || at < 1) return undefined;
  return { id: hop.slice(0, at), version: hop.slice(at + 1) };
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
