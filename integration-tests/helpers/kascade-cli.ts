import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Kafka, Message } from 'kafkajs';
import { createProducer } from '../../src/kafka/kafkajs/client.js';

const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kascade ARGS` as a user would (a child process on the sources); a failing exit is returned, not thrown. */
export async function kascadeCli(args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Produces `messages` in one send, in the order given (per partition, that is their log order). */
export async function produceMessages(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}
