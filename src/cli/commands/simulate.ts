import { parseArgs } from 'node:util';
import { commandConnection } from '../connection-settings.js';
import { clickDelaySeconds, clicks, uniform, type ClickModel } from '../../experiments/click-model.js';
import { createValueDecoder } from '../../experiments/ctr/value-decoder.js';
import { loadDemoWorld, trueClickProbability, worldRequest, worldUser, type DemoWorld } from '../../experiments/demo-world.js';
import { parseRecordPath, textAtPath } from '../../inference/record-path.js';
import { createAvroSerde } from '../../serde/avro-serde.js';
import { createHttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { simulatedRequest } from '../../experiments/traffic.js';
import { openRecordWriter, textRecord } from '../../kafka/record-writer.js';
import type { KafkaAccess } from '../../kafka/platformatic/cluster-admin.js';
import { missingTopics } from '../../kafka/admin/topic-admin.js';
import { readTopics } from '../../kafka/operator/topic-reader.js';
import { LineageHeader } from '../../runtime/lineage.js';
import { decodeHeaders, type OutgoingRecord } from '../../runtime/record.js';
import { ExperimentHeader } from '../../routing/experiment-headers.js';
import { print, UsageError, type Command } from '../command.js';

const USAGE = `kascade simulate requests --topic TOPIC [--requests 10000] [--users 2000] [--seed demo] [--from-index 0] [--world FILE]
       kascade simulate clicks --impressions TOPIC... --clicks TOPIC (--ctr ARM=P,ARM=P | --world FILE [--ad-field PATH]) [--seed demo]

  requests   produce ad requests keyed by user, deterministic in the seed: JSON { id, user, region,
             features[32] }, or with --world the demo world's users { id, user, region, features[8] }
  clicks     read the impressions on the given topics (up to their current end) and produce a click
             (JSON: requestId, timestamp) for those the hidden click model says are clicked:
             --ctr     user u clicks an impression of arm a with probability ctr[a] * f(u), f uniform
                       in [0.5, 1.5) per user (src/experiments/click-model.ts); the arm comes from the
                       kascade.arm header
             --world   the demo world's true model (models/demo-world.json, see models/README.md):
                       the probability depends on the user and on the ad shown, read from the
                       impression's --ad-field (a dotted path, default "ad"; e.g. items.0.candidate.id)`;

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'produce simulated ad requests, or clicks on served impressions from a known click model',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        topic: { type: 'string' },
        requests: { type: 'string', default: '10000' },
        users: { type: 'string', default: '2000' },
        seed: { type: 'string', default: 'demo' },
        'from-index': { type: 'string', default: '0' },
        impressions: { type: 'string', multiple: true },
        clicks: { type: 'string' },
        ctr: { type: 'string' },
        world: { type: 'string' },
        'ad-field': { type: 'string', default: 'ad' },
      },
      allowPositionals: true,
    });
    const [mode, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`simulate takes one mode, got: ${positionals.join(' ')}`);
    const connection = commandConnection();
    const access: KafkaAccess = { connection, clientId: 'kascade-simulate' };
    if (mode === 'requests') {
      if (values.topic === undefined) throw new UsageError('simulate requests needs --topic');
      const count = positiveInteger(values.requests, '--requests');
      const users = positiveInteger(values.users, '--users');
      const from = Number(values['from-index']);
      const world = values.world === undefined ? undefined : loadDemoWorld(values.world);
      const requestAt = (index: number): { user: string } =>
        world === undefined ? simulatedRequest(values.seed, index, users) : worldRequest(world, values.seed, index, users);
      const topic = values.topic;
      const writer = openRecordWriter(access);
      try {
        for (let start = 0; start < count; start += 1000) {
          const records = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => {
            const request = requestAt(from + start + offset);
            return textRecord(topic, request.user, JSON.stringify(request));
          });
          await writer.send(records);
        }
      } finally {
        await writer.close();
      }
      print(`produced ${count} requests from ${users} users to ${values.topic} (seed ${values.seed})`);
      return 0;
    }
    if (mode === 'clicks') {
      const topics = values.impressions ?? [];
      if (topics.length === 0 || values.clicks === undefined || (values.ctr === undefined) === (values.world === undefined)) {
        throw new UsageError('simulate clicks needs --impressions TOPIC (one or more), --clicks TOPIC and one of --ctr ARM=P,... or --world FILE');
      }
      const clicked = values.world === undefined ? armClicks({ ctr: parseCtr(values.ctr ?? ''), seed: values.seed }) : worldClicks(loadDemoWorld(values.world), values.seed, values['ad-field']);
      const decoder = createValueDecoder(createAvroSerde({ topic: topics[0] ?? '', registry: createHttpSchemaRegistryClient(connection) }));
      const clicksTopic = values.clicks;
      await requireTopics(access, [...topics, clicksTopic]);
      const writer = openRecordWriter(access);
      let impressions = 0;
      let produced = 0;
      try {
        let pending: OutgoingRecord[] = [];
        const flush = async (): Promise<void> => {
          if (pending.length === 0) return;
          const batch = pending;
          pending = [];
          await writer.send(batch);
          produced += batch.length;
        };
        await readTopics(
          access,
          topics.map((topic) => ({ topic })),
          {
            onRecord: async (record) => {
              impressions++;
              const headers = decodeHeaders(record.headers);
              const user = headers[ExperimentHeader.unit] ?? record.key?.toString();
              const requestId = headers[LineageHeader.requestId];
              if (user === undefined || requestId === undefined) return;
              const impression = { arm: headers[ExperimentHeader.arm], user, requestId, value: () => decoder.decode(record.value) };
              if (!(await clicked(impression))) return;
              const timestamp = record.timestamp + clickDelaySeconds(values.seed, requestId) * 1000;
              pending.push(textRecord(clicksTopic, user, JSON.stringify({ requestId, timestamp }), String(timestamp)));
              if (pending.length >= 1000) await flush();
            },
          },
        );
        await flush();
      } finally {
        await writer.close();
      }
      print(`read ${impressions} impressions, produced ${produced} clicks to ${values.clicks}`);
      return 0;
    }
    throw new UsageError(`simulate: unknown mode "${mode ?? ''}" (requests | clicks)`);
  },
};

