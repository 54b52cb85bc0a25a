import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { ConnectionSettings } from '../../src/config/connection.js';
import { askAgain } from '../helpers/ask-again.js';
import { waitForGroupCaughtUp } from '../helpers/group-progress.js';
import { StageProcess } from '../helpers/stage-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { EventGenerator } from './generator.js';
import { Verifier, type StageTopics, type StageVerdict } from './verifier.js';

export const RELIABILITY_FILE = 'integration-tests/reliability/fixtures/reliability.yaml';
export type Delivery = 'at-least-once' | 'exactly-once';
export type ReliabilityStage = 'prepare' | 'score';

export interface RunOptions {
  readonly delivery: Delivery;
  readonly connection: ConnectionSettings;
  /** Environment of every stage process (e.g. a fault stack's addresses). */
  readonly env?: Readonly<Record<string, string>>;
  readonly keys?: number;
}

/** One isolated run of the reliability pipeline: its topics, groups, generator and stage processes. */
export class ReliabilityRun {
  readonly run = `rel${randomUUID().slice(0, 8)}`;
  readonly env: Readonly<Record<string, string>>;
  readonly generator: EventGenerator;
  readonly verifier: Verifier;
  private readonly processes: StageProcess[] = [];

  constructor(
    private readonly kafka: Kafka,
    readonly options: RunOptions,
  ) {
    this.env = { ...options.env, KASCADE_RUN: this.run, KASCADE_DELIVERY: options.delivery };
    this.generator = new EventGenerator(kafka, options.connection, { run: this.run, topic: this.topic('events'), keys: options.keys ?? 40 });
    this.verifier = new Verifier(kafka, options.connection);
  }

  topic(name: 'events' | 'features' | 'scored'): string {
    return `${this.run}.${name}`;
  }

  stageTopics(stage: ReliabilityStage): StageTopics {
    const input = stage === 'prepare' ? this.topic('events') : this.topic('features');
    return { stage, input, output: stage === 'prepare' ? this.topic('features') : this.topic('scored'), deadLetters: `${input}.dlq` };
  }

  group(stage: ReliabilityStage): string {
    return `rel-${this.run}.${stage}`;
  }

  /** `kascade topics` on the fixture, then the generator's schema and connection. */
  async prepare(): Promise<void> {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'topics', RELIABILITY_FILE], {
      env: { ...process.env, ...this.env },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`kascade topics failed (${String(result.status)}): ${result.stdout}${result.stderr}`);
    await this.generator.connect();
  }

  /** Starts one instance of `stage` (`kascade run --stage`) and waits until it joined its group. */
  async startStage(stage: ReliabilityStage, extraEnv: Readonly<Record<string, string>> = {}): Promise<StageProcess> {
    const process = await StageProcess.start([RELIABILITY_FILE, '--stage', stage], { ...this.env, ...extraEnv }, 1);
    this.processes.push(process);
    return process;
  }

  /** Records written to a topic so far (high watermarks; aborted transactional records count too). */
  written(topic: string): Promise<number> {
    return askAgain(`the offsets of ${topic}`, () => this.highWatermarks(topic));
  }

  private async highWatermarks(topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until the stage's group has committed to the end of its input. An input written in
   * transactions ends each partition with a commit marker, an offset no consumer commits past.
   */
  waitForCaughtUp(stage: ReliabilityStage, timeoutMs = 180_000): Promise<void> {
    const markerAllowance = stage === 'score' && this.options.delivery === 'exactly-once' ? 1 : 0;
    return waitForGroupCaughtUp(this.kafka, this.group(stage), this.stageTopics(stage).input, { timeoutMs, markerAllowance });
  }

  /** Waits until `topic` grew by `count` records from `from`. */
  async waitForGrowth(topic: string, from: number, count: number, timeoutMs = 120_000): Promise<number> {
    let now = from;
    await waitFor(
      async () => {
        now = await this.written(topic);
        return now >= from + count;
      },
      { what: () => `${count} more records on ${topic} (from ${from}, now ${now})`, timeoutMs, intervalMs: 100 },
    );
    return now;
  }

  verify(stage: ReliabilityStage): Promise<StageVerdict> {
    return this.verifier.verify(this.stageTopics(stage));
  }

  /** SIGTERMs every stage process still running and closes the generator. */
  async close(): Promise<void> {
    await Promise.all(this.processes.filter((process) => process.running).map((process) => process.kill('SIGTERM')));
    await this.generator.disconnect();
    // For a person investigating a run: every stage process's log, one file each.
    const logDir = process.env['KASCADE_TEST_STAGE_LOGS'];
    if (logDir !== undefined) {
      mkdirSync(logDir, { recursive: true });
      for (const [index, stage] of this.processes.entries()) writeFileSync(join(logDir, `${this.run}-${index}.log`), `${stage.output.join('\n')}\n`);
    }
  }
}
