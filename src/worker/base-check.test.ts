// Tests for the base check a CLI training run (and its --dry-run) makes before any worker starts: each way
// a --base the worker cannot load is refused, in the worker's words, and what it lets through.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../lora/safetensors-write.js';
import { tempDirPerFile } from '../lora/temp-dir-testing.js';
import { getModelEntry } from '../models/registry.js';
import {
  checkBasePulled,
  checkpointRefusal,
  checkTrainingBase,
  missingLayoutFiles,
  notPulledBaseWarning,
} from './base-check.js';

const tempDir = tempDirPerFile('toonlora-base-check-');

/** A .safetensors file holding one small F32 tensor per name. */
async function tensorsFile(path: string, names: readonly string[]): Promise<string> {
  await writeSafetensors(
    path,
    names.map((name) => ({ name, dtype: 'F32' as const, shape: [2], chunks: () => [new Uint8Array(8)] })),
    {},
  );
  return path;
}

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
  );

describe('checkTrainingBase', () => {
  it('refuses a path that is not there, as the worker words it', async () => {
    const missing = join(tempDir(), 'nonexist');
    expect(await refusal(checkTrainingBase(missing))).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      message: `${missing}: base model not found on this machine. No such folder. Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny).`,
    });
    expect(await refusal(checkTrainingBase(`${missing}.safetensors`))).toMatchObject({
      code: 'TL_ERR_INPUT_NOT_FOUND',
      message: expect.stringContaining('nonexist.safetensors: base checkpoint file not found.'),
    });
  });

  it('refuses a LoRA, an image and a file without an SD1.5 UNet given as the base', async () => {
    const lora = await tensorsFile(join(tempDir(), 'some-lora.safetensors'), [
      'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight',
      'lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight',
    ]);
    expect(await refusal(checkTrainingBase(lora))).toMatchObject({
      code: 'TL_ERR_INPUT_INVALID',
      message: expect.stringMatching(
        /some-lora\.safetensors: this is a LoRA \(tensor "lora_unet_.*"\), not a base model checkpoint/,
      ),
    });
    const png = join(tempDir(), 'picture.safetensors');
    await writeFile(
      png,
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]),
    );
    expect(await refusal(checkTrainingBase(png))).toMatchObject({
      code: 'TL_ERR_INPUT_INVALID',
      message: expect.stringContaining(
        'picture.safetensors: this is a PNG image, not a base model checkpoint',
      ),
    });
    const other = await tensorsFile(join(tempDir(), 'vae.safetensors'), ['decoder.conv_in.weight']);
    expect((await refusal(checkTrainingBase(other)))?.message).toContain('not an SD1.5 checkpoint');
    const sd15 = await tensorsFile(join(tempDir(), 'sd15.safetensors'), ['model.diffusion_model.out.2.bias']);
    expect(await refusal(checkTrainingBase(sd15))).toBeUndefined();
  });

  it('refuses a folder without the diffusers SD1.5 files, naming them', async () => {
    const folder = join(tempDir(), 'half-model');
    await mkdir(join(folder, 'unet'), { recursive: true });
    await writeFile(join(folder, 'unet', 'config.json'), '{}');
    const result = await refusal(checkTrainingBase(folder));
    expect(result?.code).toBe('TL_ERR_MODEL_MISSING');
    expect(result?.message).toContain(
      'the folder lacks tokenizer/vocab.json (or tokenizer.json), text_encoder/config.json',
    );
    expect(result?.message).not.toContain('unet/config.json,');
    expect(missingLayoutFiles(folder)).toHaveLength(7);
  });

  it('refuses a Hub id not in the Hugging Face cache, with the pull to run', async () => {
    const env = { HF_HUB_CACHE: join(tempDir(), 'hf-empty') };
    expect(await refusal(checkTrainingBase('someone/not-pulled', { env }))).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      message:
        'someone/not-pulled: base model not found on this machine (not in the Hugging Face cache). Pull it into the Hugging Face cache first (`toonlora models pull someone/not-pulled`: any diffusers SD1.5 repo), or pass a local folder / .safetensors file.',
    });
  });

  it('lets tiny and the registry base through (a dry run needs no weights)', async () => {
    expect(await refusal(checkTrainingBase('tiny'))).toBeUndefined();
    expect(
      await refusal(checkTrainingBase('anything-v5', { env: { HF_HUB_CACHE: join(tempDir(), 'x') } })),
    ).toBeUndefined();
  });
});

describe('notPulledBaseWarning', () => {
  it('names the pull of a registry base not on disk (by id or Hub id), and nothing once it is there', async () => {
    const home = join(tempDir(), 'tl-home');
    const env = { TOONLORA_HOME: home, HF_HUB_CACHE: join(tempDir(), 'hf-empty') };
    const pull = 'Run `toonlora models pull anything-v5` first.';
    expect(notPulledBaseWarning('anything-v5', { env })).toBe(
      `the base model anything-v5 is not downloaded yet: this dry run needs no weights, but a real run refuses to start without it. ${pull}`,
    );
    const { source } = getModelEntry('anything-v5');
    expect(notPulledBaseWarning((source as { repo: string }).repo, { env })).toContain(pull);
    // placed by hand: every file of the registry's layout in $TOONLORA_HOME/models/anything-v5/
    for (const file of source.files) {
      const path = join(home, 'models', 'anything-v5', file.path);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, '');
    }
    expect(notPulledBaseWarning('anything-v5', { env })).toBeUndefined();
    // other bases: tiny needs nothing; checkTrainingBase refuses a Hub id or path it cannot load
    expect(notPulledBaseWarning('tiny', { env })).toBeUndefined();
    expect(notPulledBaseWarning('someone/not-pulled', { env })).toBeUndefined();
  });
});

describe('checkBasePulled', () => {
  it('refuses a registry base not on disk (by id or Hub id) naming its pull, and passes it once placed', async () => {
    const home = join(tempDir(), 'tl-home-pulled');
    const env = { TOONLORA_HOME: home, HF_HUB_CACHE: join(tempDir(), 'hf-empty-pulled') };
    const thrown = (name: string) => {
      try {
        checkBasePulled(name, { env });
      } catch (error) {
        return error as { code: string; message: string };
      }
      return undefined;
    };
    expect(thrown('anything-v5')).toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message:
        'anything-v5: base model not found on this machine (not downloaded yet). Run `toonlora models pull anything-v5` first, or give --base another base (a local folder, a .safetensors file, a pulled HF id, or tiny).',
    });
    const { source } = getModelEntry('anything-v5');
    expect(thrown((source as { repo: string }).repo)?.message).toContain(
      'Run `toonlora models pull anything-v5` first',
    );
    expect(thrown('tiny')).toBeUndefined();
    expect(thrown('someone/not-pulled')).toBeUndefined(); // checkTrainingBase's to refuse
    for (const file of source.files) {
      const path = join(home, 'models', 'anything-v5', file.path);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, '');
    }
    expect(thrown('anything-v5')).toBeUndefined();
  });
});

describe('checkpointRefusal', () => {
  it('reads PEFT, LoKr and SDXL tensor names', () => {
    expect(checkpointRefusal('a', ['base_model.model.up_blocks.1.to_q.lora_A.weight'])).toContain(
      'this is a LoRA',
    );
    expect(checkpointRefusal('a', ['lora_unet_x.lokr_w1'])).toContain('this is a LoRA');
    expect(
      checkpointRefusal('a', [
        'model.diffusion_model.out.2.bias',
        'conditioner.embedders.1.model.ln_final.bias',
      ]),
    ).toContain('SDXL');
  });
});
