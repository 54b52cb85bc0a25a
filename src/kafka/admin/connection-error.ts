import { ErrorCode, KascadeError } from '../../errors.js';

/**
 * A failure to reach or log in to Kafka as a KascadeError naming the settings to check (never
 * their values), so a wrong password or CA ends a command with one clear line, not a stack
 * trace. Anything else is returned as it is. Both clients' errors are recognised by their
 * names and codes, so this module needs neither client.
 */
export function asConnectionError(error: unknown, brokers: readonly string[]): unknown {
  if (error instanceof KascadeError || connectFailureKind(error) === undefined) return error;
  return new KascadeError(ErrorCode.BrokerUnreachable, `cannot use Kafka at ${brokers.join(',')}: ${describeConnectFailure(error)}`, { cause: error });
}

/** Why a connection failed, with what it means for the settings (names only, no secrets). */
export function describeConnectFailure(error: unknown): string {
  const message = chainMessages(error).join(': ');
  const kind = connectFailureKind(error);
  if (kind === 'authentication' || /SASL/.test(message)) {
    return `SASL authentication failed (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): ${message}`;
  }
  if (/certificate|SSL|TLS|handshake/i.test(message)) return `TLS handshake failed (check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_LOCATION): ${message}`;
  // A TLS listener spoken to in plaintext (or the other way round) hangs up without a word.
  if (/Closed connection|Connection closed|ECONNRESET|socket hang up/i.test(message)) {
    return `the broker closed the connection (does KAFKA_SECURITY_PROTOCOL match its listener at KAFKA_BROKERS?): ${message}`;
  }
  return `no broker answered: ${message}`;
}

type ConnectFailure = 'authentication' | 'network';

const AUTHENTICATION_NAMES = new Set(['KafkaJSSASLAuthenticationError']);
const NETWORK_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);
const AUTHENTICATION_CODES = new Set(['PLT_KFK_AUTHENTICATION']);
const NETWORK_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);
const AUTHENTICATION_IDS = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

/** Whether `error` (or what it wraps) says the client could not connect or log in; authentication wins. */
function connectFailureKind(error: unknown): ConnectFailure | undefined {
  let found: ConnectFailure | undefined;
  for (const part of errorParts(error)) {
    const { name, code, apiId } = part as { name?: unknown; code?: unknown; apiId?: unknown };
    if (AUTHENTICATION_NAMES.has(String(name)) || AUTHENTICATION_CODES.has(String(code)) || AUTHENTICATION_IDS.has(String(apiId))) return 'authentication';
    if (NETWORK_NAMES.has(String(name)) || NETWORK_CODES.has(String(code))) found = 'network';
  }
  return found;
}

/** The error, its causes and the errors it aggregates, depth first. */
function errorParts(error: unknown): object[] {
  const parts: object[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || parts.includes(value) || parts.length > 20) return;
    parts.push(value);
    const { cause, errors } = value as { cause?: unknown; errors?: unknown };
    visit(cause);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner);
  };
  visit(error);
  return parts;
}

/** @platformatic/kafka's wrappers, which say nothing the errors they hold do not. */
const WRAPPER_MESSAGES = /^(Received response with error while executing API|\w+ failed \d+ times$)/;

/** Each distinct message along the chain, with the broker's own words where a response carried them. */
function chainMessages(error: unknown): string[] {
  if (!(error instanceof Error)) return [String(error)];
  const messages: string[] = [];
  for (const part of errorParts(error)) {
    const { message, serverErrorMessage } = part as { message?: unknown; serverErrorMessage?: unknown };
    for (const text of [message, serverErrorMessage]) {
      if (typeof text !== 'string' || text === '') continue;
      const trimmed = text.replace(/\.$/, '');
      if (!messages.includes(trimmed) && !WRAPPER_MESSAGES.test(trimmed)) messages.push(trimmed);
    }
  }
  return messages;
}
