import type { ConnectionSettings } from '../config/connection.js';
import { redactUrl } from '../config/redact-url.js';
import { ErrorCode, KascadeError } from '../errors.js';
import { RegistryConnectionError, RegistryTransport } from './registry-transport.js';
import type { SchemaRegistryClient, SubjectVersion } from './serde.js';

export interface HttpSchemaRegistryOptions {
  /** Per request, from connecting to the last byte of the answer. Default 5000 ms. */
  readonly timeoutMs?: number;
}

export const DEFAULT_REGISTRY_TIMEOUT_MS = 5000;

/** The same as `new HttpSchemaRegistry(connection, options)`, typed as the interface the serdes need. */
export function createHttpSchemaRegistryClient(connection: ConnectionSettings, options: HttpSchemaRegistryOptions = {}): SchemaRegistryClient {
  return new HttpSchemaRegistry(connection, options);
}

/** Confluent's error code for "schema not found" (a 404 from the API itself, not from a wrong URL). */
const SCHEMA_NOT_FOUND = 40403;
/** Confluent's error codes for a subject that has no such version: unknown (or deleted) subject, unknown version. */
const SUBJECT_NOT_FOUND = 40401;
const VERSION_NOT_FOUND = 40402;
const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
const REQUEST_HEADERS: Readonly<Record<string, string>> = { accept: `${MEDIA_TYPE}, application/json` };

interface Answer {
  readonly status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  readonly json: unknown;
}

/**
 * A SchemaRegistryClient over the Confluent REST API (served by Confluent, Apicurio's
 * `/apis/ccompat/v7`, Karapace, Redpanda), over RegistryTransport (basic auth, a private CA).
 *
 * Error classification, which decides between "pause the stage" and "dead-letter the record":
 * - no answer (network error, timeout), HTTP 5xx, 401, 403, 408, 429, or an answer that does not
 *   look like the registry API at all -> RegistryUnreachable, retriable (systemic);
 * - 404 with error code 40403 on a schema id -> SchemaNotFound (that record is dead-lettered);
 * - 404 with error code 40401 or 40402 on a subject's latest version -> undefined (nothing registered);
 * - 409 (incompatible) or 422 (invalid schema) on register -> ConfigInvalid naming the subject.
 * Credentials go in the Authorization header only; messages show the URL without them.
 */
export class HttpSchemaRegistry implements SchemaRegistryClient {
  readonly #transport: RegistryTransport;
  /** For messages: never holds credentials, even if the URL carried some. */
  readonly #shownUrl: string;
  readonly #timeoutMs: number;
  /** Schema ids are immutable: a schema fetched once is kept for the life of the client. */
  readonly #schemas = new Map<number, Promise<string>>();
  readonly #ids = new Map<string, Promise<number>>();