/** A missing topic is a usage problem worth naming, not a client's metadata error. */
async function requireTopics(access: KafkaAccess, topics: readonly string[]): Promise<void> {
  const missing = await missingTopics(access, topics);
  if (missing.length > 0) throw new UsageError(`topic ${missing.map((topic) => `"${topic}"`).join(', ')} does not exist: create it first (kascade topics <topology>, or your admin tools)`);
}

interface ImpressionSeen {
  readonly arm: string | undefined;
  readonly user: string;
  readonly requestId: string;
  /** Decodes the value; only the world model needs it. */
  value(): Promise<unknown>;
}

type ClickRule = (impression: ImpressionSeen) => Promise<boolean>;

function armClicks(model: ClickModel): ClickRule {
  return (impression) => Promise.resolve(impression.arm !== undefined && clicks(model, impression.arm, impression.user, impression.requestId));
}

/** The world's truth: the user (recomputed from the seed) and the ad the impression shows. */
function worldClicks(world: DemoWorld, seed: string, adField: string): ClickRule {
  const adPath = parseRecordPath(adField);
  return async (impression) => {
    const ad = textAtPath(await impression.value(), adPath);
    if (ad === undefined) throw new UsageError(`impression ${impression.requestId} has no ad at --ad-field "${adField}"`);
    const user = worldUser(world, seed, impression.user);
    return uniform(seed, 'click', impression.requestId) < trueClickProbability(world, user.features, user.region, ad);
  };
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${option} must be a positive integer, got "${text}"`);
  return value;
}

function parseCtr(text: string): Record<string, number> {
  const entries = text.split(',').map((pair) => {
    const [arm, value] = pair.split('=');
    const p = Number(value);
    if (arm === undefined || arm === '' || !(p >= 0 && p <= 1)) throw new UsageError(`--ctr: "${pair}" is not ARM=P with P in [0, 1]`);
    return [arm, p] as const;
  });
  return Object.fromEntries(entries);
}
