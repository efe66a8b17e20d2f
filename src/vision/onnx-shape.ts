// src/vision/onnx-shape.ts — reads a model's declared input sizes from an open session, so stages use
// the size the model was exported with (as SmilingWolf's tagger reads `get_inputs()[0].shape`).
import type { OnnxSession } from './onnx.js';

/**
 * The fixed size of dimension `axis` of input `inputIndex`, or undefined when it is symbolic
 * (dynamic), unknown, or the input is not a tensor.
 */
export function staticInputDim(session: OnnxSession, inputIndex: number, axis: number): number | undefined {
  const meta = session.inputMetadata[inputIndex];
  if (!meta?.isTensor) return undefined;
  const dim = meta.shape[axis];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}
