import { hostname } from 'node:os';
import type { ConnectionSettings } from '../../config/connection.js';
import type { OffsetLog, StageTransport } from '../../runtime/delivery/ports.js';
import type { KeyPartitioner } from '../../routing/partitioner.js';
import type { ConsumerTuning, DeliveryGuarantee } from '../../topology/spec.js';
import type { TopicLimit } from '../produce/request-size.js';
import { Coordinators } from './platformatic-coordinators.js';
import { PlatformaticOffsetLog } from './platformatic-offset-log.js';
import { PlatformaticOutputSink } from './platformatic-output-sink.js';
import { PlatformaticRecordSource } from './platformatic-record-source.js';
import { PlatformaticTransactions } from './platformatic-transactions.js';
import { recordClientMetrics } from './platformatic-diagnostics.js';

export interface PlatformaticTransportOptions {
  readonly connection: ConnectionSettings;
  readonly stage: string;
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly delivery: DeliveryGuarantee;
  readonly tuning?: ConsumerTuning | undefined;
  readonly partitioner?: KeyPartitioner | undefined;
  readonly topicLimit?: TopicLimit | undefined;
  readonly fromBeginning?: boolean | undefined;
  /** Names this instance's transactional producer; unique among the stage's running instances (default host.pid). */
  readonly instanceId?: string | undefined;
}

/** A stage's ports on @platformatic/kafka: a group member, its offsets, an idempotent or one transactional producer. */
export function platformaticTransport(options: PlatformaticTransportOptions): StageTransport {
  const { connection, groupId, stage } = options;
  recordClientMetrics();
  const clientId = `kascade.${stage}`;
  const coordinators = new Coordinators(connection, { clientId: `${clientId}-coordinators` });
  const source = new PlatformaticRecordSource({
    connection,
    clientId,
    groupId,
    topics: options.inputs,
    fromBeginning: options.fromBeginning,
    tuning: { fetchBytesPerPartition: options.tuning?.fetchBytesPerPartition },
    sessionTimeoutMs: options.tuning?.sessionTimeoutMs,
    maxBatchRecords: options.tuning?.maxBatchSize,
  });
  const log = new PlatformaticOffsetLog(source, coordinators, groupId);
  const offsets: OffsetLog = { commit: (entries) => log.commit(entries), committed: (partitions) => log.committed(partitions) };
  const sinkOptions = { connection, clientId, partitioner: options.partitioner, topicLimit: options.topicLimit };
  const closing = async (close: () => Promise<void>): Promise<void> => {
    await close();
    await coordinators.close().catch(() => undefined);
  };
  if (options.delivery === 'exactly-once') {
    const transactions = new PlatformaticTransactions({ ...sinkOptions, groupId, instanceId: options.instanceId ?? `${hostname()}.${process.pid}` }, coordinators);
    return {
      source,
      offsets,
      transactions: { scope: transactions.scope, begin: () => transactions.begin(), close: () => closing(() => transactions.close()) },
    };
  }
  const sink = new PlatformaticOutputSink(sinkOptions);
  return { source, offsets, sink: { send: (records) => sink.send(records), close: () => closing(() => sink.close()) } };
}
