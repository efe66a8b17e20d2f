// src/lora/convert-testing.ts — for the convert tests (convert*.test.ts): every tensor of a file, up @ down in
// float64, and the check that each kohya module's delta equals PEFT's B @ A * lora_alpha / r.
import { expect } from 'vitest';
import { type ModuleScale, parsePeftConfig, peftModuleScale } from './peft-config.js';
import { openSafetensors } from './safetensors-read.js';

/** All tensors of a file as Float32Arrays (or raw bytes for non-F32), by name. */
export async function readAll(
  path: string,
): Promise<Map<string, { shape: readonly number[]; dtype: string; bytes: Uint8Array }>> {
  const reader = await openSafetensors(path);
  try {
    const out = new Map();
    for (const t of reader.header.tensors)
      out.set(t.name, { shape: t.shape, dtype: t.dtype, bytes: await reader.readTensor(t) });
    return out;
  } finally {
    await reader.close();
  }
}

export const asF32 = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

/** (out x r) @ (r x in), float64 accumulation. */
export function matmul(
  up: Float32Array,
  down: Float32Array,
  out: number,
  r: number,
  inF: number,
): Float64Array {
  const result = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const u = up[o * r + k] as number;
      for (let i = 0; i < inF; i++)
        result[o * inF + i] = (result[o * inF + i] as number) + u * (down[k * inF + i] as number);
    }
  }
  return result;
}

export function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(a[i] as number));
  }
  return worst / scale;
}

/** Checks every kohya module's delta against PEFT's for the same module. */
export async function expectSameDeltas(
  peftFile: string,
  peftConfig: Record<string, unknown>,
  kohyaFile: string,
  modules: string[],
) {
  const peft = await readAll(peftFile);
  const kohya = await readAll(kohyaFile);
  const config = parsePeftConfig(peftConfig, 'adapter_config.json');
  for (const path of modules) {
    const a = peft.get(`base_model.model.${path}.lora_A.weight`);
    const b = peft.get(`base_model.model.${path}.lora_B.weight`);
    const name = `lora_unet_${path.replaceAll('.', '_')}`;
    const down = kohya.get(`${name}.lora_down.weight`);
    const up = kohya.get(`${name}.lora_up.weight`);
    const alphaBytes = kohya.get(`${name}.alpha`);
    if (!a || !b || !down || !up || !alphaBytes) throw new Error(`missing tensors for ${path}`);
    expect(alphaBytes.shape).toEqual([]);
    const [r, inF] = a.shape as [number, number];
    const out = b.shape[0] as number;
    const s: ModuleScale = peftModuleScale(config, path);
    const peftScale = config.use_rslora ? s.loraAlpha / Math.sqrt(s.rank) : s.loraAlpha / s.rank;
    const kohyaRank = down.shape[0] as number;
    const alpha = asF32(alphaBytes.bytes)[0] as number;
    const expected = matmul(asF32(b.bytes), asF32(a.bytes), out, r, inF).map((v) => v * peftScale);
    const actual = matmul(asF32(up.bytes), asF32(down.bytes), out, kohyaRank, inF).map(
      (v) => (v * alpha) / kohyaRank,
    );
    expect(maxRelDiff(expected, actual)).toBeLessThan(1e-6);
  }
}
