// Tests for diffusers-copy.ts on kohya DoRA files: one whose dora_scale diffusers' load_lora_weights drops gets a
// diffusers copy holding PEFT's magnitude; one whose dora_scale is per input column is refused, naming the module.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { copyTestDir, DORA_TE, DORA_UNET, kohyaDoraTensors } from './diffusers-copy-testing.js';
import { writeFixtureFile } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';

describe('loraFileForDiffusers', () => {
  it("converts a kohya DoRA file, whose dora_scale load_lora_weights drops, to a diffusers copy with PEFT's magnitude", async () => {
    const dir = await copyTestDir();
    const input = join(dir, 'dora.safetensors');
    await writeFixtureFile(input, kohyaDoraTensors([320, 1], [768, 1]));
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.path.startsWith(join(dir, 'cache'))).toBe(true);
    expect(choice.note).toMatch(
      /dora\.safetensors is a DoRA LoRA \(dora_scale\), whose magnitude diffusers' load_lora_weights drops/,
    );
    expect(choice.note).toContain("every module's alpha and DoRA magnitude kept");
    const reader = await openSafetensors(choice.path);
    const shapes = Object.fromEntries(reader.header.tensors.map((t) => [t.name, t.shape]));
    const meta = JSON.parse(reader.header.metadata.lora_adapter_metadata ?? '{}');
    await reader.close();
    expect(shapes[`unet.${DORA_UNET}.lora_magnitude_vector`]).toEqual([320]);
    // transformers 5 loads a text-encoder magnitude only with `.weight` (see convert-plan.ts)
    expect(shapes[`text_encoder.${DORA_TE}.lora_magnitude_vector.weight`]).toEqual([768]);
    expect(meta['unet.use_dora']).toBe(true);
    expect(meta['text_encoder.use_dora']).toBe(true);
  });

  it('refuses a kohya DoRA file whose dora_scale is per input column, naming the file and the module', async () => {
    const dir = await copyTestDir();
    const input = join(dir, 'dora-cols.safetensors');
    await writeFixtureFile(input, kohyaDoraTensors([1, 320], [768, 1]));
    await expect(loraFileForDiffusers(input, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringMatching(
        /^dora-cols\.safetensors: module "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q": its DoRA dora_scale \[1,320\] is per input column .*DoRA is not applied by diffusers .*Use the WebUI \/ ComfyUI, or train without --dora\.$/,
      ),
    });
  });
});
