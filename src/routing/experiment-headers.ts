/**
 * Headers the router writes on every routed record. Stages carry input headers forward, so
 * predictions (impressions) of each arm still carry them: outcomes can be attributed exactly.
 */
export const ExperimentHeader = {
  experiment: 'kascade.experiment',
  arm: 'kascade.arm',
  /** The unit (user) id the assignment was made for. */
  unit: 'kascade.unit',
  /** The assignment bucket, 0..9999: which slice of the weight ranges the unit fell in. */
  bucket: 'kascade.bucket',
  /** A short hash of the arms and weights: assignments under different weights are told apart. */
  weightsVersion: 'kascade.weights-version',
  /** The arm's configured share (0..1) at assignment time: the assignment probability for IPW. */
  probability: 'kascade.assignment-probability',
  /** On mirrored copies: the arm the unit's primary record went to. */
  mirrorOf: 'kascade.mirror-of',
} as const;
