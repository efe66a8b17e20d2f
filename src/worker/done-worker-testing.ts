// src/worker/done-worker-testing.ts — a stand-in train worker (node, no Python) for tests of runTraining: it reads
// its request to the end, leaves the files a finished run leaves in the run folder and answers `done`.
import { join } from 'node:path';
import { PROTOCOL_VERSION } from './protocol.js';
import type { WorkerSpawn } from './python-worker.js';

/**
 * A worker of a run of `steps` steps that copies the adapter in `adapterDir` into `runDir` and answers `done`;
 * with `marker`, it first writes that file and the final checkpoint (as the trainer does: the checkpoint, then
 * the adapter).
 */
export function doneWorker(adapterDir: string, runDir: string, steps: number, marker?: string): WorkerSpawn {
  const checkpoint = join(runDir, 'checkpoints', `step-${String(steps).padStart(6, '0')}`);
  const line = JSON.stringify({
    version: PROTOCOL_VERSION,
    type: 'done',
    artifacts: {
      adapter: join(runDir, 'adapter_model.safetensors'),
      adapter_config: join(runDir, 'adapter_config.json'),
      checkpoint,
      trained_images: [],
    },
    stats: { steps, epochs: 1, images: 1, lora_modules: 8, trainable_params: 100, seconds: 1 },
    facts: {
      folders: [],
      triggers: [],
      images: 1,
      images_with_repeats: 1,
      mixed_precision: 'no',
      prediction_type: 'epsilon',
      optimizer: 'torch.optim.adamw.AdamW',
      max_grad_norm: 1,
      max_token_length: 75,
      bucket_info: null,
    },
  });
  const before =
    marker === undefined
      ? ''
      : `fs.writeFileSync(${JSON.stringify(marker)}, 'ran'); ` +
        `fs.mkdirSync(${JSON.stringify(checkpoint)}, { recursive: true }); ` +
        `fs.writeFileSync(${JSON.stringify(join(checkpoint, 'training_state.pt'))}, 'state'); `;
  const script =
    `process.stdin.resume().on('end', () => { const fs = require('node:fs'); ${before}` +
    `fs.cpSync(${JSON.stringify(adapterDir)}, ${JSON.stringify(runDir)}, { recursive: true }); ` +
    `process.stdout.write(${JSON.stringify(line)} + '\\n'); })`;
  return { command: process.execPath, args: ['-e', script], cwd: process.cwd() };
}
