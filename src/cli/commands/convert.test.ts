// Tests of `toonlora convert` / `toonlora inspect` through the real CLI entry (in process): a FIFO or
// an -o ending in "/" is a usage error (exit 2, one line, no stack), a symlinked -o is written
// through, and inspect of a file with no tensors exits 0 with every loader a PROBLEM. FIFOs and links
// are made in the test's temp folder only.
import { execFileSync } from 'node:child_process';
import { lstat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatBytes } from '../../format-bytes.js';
import { makePeftTensors, writeFixtureFile } from '../../lora/lora-fixtures.js';
import { writeSafetensors } from '../../lora/safetensors-write.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';

const io = withCliTestIo('toonlora-cli-convert-');
let input: string;
beforeEach(async () => {
  input = join(io.root, 'in.safetensors');
  const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writeFixtureFile(input, makePeftTensors({ modules, rank: 4, seed: 5, prefix: 'unet.' }));
});

describe('convert -o', () => {
  it('a FIFO (or a link to one) is exit 2 with one line naming it, and stays a FIFO', async () => {
    const fifo = join(io.root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await symlink(fifo, join(io.root, 'link'));
    for (const output of [fifo, join(io.root, 'link')]) {
      io.stderr = '';
      expect(await runCli(['convert', input, '-o', output, '--to', 'kohya', '--overwrite'])).toBe(2);
      expect(io.stderr).toContain(`-o ${output}`);
      expect(io.stderr).toContain('is a FIFO (named pipe)');
      expect(io.stderr).toContain('[TL_ERR_USAGE]');
      expect(io.stderr).not.toContain('unexpected error');
    }
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('ending in "/" is exit 2 for kohya / diffusers (no ENOTDIR stack), and writes the folder for peft', async () => {
    for (const to of ['kohya', 'diffusers']) {
      io.stderr = '';
      expect(await runCli(['convert', input, '-o', `${join(io.root, 'newdir')}/`, '--to', to])).toBe(2);
      expect(io.stderr).toContain('this format is written as one .safetensors file');
      expect(io.stderr).not.toContain('ENOTDIR');
    }
    expect(await runCli(['convert', input, '-o', `${join(io.root, 'newdir')}/`, '--to', 'peft'])).toBe(0);
    expect((await lstat(join(io.root, 'newdir', 'adapter_model.safetensors'))).isFile()).toBe(true);
  });

  it('--to peft with a .safetensors file name is exit 2 naming the folder and --to kohya, and makes no folder', async () => {
    // before: `-o x.safetensors` made a folder named x.safetensors/
    const output = join(io.root, 'x.safetensors');
    expect(await runCli(['convert', input, '-o', output, '--to', 'peft'])).toBe(2);
    expect(io.stderr).toContain(`-o ${output}: --to peft writes a folder`);
    expect(io.stderr).toContain(`Give a folder (-o ${join(io.root, 'x')}), or --to kohya for one file.`);
    await expect(lstat(output)).rejects.toThrow('ENOENT');
  });

  it('makes missing folders above -o, as train and generate do (before: exit 2, "Create it first")', async () => {
    const kohya = join(io.root, 'new', 'deeper', 'out.safetensors');
    expect(await runCli(['convert', input, '-o', kohya, '--to', 'kohya'])).toBe(0);
    expect((await lstat(kohya)).isFile()).toBe(true);
    const peft = join(io.root, 'made', 'adapter');
    expect(await runCli(['convert', input, '-o', peft, '--to', 'peft'])).toBe(0);
    expect((await lstat(join(peft, 'adapter_config.json'))).isFile()).toBe(true);
    // a conversion that fails leaves no folder behind
    io.stderr = '';
    const bad = join(io.root, 'never', 'out.safetensors');
    expect(await runCli(['convert', join(io.root, 'missing.safetensors'), '-o', bad])).not.toBe(0);
    await expect(lstat(join(io.root, 'never'))).rejects.toThrow('ENOENT');
  });

  it('--json lists every file written, adapter_config.json too, each with its sha256', async () => {
    const peft = join(io.root, 'peft-out');
    expect(await runCli(['convert', input, '-o', peft, '--to', 'peft', '--json'])).toBe(0);
    const result = JSON.parse(io.stdout) as { files: { path: string; sha256: string }[] };
    expect(result.files.map((f) => f.path)).toEqual([
      join(peft, 'adapter_model.safetensors'),
      join(peft, 'adapter_config.json'),
    ]);
    expect(result.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  });

  it('a symlink is written through with --overwrite: the link stays, its target is the new file', async () => {
    const real = join(io.root, 'real.safetensors');
    await writeFile(real, 'old');
    await symlink('real.safetensors', join(io.root, 'link.safetensors'));
    const argv = ['convert', input, '-o', join(io.root, 'link.safetensors'), '--to', 'kohya'];
    expect(await runCli([...argv, '--overwrite'])).toBe(0);
    expect((await lstat(join(io.root, 'link.safetensors'))).isSymbolicLink()).toBe(true);
    expect((await lstat(real)).size).toBeGreaterThan(100);
  });

  it('says the size written in the units inspect and the web app use (a small file read "0.00 MB" before)', async () => {
    const output = join(io.root, 'out.safetensors');
    expect(await runCli(['convert', input, '-o', output, '--to', 'kohya'])).toBe(0);
    const size = formatBytes((await lstat(output)).size);
    expect(size).toMatch(/^\d+(\.\d)? kB$/);
    expect(io.stdout).toContain(`  wrote ${output} (${size}, 3 tensors)`);
  });
});

describe('inspect of a file with no tensors', () => {
  it('exits 0 (as for any readable file that is no LoRA) and says PROBLEM for every loader', async () => {
    const file = join(io.root, 'empty.safetensors');
    await writeSafetensors(file, [], { ss_output_name: 'x' });
    expect(await runCli(['inspect', file])).toBe(0);
    expect(io.stdout).not.toMatch(/ ok: /);
    expect(io.stdout.match(/PROBLEM: 0 keys mapped/g)).toHaveLength(3);
    expect(io.stdout).toContain('holds no tensors');
  });
});

describe('a bad adapter_config.json', () => {
  it('is refused in words with its value and the fix (before: zod\'s "r: Too small: expected number to be >0")', async () => {
    const peft = join(io.root, 'peft-in');
    expect(await runCli(['convert', input, '-o', peft, '--to', 'peft'])).toBe(0);
    const config = join(peft, 'adapter_config.json');
    const weights = join(peft, 'adapter_model.safetensors');
    const cases: [Record<string, unknown>, string][] = [
      [{ r: 0 }, 'r: must be greater than 0, got 0. Fix adapter_config.json.'],
      [{ lora_alpha: '8' }, 'lora_alpha: expected a number, got "8". Fix adapter_config.json.'],
    ];
    for (const [fields, words] of cases) {
      await writeFile(config, JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 4, ...fields }));
      for (const argv of [
        ['convert', weights, '-o', join(io.root, 'out.safetensors'), '--to', 'kohya', '--overwrite'],
        ['inspect', weights],
      ]) {
        io.stderr = '';
        expect(await runCli(argv)).not.toBe(0);
        expect(io.stderr).toContain(`${config}: ${words}`);
        expect(io.stderr).toContain('[TL_ERR_LORA_FORMAT]');
        expect(io.stderr).not.toContain('Too small');
        expect(io.stderr).not.toContain('Invalid input');
      }
    }
  });
});
