// test/warm-generation-refused-e2e.test.ts — the server's warm generation service with the real Python worker on
// the `tiny` base: a LoKr file the worker refuses half way (its text-encoder part loads, its UNet part has a
// Tucker core) fails that job only; the next job, a good LoRA, finds the base still loaded and renders the images
// a cold worker renders.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { tinyGeneration } from './helpers/tiny-generation.js';

const root = mkdtempSync(join(tmpdir(), 'tl-warm-refused-'));
const python = join('trainer', '.venv', 'bin', 'python');

/** Writes the refused LoKr and a good diffusers-format LoRA with the trainer's test helpers. */
const WRITE_FILES = `
import sys, torch
from pathlib import Path
sys.path.insert(0, "tests")
from safetensors.torch import save_file
from test_lokr import kohya_name
from generation_helpers import write_diffusers_lora
root = Path(sys.argv[1])
te, unet = "lora_te_text_model_encoder_layers_0_self_attn_q_proj", kohya_name("down_blocks.0.attentions.0.proj_in")
save_file({f"{te}.lokr_w1": torch.ones(4, 4) * 0.5, f"{te}.lokr_w2": torch.ones(8, 8) * 0.5,
           f"{unet}.lokr_w1": torch.ones(4, 4), f"{unet}.lokr_w2_a": torch.ones(8, 2), f"{unet}.lokr_w2_b": torch.ones(2, 8),
           f"{unet}.lokr_t2": torch.ones(2, 2, 1, 1)}, str(root / "half.safetensors"))
write_diffusers_lora(root / "good.safetensors", seed=2, b_scale=0.05)
`;

const services: WarmGenerationService[] = [];
afterAll(async () => {
  for (const service of services) await service.close();
});

async function pixels(path: string): Promise<Buffer> {
  return sharp(path).raw().toBuffer();
}

describe('WarmGenerationService with the Python worker', () => {
  it('keeps the base loaded after a refused LoKr and renders the next LoRA as a cold worker does', async () => {
    await promisify(execFile)(join('..', python), ['-c', WRITE_FILES, root], { cwd: 'trainer' });
    const generation = tinyGeneration();
    const warm = new WarmGenerationService();
    const cold = new WarmGenerationService();
    services.push(warm, cold);
    const good = { generation, loraPath: join(root, 'good.safetensors'), loraName: 'good', weights: [1] };

    const first = await warm.generate({ generation, weights: [1], outDir: join(root, 'bare') });
    expect(first.timing.warm).toBe(false);
    const refused = warm.generate({
      generation,
      loraPath: join(root, 'half.safetensors'),
      loraName: 'half lokr',
      weights: [1],
      outDir: join(root, 'half'),
    });
    await expect(refused).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('LoRA "half lokr": LoKr module'),
    });
    const after = await warm.generate({ ...good, outDir: join(root, 'warm') });
    expect(after.timing).toMatchObject({ warm: true, loadMs: 0 });

    const fresh = await cold.generate({ ...good, outDir: join(root, 'cold') });
    expect(fresh.timing.warm).toBe(false);
    const a = await pixels(after.images[0]?.path ?? '');
    const b = await pixels(fresh.images[0]?.path ?? '');
    const bare = await pixels(first.images[0]?.path ?? '');
    expect(a.length).toBe(b.length);
    const maxDiff = (x: Buffer, y: Buffer) =>
      Math.max(...x.map((value, index) => Math.abs(value - (y[index] ?? 0))));
    expect(maxDiff(a, bare)).toBeGreaterThan(8); // the LoRA changes the image
    expect(maxDiff(a, b)).toBeLessThanOrEqual(1); // 8-bit rounding of the same float image
  }, 180_000);
});
