import { readFileSync } from 'node:fs';

/** The weights models/generate.py wrote for a logistic CTR model. */
export interface LogisticWeights {
  readonly weights: readonly number[];
  readonly bias: number;
}

export function readWeights(model: string): LogisticWeights {
  return JSON.parse(readFileSync(new URL(`../../models/${model}.weights.json`, import.meta.url), 'utf8')) as LogisticWeights;
}

/** sigmoid(w·x + b) computed in float64, independently of onnxruntime. */
export function logistic(weights: LogisticWeights, features: readonly number[]): number {
  const z = features.reduce((sum, x, index) => sum + x * (weights.weights[index] ?? Number.NaN), weights.bias);
  return 1 / (1 + Math.exp(-z));
}

/** Deterministic features in [-1, 1): the same every run, different per index. */
export function featuresFor(index: number, length = 32): number[] {
  let state = (index + 1) * 2654435761;
  return Array.from({ length }, () => {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) | 0;
    return Math.fround(((state >>> 0) / 2 ** 32) * 2 - 1);
  });
}
