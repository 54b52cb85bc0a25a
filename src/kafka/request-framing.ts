import type { EncodedBatch } from './record-batch-encoding.js';

/**
 * kafkajs frames every request (size, api key and version, correlation id, client id, body)
 * by copying the body into a growing encoder and that into another: for a produce request of
 * 768 KiB, two zero-filled 1 MiB buffers and two copies. This frames it in one buffer of the
 * exact size; the bytes are the same (test/kafka/produce-request-encoding.test.ts).
 */

/** What kafkajs's protocol/request.js takes. */
export interface RequestFrameInput {
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; encode(): Promise<{ readonly buffer: Buffer }> };
}

export async function frameRequest({ correlationId, clientId, request }: RequestFrameInput): Promise<EncodedBatch> {
  const body = (await request.encode()).buffer;
  const clientIdLength = clientId === null ? 0 : Buffer.byteLength(clientId);
  const size = 2 + 2 + 4 + 2 + clientIdLength + body.length;
  const buffer = Buffer.allocUnsafe(4 + size);
  let offset = buffer.writeInt32BE(size, 0);
  offset = buffer.writeInt16BE(request.apiKey, offset);
  offset = buffer.writeInt16BE(request.apiVersion, offset);
  offset = buffer.writeInt32BE(correlationId, offset);
  offset = buffer.writeInt16BE(clientId === null ? -1 : clientIdLength, offset);
  if (clientId !== null) offset += buffer.write(clientId, offset, clientIdLength, 'utf8');
  body.copy(buffer, offset);
  return { buf: buffer, buffer, size: () => buffer.length };
}
