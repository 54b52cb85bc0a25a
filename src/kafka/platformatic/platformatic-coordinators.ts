import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionPool, FindCoordinatorKeyTypes, findCoordinatorV6, type Broker, type Connection } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import { kafkaErrorIds } from './platformatic-errors.js';
import { platformaticConnectionOptions, retryDelay, type PlatformaticClientOptions } from './platformatic-connection.js';

/**
 * Group and transaction coordinators, reached over a connection pool of kascade's own: offset
 * commits carrying an explicit member and generation (and OffsetFetch with requireStable) are
 * sent with the library's exported protocol APIs, since its clients either do not take them
 * (Transaction.addOffset: one partition per request, deduplicated by name) or retry them with
 * a new generation after a rejoin (Consumer.commit).
 */
export class Coordinators {
  readonly #pool: ConnectionPool;
  readonly #bootstrap: Broker[];
  readonly #known = new Map<string, Broker>();
  readonly #retries: number;

  constructor(connection: ConnectionSettings, options: PlatformaticClientOptions) {
    this.#pool = new ConnectionPool(`${options.clientId}-coordinators`, platformaticConnectionOptions(connection, options));
    this.#bootstrap = connection.brokers.map(parseBroker);
    this.#retries = options.retries ?? 5;
  }

  /** Runs `request` on the coordinator of a group's offsets. */
  group<T>(groupId: string, request: (connection: Connection) => Promise<T>): Promise<T> {
    return this.#withCoordinator(FindCoordinatorKeyTypes.GROUP, groupId, request);
  }

  /** Runs `request` on the coordinator of a transactional id. */
  transaction<T>(transactionalId: string, request: (connection: Connection) => Promise<T>): Promise<T> {
    return this.#withCoordinator(FindCoordinatorKeyTypes.TRANSACTION, transactionalId, request);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #withCoordinator<T>(keyType: number, key: string, request: (connection: Connection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const connection = await this.#pool.get(await this.#find(keyType, key));
        return await request(connection);
      } catch (error) {
        const moved = isCoordinatorMoved(error);
        // CONCURRENT_TRANSACTIONS: the previous transaction is still being completed by the coordinator.
        if (attempt >= CONCURRENT_RETRIES || (!moved && !kafkaErrorIds(error).has('CONCURRENT_TRANSACTIONS'))) throw error;
        if (moved && attempt >= this.#retries) throw error;
        if (moved) this.#known.delete(`${keyType}:${key}`);
        await delay(retryDelay(attempt + 1));
      }
    }
  }

  async #find(keyType: number, key: string): Promise<Broker> {
    const cached = this.#known.get(`${keyType}:${key}`);
    if (cached !== undefined) return cached;
    const connection = await this.#pool.getFirstAvailable(this.#bootstrap);
    const response = await findCoordinatorV6.api.async(connection, keyType, [key]);
    const found = response.coordinators.find((coordinator) => coordinator.key === key);
    if (found === undefined) throw new Error(`no coordinator for ${key}`);
    const broker = { host: found.host, port: found.port };
    this.#known.set(`${keyType}:${key}`, broker);
    return broker;
  }
}

/** Retries while a transaction completes: up to about 20 s at the longest delay. */
const CONCURRENT_RETRIES = 25;

const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);

function isCoordinatorMoved(error: unknown): boolean {
  const ids = kafkaErrorIds(error);
  if (ids.size === 0) return (error as { code?: unknown } | null)?.code === 'PLT_KFK_NETWORK';
  for (const id of ids) if (COORDINATOR_MOVED.has(id)) return true;
  return false;
}

export function parseBroker(address: string): Broker {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}
