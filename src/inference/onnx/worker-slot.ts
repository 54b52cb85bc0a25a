import type { Worker } from 'node:worker_threads';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { RunResult } from '../model-runner.js';
import type { ModelMetadata, TensorData } from '../tensor.js';
import { prepareTransfer } from './tensor-transfer.js';
import type { TransferableTensors } from './tensor-transfer.js';
import { startOnnxWorker } from './worker-launch.js';
import type { WorkerMessage, WorkerRequest, WorkerResponse, WorkerSessionOptions } from './worker-protocol.js';

/** A run's result and the worker thread that computed it. */
export interface OnnxRunResult extends RunResult {
  /** The worker's threadId (a replacement worker gets a new one). */
  readonly workerId: number;
}

/** Why a worker stopped without being asked to. */
export interface WorkerExit {
  readonly slot: WorkerSlot;
  /** The worker died before it was ready (onnxruntime missing, entry not found): replacing it would fail the same way. */
  readonly duringStart: boolean;
  readonly reason: string;
}

interface Pending {
  readonly request: WorkerRequest;
  readonly resolve: (response: WorkerResponse) => void;
  readonly reject: (error: KascadeError) => void;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One worker thread and the requests it has not answered yet. It tracks which models the worker
 * holds and how many runs it has in flight, for the pool to pick a worker; when the thread dies
 * unasked it rejects what was in flight (runs and loads retriable) and tells the pool, which
 * starts a replacement.
 */
export class WorkerSlot {
  readonly workerId: number;
  /** Models this worker holds ('loaded') or is loading ('loading'): runs may be queued behind a load. */
  readonly models = new Map<string, 'loading' | 'loaded'>();
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private runs = 0;
  private started = false;
  private closing = false;
  private exitReason: string | undefined;
  private lastError: Error | undefined;

  constructor(onUnexpectedExit: (exit: WorkerExit) => void) {
    this.worker = startOnnxWorker();
    this.workerId = this.worker.threadId;
    // An idle pool must not keep the process alive; a worker is ref'ed while it has work.
    this.worker.unref();
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    // A message from the worker that cannot be deserialized leaves a request unanswered forever: restart instead.
    this.worker.on('messageerror', (error) => {
      this.lastError = error;
      void this.worker.terminate();
    });
    this.worker.on('exit', (code) => {
      const reason = this.lastError === undefined ? `exit code ${code}` : this.lastError.message;
      this.exitReason = reason;
      this.failPending();
      if (!this.closing) onUnexpectedExit({ slot: this, duringStart: !this.started, reason });
    });
  }

  get runsInFlight(): number {
    return this.runs;
  }

  async load(handle: string, model: Uint8Array, options: WorkerSessionOptions): Promise<ModelMetadata> {
    this.models.set(handle, 'loading');
    let response: WorkerResponse;
    try {
      response = await this.request({ kind: 'load', id: this.nextId++, handle, model, options }, []);
    } catch (error) {
      this.models.delete(handle);
      throw error;
    }
    if (response.kind !== 'loaded') {
      this.models.delete(handle);
      throw new KascadeError(ErrorCode.ModelLoadFailed, `model ${handle}: onnxruntime cannot load it: ${describe(response)}`);
    }
    if (this.models.get(handle) === 'loading') this.models.set(handle, 'loaded');
    return response.metadata;
  }

  async run(handle: string, feeds: Readonly<Record<string, TensorData>>): Promise<OnnxRunResult> {
    let prepared: TransferableTensors;
    try {
      prepared = prepareTransfer(feeds);
    } catch (error) {
      throw new KascadeError(ErrorCode.InferenceFailed, `model ${handle}: ${messageOf(error)}; build fresh feeds for each run`, { cause: error });
    }
    const { tensors, transfer } = prepared;
    this.runs++;
    try {
      const response = await this.request({ kind: 'run', id: this.nextId++, handle, feeds: tensors }, transfer);
      if (response.kind === 'ran') return { outputs: response.outputs, inferenceMs: response.inferenceMs, workerId: this.workerId };
      const retriable = response.kind === 'failed' && response.reason === 'not-loaded';
      throw new KascadeError(ErrorCode.InferenceFailed, `model ${handle}: ${describe(response)}`, { retriable });
    } finally {
      this.runs--;
    }
  }

  /** Frees the model in this worker once its runs there are done; never fails (a dead worker holds nothing). */
  async release(handle: string): Promise<void> {
    if (!this.models.delete(handle)) return;
    try {
      await this.request({ kind: 'release', id: this.nextId++, handle }, []);
    } catch {
      // The worker died: its sessions died with it.
    }
  }

  /** Stops the thread; requests still unanswered are rejected (not retriable). */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private request(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerResponse> {
    return new Promise((resolve, reject) => {
      if (this.closing || this.exitReason !== undefined) {
        // postMessage to a dead worker would be dropped silently and never answered.
        reject(this.stoppedError(request));
        return;
      }
      try {
        this.worker.postMessage(request, transfer);
      } catch (error) {
        // E.g. a feed whose buffer was already transferred by an earlier run (detached).
        reject(failure(request, `cannot send the request to the worker: ${messageOf(error)}`, false));
        return;
      }
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(request.id, { request, resolve, reject });
    });
  }

  private onMessage(message: WorkerMessage): void {
    if (message.kind === 'ready') {
      this.started = true;
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.settle(message.id);
    pending.resolve(message);
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private failPending(): void {
    for (const [id, pending] of this.pending) {
      this.settle(id);
      pending.reject(this.stoppedError(pending.request));
    }
    this.models.clear();
  }

  /** Why a request cannot be answered: retriable when a running worker crashed (a replacement takes over). */
  private stoppedError(request: WorkerRequest): KascadeError {
    if (this.closing) return failure(request, 'the ONNX runner is closed', false);
    const reason = this.exitReason ?? 'unknown';
    if (!this.started) return failure(request, `the ONNX worker failed to start: ${reason}`, false);
    return failure(request, `the ONNX worker (thread ${this.workerId}) stopped unexpectedly: ${reason}`, true);
  }
}

function failure(request: WorkerRequest, message: string, retriable: boolean): KascadeError {
  const code = request.kind === 'load' ? ErrorCode.ModelLoadFailed : ErrorCode.InferenceFailed;
  return new KascadeError(code, `model ${request.handle}: ${message}`, { retriable });
}

function describe(response: WorkerResponse): string {
  return response.kind === 'failed' ? response.message : `unexpected answer '${response.kind}' from the worker`;
}
