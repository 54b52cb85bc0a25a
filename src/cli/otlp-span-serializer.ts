import type { Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { ProtobufTraceSerializer, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { ProtobufWriter, utf8Length, varintSize } from './protobuf-writer.js';

/**
 * OTLP/protobuf ExportTraceServiceRequest, the same bytes as the SDK's ProtobufTraceSerializer
 * (test/cli/otlp-span-serializer.test.ts compares them), written in one pass. Serialising was
 * the largest cost of tracing every record: about a fifth of a traced stage's main thread,
 * largely the same attribute keys and values encoded again on every span. Here the resource and
 * scope are encoded once, and each attribute key with a recurring string value once.
 */

/** Distinct string values remembered per attribute key; a key with more (request ids, offsets) is not cached. */
const VALUES_PER_KEY = 256;
/** Attribute keys remembered. */
const MAX_KEYS = 1024;

const TWO_TO_32 = 4_294_967_296;
const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_IS_REMOTE = 0x200;

interface EncodedKey {
  /** The KeyValue's key field: tag, length and bytes. */
  readonly bytes: Uint8Array;
  /** Encoded KeyValue bodies by string value; null once the key had too many values to cache (ids, offsets). */
  values: Map<string, Uint8Array> | null;
}

/** A scope as newer APIs give it: the SDK's serializer writes these fields when they are there. */
type ScopeWithAttributes = InstrumentationScope & { readonly attributes?: Attributes; readonly droppedAttributesCount?: number };

const spanFlags = (traceFlags: number, isRemote: boolean | undefined): number => (traceFlags & 0xff) | SPAN_FLAGS_HAS_IS_REMOTE | (isRemote === true ? SPAN_FLAGS_IS_REMOTE : 0);

export class OtlpSpanSerializer implements ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
  private readonly writer = new ProtobufWriter();
  /** Encoded Resource and InstrumentationScope messages (bodies), by object: spans share them. */
  private readonly resources = new WeakMap<Resource, Uint8Array>();
  private readonly scopes = new WeakMap<InstrumentationScope, Uint8Array>();
  /** Attribute keys, encoded, with the KeyValue bodies of their recurring string values. */
  private readonly keys = new Map<string, EncodedKey>();
  /** The last whole second written, and it in nanoseconds as 32-bit halves. */
  private second = -1;
  private secondLow = 0;
  private secondHigh = 0;

  serializeRequest(spans: ReadableSpan[]): Uint8Array {
    const writer = this.writer;
    writer.reset();
    for (const [resource, scopes] of groupByResourceAndScope(spans)) {
      writer.tag(1, 2);
      const resourceSpans = writer.begin();
      writer.tag(1, 2);
      writer.bytes(this.resource(resource));
      for (const [scope, scopeSpans] of scopes) {
        writer.tag(2, 2);
        const scopeSpansMark = writer.begin();
        writer.tag(1, 2);
        writer.bytes(this.scope(scope));
        for (const span of scopeSpans) this.span(span);
        if (scope.schemaUrl) {
          writer.tag(3, 2);
          writer.string(scope.schemaUrl);
        }
        writer.end(scopeSpansMark);
      }
      if (resource.schemaUrl) {
        writer.tag(3, 2);
        writer.string(resource.schemaUrl);
      }
      writer.end(resourceSpans);
    }
    return writer.finish();
  }

  deserializeResponse(data: Uint8Array): IExportTraceServiceResponse {
    return ProtobufTraceSerializer.deserializeResponse(data);
  }

  private span(span: ReadableSpan): void {
    const writer = this.writer;
    const context = span.spanContext();
    writer.tag(2, 2);
    const mark = writer.begin();
    writer.tag(1, 2);
    writer.hex(context.traceId);
    writer.tag(2, 2);
    writer.hex(context.spanId);
    this.traceState(context, 3);
    const parent = span.parentSpanContext;
    if (parent?.spanId) {
      writer.tag(4, 2);
      writer.hex(parent.spanId);
    }
    writer.tag(5, 2);
    writer.string(span.name);
    // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
    writer.tag(6, 0);
    writer.varint(span.kind + 1);
    writer.tag(7, 1);
    this.time(span.startTime);
    writer.tag(8, 1);
    this.time(span.endTime);
    this.attributes(span.attributes, 9);
    writer.tag(10, 0);
    writer.varint(span.droppedAttributesCount);
    for (const event of span.events) this.event(event);
    writer.tag(12, 0);
    writer.varint(span.droppedEventsCount);
    for (const link of span.links) this.link(link);
    writer.tag(14, 0);
    writer.varint(span.droppedLinksCount);
    writer.tag(15, 2);
    const status = writer.begin();
    if (span.status.message) {
      writer.tag(2, 2);
      writer.string(span.status.message);
    }
    writer.tag(3, 0);
    writer.varint(span.status.code);
    writer.end(status);
    writer.tag(16, 5);
    writer.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
    writer.end(mark);
  }

  private event(event: TimedEvent): void {
    const writer = this.writer;
    writer.tag(11, 2);
    const mark = writer.begin();
    writer.tag(1, 1);
    this.time(event.time);
    writer.tag(2, 2);
    writer.string(event.name);
    if (event.attributes !== undefined) this.attributes(event.attributes, 3);
    writer.tag(4, 0);
    writer.varint(event.droppedAttributesCount ?? 0);
    writer.end(mark);
  }

  private link(link: Link): void {
    const writer = this.writer;
    writer.tag(13, 2);
    const mark = writer.begin();
    writer.tag(1, 2);
    writer.hex(link.context.traceId);
    writer.tag(2, 2);
    writer.hex(link.context.spanId);
    this.traceState(link.context, 3);
    if (link.attributes !== undefined) this.attributes(link.attributes, 4);
    writer.tag(5, 0);
    writer.varint(link.droppedAttributesCount ?? 0);
    writer.tag(6, 5);
    writer.fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
    writer.end(mark);
  }

  private traceState(context: SpanContext, field: number): void {
    const state = context.traceState?.serialize();
    if (!state) return;
    this.writer.tag(field, 2);
    this.writer.string(state);
  }

  /**
   * HrTime [seconds, nanoseconds] as fixed64 nanoseconds, exact without BigInt: whole seconds
   * times 10^9 are split into 32-bit halves (every step stays below 2^53), once per second, as
   * the spans of a request all start within a few.
   */
  private time([seconds, nanoseconds]: HrTime): void {
    if (seconds !== this.second) {
      const high16 = Math.floor(seconds / 65536);
      const scaledHigh = high16 * 1e9; // times 2^16 still to come
      const lowPart = (seconds % 65536) * 1e9;
      const low = (scaledHigh % 65536) * 65536 + (lowPart % TWO_TO_32);
      this.second = seconds;
      this.secondLow = low % TWO_TO_32;
      this.secondHigh = Math.floor(scaledHigh / 65536) + Math.floor(lowPart / TWO_TO_32) + Math.floor(low / TWO_TO_32);
    }
    const low = this.secondLow + nanoseconds;
    if (low < TWO_TO_32) this.writer.fixed64(low, this.secondHigh);
    else this.writer.fixed64(low - TWO_TO_32, this.secondHigh + 1);
  }

  private attributes(attributes: Attributes, field: number): void {
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
      const value = attributes[key];
      const encodedKey = this.encodedKey(key);
      if (typeof value === 'string') this.stringAttribute(encodedKey, value, field);
      else {
        this.writer.tag(field, 2);
        const mark = this.writer.begin();
        this.writer.raw(encodedKey.bytes);
        this.writer.tag(2, 2);
        const valueMark = this.writer.begin();
        this.anyValue(value);
        this.writer.end(valueMark);
        this.writer.end(mark);
      }
    }
  }

  private encodedKey(key: string): EncodedKey {
    let encoded = this.keys.get(key);
    if (encoded === undefined) {
      const bytes = this.separately(() => {
        this.writer.tag(1, 2);
        this.writer.string(key);
      });
      // Keys come from kascade's code and the resource, a few dozen; past the cap they are encoded every time.
      const remembered = this.keys.size < MAX_KEYS;
      encoded = { bytes, values: remembered ? new Map() : null };
      if (remembered) this.keys.set(key, encoded);
    }
    return encoded;
  }

  /** A KeyValue with a string value: from the cache, or sized up front and written once (no bytes moved). */
  private stringAttribute(key: EncodedKey, value: string, field: number): void {
    const writer = this.writer;
    writer.tag(field, 2);
    const cached = key.values?.get(value);
    if (cached !== undefined) {
      writer.bytes(cached);
      return;
    }
    const length = utf8Length(value);
    const anyValueLength = 1 + varintSize(length) + length;
    writer.varint(key.bytes.length + 1 + varintSize(anyValueLength) + anyValueLength);
    const start = writer.position;
    writer.raw(key.bytes);
    writer.tag(2, 2);
    writer.varint(anyValueLength);
    writer.tag(1, 2);
    writer.stringOfLength(value, length);
    if (key.values === null) return;
    if (key.values.size < VALUES_PER_KEY) key.values.set(value, writer.copyFrom(start));
    else key.values = null;
  }

  /**
   * An AnyValue's body, by the SDK's rules: strings, booleans, integers or doubles, bytes, arrays
   * and maps (kvlist); null and undefined leave it empty.
   */
  private anyValue(value: unknown): void {
    const writer = this.writer;
    if (typeof value === 'string') {
      writer.tag(1, 2);
      writer.string(value);
    } else if (typeof value === 'boolean') {
      writer.tag(2, 0);
      writer.varint(value ? 1 : 0);
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        writer.tag(3, 0);
        writer.varint(value);
      } else {
        writer.tag(4, 1);
        writer.double(value);
      }
    } else if (value instanceof Uint8Array) {
      writer.tag(7, 2);
      writer.bytes(value);
    } else if (Array.isArray(value)) {
      writer.tag(5, 2);
      const array = writer.begin();
      for (const item of value as readonly unknown[]) {
        writer.tag(1, 2);
        const itemMark = writer.begin();
        this.anyValue(item);
        writer.end(itemMark);
      }
      writer.end(array);
    } else if (typeof value === 'object' && value !== null) {
      writer.tag(6, 2);
      const list = writer.begin();
      this.attributes(value as Attributes, 1);
      writer.end(list);
    }
  }

  private resource(resource: Resource): Uint8Array {
    let encoded = this.resources.get(resource);
    if (encoded === undefined) {
      encoded = this.separately(() => {
        this.attributes(resource.attributes, 1);
        this.writer.tag(2, 0);
        this.writer.varint(0);
      });
      // Attributes still being detected may change: remember only what is final.
      if (resource.asyncAttributesPending !== true) this.resources.set(resource, encoded);
    }
    return encoded;
  }

  private scope(scope: ScopeWithAttributes): Uint8Array {
    let encoded = this.scopes.get(scope);
    if (encoded === undefined) {
      encoded = this.separately(() => {
        this.writer.tag(1, 2);
        this.writer.string(scope.name);
        if (scope.version) {
          this.writer.tag(2, 2);
          this.writer.string(scope.version);
        }
        if (scope.attributes !== undefined) this.attributes(scope.attributes, 3);
        if (scope.droppedAttributesCount) {
          this.writer.tag(4, 0);
          this.writer.varint(scope.droppedAttributesCount);
        }
      });
      this.scopes.set(scope, encoded);
    }
    return encoded;
  }

  /** What `write` writes, as bytes of its own; the request being written stays as it was. */
  private separately(write: () => void): Uint8Array {
    const start = this.writer.position;
    write();
    const encoded = this.writer.copyFrom(start);
    this.writer.position = start;
    return encoded;
  }
}

/** Spans by resource, then by instrumentation scope, by identity (as the SDK groups them). */
function groupByResourceAndScope(spans: readonly ReadableSpan[]): Map<Resource, Map<InstrumentationScope, ReadableSpan[]>> {
  const resources = new Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      resources.set(span.resource, scopes);
    }
    let group = scopes.get(span.instrumentationScope);
    if (group === undefined) {
      group = [];
      scopes.set(span.instrumentationScope, group);
    }
    group.push(span);
  }
  return resources;
}
