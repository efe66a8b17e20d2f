// src/lora/convert-safety-testing.ts — for the tests of convert's refusals and warnings
// (convert-safety.test.ts, convert-warnings.test.ts): raw safetensors files from hand-made tensors, a
// kohya to_q module, a LoCon / LyCORIS mix convert does not understand, and file checks.
import { stat } from 'node:fs/promises';
import { seededRandom } from './lora-fixtures.js';
import type { Dtype } from './safetensors-format.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';

export interface RawTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

export const f32 = (values: ArrayLike<number>) => new Uint8Array(Float32Array.from(values).buffer);
export const random = seededRandom(99);
export const randomF32 = (n: number) => f32(Array.from({ length: n }, () => random() * 0.1));

export async function writeRaw(path: string, tensors: RawTensor[], metadata: Record<string, string> = {}) {
  await writeSafetensors(
    path,
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, chunks: () => [t.bytes] })),
    metadata,
    { overwrite: true },
  );
}

export const Q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
export const CONV = 'lora_unet_down_blocks_0_resnets_0_conv1';

/** A kohya to_q module (rank 4, 320 -> 320) with alpha 2. */
export function kohyaQ(extra: Partial<Record<'down' | 'up', Uint8Array>> = {}): RawTensor[] {
  return [
    { name: `${Q}.lora_down.weight`, dtype: 'F32', shape: [4, 320], bytes: extra.down ?? randomF32(1280) },
    { name: `${Q}.lora_up.weight`, dtype: 'F32', shape: [320, 4], bytes: extra.up ?? randomF32(1280) },
    { name: `${Q}.alpha`, dtype: 'F32', shape: [], bytes: f32([2]) },
  ];
}

/** to_q plus a LoCon conv module with a lora_mid and a LyCORIS full-weight difference (diff, diff_b). */
export function loconTensors(): RawTensor[] {
  const k = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k';
  return [
    ...kohyaQ(),
    { name: `${CONV}.lora_down.weight`, dtype: 'F32', shape: [4, 320, 1, 1], bytes: randomF32(1280) },
    { name: `${CONV}.lora_mid.weight`, dtype: 'F32', shape: [4, 4, 3, 3], bytes: randomF32(144) },
    { name: `${CONV}.lora_up.weight`, dtype: 'F32', shape: [320, 4, 1, 1], bytes: randomF32(1280) },
    { name: `${CONV}.alpha`, dtype: 'F32', shape: [], bytes: f32([1]) },
    { name: `${k}.diff`, dtype: 'F32', shape: [320, 320], bytes: randomF32(320 * 320) },
    { name: `${k}.diff_b`, dtype: 'F32', shape: [320], bytes: randomF32(320) },
  ];
}

export async function tensorNames(path: string): Promise<string[]> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.tensors.map((t) => t.name).sort();
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
