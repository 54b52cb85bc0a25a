import { Tensor } from './ort.js';
import type { TensorArray, TensorData } from '../tensor.js';

/**
 * Between kascade's TensorData and onnxruntime's Tensor (inside the worker). Inputs are the
 * four dtypes kascade builds; outputs of other numeric element types are widened losslessly to
 * one of them, so a model's boolean or int8 output still reaches the stage.
 */

export function toOrtTensor(tensor: TensorData): Tensor {
  // Tensor keeps a reference to `data` (no copy); it checks that dtype and array type agree.
  return new Tensor(tensor.dtype, tensor.data, tensor.dims);
}

/** The element types an output may have for run() to return it (others are not fetched). */
export function isCarriedOutputType(type: string): boolean {
  return CARRIED_TYPES.has(type);
}

/** An onnxruntime output as TensorData; undefined for an element type kascade cannot carry. */
export function fromOrtTensor(tensor: Tensor): TensorData | undefined {
  const data = widen(tensor);
  return data === undefined ? undefined : { dtype: dtypeOf(data), data, dims: tensor.dims };
}

const CARRIED_TYPES = new Set(['float32', 'float64', 'int32', 'int64', 'bool', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'float16']);

function widen(tensor: Tensor): TensorArray | undefined {
  const data = tensor.data;
  switch (tensor.type) {
    case 'float32':
    case 'float64':
    case 'int32':
    case 'int64':
      return data as TensorArray;
    case 'bool':
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
      return Int32Array.from(data as ArrayLike<number>);
    case 'uint32':
      return BigInt64Array.from(data as ArrayLike<number>, (value) => BigInt(value));
    case 'float16':
      // onnxruntime hands half floats over as their bits unless the platform has Float16Array.
      return data instanceof Uint16Array ? halfBitsToFloat32(data) : Float32Array.from(data as ArrayLike<number>);
    default:
      // string, uint64 (does not fit int64), 4-bit types: nothing in TensorData holds them.
      return undefined;
  }
}

function dtypeOf(data: TensorArray): TensorData['dtype'] {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const half = bits[i] ?? 0;
    const sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >> 10) & 0x1f;
    const fraction = half & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24; // subnormal (or zero)
    else if (exponent === 0x1f) out[i] = fraction === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}
