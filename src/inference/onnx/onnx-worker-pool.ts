import { availableParallelism } from 'node:os';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { OnnxSessionSpec } from '../../topology/spec.js';
import type { ModelRunner } from '../model-runner.js';
import type { ModelMetadata, TensorData } from '../tensor.js';
import { toSessionOptions } from './session-options.js';
import { WorkerSlot } from './worker-slot.js';
import type { OnnxRunResult, WorkerExit } from './worker-slot.js';
import type { WorkerSessionOptions } from './worker-protocol.js';

export type { OnnxRunResult } from './worker-slot.js';

export interface OnnxWorkerPoolOptions {
  /** Worker threads; default: one per available core but one, at least one (a core stays free for Kafka I/O). */
  readonly workers?: number;
}

interface ModelEntry {
  state: 'loading' | 'loaded' | 'releasing';
  /** The model's bytes, kept (shared memory, one copy) to load it into replacement workers. */
  readonly bytes: Uint8Array;
  readonly options: WorkerSessionOptions;
  /** Resolves once load() is over, loaded or rolled back. */
  readonly loadSettled: Promise<void>;
  released?: Promise<void>;
}

/**
 * The ONNX ModelRunner: onnxruntime-node sessions in worker threads, so that `session.run()`,
 * which blocks its thread for the whole inference, never blocks the event loop that fetches,
 * heartbeats and produces.
 *
 * - load() creates the session in every worker, so runs of one model spread over all of them.
 *   A handle names one model's bytes: loading a handle that is loaded (or loading) rejects with
 *   ModelLoadFailed; release it first, or load the new version under a new handle. A load that
 *   comes while the handle is being released waits for the release, then loads.
 * - run() goes to the worker with the fewest runs in flight. The feeds' ArrayBuffers are
 *   transferred, not copied: after run() the caller's feed arrays are detached (empty), so build
 *   fresh feeds to retry. A run of a handle that is not loaded, or is being released, rejects
 *   with InferenceFailed.
 * - release() waits for the handle's runs in flight, then frees its session in every worker.
 * - A worker that dies unasked rejects its runs in flight with a retriable InferenceFailed and
 *   is replaced at once; the replacement reloads every loaded model from the kept bytes.
 * - Outputs: every tensor output whose element type TensorData can carry (boolean and small
 *   integer outputs widened to int32, uint32 to int64, float16 to float32); non-tensor outputs
 *   (sequences, maps) and string, uint64 or 4-bit outputs are listed in the metadata but not returned.
 */
export class OnnxWorkerPool implements ModelRunner {
  /** Number of worker threads. */
  readonly size: number;
  /** One run per worker at a time. */
  get concurrency(): number {
    return this.size;
  }
  private readonly slots: WorkerSlot[] = [];
  private readonly models = new Map<string, ModelEntry>();
  private closing: Promise<void> | undefined;
  /** Set when a worker could not even start: every call fails with it, as a replacement would fail the same way. */
  private startFailure: string | undefined;

