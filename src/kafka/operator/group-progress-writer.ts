import type { PartitionOffset } from '../../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import type { KafkaAccess } from '../platformatic/cluster-admin.js';
import { Coordinators } from '../platformatic/platformatic-coordinators.js';
import { PlatformaticTransactions } from '../platformatic/platformatic-transactions.js';

/**
 * Writes records and a tool's progress through a topic in one transaction each time: the progress
 * is the committed offsets of a consumer group that no consumer joins (replay, dead-letter
 * redrive), so a run that stops anywhere resumes where its last transaction left it, and copies
 * nothing twice for read_committed readers. Opening it fences an earlier run of the same group,
 * which cannot commit past the progress this one reads after (its next commit fails with
 * OwnershipLostError).
 */
export class GroupProgressWriter {
  readonly #transactions: PlatformaticTransactions;
  readonly #coordinators: Coordinators;
  readonly #groupId: string;

  private constructor(transactions: PlatformaticTransactions, coordinators: Coordinators, groupId: string) {
    this.#transactions = transactions;
    this.#coordinators = coordinators;
    this.#groupId = groupId;
  }

  static async open(access: KafkaAccess, groupId: string): Promise<GroupProgressWriter> {
    const coordinators = new Coordinators(access.connection, { clientId: `${access.clientId}-coordinators` });
    // The instance id is fixed: every run of this group's tool shares the transactional id, and the newest fences the rest.
    const transactions = new PlatformaticTransactions(
      { connection: access.connection, clientId: access.clientId, groupId, instanceId: 'progress', reusedTransactionalId: true },
      coordinators,
    );
    const writer = new GroupProgressWriter(transactions, coordinators, groupId);
    try {
      // Beginning a transaction registers the producer's id and epoch (InitProducerId), which fences older runs.
      await (await transactions.begin()).abort();
    } catch (error) {
      await writer.close();
      throw error;
    }
    return writer;
  }

  /** One transaction: `records` (each to its named partition, or by key) and the group's progress. */
  async commit(records: readonly OutgoingRecord[], progress: readonly PartitionOffset[]): Promise<void> {
    const transaction = await this.#transactions.begin();
    try {
      if (records.length > 0) await transaction.send(records);
      // No member and generation -1: the broker accepts offsets of a group nobody has joined.
      await transaction.commit(progress, { groupId: this.#groupId, memberId: '', generationId: -1 });
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#transactions.close().catch(() => undefined);
    await this.#coordinators.close().catch(() => undefined);
  }
}
