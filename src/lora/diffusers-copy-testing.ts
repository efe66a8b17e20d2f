// src/lora/diffusers-copy-testing.ts — for the diffusers-copy*.test.ts files: a fresh temp folder per test,
// small SD1.5 PEFT / kohya LoRA fixtures (mixed alphas, DoRA, LoCon convs), and each module's alpha as read back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertLora } from './convert.js';
import { type FixtureTensor, makePeftTensors, seededRandom, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { sd15AttentionModules } from './sd15-modules.js';

/** A new temp folder for one test (left in the OS temp folder, as before the split). */
export const copyTestDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));

export const modules = sd15AttentionModules().slice(0, 3);

export async function peftFolder(
  dir: string,
  name: string,
  alphaPattern: Record<string, number>,
): Promise<string> {
  const peft = join(dir, `${name}-peft`);
  await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 4,
    alpha_pattern: alphaPattern,
    target_modules: ['to_q', 'to_k', 'to_v', 'to_out.0'],
  });
  return peft;
}

export async function kohyaFile(
  dir: string,
  name: string,
  alphaPattern: Record<string, number>,
): Promise<string> {
  const peft = await peftFolder(dir, name, alphaPattern);
  const out = join(dir, `${name}.safetensors`);
  await convertLora({ input: peft, output: out, to: 'kohya' });
  return out;
}

export async function alphasByModule(path: string): Promise<Record<string, number>> {
  const { model, reader } = await openLora(path);
  await reader.close();
  return Object.fromEntries(model.modules.map((m) => [m.path, m.alpha]));
}

export const DORA_UNET = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
export const DORA_TE = 'text_model.encoder.layers.0.self_attn.q_proj';

/** A kohya DoRA file: one UNet and one text-encoder module (rank 4, alpha 2) with the given dora_scale shapes. */
export function kohyaDoraTensors(unetScale: number[], teScale: number[]): FixtureTensor[] {
  const random = seededRandom(4);
  const fill = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random());
  const module = (name: string, width: number, scale: number[]): FixtureTensor[] => [
    { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [4, width], data: fill([4, width]) },
    { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [width, 4], data: fill([width, 4]) },
    { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([2]) },
    { name: `${name}.dora_scale`, dtype: 'F32', shape: scale, data: fill(scale) },
  ];
  return [
    ...module(`lora_unet_${DORA_UNET.replaceAll('.', '_')}`, 320, unetScale),
    ...module(`lora_te_${DORA_TE.replaceAll('.', '_')}`, 768, teScale),
  ];
}

/** A kohya module with the given down / up shapes (LoCon conv: 4-D), alpha, and a lora_mid when asked. */
export function kohyaModule(
  path: string,
  down: number[],
  up: number[],
  alpha: number,
  mid?: number[],
): FixtureTensor[] {
  const random = seededRandom(9);
  const name = `lora_unet_${path.replaceAll('.', '_')}`;
  const tensor = (suffix: string, shape: number[]): FixtureTensor => ({
    name: `${name}.${suffix}`,
    dtype: 'F32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 0.05),
  });
  return [
    tensor('lora_down.weight', down),
    tensor('lora_up.weight', up),
    ...(mid ? [tensor('lora_mid.weight', mid)] : []),
    { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([alpha]) },
  ];
}
/** The fixture's three attention modules as kohya modules, each with the alpha `alpha(path)` gives. */
export const attention = (alpha: (path: string) => number) =>
  modules.flatMap((path) => kohyaModule(path, [4, 320], [320, 4], alpha(path)));
/** Two resnet conv modules as LoCon: a 3x3 down (own alpha 1), or with `mid` a 1x1 down and a 3x3 lora_mid. */
export const convs = (mid: boolean) =>
  ['down_blocks.0.resnets.0.conv1', 'down_blocks.0.resnets.0.conv2'].flatMap((path) =>
    mid
      ? kohyaModule(path, [2, 320, 1, 1], [320, 2, 1, 1], 1, [2, 2, 3, 3])
      : kohyaModule(path, [2, 320, 3, 3], [320, 2, 1, 1], 1),
  );
