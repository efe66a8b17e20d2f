// Tests for lokr-kohya-alphas.ts: a kohya LoKr file whose module has two full factors and an `.alpha`
// that is not PEFT's r (LyCORIS wrote its network dim, 32) comes back from PEFT byte for byte, alpha
// included, also through a PEFT -> PEFT copy; a corrupt carried value is ignored.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { type LokrFixtureModule, makeLokrTensors, writeFixtureFile } from './lora-fixtures.js';
import { LOKR_KOHYA_ALPHAS_KEY, readKohyaAlphas } from './lokr-kohya-alphas.js';
import { openSafetensors } from './safetensors-read.js';

const BLOCK = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1';
const MODULES: LokrFixtureModule[] = [
  // both factors full: loaders use scale 1, whatever the .alpha
  {
    path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k',
    shapes: { lokr_w1: [16, 16], lokr_w2: [20, 20] },
  },
  // decomposed w2: scale = alpha / rank
  {
    path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q',
    shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] },
  },
];

async function readAll(
  path: string,
): Promise<{ tensors: Map<string, Buffer>; metadata: Record<string, string> }> {
  const reader = await openSafetensors(path);
  try {
    const tensors = new Map<string, Buffer>();
    for (const t of reader.header.tensors) tensors.set(t.name, Buffer.from(await reader.readTensor(t)));
    return { tensors, metadata: { ...reader.header.metadata } };
  } finally {
    await reader.close();
  }
}

async function kohyaLokrFile(dir: string): Promise<string> {
  const file = join(dir, 'lyco.safetensors');
  const alpha = (name: string, value: number) => ({
    name: `${BLOCK}_${name}.alpha`,
    dtype: 'F32' as const,
    shape: [],
    data: new Float32Array([value]),
  });
  await writeFixtureFile(
    file,
    [...makeLokrTensors(MODULES, 9, 'kohya'), alpha('to_k', 32), alpha('to_q', 2)],
    {
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo": "lokr", "factor": "-1"}',
    },
  );
  return file;
}

describe('LoKr full-factor alphas through PEFT', () => {
  it('kohya -> PEFT -> kohya and kohya -> PEFT -> PEFT -> kohya give back every tensor, the full-full .alpha 32 included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-lokr-alphas-'));
    const file = await kohyaLokrFile(dir);
    const peft = join(dir, 'peft');
    await convertLora({ input: file, output: peft, to: 'peft' });
    const peftFile = await readAll(join(peft, 'adapter_model.safetensors'));
    expect(readKohyaAlphas(peftFile.metadata)).toEqual(new Map([[`${BLOCK}_to_k`, 32]]));
    const peft2 = join(dir, 'peft2');
    await convertLora({ input: peft, output: peft2, to: 'peft' });
    const original = await readAll(file);
    for (const [input, name] of [
      [peft, 'back.safetensors'],
      [peft2, 'back2.safetensors'],
    ] as const) {
      const out = join(dir, name);
      await convertLora({ input, output: out, to: 'kohya' });
      const back = await readAll(out);
      expect(
        new Float32Array(new Uint8Array(back.tensors.get(`${BLOCK}_to_k.alpha`) ?? []).buffer)[0],
        name,
      ).toBe(32);
      expect([...back.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
      for (const [key, bytes] of original.tensors)
        expect(back.tensors.get(key)?.equals(bytes), `${name}: ${key}`).toBe(true);
      expect(back.metadata[LOKR_KOHYA_ALPHAS_KEY]).toBeUndefined();
    }
  });

  it('ignores a carried value that is no finite number', () => {
    expect(readKohyaAlphas({ [LOKR_KOHYA_ALPHAS_KEY]: '{"a": "32", "b": null, "c": 4}' })).toEqual(
      new Map([['c', 4]]),
    );
    expect(readKohyaAlphas({ [LOKR_KOHYA_ALPHAS_KEY]: 'not json' }).size).toBe(0);
    expect(readKohyaAlphas(undefined).size).toBe(0);
  });
});
