export { ErrorCode, KascadeError, isKascadeError } from './errors.js';
export type { KascadeErrorOptions } from './errors.js';
export { connectionFromEnv, DEFAULT_KAFKA_BROKERS, DEFAULT_SCHEMA_REGISTRY_URL } from './config/connection.js';
export type { ConnectionSettings } from './config/connection.js';
export { redactUrl } from './config/redact-url.js';
