import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ConnectionSettings } from '../config/connection.js';

export interface RegistryAnswer {
  readonly status: number;
  readonly text: string;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the registry's base URL, starting with `/`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** From connecting to the last byte of the answer. */
  readonly timeoutMs: number;
}

/** A request that got no answer: the reason is said in words (refused, timed out, certificate not trusted). */
export class RegistryConnectionError extends Error {
  readonly timedOut: boolean;

  constructor(message: string, options: { timedOut: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryConnectionError';
    this.timedOut = options.timedOut;
  }
}

/**
 * HTTP(S) to the schema registry with node:http, because Node 20's fetch cannot trust a private
 * CA per client (only process-wide, through NODE_EXTRA_CA_CERTS). Sends basic auth when
 * configured, trusts SCHEMA_REGISTRY_CA_LOCATION when set, and keeps connections alive.
 */
export class RegistryTransport {
  readonly #baseUrl: string;
  readonly #https: boolean;
  readonly #agent: HttpAgent;
  readonly #authorization: string | undefined;

  constructor(connection: Pick<ConnectionSettings, 'schemaRegistryUrl' | 'schemaRegistryAuth' | 'schemaRegistryCa'>) {
    this.#baseUrl = connection.schemaRegistryUrl.replace(/\/+$/, '');
    this.#https = this.#baseUrl.startsWith('https:');
    const ca = connection.schemaRegistryCa;
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true, ...(ca === undefined ? {} : { ca }) }) : new HttpAgent({ keepAlive: true });
    const auth = connection.schemaRegistryAuth;
    this.#authorization = auth === undefined ? undefined : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  get authenticates(): boolean {
    return this.#authorization !== undefined;
  }

  request(request: RegistryRequest): Promise<RegistryAnswer> {
    const headers: Record<string, string> = { ...request.headers };
    if (this.#authorization !== undefined) headers['authorization'] = this.#authorization;
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const send = this.#https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        const reason = timedOut ? `no answer within ${request.timeoutMs} ms` : describeFailure(error);
        reject(new RegistryConnectionError(reason, { timedOut, cause: error }));
      };
      const outgoing = send(`${this.#baseUrl}${request.path}`, { method: request.method, headers, agent: this.#agent }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      const timer = setTimeout(() => {
        timedOut = true;
        outgoing.destroy(new Error('timed out'));
      }, request.timeoutMs);
      outgoing.on('error', fail);
      outgoing.end(request.body);
    });
  }
}

/** TLS verification failures, named by Node's error codes, with what to do about them. */
const CERTIFICATE_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error ? String(error.code) : undefined;
  if (code !== undefined && CERTIFICATE_ERRORS.has(code)) {
    return `TLS: the registry's certificate is not trusted (${error.message}); set SCHEMA_REGISTRY_CA_LOCATION to the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the registry's certificate is not for this host (${error.message})`;
  if (code === 'CERT_HAS_EXPIRED') return `TLS: the registry's certificate has expired (${error.message})`;
  return error.message;
}
