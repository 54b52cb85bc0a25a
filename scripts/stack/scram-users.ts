import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * SCRAM users for the local broker, set with Kafka's AlterUserScramCredentials request (API key
 * 51, version 0) over the plaintext listener. kafkajs cannot send it, the Kafka jars the stack
 * fetches hold no command-line tool for it (ConfigCommand lives in kafka-tools since 4.1), and
 * `kafka-storage format --add-scram` only works on a new data folder; this works on every start,
 * in milliseconds, and the password never leaves this process except as a salted hash.
 */

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's own numbering (org.apache.kafka.clients.admin.ScramMechanism) and hash per mechanism. */
const MECHANISMS: Readonly<Record<ScramMechanism, { readonly type: number; readonly hash: 'sha256' | 'sha512'; readonly bytes: number }>> = {
  'SCRAM-SHA-256': { type: 1, hash: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { type: 2, hash: 'sha512', bytes: 64 },
};

/** Kafka's minimum for SCRAM-SHA-256/512. */
const ITERATIONS = 4096;
const API_KEY = 51;
const CLIENT_ID = 'kascade-stack';

export interface ScramUpsertion {
  readonly user: string;
  readonly mechanism: ScramMechanism;
  readonly password: string;
}

/** The request's bytes, size prefix included; `salt` is fixed only by tests. */
export function alterScramCredentialsRequest(upsertions: readonly ScramUpsertion[], correlationId: number, salt: () => Buffer = () => randomBytes(32)): Buffer {
  const parts: Buffer[] = [
    int16(API_KEY),
    int16(0),
    int32(correlationId),
    // Request header v2: the client id is a classic (non-compact) string, then tagged fields.
    int16(Buffer.byteLength(CLIENT_ID)),
    Buffer.from(CLIENT_ID),
    uvarint(0),
    // Deletions: none.
    uvarint(1),
    uvarint(upsertions.length + 1),
  ];
  for (const { user, mechanism, password } of upsertions) {
    const { type, hash, bytes } = MECHANISMS[mechanism];
    const saltBytes = salt();
    // SCRAM's SaltedPassword (RFC 5802 Hi()): what the broker stores keys from.
    const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), saltBytes, ITERATIONS, bytes, hash);
    parts.push(compactString(user), Buffer.from([type]), int32(ITERATIONS), compactBytes(saltBytes), compactBytes(salted), uvarint(0));
  }
  parts.push(uvarint(0));
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length), body]);
}

export interface ScramResult {
  readonly user: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** Reads the response body (after the size prefix): header v1, throttle time, one result per user. */
export function parseAlterScramCredentialsResponse(body: Buffer): { readonly correlationId: number; readonly results: readonly ScramResult[] } {
  const reader = new Reader(body);
  const correlationId = reader.int32();
  reader.skipTaggedFields();
  reader.int32();
  const count = reader.uvarint() - 1;
  const results: ScramResult[] = [];
  for (let index = 0; index < count; index += 1) {
    const user = reader.compactString() ?? '';
    const errorCode = reader.int16();
    const errorMessage = reader.compactString();
    reader.skipTaggedFields();
    results.push({ user, errorCode, errorMessage });
  }
  return { correlationId, results };
}

/**
 * Creates or updates the credentials on the broker at host:port (a PLAINTEXT listener), one
 * request each (the broker refuses two mechanisms of one user in one request); rejects with the
 * broker's reason.
 */
export async function upsertScramUsers(host: string, port: number, upsertions: readonly ScramUpsertion[], timeoutMs = 10_000): Promise<void> {
  const correlationId = 1;
  for (const upsertion of upsertions) {
    const response = await exchange(host, port, alterScramCredentialsRequest([upsertion], correlationId), timeoutMs);
    const parsed = parseAlterScramCredentialsResponse(response);
    if (parsed.correlationId !== correlationId) throw new Error(`AlterUserScramCredentials: answer to request ${parsed.correlationId}, expected ${correlationId}`);
    const failed = parsed.results.filter((result) => result.errorCode !== 0);
    if (failed.length > 0) {
      const reasons = failed.map((result) => `${result.user} (${upsertion.mechanism}): error ${result.errorCode} ${result.errorMessage ?? ''}`);
      throw new Error(`AlterUserScramCredentials refused: ${reasons.join('; ')}`);
    }
  }
}

/** Sends one framed request and resolves with the body of the one framed answer. */
function exchange(host: string, port: number, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      socket.end();
      resolve(received.subarray(4, 4 + size));
    });
    socket.on('close', () => reject(new Error(`${host}:${port} closed the connection without a full answer`)));
  });
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Compact strings and bytes carry their length + 1 as an unsigned varint (0 is null). */
function compactString(value: string): Buffer {
  return compactBytes(Buffer.from(value, 'utf8'));
}

function compactBytes(value: Buffer): Buffer {
  return Buffer.concat([uvarint(value.length + 1), value]);
}

class Reader {
  #offset = 0;

  constructor(private readonly buffer: Buffer) {}

  int16(): number {
    const value = this.buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer.readUInt8(this.#offset);
      this.#offset += 1;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  compactString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let index = 0; index < count; index += 1) {
      this.uvarint();
      this.#offset += this.uvarint();
    }
  }
}
