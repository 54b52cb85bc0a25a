import { createHash } from 'node:crypto';

/**
 * The simulator's hidden click model, documented so that an analysis can be checked against
 * known truth. A user u shown an impression r of arm a clicks with probability
 *
 *   p(u, a) = ctr[a] * f(u),   f(u) = 0.5 + U(seed, "user", u)   (uniform on [0.5, 1.5), mean 1)
 *
 * and the click happens when U(seed, "click", r) < p(u, a). U(...) is a uniform number in [0, 1)
 * derived from SHA-256, so the same seed gives the same clicks in every run. Users differ in how
 * often they click (f), which is what makes the per-user (delta method) intervals matter. The
 * click comes `delaySeconds(r)` after the impression: U(seed, "delay", r) * 600 s.
 */
export interface ClickModel {
  readonly ctr: Readonly<Record<string, number>>;
  readonly seed: string;
}

export function uniform(seed: string, kind: string, id: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${kind}\u0000${id}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function userFactor(model: ClickModel, user: string): number {
  return 0.5 + uniform(model.seed, 'user', user);
}

export function clickProbability(model: ClickModel, arm: string, user: string): number {
  const ctr = model.ctr[arm];
  if (ctr === undefined) throw new RangeError(`click model: no CTR for arm "${arm}" (arms: ${Object.keys(model.ctr).join(', ')})`);
  return Math.min(1, ctr * userFactor(model, user));
}

export function clicks(model: ClickModel, arm: string, user: string, requestId: string): boolean {
  return uniform(model.seed, 'click', requestId) < clickProbability(model, arm, user);
}

export function clickDelaySeconds(seed: string, requestId: string): number {
  return Math.floor(uniform(seed, 'delay', requestId) * 600);
}
