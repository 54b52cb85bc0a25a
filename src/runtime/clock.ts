/** Time as the runtime sees it; the test driver substitutes a manual clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
