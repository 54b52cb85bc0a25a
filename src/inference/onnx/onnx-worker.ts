/**
 * The ONNX worker thread: owns onnxruntime sessions and runs them, so that `session.run()`,
 * which blocks its thread for the whole inference, never blocks the main thread's event loop
 * (Kafka fetches, heartbeats, produces). Started by WorkerSlot; speaks worker-protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { InferenceSession, Tensor } from './ort.js';
import type { TensorData } from '../tensor.js';
import { describeSession, fetchableOutputs } from './ort-metadata.js';
import { fromOrtTensor, toOrtTensor } from './ort-tensors.js';
import { prepareTransfer } from './tensor-transfer.js';
import type { FailedResponse, LoadRequest, ReadyMessage, ReleaseRequest, RunRequest, WorkerRequest, WorkerResponse } from './worker-protocol.js';

interface LoadedSession {
  readonly session: InferenceSession;
  readonly fetches: readonly string[];
}

interface SessionEntry {
  /** Set as soon as the load request arrives, so runs queued behind it wait for it. */
  readonly ready: Promise<LoadedSession>;
  /** Runs in progress: release waits for them before it frees the session. */
  readonly running: Set<Promise<Answer>>;
}

interface Answer {
  readonly response: WorkerResponse;
  readonly transfer: ArrayBuffer[];
}

const sessions = new Map<string, SessionEntry>();

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function failed(id: number, message: string, reason: FailedResponse['reason'] = 'error'): Answer {
  return { response: { kind: 'failed', id, message, reason }, transfer: [] };
}

async function load(request: LoadRequest): Promise<Answer> {
  const { id, handle } = request;
  if (sessions.has(handle)) return failed(id, `model ${handle} is already loaded in this worker`);
  // onnxruntime-node takes ArrayBuffer-backed bytes only, not shared memory: copy into this thread.
  const bytes = new Uint8Array(request.model);
  const ready = InferenceSession.create(bytes, request.options).then((session) => ({ session, fetches: fetchableOutputs(session) }));
  const entry: SessionEntry = { ready, running: new Set() };
  sessions.set(handle, entry);
  try {
    const { session } = await ready;
    return { response: { kind: 'loaded', id, metadata: describeSession(session) }, transfer: [] };
  } catch (error) {
    if (sessions.get(handle) === entry) sessions.delete(handle);
    return failed(id, messageOf(error));
  }
}

async function run(request: RunRequest): Promise<Answer> {
  const entry = sessions.get(request.handle);
  if (entry === undefined) return failed(request.id, `model ${request.handle} is not loaded in this worker`, 'not-loaded');
  const work = runOn(entry, request);
  entry.running.add(work);
  try {
    return await work;
  } finally {
    entry.running.delete(work);
  }
}

async function runOn(entry: SessionEntry, request: RunRequest): Promise<Answer> {
  let loaded: LoadedSession;
  try {
    loaded = await entry.ready;
  } catch (error) {
    return failed(request.id, `model ${request.handle} could not be loaded in this worker: ${messageOf(error)}`, 'not-loaded');
  }
  try {
    const feeds: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(request.feeds)) feeds[name] = toOrtTensor(tensor);
    const started = performance.now();
    const results = await loaded.session.run(feeds, loaded.fetches);
    const inferenceMs = performance.now() - started;
    const outputs: Record<string, TensorData> = {};
    for (const [name, value] of Object.entries(results)) {
      const tensor = value instanceof Tensor ? fromOrtTensor(value) : undefined;
      if (tensor !== undefined) outputs[name] = tensor;
    }
    const prepared = prepareTransfer(outputs);
    return { response: { kind: 'ran', id: request.id, outputs: prepared.tensors, inferenceMs }, transfer: prepared.transfer };
  } catch (error) {
    return failed(request.id, messageOf(error));
  }
}

async function release(request: ReleaseRequest): Promise<Answer> {
  const entry = sessions.get(request.handle);
  if (entry !== undefined) {
    // Gone for new runs at once; the runs in flight finish before the session is freed.
    sessions.delete(request.handle);
    await Promise.allSettled(entry.running);
    try {
      await (await entry.ready).session.release();
    } catch {
      // A session that never loaded holds nothing to free.
    }
  }
  return { response: { kind: 'released', id: request.id }, transfer: [] };
}

function answer(request: WorkerRequest): Promise<Answer> {
  switch (request.kind) {
    case 'load':
      return load(request);
    case 'run':
      return run(request);
    case 'release':
      return release(request);
  }
}

function serve(port: MessagePort): void {
  port.on('message', (request: WorkerRequest) => {
    void answer(request).then(({ response, transfer }) => {
      try {
        port.postMessage(response, transfer);
      } catch (error) {
        // E.g. an output that cannot be cloned: the request still gets its one answer.
        port.postMessage(failed(response.id, `cannot send the result: ${messageOf(error)}`).response);
      }
    });
  });
  port.postMessage({ kind: 'ready' } satisfies ReadyMessage);
}

if (parentPort === null) throw new Error('onnx-worker runs only as a worker thread (started by OnnxWorkerPool)');
serve(parentPort);
