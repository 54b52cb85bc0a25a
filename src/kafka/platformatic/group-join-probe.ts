import { Consumer } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import { platformaticBaseOptions } from './platformatic-connection.js';

/** Joins `groupId` once and leaves: proves the group coordinator and the offsets topic answer. */
export async function joinGroupOnce(connection: ConnectionSettings, groupId: string, timeoutMs: number): Promise<void> {
  const consumer = new Consumer({ ...platformaticBaseOptions(connection, { clientId: `${groupId}-probe`, timeoutMs, retries: 2 }), groupId });
  try {
    await consumer.joinGroup({});
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}
