import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { ErrorCode, isKascadeError } from '../../../src/errors.js';
import { asConnectionError } from '../../../src/kafka/admin/connection-error.js';

// kafkajs's declared constructors take no arguments; its JavaScript ones take (message, { cause }).
function kafkajsError<E>(type: abstract new (...args: never[]) => E, message: string, cause?: Error): E {
  return Reflect.construct(type, [message, cause === undefined ? {} : { cause }]) as E;
}

test('a refused SASL login becomes KASCADE_BROKER_UNREACHABLE naming the settings to check, not their values', () => {
  const refused = kafkajsError(kafkajs.KafkaJSSASLAuthenticationError, 'SASL SCRAM SHA512 authentication failed: invalid credentials');
  for (const error of [refused, kafkajsError(kafkajs.KafkaJSNonRetriableError, refused.message, refused)]) {
    const translated = asConnectionError(error, ['broker-1:9094', 'broker-2:9094']);
    assert.ok(isKascadeError(translated, ErrorCode.BrokerUnreachable));
    assert.equal(
      translated.message,
      'cannot use Kafka at broker-1:9094,broker-2:9094: SASL authentication failed (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): SASL SCRAM SHA512 authentication failed: invalid credentials',
    );
  }
});

test('a connection failure is explained; other errors pass through untouched', () => {
  const translated = asConnectionError(kafkajsError(kafkajs.KafkaJSConnectionError, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'), ['127.0.0.1:9092']);
  assert.ok(isKascadeError(translated, ErrorCode.BrokerUnreachable));
  assert.match(translated.message, /^cannot use Kafka at 127\.0\.0\.1:9092: no broker answered: Connection error/);
  const other = new Error('a bug');
  assert.equal(asConnectionError(other, ['x:1']), other);
  const denied = kafkajsError(kafkajs.KafkaJSNonRetriableError, 'topic authorization failed', new Error('TOPIC_AUTHORIZATION_FAILED'));
  assert.equal(asConnectionError(denied, ['x:1']), denied);
});
