import type { OnnxSessionSpec } from '../topology/spec.js';
import type { ModelMetadata, TensorData } from './tensor.js';

export interface RunResult {
  readonly outputs: Readonly<Record<string, TensorData>>;
  /** Time the model itself ran (in its worker), milliseconds. */
  readonly inferenceMs: number;
}

/**
 * Where models run. The ONNX implementation keeps sessions in worker threads so that the
 * event loop (Kafka fetches, heartbeats, produces) never waits for a model; tests may
 * substitute a fake. Sessions are addressed by a handle chosen by the caller
 * (e.g. `ctr-logreg@3f2a...`), so two versions of a model can be loaded side by side.
 */
export interface ModelRunner {
  /** Runs it computes at once (an ONNX pool: its workers); 1 when absent. Partial batches go out at once while fewer are running. */
  readonly concurrency?: number;
  /** Creates a session from the model's bytes; resolves with its declared inputs and outputs. */
  load(handle: string, model: Uint8Array, options?: OnnxSessionSpec): Promise<ModelMetadata>;
  run(handle: string, feeds: Readonly<Record<string, TensorData>>): Promise<RunResult>;
  /** Releases the session (its memory); unknown handles are ignored. */
  release(handle: string): Promise<void>;
  /** Releases everything and stops the workers. */
  close(): Promise<void>;
}
