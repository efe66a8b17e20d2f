// Tests for an image given where a LoRA .safetensors is read (`generate --lora some.png`, convert, inspect):
// named as the image it is, not as a header length past the cap.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { openSafetensors } from './safetensors-read.js';
import { parseSafetensorsBuffer } from './safetensors-format.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-st-image-');

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0', 'latin1'),
  Buffer.alloc(64, 7),
]);
const WEBP = Buffer.concat([Buffer.from('RIFF\x40\0\0\0WEBPVP8 ', 'latin1'), Buffer.alloc(64, 1)]);
const AVIF = Buffer.concat([Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'), Buffer.alloc(64, 1)]);

describe('an image read as a LoRA', () => {
  it('is named by its type, with what to give instead', async () => {
    const path = join(tempDir(), 'some.png');
    await writeFile(path, PNG);
    const error = await openSafetensors(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      details: { rule: 'image-file', image: 'PNG' },
    });
    expect((error as Error).message).toMatch(
      /^some\.png: this is a PNG image, not a LoRA \(\.safetensors file\)/,
    );
    expect((error as Error).message).not.toContain('header length');
  });

  it('WebP and AVIF (read from 12 bytes) too, with the right article', () => {
    expect(() => parseSafetensorsBuffer(WEBP, 'a.webp')).toThrow('a.webp: this is a WebP image, not a LoRA');
    expect(() => parseSafetensorsBuffer(AVIF, 'a.avif')).toThrow('a.avif: this is an AVIF image, not a LoRA');
  });

  it('convert names it the same way', async () => {
    const path = join(tempDir(), 'photo.safetensors');
    await writeFile(path, PNG);
    await expect(convertLora({ input: path, output: join(tempDir(), 'out.safetensors') })).rejects.toThrow(
      'photo.safetensors: this is a PNG image, not a LoRA',
    );
  });

  it('a Git LFS pointer (a clone without git-lfs) and a saved web page are named, not a header length past the cap', async () => {
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${'a'.repeat(64)}\nsize 151108832\n`;
    const path = join(tempDir(), 'lora.safetensors');
    await writeFile(path, pointer);
    const error = (await openSafetensors(path).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_SAFETENSORS', details: { rule: 'text-file' } });
    expect(error.message).toBe(
      'lora.safetensors: this is a Git LFS pointer, not the file (run git lfs pull, or download the file); a .safetensors file is binary.',
    );
    const page = Buffer.from('\n  <!DOCTYPE html>\n<html lang="en"><head><title>Hub</title></head></html>\n');
    expect(() => parseSafetensorsBuffer(page, 'dl.safetensors')).toThrow(
      'dl.safetensors: this is an HTML page (a download that saved a web page), not the file',
    );
    await writeFile(path, page);
    await expect(convertLora({ input: path, output: join(tempDir(), 'o.safetensors') })).rejects.toThrow(
      'this is an HTML page',
    );
  });

  it('a JSON file is named as one: a PEFT adapter_config.json points to its folder (inspect, convert)', async () => {
    // before: "not a safetensors file, or a damaged one ... header length 8314054077019327099 exceeds ..."
    const run = tempDir();
    const config = join(run, 'adapter_config.json');
    await writeFile(config, '{\n  "alpha_pattern": {},\n  "r": 4\n}\n');
    const error = (await openSafetensors(config).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_SAFETENSORS', details: { rule: 'json-file' } });
    expect(error.message).toContain(
      "this is a JSON file (a PEFT adapter's config?), not a LoRA: give its folder",
    );
    expect(error.message).not.toContain('header length');
    await expect(inspectLora(config)).rejects.toThrow("a PEFT adapter's config?");
    await expect(convertLora({ input: config, output: join(tempDir(), 'o.safetensors') })).rejects.toThrow(
      'give its folder',
    );
    const other = Buffer.from('\ufeff [{"file": "a.png"}]');
    expect(() => parseSafetensorsBuffer(other, 'manifest.json')).toThrow(
      'manifest.json: this is a JSON file, not a LoRA (.safetensors file).',
    );
  });

  it('a plain text file is named as one, not as a header length past the cap (inspect notes.txt)', async () => {
    // before: "not a safetensors file, or a damaged one ... (found: header length 8315180308947302765 exceeds ...)"
    const path = join(tempDir(), 'notes.txt');
    await writeFile(path, 'hello world notes\nsecond line, ümlaut\n');
    const error = (await inspectLora(path).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      details: { rule: 'text-file', kind: 'plain-text' },
    });
    expect(error.message).toMatch(
      /^notes\.txt: this is a text file, not a LoRA \(\.safetensors file, which is binary\)\. Give /,
    );
    expect(error.message).not.toContain('header length');
  });

  it("messages carry no internal [rule ...] tag; the rule stays in the error's details (--json)", async () => {
    // before: "panel.png: this is a PNG image, not a LoRA (.safetensors file) [rule image-file]. Give ..."
    const refused = (bytes: Uint8Array, name: string) => {
      try {
        parseSafetensorsBuffer(bytes, name);
      } catch (error) {
        return error as Error & { details: { rule: string } };
      }
      throw new Error(`${name} was read`);
    };
    const damaged = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.alloc(16)]);
    const cases: [Uint8Array, string, string][] = [
      [PNG, 'panel.png', 'image-file'],
      [
        Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:aa\n'),
        'a.safetensors',
        'text-file',
      ],
      [Buffer.from('[{"file": "a.png"}]'), 'm.json', 'json-file'],
      [Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6]), 'lora.ckpt', 'pytorch-checkpoint'],
      [damaged, 'x.safetensors', 'header-length-cap'],
    ];
    for (const [bytes, name, rule] of cases) {
      const error = refused(bytes, name);
      expect(error.details.rule).toBe(rule);
      expect(error.message).not.toContain('[rule');
    }
  });

  it('a damaged file that is no image keeps the header-length message', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.alloc(16)]);
    expect(() => parseSafetensorsBuffer(bytes, 'x.safetensors')).toThrow(/header length \d+ exceeds the/);
  });
});
