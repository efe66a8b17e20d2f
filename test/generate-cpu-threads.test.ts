// test/generate-cpu-threads.test.ts — `generate` refuses a TOONLORA_CPU_THREADS that is not a positive whole number
// before the base is checked or the worker starts, in train's words. Before, generate did not look at it: the worker
// refused it only once it had loaded the base (a minute of loading on a real base).
import { describe, expect, it } from 'vitest';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

// empty model homes: anything-v5 (the default base) is not pulled, so a run that gets past the check says that
const { root, env } = emptyModelHomes('tl-generate-cpu-threads-');

describe('generate checks TOONLORA_CPU_THREADS before any model loads', () => {
  it('refuses a bad value in the words train uses, before the base; a good one goes on to the base', async () => {
    const generate = (threads: string) =>
      runToonlora(['generate', '--prompt', 'x', '-o', 'out'], {
        env: { ...env, TOONLORA_CPU_THREADS: threads },
        cwd: root,
        timeout: 120_000,
      });
    const [bad, zero, good] = await Promise.all([generate('1.5'), generate('0'), generate('2')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'toonlora generate: TOONLORA_CPU_THREADS: expected a positive whole number of CPU threads, got "1.5". Unset it to let toonlora choose. [TL_ERR_CONFIG]\n',
    );
    expect(zero.stderr).toContain(
      'TOONLORA_CPU_THREADS: expected a positive whole number of CPU threads, got "0".',
    );
    // a good value passes the check: the next one, the base that is not pulled, is the error
    expect(good.code).not.toBe(0);
    expect(good.stderr).not.toContain('TOONLORA_CPU_THREADS');
    expect(good.stderr).toContain('anything-v5');
  }, 180_000);
});
