import type { ModelMetadata, TensorData } from '../tensor.js';

/**
 * The messages between the pool (main thread) and an ONNX worker thread. Every request carries
 * an id that its one response repeats; a worker answers requests in any order.
 */

/** onnxruntime's session options, as far as kascade sets them (see session-options.ts). */
export interface WorkerSessionOptions {
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads?: number;
  readonly executionMode?: 'sequential' | 'parallel';
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface LoadRequest {
  readonly kind: 'load';
  readonly id: number;
  readonly handle: string;
  /** Backed by a SharedArrayBuffer: every worker reads the one copy the pool keeps. */
  readonly model: Uint8Array;
  readonly options: WorkerSessionOptions;
}

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly handle: string;
  readonly feeds: Readonly<Record<string, TensorData>>;
}

export interface ReleaseRequest {
  readonly kind: 'release';
  readonly id: number;
  readonly handle: string;
}

export type WorkerRequest = LoadRequest | RunRequest | ReleaseRequest;

/** Sent once, unasked, when the worker has imported onnxruntime and listens for requests. */
export interface ReadyMessage {
  readonly kind: 'ready';
}

export interface LoadedResponse {
  readonly kind: 'loaded';
  readonly id: number;
  readonly metadata: ModelMetadata;
}

export interface RanResponse {
  readonly kind: 'ran';
  readonly id: number;
  readonly outputs: Readonly<Record<string, TensorData>>;
  readonly inferenceMs: number;
}

export interface ReleasedResponse {
  readonly kind: 'released';
  readonly id: number;
}

export interface FailedResponse {
  readonly kind: 'failed';
  readonly id: number;
  /** onnxruntime's message (or the worker's own, for `not-loaded`). */
  readonly message: string;
  /**
   * `not-loaded`: this worker has no session for the handle (its load failed here);
   * `error`: the request itself failed (corrupt model, wrong feeds, runtime error).
   */
  readonly reason: 'not-loaded' | 'error';
}

export type WorkerResponse = LoadedResponse | RanResponse | ReleasedResponse | FailedResponse;

export type WorkerMessage = ReadyMessage | WorkerResponse;
