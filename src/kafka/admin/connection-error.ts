// A default import: Node's named-export detection does not see kafkajs's error classes.
import kafkajs from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import { describeConnectFailure } from './probe.js';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSSASLAuthenticationError } = kafkajs;

/**
 * A failure to reach or log in to Kafka as a KascadeError naming the settings to check (never
 * their values), so a wrong password or CA ends a command with one clear line, not a stack
 * trace. Anything else is returned as it is.
 */
export function asConnectionError(error: unknown, brokers: readonly string[]): unknown {
  const connecting = error instanceof KafkaJSSASLAuthenticationError || error instanceof KafkaJSConnectionError || (error instanceof KafkaJSNonRetriableError && error.cause instanceof KafkaJSSASLAuthenticationError);
  if (!connecting) return error;
  const reason = error instanceof KafkaJSNonRetriableError && error.cause !== undefined ? error.cause : error;
  return new KascadeError(ErrorCode.BrokerUnreachable, `cannot use Kafka at ${brokers.join(',')}: ${describeConnectFailure(reason)}`, { cause: error });
}
