// Tests for the hashes convert reports (convert.ts / convert-write.ts): each written file's `sha256` is the sha256 of
// the file's bytes (what `sha256sum` prints), its `tensorDataSha256` that of the tensor data alone (kohya's
// sshs_model_hash). Before, `sha256` was the tensor-data hash, which matches no checksum a user or a site computes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-sha-');
const modules = sd15AttentionModules().filter((m) => m.startsWith('down_blocks.0.attentions.0'));

async function hashesOf(path: string): Promise<{ file: string; data: string }> {
  const bytes = await readFile(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  return { file: sha(bytes), data: sha(bytes.subarray(8 + headerLength)) };
}

describe('convert result hashes', () => {
  it('kohya and diffusers files: sha256 is the file, tensorDataSha256 the data section (= sshs_model_hash)', async () => {
    const peft = join(tempDir(), 'adapter');
    await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 3 }), { r: 4, lora_alpha: 4 });
    for (const to of ['kohya', 'diffusers'] as const) {
      const output = join(tempDir(), `${to}.safetensors`);
      const [file] = (await convertLora({ input: peft, output, to })).files;
      const expected = await hashesOf(output);
      expect(file).toMatchObject({ path: output, sha256: expected.file, tensorDataSha256: expected.data });
      expect(expected.file).not.toBe(expected.data);
      if (to === 'kohya') {
        const reader = await openSafetensors(output);
        expect(reader.header.metadata.sshs_model_hash).toBe(file?.tensorDataSha256);
        await reader.close();
      }
    }
  });

  it('a PEFT folder: every file written is listed, each with its own file hash (adapter_config.json too)', async () => {
    const peft = join(tempDir(), 'adapter2');
    await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 5 }), { r: 4, lora_alpha: 4 });
    const kohya = join(tempDir(), 'k.safetensors');
    await convertLora({ input: peft, output: kohya, to: 'kohya' });
    const back = join(tempDir(), 'back');
    const result = await convertLora({ input: kohya, output: back, to: 'peft' });
    expect(result.files.map((file) => file.path)).toEqual([
      join(back, 'adapter_model.safetensors'),
      join(back, 'adapter_config.json'),
    ]);
    const [model, config] = result.files;
    const expected = await hashesOf(join(back, 'adapter_model.safetensors'));
    expect(model).toMatchObject({ sha256: expected.file, tensorDataSha256: expected.data });
    const configBytes = await readFile(join(back, 'adapter_config.json'));
    expect(config).toEqual({
      path: join(back, 'adapter_config.json'),
      bytes: configBytes.byteLength,
      tensors: 0,
      sha256: createHash('sha256').update(configBytes).digest('hex'),
      tensorDataSha256: null,
    });
  });
});
