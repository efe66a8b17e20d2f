// src/lora/lokr-testing.ts — for the LoKr tests (lokr*.test.ts): reading tensors, matrices, kron and each
// module's delta W under PEFT's and LyCORIS' scaling, and the PEFT LoKr fixture folder (shapes as PEFT 0.21.2
// creates them for SD1.5 attention projections, factor -1).
import { join } from 'node:path';
import { expect } from 'vitest';
import { ToonloraError } from '../errors.js';
import {
  type FixtureTensor,
  type LokrFixtureModule,
  makeLokrTensors,
  writePeftFolder,
} from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';

// ---------------------------------------------------------------------------------------------
// Helpers: read tensors, matrices, kron, delta W under PEFT and LyCORIS semantics

export type Tensor = { shape: readonly number[]; dtype: string; bytes: Uint8Array };

export async function readAll(path: string): Promise<Map<string, Tensor>> {
  const reader = await openSafetensors(path);
  try {
    const out = new Map<string, Tensor>();
    for (const t of reader.header.tensors)
      out.set(t.name, { shape: t.shape, dtype: t.dtype, bytes: await reader.readTensor(t) });
    return out;
  } finally {
    await reader.close();
  }
}

export async function readMetadata(path: string): Promise<Readonly<Record<string, string>>> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.metadata;
}

export const asF32 = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(t: Tensor | undefined): Matrix {
  if (!t) throw new Error('missing tensor');
  const values = asF32(t.bytes);
  const rows = t.shape[0] as number;
  return { rows, cols: values.length / rows, data: Float64Array.from(values) };
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k] as number;
      for (let j = 0; j < b.cols; j++)
        out[i * b.cols + j] = (out[i * b.cols + j] as number) + v * (b.data[k * b.cols + j] as number);
    }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** torch.kron for matrices: K[i * b.rows + k][j * b.cols + l] = a[i][j] * b[k][l]. */
export function kron(a: Matrix, b: Matrix): Matrix {
  const rows = a.rows * b.rows;
  const cols = a.cols * b.cols;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) {
      const v = a.data[i * a.cols + j] as number;
      for (let k = 0; k < b.rows; k++)
        for (let l = 0; l < b.cols; l++)
          out[(i * b.rows + k) * cols + j * b.cols + l] = v * (b.data[k * b.cols + l] as number);
    }
  return { rows, cols, data: out };
}

export function factor(tensors: Map<string, Tensor>, module: string, n: 1 | 2): Matrix {
  const full = tensors.get(`${module}.lokr_w${n}`);
  if (full) return matrix(full);
  return matmul(matrix(tensors.get(`${module}.lokr_w${n}_a`)), matrix(tensors.get(`${module}.lokr_w${n}_b`)));
}

/** PEFT (tuners/lokr/layer.py): kron(w1, w2) * alpha / r. */
export function peftDelta(tensors: Map<string, Tensor>, path: string, scale: number): Matrix {
  const module = `base_model.model.${path}`;
  const k = kron(factor(tensors, module, 1), factor(tensors, module, 2));
  return { ...k, data: k.data.map((v) => v * scale) };
}

/** LyCORIS / A1111 / ComfyUI: alpha / dim (dim = w2_b rows, else w1_b rows), 1 when both factors are full or no alpha. */
export function lycorisDelta(tensors: Map<string, Tensor>, name: string): Matrix {
  const decomposed = tensors.get(`${name}.lokr_w2_b`) ?? tensors.get(`${name}.lokr_w1_b`);
  const alpha = tensors.get(`${name}.alpha`);
  const scale = decomposed && alpha ? (asF32(alpha.bytes)[0] as number) / (decomposed.shape[0] as number) : 1;
  const k = kron(factor(tensors, name, 1), factor(tensors, name, 2));
  return { ...k, data: k.data.map((v) => v * scale) };
}

export function maxRelDiff(a: Matrix, b: Matrix): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    worst = Math.max(worst, Math.abs((a.data[i] as number) - (b.data[i] as number)));
    scale = Math.max(scale, Math.abs(a.data[i] as number));
  }
  return worst / scale;
}