  constructor(connection: ConnectionSettings, options: HttpSchemaRegistryOptions = {}) {
    this.#transport = new RegistryTransport(connection);
    this.#shownUrl = redactUrl(connection.schemaRegistryUrl.replace(/\/+$/, ''));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  }

  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    return memoize(this.#ids, key, async () => {
      const path = `/subjects/${encodeURIComponent(subject)}/versions`;
      const answer = await this.#request('POST', path, { schema });
      if (answer.status === 200) {
        const id = field(answer.json, 'id');
        if (typeof id === 'number' && Number.isInteger(id)) return id;
      }
      if (answer.status === 409 || answer.status === 422) {
        // The schema is what the topology declares: fixing it (or the subject's rule) is configuration.
        const why = answer.status === 409 ? "incompatible with the subject's earlier versions" : 'not a valid schema';
        throw new KascadeError(
          ErrorCode.ConfigInvalid,
          `schema registry at ${this.#shownUrl} rejected the schema for subject "${subject}" as ${why} (HTTP ${answer.status}): ${registryMessage(answer)}`,
        );
      }
      throw this.#unexpected('POST', path, answer);
    });
  }

  schemaById(id: number): Promise<string> {
    return memoize(this.#schemas, id, async () => {
      const path = `/schemas/ids/${id}`;
      const answer = await this.#request('GET', path);
      if (answer.status === 200) {
        const schema = field(answer.json, 'schema');
        const schemaType = field(answer.json, 'schemaType');
        if (typeof schema === 'string' && (schemaType === undefined || schemaType === 'AVRO')) return schema;
        if (typeof schema === 'string' && typeof schemaType === 'string') {
          // The id exists, but not as Avro: for an Avro topic that is as good as unknown.
          throw new KascadeError(ErrorCode.SchemaNotFound, `schema id ${id} in the schema registry at ${this.#shownUrl} is a ${schemaType} schema, not Avro`);
        }
      }
      if (answer.status === 404 && field(answer.json, 'error_code') === SCHEMA_NOT_FOUND) {
        throw new KascadeError(
          ErrorCode.SchemaNotFound,
          `schema id ${id} is not known to the schema registry at ${this.#shownUrl} (HTTP 404): ${registryMessage(answer)}`,
        );
      }
      throw this.#unexpected('GET', path, answer);
    });
  }

  async latestVersion(subject: string): Promise<SubjectVersion | undefined> {
    // Not memoized: a subject's latest version changes whenever a producer registers a new one.
    const path = `/subjects/${encodeURIComponent(subject)}/versions/latest`;
    const answer = await this.#request('GET', path);
    if (answer.status === 404) {
      const code = field(answer.json, 'error_code');
      if (code === SUBJECT_NOT_FOUND || code === VERSION_NOT_FOUND) return undefined;
    }
    if (answer.status === 200) {
      const version = field(answer.json, 'version');
      const id = field(answer.json, 'id');
      const schema = field(answer.json, 'schema');
      const schemaType = field(answer.json, 'schemaType');
      if (isInteger(version) && isInteger(id) && typeof schema === 'string') {
        if (schemaType !== undefined && schemaType !== 'AVRO') {
          throw new KascadeError(
            ErrorCode.ConfigInvalid,
            `the latest version (${version}) of subject "${subject}" in the schema registry at ${this.#shownUrl} is a ${typeof schemaType === 'string' ? schemaType : JSON.stringify(schemaType)} schema, not Avro`,
          );
        }
        // Ids are immutable: the records that carry this one need not ask for its schema again.
        if (!this.#schemas.has(id)) this.#schemas.set(id, Promise.resolve(schema));
        return { subject, version, id, schema };
      }
    }
    throw this.#unexpected('GET', path, answer);
  }

  async #request(method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> {
    let status: number;
    let text: string;
    try {
      const headers = body === undefined ? REQUEST_HEADERS : { ...REQUEST_HEADERS, 'content-type': MEDIA_TYPE };
      ({ status, text } = await this.#transport.request({
        method,
        path,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.#timeoutMs,
      }));
    } catch (error) {
      const reason = error instanceof RegistryConnectionError ? error.message : String(error);
      throw new KascadeError(ErrorCode.RegistryUnreachable, `schema registry at ${this.#shownUrl} did not answer ${method} ${path}: ${reason}`, {
        retriable: true,
        cause: error,
      });
    }
    const answer: Answer = { status, json: parseJson(text) };
    if (isSystemic(status)) {
      const hint = status === 401 || status === 403 ? credentialsHint(this.#transport.authenticates) : '';
      throw new KascadeError(
        ErrorCode.RegistryUnreachable,
        `schema registry at ${this.#shownUrl} answered HTTP ${status} to ${method} ${path}${hint}: ${registryMessage(answer)}`,
        { retriable: true },
      );
    }
    return answer;
  }

  /**
   * An answer that is not the registry API speaking (e.g. a 404 with no error code: the URL
   * probably misses `/apis/ccompat/v7`). Systemic, so records are not dead-lettered for it.
   */
  #unexpected(method: string, path: string, answer: Answer): KascadeError {
    return new KascadeError(
      ErrorCode.RegistryUnreachable,
      `schema registry at ${this.#shownUrl} gave an unexpected answer to ${method} ${path} (HTTP ${answer.status}): ${registryMessage(answer)}; ` +
        'is SCHEMA_REGISTRY_URL the root of a Confluent-compatible API?',
      { retriable: true },
    );
  }
}

/** Server trouble, authentication, throttling: retrying later (or fixing the deployment) helps, the record is not at fault. */
function isSystemic(status: number): boolean {
  return status >= 500 || status === 401 || status === 403 || status === 408 || status === 429;
}

/** Keeps successful lookups; forgets failed ones so the next call asks again. */
function memoize<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const pending = load();
  cache.set(key, pending);
  void pending.catch(() => cache.delete(key));
  return pending;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(json: unknown, name: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
}

/** The registry's own explanation (`message`, `error_code`; or a problem+json `detail`, as Apicurio gives outside its API), kept short. */
function registryMessage(answer: Answer): string {
  const text = [field(answer.json, 'message'), field(answer.json, 'detail')].find((candidate) => typeof candidate === 'string');
  const code = field(answer.json, 'error_code');
  if (typeof text !== 'string') return 'no error message';
  const short = text.length > 400 ? `${text.slice(0, 397)}...` : text;
  return typeof code === 'number' ? `${short} (error code ${code})` : short;
}

/** What to check after a 401 or 403, naming the variables (never their values). */
function credentialsHint(authenticates: boolean): string {
  return authenticates
    ? ' (check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD, or the credentials in SCHEMA_REGISTRY_URL)'
    : ' (no credentials are configured: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD)';
}
