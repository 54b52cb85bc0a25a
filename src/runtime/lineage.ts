import { parseRecordPath, textAtPath, type RecordPath } from '../inference/record-path.js';
import type { RequestIdSource } from '../topology/spec.js';
import { headerText, type Header, type SourceRecord } from './record.js';

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
  const fromHeader = headerText(source.headers, header) ?? headerText(source.headers, LineageHeader.requestId);
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return sourcePosition(source);
}

/** The lineage headers each hop writes anew: an input's own are replaced, not repeated. */
const HOP_HEADERS: ReadonlySet<string> = new Set([LineageHeader.source, LineageHeader.stage, LineageHeader.requestId]);

/**
 * Headers of an output: every input header carried forward byte for byte, in order, repeats and
 * null values included (so experiment, arm and trace context survive every hop), except those
 * whose names this hop sets; then the handler's own, this hop's lineage, and `extra` (the trace
 * context). The origin time is kept when the input has one.
 */
export function outputHeaders(
  stage: string,
  source: SourceRecord,
  requestId: string,
  handlerHeaders: Readonly<Record<string, string>> | undefined,
  extra?: Readonly<Record<string, string>>,
): Header[] {
  const headers: Header[] = [];
  let hasOrigin = false;
  for (const header of source.headers) {
    const name = header[0];
    if (HOP_HEADERS.has(name) || (handlerHeaders !== undefined && Object.hasOwn(handlerHeaders, name)) || (extra !== undefined && Object.hasOwn(extra, name))) continue;
    if (name === LineageHeader.originTime && header[1] !== null) hasOrigin = true;
    headers.push(header);
  }
  if (!hasOrigin) headers.push([LineageHeader.originTime, source.timestamp]);
  if (handlerHeaders !== undefined) for (const name in handlerHeaders) headers.push([name, handlerHeaders[name] ?? '']);
  headers.push([LineageHeader.source, sourcePosition(source)], [LineageHeader.stage, stage], [LineageHeader.requestId, requestId]);
  if (extra !== undefined) for (const name in extra) headers.push([name, extra[name] ?? '']);
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
  return Number(headerText(source.headers, LineageHeader.originTime) ?? source.timestamp);
}
