/**
 * Every error kascade raises on purpose is a KascadeError with a code from this closed list.
 * Callers branch on `code` (never on `name` or message text) and on `retriable`.
 */
export const ErrorCode = {
  /** A configuration value (environment variable, topology file) is missing or malformed. */
  ConfigInvalid: 'KASCADE_CONFIG_INVALID',
  /** No Kafka broker answered at the configured bootstrap addresses. */
  BrokerUnreachable: 'KASCADE_BROKER_UNREACHABLE',
  /** The schema registry did not answer, or answered with an error. */
  RegistryUnreachable: 'KASCADE_REGISTRY_UNREACHABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface KascadeErrorOptions {
  /** True when retrying the same operation later may succeed (a service was down, not a bad input). */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class KascadeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: KascadeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KascadeError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export function isKascadeError(value: unknown, code?: ErrorCode): value is KascadeError {
  return value instanceof KascadeError && (code === undefined || value.code === code);
}
