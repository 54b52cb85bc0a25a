/** A collected record of the demo world's cascades (topologies/schemas/ranked.avsc), best ad first. */
export interface Ranked {
  readonly id: string;
  readonly user: string;
  readonly region: string;
  readonly items: readonly { candidate: { id: string; score: number }; score: number }[];
  readonly complete: boolean;
}
