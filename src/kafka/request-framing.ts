/**
 * kafkajs frames every request (size, api key and version, correlation id, client id, body)
 * by copying the body into a growing encoder and that into another: for a produce request of
 * 768 KiB, two zero-filled 1 MiB buffers and two copies. This frames it in one buffer of the
 * exact size; the bytes are the same (test/kafka/produce-request-encoding.test.ts).
 */

/** What kafkajs reads from an encoded request (the shape of its Encoder). */
export interface EncodedRequest {
  readonly buf: Buffer;
  readonly buffer: Buffer;
  size(): number;
}

/** Bytes of a protocol STRING: int16 length, then UTF-8 bytes (null: the length only). */
export function protocolStringSize(text: string | null): number {
  return 2 + (text === null ? 0 : Buffer.byteLength(text));
}

/** Writes a protocol STRING (int16 length, -1 for null, then UTF-8 bytes); returns the offset after it. */
export function writeProtocolString(buffer: Buffer, offset: number, text: string | null): number {
  if (text === null) return buffer.writeInt16BE(-1, offset);
  const length = Buffer.byteLength(text);
  const after = buffer.writeInt16BE(length, offset);
  return after + buffer.write(text, after, length, 'utf8');
}

/** What kafkajs's protocol/request.js takes. */
export interface RequestFrameInput {
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; encode(): Promise<{ readonly buffer: Buffer }> };
}

export async function frameRequest({ correlationId, clientId, request }: RequestFrameInput): Promise<EncodedRequest> {
  const body = (await request.encode()).buffer;
  const size = 2 + 2 + 4 + protocolStringSize(clientId) + body.length;
  const buffer = Buffer.allocUnsafe(4 + size);
  let offset = buffer.writeInt32BE(size, 0);
  offset = buffer.writeInt16BE(request.apiKey, offset);
  offset = buffer.writeInt16BE(request.apiVersion, offset);
  offset = buffer.writeInt32BE(correlationId, offset);
  offset = writeProtocolString(buffer, offset, clientId);
  buffer.set(body, offset);
  return { buf: buffer, buffer, size: () => buffer.length };
}
