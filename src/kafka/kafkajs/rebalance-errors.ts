/**
 * kafkajs signals a rebalance, or that the coordinator forgot this member (a session that
 * expired while frozen), by throwing from heartbeat(); it joins the group again itself.
 */
export function isKafkaRebalance(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const type = String((error as { type?: unknown }).type);
  return type === 'UNKNOWN_MEMBER_ID' || /rebalanc|not a member|generation/i.test(`${error.name} ${error.message} ${type}`);
}
