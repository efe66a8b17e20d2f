// test/demo-e2e.test.ts — the README's main command, `./toonlora demo`, end to end on the bundled
// examples (tiny base, a few steps): prep -> train -> kohya file -> generate, as a user runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('toonlora demo', () => {
  it('runs the whole chain offline and reports every artifact', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'toonlora-demo-')), 'run');
    const run = spawnSync('./toonlora', ['demo', '--out', out, '--base', 'tiny', '--steps', '4', '--json'], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.baseModel).toBe('tiny');
    expect(result.prep.crops).toBeGreaterThanOrEqual(4);
    expect(readdirSync(result.prep.datasetDir).filter((f: string) => f.endsWith('.txt')).length).toBe(
      result.prep.crops,
    );
    expect(result.training.steps).toBe(4);
    expect(existsSync(result.training.kohyaFile)).toBe(true);
    expect(result.lora.format).toBe('kohya');
    expect(result.lora.compatibility.every((v: { ok: boolean }) => v.ok)).toBe(true);
    expect(result.images.images).toHaveLength(4);
    for (const image of result.images.images) expect(existsSync(image)).toBe(true);
    expect(run.stderr).toMatch(/demo 3\/4: train on/);
  }, 600_000);
});
