/**
 * A minimal ONNX (protobuf) encoder for tests: enough of ModelProto to build tiny models in
 * the test itself, so the tests need neither Python nor model files. Field numbers follow
 * onnx/onnx.proto (ir_version 8, default-domain opset 17).
 */

/** ONNX TensorProto.DataType values for the element types the tests use. */
const ElementType = { float32: 1, int32: 6, int64: 7, float64: 11 } as const;
export type ElementTypeName = keyof typeof ElementType;

export interface TinyInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface TinyNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A graph input or output: a tensor, or a sequence of tensors (for the non-tensor case). */
export interface TinyValue {
  readonly name: string;
  readonly elemType: ElementTypeName;
  /** Numbers are fixed sizes, strings symbolic ones (e.g. 'batch'). */
  readonly dims: readonly (number | string)[];
  readonly sequence?: boolean;
}

export interface TinyGraph {
  readonly name: string;
  readonly nodes: readonly TinyNode[];
  readonly initializers: readonly TinyInitializer[];
  readonly inputs: readonly TinyValue[];
  readonly outputs: readonly TinyValue[];
}

// --- protobuf wire format -------------------------------------------------------------

const VARINT = 0;
const LENGTH_DELIMITED = 2;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

const key = (field: number, wireType: number): number[] => varint(field * 8 + wireType);
const varintField = (field: number, value: number): number[] => [...key(field, VARINT), ...varint(value)];

function bytesField(field: number, payload: Uint8Array | readonly number[]): number[] {
  return [...key(field, LENGTH_DELIMITED), ...varint(payload.length), ...payload];
}

const stringField = (field: number, value: string): number[] => bytesField(field, new TextEncoder().encode(value));

// --- ONNX messages ---------------------------------------------------------------------

function tensorProto(tensor: TinyInitializer): number[] {
  const raw = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return [
    ...tensor.dims.flatMap((dim) => varintField(1, dim)), // dims
    ...varintField(2, ElementType.float32), // data_type
    ...stringField(8, tensor.name), // name
    ...bytesField(9, raw), // raw_data, little-endian (as typed arrays are on x86/arm)
  ];
}

function tensorTypeProto(value: TinyValue): number[] {
  const dims = value.dims.flatMap((dim) => bytesField(1, typeof dim === 'number' ? varintField(1, dim) : stringField(2, dim)));
  const tensorType = [...varintField(1, ElementType[value.elemType]), ...bytesField(2, dims)];
  return bytesField(1, tensorType); // TypeProto.tensor_type
}

function typeProto(value: TinyValue): number[] {
  // TypeProto.sequence_type = 4, whose elem_type (1) is itself a TypeProto.
  return value.sequence === true ? bytesField(4, bytesField(1, tensorTypeProto(value))) : tensorTypeProto(value);
}

const valueInfoProto = (value: TinyValue): number[] => [...stringField(1, value.name), ...bytesField(2, typeProto(value))];

function nodeProto(node: TinyNode, index: number): number[] {
  return [
    ...node.inputs.flatMap((input) => stringField(1, input)),
    ...node.outputs.flatMap((output) => stringField(2, output)),
    ...stringField(3, `${node.opType.toLowerCase()}_${index}`),
    ...stringField(4, node.opType),
  ];
}

function graphProto(graph: TinyGraph): number[] {
  return [
    ...graph.nodes.flatMap((node, index) => bytesField(1, nodeProto(node, index))),
    ...stringField(2, graph.name),
    ...graph.initializers.flatMap((tensor) => bytesField(5, tensorProto(tensor))),
    ...graph.inputs.flatMap((value) => bytesField(11, valueInfoProto(value))),
    ...graph.outputs.flatMap((value) => bytesField(12, valueInfoProto(value))),
  ];
}

export function encodeModel(graph: TinyGraph, opset = 17): Uint8Array {
  return Uint8Array.from([
    ...varintField(1, 8), // ir_version
    ...stringField(2, 'kascade-tests'), // producer_name
    ...bytesField(7, graphProto(graph)),
    ...bytesField(8, [...stringField(1, ''), ...varintField(2, opset)]), // opset_import: default domain
  ]);
}

// --- models the tests use --------------------------------------------------------------

export interface LinearModelOptions {
  /** Weights, one row per input feature: W[features][outputs]. */
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
  readonly sigmoid?: boolean;
  readonly inputName?: string;
  readonly outputName?: string;
  /** Also output the result as a one-element sequence (a non-tensor output) named `<output>_seq`. */
  readonly sequenceOutput?: boolean;
}

/** Y = X · W + b, or Sigmoid of it; X is [batch, features] with a symbolic batch dimension. */
export function linearModel(options: LinearModelOptions): Uint8Array {
  const features = options.weights.length;
  const outputs = options.bias.length;
  const input = options.inputName ?? 'X';
  const output = options.outputName ?? 'Y';
  const nodes: TinyNode[] = [
    { opType: 'MatMul', inputs: [input, 'W'], outputs: ['XW'] },
    { opType: 'Add', inputs: ['XW', 'B'], outputs: [options.sigmoid === true ? 'Z' : output] },
  ];
  if (options.sigmoid === true) nodes.push({ opType: 'Sigmoid', inputs: ['Z'], outputs: [output] });
  const graphOutputs: TinyValue[] = [{ name: output, elemType: 'float32', dims: ['batch', outputs] }];
  if (options.sequenceOutput === true) {
    nodes.push({ opType: 'SequenceConstruct', inputs: [output], outputs: [`${output}_seq`] });
    graphOutputs.push({ name: `${output}_seq`, elemType: 'float32', dims: ['batch', outputs], sequence: true });
  }
  return encodeModel({
    name: 'linear',
    nodes,
    initializers: [
      { name: 'W', dims: [features, outputs], data: Float32Array.from(options.weights.flat()) },
      { name: 'B', dims: [outputs], data: Float32Array.from(options.bias) },
    ],
    inputs: [{ name: input, elemType: 'float32', dims: ['batch', features] }],
    outputs: graphOutputs,
  });
}

/** What linearModel computes, in plain JS (float64 arithmetic; compare with a tolerance). */
export function linearReference(options: LinearModelOptions, rows: readonly (readonly number[])[]): number[][] {
  return rows.map((row) =>
    options.bias.map((bias, column) => {
      const z = row.reduce((sum, x, feature) => sum + x * options.weights[feature]![column]!, bias);
      return options.sigmoid === true ? 1 / (1 + Math.exp(-z)) : z;
    }),
  );
}

/**
 * A deliberately slow model: `depth` MatMuls of X [rows, size] by the same identity matrix
 * [size, size], so Y equals X and the run time grows with `depth`.
 */
export function matMulChainModel(options: { readonly rows: number; readonly size: number; readonly depth: number }): Uint8Array {
  const { rows, size, depth } = options;
  const identity = new Float32Array(size * size);
  for (let i = 0; i < size; i++) identity[i * size + i] = 1;
  const nodes: TinyNode[] = [];
  for (let i = 0; i < depth; i++) {
    nodes.push({ opType: 'MatMul', inputs: [i === 0 ? 'X' : `H${i}`, 'I'], outputs: [i === depth - 1 ? 'Y' : `H${i + 1}`] });
  }
  return encodeModel({
    name: 'matmul-chain',
    nodes,
    initializers: [{ name: 'I', dims: [size, size], data: identity }],
    inputs: [{ name: 'X', elemType: 'float32', dims: [rows, size] }],
    outputs: [{ name: 'Y', elemType: 'float32', dims: [rows, size] }],
  });
}
