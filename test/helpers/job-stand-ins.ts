// test/helpers/job-stand-ins.ts — stand-ins for the job tests through the API: a gate the test opens by hand,
// a fake train runner, polling until a value is reached, and a generate job submitted with a real (tiny) LoRA.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { JobContext } from '../../src/jobs/job-queue.js';
import { convertLora } from '../../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../../src/lora/lora-fixtures.js';
import { tempDataDir } from './server-fixtures.js';

/** A promise the test resolves by hand. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A stand-in train runner: `steps` progress events with a falling loss, a checkpoint per step. */
export function fakeTrain(options: { steps?: number; hold?: Promise<void>; calls?: JobContext[] } = {}) {
  return async (context: JobContext) => {
    options.calls?.push(context);
    const steps = options.steps ?? 3;
    for (let step = 1; step <= steps; step++) {
      context.progress({ step, total: steps, loss: 1 / step, itPerS: 2, etaS: steps - step });
      context.emit({ type: 'checkpoint', step, path: `ckpt-${step}` });
    }
    if (options.hold) {
      await Promise.race([
        options.hold,
        new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
      ]);
    }
    return { steps };
  };
}

/**
 * Reads `read()` every 10 ms until `ok` accepts it; throws with the last value after `timeoutMs`. New tests use
 * vi.waitFor; this stays only for test/server-remote-workers*.test.ts until they move to vi.waitFor too.
 */
export async function waitFor<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A character "Mina" (trigger mina_tl) and a LoRA row `mina.safetensors` of it; no file is written for the row. */
export function addCharacterWithLoraRow(app: FastifyInstance) {
  const characterId = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
  const lora = app.catalog.addArtifact({
    characterId,
    jobId: null,
    kind: 'lora',
    name: 'mina.safetensors',
    path: `loras/${characterId}.safetensors`,
  });
  return { characterId, lora };
}

/**
 * Creates a character with a LoRA (weights scale a LoRA: the API refuses them without one) and submits a generate
 * job sweeping it (tiny base); resolves to the inject response.
 */
export async function submitGenerateJob(
  app: FastifyInstance,
  generation: Record<string, unknown>,
  weights: number[],
) {
  const { characterId, lora } = addCharacterWithLoraRow(app);
  // a real (tiny) kohya file: the runner checks it before the stand-in worker gets its path
  const peft = join(tempDataDir('peft'), 'adapter');
  const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 1 }), {
    r: 4,
    lora_alpha: 4,
    target_modules: ['to_q'],
  });
  const loraFile = app.catalog.artifactFilePath(lora.id);
  mkdirSync(dirname(loraFile), { recursive: true });
  await convertLora({ input: peft, output: loraFile, to: 'kohya' });
  return app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: {
      kind: 'generate',
      characterId,
      params: { loraId: lora.id, generation: { baseModel: 'tiny', ...generation }, weights },
    },
  });
}
