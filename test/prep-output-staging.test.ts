// test/prep-output-staging.test.ts — runPrep's staging folder: a killed run's leftovers are cleared by the next
// run, and a folder another live prep run is staging into is refused (set-up in helpers/prep-output-setup.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

describe('runPrep output folder checks', () => {
  it('a killed run leaves only its staging folder, which the next run clears; --overwrite after it replaces nothing else', async () => {
    const killed = join(root, 'killed');
    mkdirSync(join(killed, '.toonlora-prep-staging', '10_sks girl'), { recursive: true });
    writeFileSync(join(killed, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'x');
    const next = await runPrep({
      inputs: [drawn.panel],
      outDir: killed,
      config: { trigger: 'alice' },
      cache: emptyCache,
    });
    expect(readdirSync(killed).sort()).toEqual(['10_alice girl', 'manifest.json']);
    expect(next.manifest.summary.crops).toBeGreaterThan(0);
    // a previous run's dataset survives a run killed after it, and --overwrite then replaces it whole
    mkdirSync(join(killed, '.toonlora-prep-staging', '10_bob girl'), { recursive: true });
    const third = await runPrep({
      inputs: [drawn.panel],
      outDir: killed,
      config: { trigger: 'bob' },
      overwrite: true,
      cache: emptyCache,
    });
    expect(readdirSync(killed).sort()).toEqual(['10_bob girl', 'manifest.json']);
    expect(third.manifest.datasetDir).toBe('10_bob girl');
  }, 60_000);

  it("refuses a folder another live prep run is staging into, and takes over a dead run's", async () => {
    const out = join(root, 'live-staging');
    mkdirSync(join(out, '.toonlora-prep-staging', '10_sks girl'), { recursive: true });
    writeFileSync(join(out, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'x');
    // a live process that is not this one: the parent (the vitest runner)
    writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), `${process.ppid}\n`);
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message: expect.stringContaining(
        `another prep run (process ${process.ppid}) is writing into this folder`,
      ),
    });
    expect(readFileSync(join(out, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'utf8')).toBe('x');
    // on Linux, a live process that is not Node (the id reused after a reboot) does not hold the folder
    if (process.platform === 'linux') {
      const { spawn } = await import('node:child_process');
      const sleeper = spawn('sleep', ['30']);
      try {
        writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), `${sleeper.pid}\n`);
        const taken = await runPrep({
          inputs: [drawn.panel],
          outDir: join(out),
          overwrite: true,
          cache: emptyCache,
        });
        expect(taken.manifest.summary.crops).toBeGreaterThan(0);
      } finally {
        sleeper.kill();
      }
      rmSync(out, { recursive: true, force: true });
      mkdirSync(join(out, '.toonlora-prep-staging'), { recursive: true });
    }
    // a pid no process has: a killed run's leftovers, cleared
    writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), '2147483646\n');
    const run = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache });
    expect(run.manifest.summary.crops).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['10_sks girl', 'manifest.json']);
  }, 60_000);
});
