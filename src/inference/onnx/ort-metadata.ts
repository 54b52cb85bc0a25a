import type { InferenceSession } from './ort.js';
import type { ModelMetadata, TensorInfo } from '../tensor.js';
import { isCarriedOutputType } from './ort-tensors.js';

/**
 * A session's declared inputs and outputs, from onnxruntime-node's `inputMetadata` /
 * `outputMetadata` (1.30: name, isTensor, and for tensors the element type and the shape, whose
 * symbolic dimensions are strings). Non-tensor values (sequences, maps) are listed with type
 * 'unknown' and no dimensions.
 */
export function describeSession(session: InferenceSession): ModelMetadata {
  return { inputs: session.inputMetadata.map(describeValue), outputs: session.outputMetadata.map(describeValue) };
}

/**
 * The outputs a run fetches: tensors of an element type kascade can carry. Fetching a non-tensor
 * output fails the whole run in onnxruntime-node ("Non tensor type is temporarily not
 * supported"), so sklearn-style models with a ZipMap output still run for their tensors.
 */
export function fetchableOutputs(session: InferenceSession): string[] {
  return session.outputMetadata.filter((value) => value.isTensor && isCarriedOutputType(value.type)).map((value) => value.name);
}

function describeValue(value: InferenceSession.ValueMetadata): TensorInfo {
  if (!value.isTensor) return { name: value.name, type: 'unknown', dims: [] };
  // An unnamed unknown dimension arrives as ''; TensorInfo spells it -1.
  return { name: value.name, type: value.type, dims: value.shape.map((dim) => (dim === '' ? -1 : dim)) };
}
