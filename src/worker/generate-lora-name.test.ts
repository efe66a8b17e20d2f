// src/worker/generate-lora-name.test.ts — a server LoRA is stored as `<uuid>.safetensors`; its generation request
// carries the name the user knows (its artifact's name) as `lora_name`, which the worker writes into the images'
// WebUI text instead of the file's stem. Against a stand-in worker that answers with the name it was sent (no Python;
// trainer/tests/test_generate_lora_name.py checks the PNG text the real worker writes from it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarmGenerationService } from '../jobs/warm-generation.js';
import { convertLora } from '../lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../lora/lora-fixtures.js';
import { generationConfigSchema } from '../schemas/config.js';
import { GenerationWorker } from './generation-worker.js';

/** Answers `ready`, then each generate request with one image named after the request's `lora_name` (or `-`). */
const ECHO_WORKER = `
const emit = (e) => process.stdout.write(JSON.stringify({ version: 1, ...e }) + '\\n');
let first = true;
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (first) { first = false; emit({ type: 'ready', load_s: 0, device: 'cpu' }); return; }
  if (request.command === 'shutdown') process.exit(0);
  const name = 'lora_name' in request ? request.lora_name : '-';
  emit({ type: 'done', artifacts: { images: [request.output_dir + '/' + name + '.png'], grid: null },
         stats: { swap_s: 0, generate_s: 0 }, id: request.id });
});`;

const root = mkdtempSync(join(tmpdir(), 'tl-lora-name-'));
const stored = join(root, '1ccbe4cd-e63c-4c1e-9d2a-0c5f3b7d9e11.safetensors'); // as the server stores an upload
const spawn = { command: process.execPath, args: ['-e', ECHO_WORKER], cwd: process.cwd() };
const generation = generationConfigSchema.parse({ baseModel: 'tiny', seeds: [1], steps: 2 });
const services: WarmGenerationService[] = [];

beforeAll(async () => {
  const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writePeftFolder(join(root, 'peft'), makePeftTensors({ modules, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 4,
    target_modules: ['to_q'],
  });
  await convertLora({ input: join(root, 'peft'), output: stored, to: 'diffusers' });
});

afterAll(async () => {
  for (const service of services) await service.close();
});

function service(): WarmGenerationService {
  const made = new WarmGenerationService((base) => new GenerationWorker(base, spawn));
  services.push(made);
  return made;
}

describe('the LoRA name in a generation request', () => {
  it("sends a server LoRA's name (its artifact's, not the stored file's UUID) to the worker", async () => {
    const out = await service().generate({
      generation,
      loraPath: stored,
      loraName: 'probe-run1',
      weights: [1, 0.5],
      outDir: join(root, 'out'),
    });
    expect(out.images.map((image) => image.path)).toEqual([
      join(root, 'out', 'weight-1', 'probe-run1.png'),
      join(root, 'out', 'weight-0.5', 'probe-run1.png'),
    ]);
  }, 30_000);

  it('sends no name without one (the CLI: the worker labels the file by its stem) nor without a LoRA', async () => {
    const warm = service();
    const unnamed = await warm.generate({ generation, loraPath: stored, weights: [1], outDir: root });
    expect(unnamed.images[0]?.path).toBe(join(root, '-.png'));
    const bare = await warm.generate({ generation, loraName: 'probe-run1', weights: [1], outDir: root });
    expect(bare.images[0]?.path).toBe(join(root, '-.png'));
  }, 30_000);

  it('refuses a name the PNG text cannot hold (a line break) before the worker gets it', async () => {
    const worker = new GenerationWorker('tiny', spawn);
    await expect(
      worker.generate({ lora: stored, loraName: 'probe\nrun1', outputDir: root, config: generation }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: 'LoRA name "probe\\nrun1": expected a name without control characters (line breaks, tabs).',
    });
    await worker.close();
  }, 30_000);
});