export const kohyaName = (path: string) =>
  (path.startsWith('text_model.') ? 'lora_te_' : 'lora_unet_') + path.replaceAll('.', '_');

/** A kohya LoKr file's `.alpha` tensors: the scalar `alpha` for each module. */
export const kohyaAlphas = (modules: readonly LokrFixtureModule[], alpha: number): FixtureTensor[] =>
  modules.map((m) => ({
    name: `${kohyaName(m.path)}.alpha`,
    dtype: 'F32',
    shape: [],
    data: new Float32Array([alpha]),
  }));

export async function expectThrowsCode(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToonloraError);
  expect((error as ToonloraError).code).toBe(code);
  expect((error as ToonloraError).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// Fixtures (shapes as PEFT 0.21.2 creates them for SD1.5 attention projections, factor -1)

export const BLOCK = 'down_blocks.0.attentions.0.transformer_blocks.0';
/** Decomposed w2, alpha 2 != r 4 (alpha_pattern): scale 0.5. 320 = 16 x 20. */
export const Q = `${BLOCK}.attn1.to_q`;
/** Both factors full (r 16 >= 20 / 2, rank_pattern), alpha 8: scale 0.5, so convert bakes it into lokr_w1. */
export const K = `${BLOCK}.attn1.to_k`;
/** Both factors full, r = alpha = 12: scale 1. */
export const V = `${BLOCK}.attn1.to_v`;
/** Cross-attention key, 768 -> 320 (in 768 = 24 x 32): decomposed w2, r 4 alpha 4, scale 1. */
export const K2 = `${BLOCK}.attn2.to_k`;
/** Text encoder q_proj 768 -> 768, in `text_encoder/`: decomposed w2, r 4 alpha 8: scale 2. */
export const TE_Q = 'text_model.encoder.layers.0.self_attn.q_proj';

export const UNET_MODULES: LokrFixtureModule[] = [
  { path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } },
  { path: K, shapes: { lokr_w1: [16, 16], lokr_w2: [20, 20] } },
  { path: V, shapes: { lokr_w1: [16, 16], lokr_w2: [20, 20] } },
  { path: K2, shapes: { lokr_w1: [16, 24], lokr_w2_a: [20, 4], lokr_w2_b: [4, 32] } },
];
export const UNET_CONFIG = {
  peft_type: 'LOKR',
  r: 4,
  alpha: 4,
  rank_pattern: { 'attn1.to_k': 16, 'attn1.to_v': 12 },
  alpha_pattern: { 'attn1.to_q': 2, 'attn1.to_k': 8, 'attn1.to_v': 12 },
  decompose_both: false,
  decompose_factor: -1,
  target_modules: ['to_k', 'to_out.0', 'to_q', 'to_v'],
  init_weights: true,
  rank_dropout: 0,
  module_dropout: 0,
  use_effective_conv2d: false,
};
/** PEFT's scale (alpha / r) per module, written out by hand from UNET_CONFIG. */
export const PEFT_SCALES: Record<string, number> = { [Q]: 0.5, [K]: 0.5, [V]: 1, [K2]: 1, [TE_Q]: 2 };

export async function writePeftLokr(folder: string, withTextEncoder = true): Promise<void> {
  await writePeftFolder(folder, makeLokrTensors(UNET_MODULES, 7), UNET_CONFIG);
  if (withTextEncoder) {
    // The trainer's text-encoder adapter: keys under base_model.model.text_model.* (checkpoint.py).
    await writePeftFolder(
      join(folder, 'text_encoder'),
      makeLokrTensors(
        [{ path: TE_Q, shapes: { lokr_w1: [24, 24], lokr_w2_a: [32, 4], lokr_w2_b: [4, 32] } }],
        8,
      ),
      { peft_type: 'LOKR', r: 4, alpha: 8, decompose_factor: -1, target_modules: ['q_proj'] },
    );
  }
}

// ---------------------------------------------------------------------------------------------