  constructor(options: OnnxWorkerPoolOptions = {}) {
    const size = options.workers ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(size) || size < 1) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `ONNX workers must be a whole number of at least 1, got ${size}`);
    }
    this.size = size;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  async load(handle: string, model: Uint8Array, options?: OnnxSessionSpec): Promise<ModelMetadata> {
    let existing = this.models.get(handle);
    while (existing?.state === 'releasing') {
      await existing.released;
      existing = this.models.get(handle);
    }
    this.checkOpen(ErrorCode.ModelLoadFailed, handle);
    if (existing !== undefined) {
      throw new KascadeError(ErrorCode.ModelLoadFailed, `model ${handle} is already loaded: release it first, or load the new version under a new handle`);
    }
    let settle = (): void => undefined;
    const entry: ModelEntry = {
      state: 'loading',
      bytes: sharedCopy(model),
      options: toSessionOptions(options),
      loadSettled: new Promise((resolve) => {
        settle = resolve;
      }),
    };
    this.models.set(handle, entry);
    try {
      const metadata = await this.loadEverywhere(handle, entry);
      entry.state = 'loaded';
      return metadata;
    } catch (error) {
      // All or nothing: workers that did load it free it again.
      await this.releaseEntry(handle, entry);
      throw error;
    } finally {
      settle();
    }
  }

  async run(handle: string, feeds: Readonly<Record<string, TensorData>>): Promise<OnnxRunResult> {
    this.checkOpen(ErrorCode.InferenceFailed, handle);
    const state = this.models.get(handle)?.state;
    if (state !== 'loaded') {
      const why = state === 'loading' ? 'is still loading (wait for load() to resolve)' : state === 'releasing' ? 'is being released' : 'is not loaded';
      throw new KascadeError(ErrorCode.InferenceFailed, `model ${handle} ${why}`);
    }
    const slot = this.pickWorker(handle);
    if (slot === undefined) {
      // Only when reloading it into a replacement worker failed; the handle is still loaded as far as the caller knows.
      throw new KascadeError(ErrorCode.InferenceFailed, `model ${handle} is not loaded in any worker`, { retriable: true });
    }
    return slot.run(handle, feeds);
  }

  async release(handle: string): Promise<void> {
    const entry = this.models.get(handle);
    if (entry === undefined) return;
    if (entry.state === 'loading') await entry.loadSettled;
    // A load that failed has already rolled itself back (and may have been followed by a new one).
    if (this.models.get(handle) !== entry) return;
    await this.releaseEntry(handle, entry);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Releasing waits for the runs in flight, so they finish before the threads stop.
      await Promise.all([...this.models.keys()].map((handle) => this.release(handle)));
      await Promise.all(this.slots.map((slot) => slot.close()));
    })();
    return this.closing;
  }

  private spawn(): WorkerSlot {
    return new WorkerSlot((exit) => this.onWorkerExit(exit));
  }

  /** Loads into every worker that lacks the model, again if a worker was replaced meanwhile. */
  private async loadEverywhere(handle: string, entry: ModelEntry): Promise<ModelMetadata> {
    let metadata: ModelMetadata | undefined;
    for (;;) {
      const missing = this.slots.filter((slot) => !slot.models.has(handle));
      if (missing.length === 0 && metadata !== undefined) return metadata;
      const loaded = await Promise.all(missing.map((slot) => slot.load(handle, entry.bytes, entry.options)));
      metadata ??= loaded[0];
    }
  }

  private releaseEntry(handle: string, entry: ModelEntry): Promise<void> {
    entry.state = 'releasing';
    entry.released ??= (async () => {
      await Promise.all(this.slots.map((slot) => slot.release(handle)));
      if (this.models.get(handle) === entry) this.models.delete(handle);
    })();
    return entry.released;
  }

  /** The least busy worker that has the model; one still loading it (after a replacement) when none has. */
  private pickWorker(handle: string): WorkerSlot | undefined {
    const leastBusy = (state: 'loaded' | 'loading'): WorkerSlot | undefined =>
      this.slots
        .filter((slot) => slot.models.get(handle) === state)
        .reduce<WorkerSlot | undefined>((best, slot) => (best === undefined || slot.runsInFlight < best.runsInFlight ? slot : best), undefined);
    // The worker queues a run behind the load of its model, so a reloading worker can take runs.
    return leastBusy('loaded') ?? leastBusy('loading');
  }

  private onWorkerExit(exit: WorkerExit): void {
    const index = this.slots.indexOf(exit.slot);
    if (this.closing !== undefined || index === -1) return;
    if (exit.duringStart) {
      this.startFailure ??= exit.reason;
      return;
    }
    const replacement = this.spawn();
    this.slots[index] = replacement;
    for (const [handle, entry] of this.models) {
      // Loads in progress cover the replacement themselves (loadEverywhere looks again).
      if (entry.state !== 'loaded') continue;
      replacement.load(handle, entry.bytes, entry.options).catch(() => {
        // The worker no longer lists the model, so runs go to the other workers (see pickWorker).
      });
    }
  }

  private checkOpen(code: ErrorCode, handle: string): void {
    if (this.closing !== undefined) throw new KascadeError(code, `model ${handle}: the ONNX runner is closed`);
    if (this.startFailure !== undefined) throw new KascadeError(code, `model ${handle}: the ONNX worker failed to start: ${this.startFailure}`);
  }
}

/** One copy of the model for the pool's lifetime, readable by every worker without copying it again per message. */
function sharedCopy(model: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(model.byteLength));
  shared.set(model);
  return shared;
}
