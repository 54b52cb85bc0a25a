import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { commandConnection } from '../connection-settings.js';
import { clickOf, requestIdOf } from '../../experiments/ctr/ctr-records.js';
import { createValueDecoder, isRecordDecodeFailure } from '../../experiments/ctr/value-decoder.js';
import { evaluateOffline, type LoggedDecision, type ShadowDecision } from '../../experiments/offline/offline-evaluation.js';
import { formatOfflineHtml, formatOfflineJson, formatOfflineTable, type OfflineReport } from '../../experiments/offline/offline-report.js';
import { parseRecordPath, textAtPath, valueAtPath, type RecordPath } from '../../inference/record-path.js';
import { readTopics, type TopicRecord } from '../../kafka/operator/topic-reader.js';
import { createAvroSerde } from '../../serde/avro-serde.js';
import { createHttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { print, printError, UsageError, type Command } from '../command.js';
import { progressBar } from '../progress-bar.js';

const DEFAULTS = { shown: 'shown.candidate.id', propensity: 'propensity', top: 'items.0.candidate.id', choice: 'items.0.candidate.id', score: 'items.0.score' };

export const compareCommand: Command = {
  name: 'compare',
  summary: "evaluate a challenger offline: its replayed decisions against the champion's logged ones and clicks",
  usage: `kascade compare --logged TOPIC --shadow TOPIC --clicks TOPIC [--shown PATH] [--propensity PATH]
                [--top PATH] [--choice PATH] [--score PATH] [--json] [--html FILE] [--progress]

  --logged TOPIC    the logging (champion) policy's impressions: what was shown, with which probability
  --shadow TOPIC    the challenger's outputs for the same requests (e.g. a re-run of its stages on the
                    champion's logged requests with kascade run --group --output-suffix, or a replay)
  --clicks TOPIC    clicks: records with a requestId (as for kascade ctr)
  --shown PATH      logged: the item shown            (default ${DEFAULTS.shown})
  --propensity PATH logged: its probability of being shown (default ${DEFAULTS.propensity})
  --top PATH        logged: the logging model's first choice (default ${DEFAULTS.top})
  --choice PATH     shadow: the challenger's choice    (default ${DEFAULTS.choice})
  --score PATH      both: the score compared between the two (default ${DEFAULTS.score})

Records are joined by request id (the kascade.request-id header or a requestId field). Reported:
agreement (same first choice), the logged CTR, the challenger's CTR by inverse propensity
weighting (IPS, with its interval; SNIPS beside it), and the score distributions (mean, quantiles,
Kolmogorov-Smirnov). IPS needs a logging policy that explores: an impression shown with
probability 1 says nothing about what else would have been clicked.`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        logged: { type: 'string' },
        shadow: { type: 'string' },
        clicks: { type: 'string' },
        shown: { type: 'string', default: DEFAULTS.shown },
        propensity: { type: 'string', default: DEFAULTS.propensity },
        top: { type: 'string', default: DEFAULTS.top },
        choice: { type: 'string', default: DEFAULTS.choice },
        score: { type: 'string', default: DEFAULTS.score },
        json: { type: 'boolean' },
        html: { type: 'string' },
        progress: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`compare takes no positional arguments, got: ${positionals.join(' ')}`);
    const { logged: loggedTopic, shadow: shadowTopic, clicks: clicksTopic } = values;
    if (loggedTopic === undefined || shadowTopic === undefined || clicksTopic === undefined) throw new UsageError('compare needs --logged TOPIC, --shadow TOPIC and --clicks TOPIC');
    if (new Set([loggedTopic, shadowTopic, clicksTopic]).size < 3) throw new UsageError('--logged, --shadow and --clicks must be three different topics');
    const paths = {
      shown: parseRecordPath(values.shown),
      propensity: parseRecordPath(values.propensity),
      top: parseRecordPath(values.top),
      choice: parseRecordPath(values.choice),
      score: parseRecordPath(values.score),
    };

    const connection = commandConnection();
    const decoder = createValueDecoder(createAvroSerde({ topic: loggedTopic, registry: createHttpSchemaRegistryClient(connection) }));
    const logged = new Map<string, LoggedDecision>();
    const shadow = new Map<string, ShadowDecision>();
    const clicked = new Set<string>();
    const unusable = { logged: 0, shadow: 0, clicks: 0 };
    const onRecord = async (record: TopicRecord): Promise<void> => {
      let value: unknown;
      try {
        value = await decoder.decode(record.value);
      } catch (error) {
        if (!isRecordDecodeFailure(error)) throw error;
        count(record.topic);
        return;
      }
      if (record.topic === clicksTopic) {
        const click = clickOf(record, value);
        if (click === undefined) unusable.clicks++;
        else clicked.add(click.requestId);
        return;
      }
      const requestId = requestIdOf(record, value);
      if (requestId === undefined) {
        count(record.topic);
        return;
      }
      if (record.topic === loggedTopic) {
        const decision = loggedDecision(requestId, value, paths);
        if (decision === undefined) unusable.logged++;
        else logged.set(requestId, decision);
      } else {
        const choice = textAtPath(value, paths.choice);
        if (choice === undefined) unusable.shadow++;
        else shadow.set(requestId, { requestId, choice, score: numberAt(value, paths.score) });
      }
    };
    function count(topic: string): void {
      if (topic === loggedTopic) unusable.logged++;
      else if (topic === shadowTopic) unusable.shadow++;
      else unusable.clicks++;
    }

    const bar = values.progress === true || process.stderr.isTTY ? progressBar(process.stderr, { doing: 'reading', done: 'read' }) : undefined;
    const summary = await readTopics({ connection, clientId: 'kascade-compare' }, [{ topic: loggedTopic }, { topic: shadowTopic }, { topic: clicksTopic }], {
      onRecord,
      clientId: 'kascade-compare',
      ...(bar === undefined ? {} : { onProgress: bar.update }),
    });
    bar?.finish(summary.records, summary.elapsedMs);
    if (unusable.logged + unusable.shadow + unusable.clicks > 0) {
      printError(`left out records without what compare needs: ${unusable.logged} logged, ${unusable.shadow} shadow, ${unusable.clicks} clicks (check --shown/--propensity/--top/--choice)`);
    }

    const report: OfflineReport = { topics: { logged: loggedTopic, shadow: shadowTopic, clicks: clicksTopic }, evaluation: evaluateOffline(logged, shadow, clicked) };
    if (values.html !== undefined) {
      const scoresOf = (decisions: Iterable<{ score?: number | undefined }>): number[] => [...decisions].flatMap((decision) => (decision.score === undefined ? [] : [decision.score]));
      await writeFile(values.html, formatOfflineHtml(report, scoresOf(logged.values()), scoresOf(shadow.values())), 'utf8');
      printError(`wrote the HTML report to ${values.html}`);
    }
    print(values.json === true ? formatOfflineJson(report) : formatOfflineTable(report));
    return 0;
  },
};

function loggedDecision(requestId: string, value: unknown, paths: Record<'shown' | 'propensity' | 'top' | 'score', RecordPath>): LoggedDecision | undefined {
  const shown = textAtPath(value, paths.shown);
  const top = textAtPath(value, paths.top);
  const propensity = numberAt(value, paths.propensity);
  if (shown === undefined || top === undefined || propensity === undefined || !(propensity > 0 && propensity <= 1)) return undefined;
  return { requestId, shown, top, propensity, score: numberAt(value, paths.score) };
}

function numberAt(value: unknown, path: RecordPath): number | undefined {
  const found = valueAtPath(value, path);
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}
