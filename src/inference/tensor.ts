import type { TensorDtype } from '../topology/spec.js';

export type TensorArray = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** A dense tensor as it crosses the worker boundary: typed data, row-major, with its shape. */
export interface TensorData {
  readonly dtype: TensorDtype;
  readonly data: TensorArray;
  readonly dims: readonly number[];
}

/** One input or output as the model declares it; symbolic dimensions (batch) are strings or -1. */
export interface TensorInfo {
  readonly name: string;
  /** onnxruntime's element type name: 'float32', 'int64', ... ('unknown' when the model does not say). */
  readonly type: string;
  readonly dims: readonly (number | string)[];
}

export interface ModelMetadata {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}
