/**
 * Decodes OTLP/HTTP protobuf exports into the shapes of their JSON form (ids as hex), with a
 * protobuf wire-format reader of its own: the test checks kascade's exporter against the OTLP
 * field numbers (opentelemetry-proto, trace/v1 and metrics/v1), not against the encoder it uses.
 */

type Field = { readonly wire: 0; readonly varint: bigint } | { readonly wire: 1; readonly bytes: Buffer } | { readonly wire: 2; readonly bytes: Buffer } | { readonly wire: 5; readonly bytes: Buffer };

/** A message's fields by number, in order. */
type Message = ReadonlyMap<number, readonly Field[]>;

function readVarint(buffer: Buffer, at: { offset: number }): bigint {
  let value = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = buffer[at.offset++];
    if (byte === undefined) throw new Error('protobuf: truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value;
  }
}

function parse(buffer: Buffer): Message {
  const fields = new Map<number, Field[]>();
  const at = { offset: 0 };
  while (at.offset < buffer.length) {
    const tag = Number(readVarint(buffer, at));
    const number = tag >>> 3;
    const wire = tag & 7;
    let field: Field;
    if (wire === 0) field = { wire, varint: readVarint(buffer, at) };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      field = { wire, bytes: buffer.subarray(at.offset, at.offset + size) };
      at.offset += size;
    } else if (wire === 2) {
      const size = Number(readVarint(buffer, at));
      field = { wire, bytes: buffer.subarray(at.offset, at.offset + size) };
      at.offset += size;
    } else throw new Error(`protobuf: wire type ${String(wire)} at byte ${String(at.offset)}`);
    if (at.offset > buffer.length) throw new Error('protobuf: field runs past the end');
    const list = fields.get(number) ?? [];
    list.push(field);
    fields.set(number, list);
  }
  return fields;
}

function all(message: Message, number: number): Buffer[] {
  return (message.get(number) ?? []).flatMap((field) => (field.wire === 2 ? [field.bytes] : []));
}

function bytesOf(message: Message, number: number): Buffer | undefined {
  return all(message, number)[0];
}

function fixed64(message: Message, number: number): Buffer | undefined {
  const field = message.get(number)?.[0];
  return field?.wire === 1 ? field.bytes : undefined;
}

function varint(message: Message, number: number): bigint | undefined {
  const field = message.get(number)?.[0];
  return field?.wire === 0 ? field.varint : undefined;
}

export interface DecodedAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: string; readonly doubleValue?: number; readonly boolValue?: boolean };
}

/** KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string 1, bool 2, int64 3, double 4 }. */
function attributes(buffers: readonly Buffer[]): DecodedAttribute[] {
  return buffers.map((buffer) => {
    const keyValue = parse(buffer);
    const any = parse(bytesOf(keyValue, 2) ?? Buffer.alloc(0));
    const text = bytesOf(any, 1);
    const bool = varint(any, 2);
    const int = varint(any, 3);
    const double = fixed64(any, 4);
    const value =
      text !== undefined
        ? { stringValue: text.toString('utf8') }
        : bool !== undefined
          ? { boolValue: bool !== 0n }
          : int !== undefined
            ? { intValue: BigInt.asIntN(64, int).toString() }
            : double !== undefined
              ? { doubleValue: double.readDoubleLE(0) }
              : {};
    return { key: (bytesOf(keyValue, 1) ?? Buffer.alloc(0)).toString('utf8'), value };
  });
}

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: readonly DecodedAttribute[];
}

/** ExportTraceServiceRequest { ResourceSpans 1 { Resource 1 { attributes 1 }, ScopeSpans 2 { Span 2 } } }. */
export function decodeTraceExport(body: Buffer): { readonly span: DecodedSpan; readonly resource: readonly DecodedAttribute[] }[] {
  return all(parse(body), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = parse(resourceSpansBytes);
    const resource = attributes(all(parse(bytesOf(resourceSpans, 1) ?? Buffer.alloc(0)), 1));
    return all(resourceSpans, 2).flatMap((scope) =>
      all(parse(scope), 2).map((spanBytes) => {
        // Span { trace_id 1, span_id 2, parent_span_id 4, name 5, attributes 9 }
        const span = parse(spanBytes);
        const parent = bytesOf(span, 4);
        return {
          span: {
            traceId: (bytesOf(span, 1) ?? Buffer.alloc(0)).toString('hex'),
            spanId: (bytesOf(span, 2) ?? Buffer.alloc(0)).toString('hex'),
            ...(parent === undefined || parent.length === 0 ? {} : { parentSpanId: parent.toString('hex') }),
            name: (bytesOf(span, 5) ?? Buffer.alloc(0)).toString('utf8'),
            attributes: attributes(all(span, 9)),
          },
          resource,
        };
      }),
    );
  });
}

export interface DecodedDataPoint {
  readonly attributes: readonly DecodedAttribute[];
  readonly asInt?: string;
  readonly asDouble?: number;
  readonly count?: string;
}

export interface DecodedMetric {
  readonly name: string;
  readonly sum?: { readonly dataPoints: readonly DecodedDataPoint[] };
  readonly histogram?: { readonly dataPoints: readonly DecodedDataPoint[] };
}

/**
 * ExportMetricsServiceRequest { ResourceMetrics 1 { ScopeMetrics 2 { Metric 2 } } }; Metric { name 1,
 * sum 7, histogram 9 }, each { data_points 1 }; NumberDataPoint { attributes 7, as_double 4,
 * as_int 6 (sfixed64) }; HistogramDataPoint { attributes 9, count 4 (fixed64) }.
 */
export function decodeMetricsExport(body: Buffer): { readonly scopeMetrics: readonly { readonly metrics: readonly DecodedMetric[] }[] }[] {
  return all(parse(body), 1).map((resourceMetrics) => ({
    scopeMetrics: all(parse(resourceMetrics), 2).map((scope) => ({
      metrics: all(parse(scope), 2).map((metricBytes) => {
        const metric = parse(metricBytes);
        const name = (bytesOf(metric, 1) ?? Buffer.alloc(0)).toString('utf8');
        const sum = bytesOf(metric, 7);
        const histogram = bytesOf(metric, 9);
        return {
          name,
          ...(sum === undefined ? {} : { sum: { dataPoints: all(parse(sum), 1).map((point) => numberPoint(parse(point))) } }),
          ...(histogram === undefined ? {} : { histogram: { dataPoints: all(parse(histogram), 1).map((point) => histogramPoint(parse(point))) } }),
        };
      }),
    })),
  }));
}

function numberPoint(point: Message): DecodedDataPoint {
  const int = fixed64(point, 6);
  const double = fixed64(point, 4);
  return {
    attributes: attributes(all(point, 7)),
    ...(int === undefined ? {} : { asInt: int.readBigInt64LE(0).toString() }),
    ...(double === undefined ? {} : { asDouble: double.readDoubleLE(0) }),
  };
}

function histogramPoint(point: Message): DecodedDataPoint {
  const count = fixed64(point, 4);
  return { attributes: attributes(all(point, 9)), ...(count === undefined ? {} : { count: count.readBigUInt64LE(0).toString() }) };
}
