import type { TensorArray, TensorData } from '../tensor.js';

/** Tensors ready for postMessage, and the buffers to move rather than copy. */
export interface TransferableTensors {
  readonly tensors: Record<string, TensorData>;
  readonly transfer: ArrayBuffer[];
}

/**
 * Prepares tensors to cross a thread boundary with as few copies as possible. An array that
 * spans its whole ArrayBuffer is moved (its buffer is detached on this side: the caller must
 * not use it afterwards). An array that is a window on a larger buffer (a pooled Node Buffer,
 * a slice) is copied first: moving its buffer would detach memory the caller still uses, and
 * structured cloning would copy the whole buffer, not just the window. Arrays on a
 * SharedArrayBuffer are shared as they are. Throws a plain Error naming the tensor when its
 * buffer is already detached (moved by an earlier call): Node's postMessage would drop such a
 * message without a word, and the request would never be answered.
 */
export function prepareTransfer(tensors: Readonly<Record<string, TensorData>>): TransferableTensors {
  const prepared: Record<string, TensorData> = {};
  const transfer = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(tensors)) {
    if (isDetached(tensor.data)) throw new Error(`tensor ${name}: its buffer was already moved to another thread (detached)`);
    const data = isWindow(tensor.data) ? copyOf(tensor.data) : tensor.data;
    const buffer = data.buffer;
    if (buffer instanceof ArrayBuffer) transfer.add(buffer);
    prepared[name] = { dtype: tensor.dtype, data, dims: tensor.dims };
  }
  // A Set, because two tensors may share one buffer and a buffer can be listed only once.
  return { tensors: prepared, transfer: [...transfer] };
}

function isDetached(data: TensorArray): boolean {
  const buffer = data.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength > 0) return false;
  try {
    // Node 20 has no ArrayBuffer.prototype.detached; constructing a view on a detached buffer throws.
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** True when the array covers only part of an (unshared) ArrayBuffer. */
function isWindow(data: TensorArray): boolean {
  const buffer = data.buffer;
  // Shared memory is posted as it is: nothing to move or copy.
  if (!(buffer instanceof ArrayBuffer)) return false;
  return data.byteOffset !== 0 || data.byteLength !== buffer.byteLength;
}

function copyOf(data: TensorArray): TensorArray {
  // slice() copies just the window into a fresh ArrayBuffer of the same element type.
  return data.slice();
}
