import { Child } from './child.js';

/** onnxruntime alone on `model` (bench/baselines/ort-only.ts in its own process): rows per second. */
export async function ortLimit(model: string, batch: number, seconds: number): Promise<number> {
  const child = Child.script('bench/baselines/ort-only.ts', ['--model', `models/${model}.onnx`, '--batch', String(batch), '--seconds', String(seconds)]);
  const code = await child.exited;
  const line = child.lines.find((candidate) => candidate.startsWith('{'));
  if (code !== 0 || line === undefined) throw new Error(`ort-only ${model} failed:\n${child.tail()}`);
  return (JSON.parse(line) as { rowsPerSecond: number }).rowsPerSecond;
}
