// Tests for dora-loaders.ts through inspect: each loader's verdict on a DoRA file follows what that
// loader does with the magnitude's axis (A1111 normalises per input column, ComfyUI detects the axis,
// diffusers drops a kohya dora_scale and applies PEFT's per-output-row magnitude), and no verdict says
// "ok" for a loader the DoRA warning says applies it wrongly or not at all.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doraEffect } from './dora-loaders.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';

const PATH = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const KOHYA = `lora_unet_${PATH.replaceAll('.', '_')}`;

function doraTensors(style: 'kohya' | 'diffusers', magnitudeShape: number[]): FixtureTensor[] {
  const random = seededRandom(17);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1 + 0.5);
  const [down, up, magnitude] =
    style === 'kohya'
      ? [`${KOHYA}.lora_down.weight`, `${KOHYA}.lora_up.weight`, `${KOHYA}.dora_scale`]
      : [`unet.${PATH}.lora_A.weight`, `unet.${PATH}.lora_B.weight`, `unet.${PATH}.lora_magnitude_vector`];
  const tensors: FixtureTensor[] = [
    { name: down, dtype: 'F32', shape: [4, 320], data: fill(1280) },
    { name: up, dtype: 'F32', shape: [320, 4], data: fill(1280) },
    { name: magnitude, dtype: 'F32', shape: magnitudeShape, data: fill(320) },
  ];
  if (style === 'kohya')
    tensors.push({ name: `${KOHYA}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([4]) });
  return tensors;
}

/** Which loader names each warning calls out as not applying the magnitude. */
const NOT_APPLIED = {
  a1111: /AUTOMATIC1111 (applies it wrongly|fails on it)/,
  comfyui: /ComfyUI fails on it/,
  diffusers: /diffusers(' load_lora_weights drops| cannot apply)/,
} as const;

async function inspectDora(name: string, tensors: FixtureTensor[]) {
  const dir = await mkdtemp(join(tmpdir(), 'toonlora-dora-verdicts-'));
  const path = join(dir, name);
  await writeFixtureFile(path, tensors);
  return inspectLora(path);
}

describe('DoRA verdicts per loader', () => {
  const cases = [
    { name: 'kohya per output row', style: 'kohya', shape: [320, 1], ok: [false, true, false] },
    { name: 'kohya per input column', style: 'kohya', shape: [1, 320], ok: [true, true, false] },
    { name: 'diffusers per output row', style: 'diffusers', shape: [320], ok: [false, false, true] },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: a1111 / comfyui / diffusers ok = ${c.ok.join(' / ')}, never "ok" beside a warning against it`, async () => {
      const result = await inspectDora(
        `${c.style}-${c.shape.join('x')}.safetensors`,
        doraTensors(c.style, [...c.shape]),
      );
      expect(result.modules.map((m) => m.dora)).toEqual([true]);
      expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
        ['a1111', c.ok[0]],
        ['comfyui', c.ok[1]],
        ['diffusers', c.ok[2]],
      ]);
      const warning = result.warnings.filter((w) => w.startsWith('DoRA')).join('\n');
      expect(warning).not.toBe('');
      for (const verdict of result.compatibility) {
        if (verdict.ok) expect(warning, verdict.loader).not.toMatch(NOT_APPLIED[verdict.loader]);
        else expect(verdict.notes.length + verdict.unmappedKeys.length, verdict.loader).toBeGreaterThan(0);
      }
      const text = formatInspection(result);
      if (/AUTOMATIC1111 applies it wrongly/.test(text)) expect(text).not.toMatch(/a1111\s+ok/);
    });
  }

  it('A1111 with a per-output-row dora_scale: the verdict note says why', async () => {
    const result = await inspectDora('rows-note.safetensors', doraTensors('kohya', [320, 1]));
    const a1111 = result.compatibility.find((v) => v.loader === 'a1111');
    expect(a1111?.unmappedKeys).toEqual([]);
    expect(a1111?.notes.join(' ')).toContain('normalises per input column');
  });

  it('the table: ComfyUI applies both axes, A1111 only input columns, diffusers only a PEFT-style output-row magnitude', () => {
    expect(doraEffect('comfyui', 'output rows', 'kohya').applied).toBe(true);
    expect(doraEffect('comfyui', 'input columns', 'kohya').applied).toBe(true);
    expect(doraEffect('a1111', 'output rows', 'kohya').applied).toBe(false);
    expect(doraEffect('a1111', 'input columns', 'kohya').applied).toBe(true);
    expect(doraEffect('diffusers', 'output rows', 'kohya').applied).toBe(false);
    expect(doraEffect('diffusers', 'output rows', 'diffusers').applied).toBe(true);
    expect(doraEffect('diffusers', 'input columns', 'diffusers').applied).toBe(false);
    for (const loader of ['a1111', 'comfyui', 'diffusers'] as const)
      expect(doraEffect(loader, 'unknown', 'kohya').applied).toBe(false);
  });
});
