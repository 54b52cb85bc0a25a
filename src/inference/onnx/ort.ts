/**
 * The one place kascade imports onnxruntime-node (the lint rule allows no other): the ONNX
 * handler's worker, metadata and tensor code take the runtime from here.
 */
export { InferenceSession, Tensor } from 'onnxruntime-node';
