// src/worker/run-folder.test.ts — a run folder a new `train` (no --resume) would write over is refused, naming what:
// incomplete checkpoint folders and the user's files of the names the run writes; an earlier run's samples are moved
// aside, never written over; -o inside the dataset warns.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNoEarlierRun, runInsideDatasetWarning, setAsideEarlierSamples } from './run-folder.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tl-run-folder-'));
}

describe('checkNoEarlierRun', () => {
  it('refuses incomplete checkpoint folders (no training_state.pt) that the run would write over', () => {
    const runDir = tempDir();
    const folder = join(runDir, 'checkpoints', 'step-000010');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'adapter_model.safetensors'), 'w');
    mkdirSync(join(runDir, 'checkpoints', '.step-000012.partial')); // not a checkpoint
    expect(() => checkNoEarlierRun(runDir)).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_OUTPUT_EXISTS',
        message: `${runDir}: holds incomplete checkpoint folders of an earlier run (${folder}: no training_state.pt), which this run would write over. Move them out of the checkpoints folder, or choose another -o.`,
      }),
    );
  });

  it.each(['adapter_config.json', join('text_encoder', 'adapter_config.json')])(
    'refuses a %s of the user in -o instead of replacing it',
    (file) => {
      const runDir = tempDir();
      mkdirSync(join(runDir, 'text_encoder'));
      writeFileSync(join(runDir, file), 'mine');
      expect(() => checkNoEarlierRun(runDir)).toThrow(
        expect.objectContaining({
          code: 'TL_ERR_OUTPUT_EXISTS',
          message: `${join(runDir, file)}: already exists, and this run would write over it. Move that file away, or choose another -o.`,
        }),
      );
    },
  );

  it('accepts an empty folder and one holding only samples', () => {
    const runDir = tempDir();
    expect(() => checkNoEarlierRun(runDir)).not.toThrow();
    mkdirSync(join(runDir, 'samples'));
    writeFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'png');
    expect(() => checkNoEarlierRun(runDir)).not.toThrow();
  });
});

describe('setAsideEarlierSamples', () => {
  it("moves an earlier run's samples to the first free samples-earlier folder, saying so, and loses none", () => {
    const runDir = tempDir();
    expect(setAsideEarlierSamples(runDir)).toBeNull(); // no samples folder
    mkdirSync(join(runDir, 'samples'));
    expect(setAsideEarlierSamples(runDir)).toBeNull(); // an empty one stays
    expect(existsSync(join(runDir, 'samples'))).toBe(true);
    writeFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'first run');
    writeFileSync(join(runDir, 'samples', 'notes.txt'), 'mine');
    expect(setAsideEarlierSamples(runDir)).toBe(
      `${join(runDir, 'samples')} held 2 file(s) of an earlier run that stopped before its first checkpoint (nothing ` +
        `to resume): moved to ${join(runDir, 'samples-earlier')}, so this run's sample images write over none of them`,
    );
    expect(existsSync(join(runDir, 'samples'))).toBe(false);
    expect(readFileSync(join(runDir, 'samples-earlier', 'step-000002-0-seed42.png'), 'utf8')).toBe(
      'first run',
    );
    expect(readFileSync(join(runDir, 'samples-earlier', 'notes.txt'), 'utf8')).toBe('mine');
    mkdirSync(join(runDir, 'samples'));
    writeFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'second run');
    expect(setAsideEarlierSamples(runDir)).toContain(`moved to ${join(runDir, 'samples-earlier-2')},`);
    expect(readFileSync(join(runDir, 'samples-earlier-2', 'step-000002-0-seed42.png'), 'utf8')).toBe(
      'second run',
    );
    expect(readFileSync(join(runDir, 'samples-earlier', 'step-000002-0-seed42.png'), 'utf8')).toBe(
      'first run',
    );
  });
});

describe('runInsideDatasetWarning', () => {
  it('warns when -o is the dataset folder or inside it, not when it is beside it', () => {
    const root = tempDir();
    const dataset = join(root, 'ds');
    expect(runInsideDatasetWarning(dataset, dataset)).toBe(
      `${dataset}: the run folder is the dataset folder ${dataset}, so the adapter, checkpoints and sample images are written among the training images. Choose an -o outside the dataset.`,
    );
    expect(runInsideDatasetWarning(join(dataset, '3_sks girl'), `${dataset}/`)).toContain(
      'the run folder is inside the dataset folder',
    );
    expect(runInsideDatasetWarning(join(root, 'run'), dataset)).toBeNull();
    expect(runInsideDatasetWarning(join(root, 'ds-run'), dataset)).toBeNull();
  });
});
