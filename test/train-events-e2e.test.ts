// test/train-events-e2e.test.ts — `toonlora train --events`: a JSON line per progress and checkpoint event then the
// result (a real tiny run), an error line when the run fails, and --events refused with --json.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainEventLineSchema } from '../src/worker/train-events.js';
import { execFileAsync, launcher, writeTinyDataset } from './helpers/tiny-training.js';

const root = mkdtempSync(join(tmpdir(), 'tl-train-events-e2e-'));
const dataset = join(root, 'dataset');

beforeAll(() => writeTinyDataset(dataset));

describe('toonlora train --events', () => {
  it('ends with an error line when the run fails, and refuses --events with --json', async () => {
    const missing = join(root, 'no-such-dataset');
    const failed = await execFileAsync(launcher, ['train', missing, '-o', join(root, 'r'), '--events']).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    const lines = failed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(trainEventLineSchema.parse(JSON.parse(lines[0] ?? ''))).toMatchObject({
      type: 'error',
      error: { code: 'TL_ERR_INPUT_NOT_FOUND', message: expect.stringContaining(missing) },
    });
    await expect(
      execFileAsync(launcher, ['train', missing, '-o', join(root, 'r'), '--events', '--json']),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Give only one') });
  }, 180_000);

  it('prints a JSON line per progress and checkpoint event, then the --json document as the last line', async () => {
    const config = join(root, 'events.json');
    writeFileSync(
      config,
      JSON.stringify({
        training: { resolution: 64, lora: { rank: 4 }, checkpointEverySteps: 1, sampleEverySteps: 0 },
      }),
    );
    const run = join(root, 'events-run');
    const { stdout } = await execFileAsync(launcher, [
      'train',
      dataset,
      '-o',
      run,
      '--base',
      'tiny',
      '--steps',
      '2',
      '--config',
      config,
      '--events',
    ]);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => trainEventLineSchema.parse(JSON.parse(line)));
    expect(
      lines.map((l) => (l.type === 'progress' || l.type === 'checkpoint' ? `${l.type} ${l.step}` : l.type)),
    ).toEqual(['progress 1', 'checkpoint 1', 'progress 2', 'checkpoint 2', 'result']);
    expect(lines.at(-1)).toMatchObject({
      type: 'result',
      result: { status: 'done', steps: 2, kohyaFile: join(run, 'events-run.safetensors') },
    });
  }, 120_000);
});
