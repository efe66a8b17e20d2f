// test/server-lora-delete-run.test.ts — DELETE /api/loras/:id of a trained LoRA also removes the weights its run
// kept (the PEFT adapter, the text encoder's, every checkpoint, a remote worker's checkpoint zip) and keeps what the
// Train page shows (samples) and the rest of the job's folder; an uploaded LoRA has no run folder, so only its file
// goes; refused (409, in words) while the train job that made it has not ended.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraUploadRelPath } from '../src/jobs/data-layout.js';
import { createCharacter, appsClosedAfterEach } from './helpers/test-apps.js';
import { RUN_KEPT_FILES, RUN_WEIGHT_FILES, trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-delete-run');

function write(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x');
}

describe('DELETE /api/loras/:id and the run folder of a trained LoRA', () => {
  it('removes the run’s adapters and checkpoints; keeps its samples and everything outside the run folder', async () => {
    const app = await makeApp();
    const { train, lora, file, runDir } = await trainedLora(app, 'Mina', { runFiles: true });
    write(join(runDir, 'worker-checkpoint-step-000010.zip'));
    const jobDir = dirname(runDir);
    const outside = [
      join(jobDir, 'train-data', '10_mina_tl girl', 'a.png'),
      join(jobDir, 'other', 'adapter_model.safetensors'),
      join(jobDir, 'adapter_model.safetensors'),
    ];
    for (const path of outside) write(path);
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(file)).toBe(false);
    // before: the adapter, the text encoder's and the checkpoint's weights stayed
    for (const name of [...RUN_WEIGHT_FILES, 'mina.fp16.safetensors'])
      expect(existsSync(join(runDir, name)), name).toBe(false);
    expect(existsSync(join(runDir, 'checkpoints'))).toBe(false);
    expect(existsSync(join(runDir, 'text_encoder'))).toBe(false);
    expect(existsSync(join(runDir, 'worker-checkpoint-step-000010.zip'))).toBe(false);
    for (const name of [...RUN_KEPT_FILES, 'sample-0001.png'])
      expect(existsSync(join(runDir, name)), name).toBe(true);
    for (const path of outside) expect(existsSync(path), path).toBe(true);
    expect(app.jobStore.getJob(train.id).status).toBe('succeeded');
  });

  it('removes only the file of an uploaded LoRA (it has no run folder)', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const rel = loraUploadRelPath(characterId, 'f1');
    const file = join(app.dataDir, rel);
    write(file);
    const besides = ['adapter_model.safetensors', 'checkpoints/step-000010/adapter_model.safetensors'];
    for (const name of besides) write(join(dirname(file), name));
    const lora = app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'lora',
      name: 'up',
      path: rel,
      meta: {},
    });
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(file)).toBe(false);
    for (const name of besides) expect(existsSync(join(dirname(file), name)), name).toBe(true);
  });

  it.each(['running', 'queued'] as const)(
    'is refused in words while the train job that made it is %s, and keeps everything',
    async (status) => {
      const app = await makeApp();
      const { characterId, train, lora } = await trainedLora(app, 'Mina', { runFiles: true });
      // a job resumed after its LoRA was recorded (status goes back through queued), or one still ending
      const job = app.jobStore.createJob('train', characterId, {});
      app.jobStore.transition(job.id, 'running');
      if (status === 'queued') {
        app.jobStore.transition(job.id, 'cancelled');
        app.jobStore.transition(job.id, 'queued');
      }
      const path = `jobs/${job.id}/mina/mina.safetensors`;
      write(join(app.dataDir, path));
      const own = app.catalog.addArtifact({
        characterId,
        jobId: job.id,
        kind: 'lora',
        name: 'mina',
        path,
        meta: {},
      });
      const res = await app.inject({ method: 'DELETE', url: `/api/loras/${own.id}` });
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error.message).toBe(
        `LoRA mina (${own.id}) was made by train job ${job.id}, which is ${status}: it is still writing its run ` +
          'folder. Wait for it to end (or cancel it), then delete the LoRA.',
      );
      expect(res.json().error.details).toEqual({ jobIds: [job.id] });
      expect(existsSync(join(app.dataDir, path))).toBe(true);
      expect(app.catalog.getArtifact(own.id).id).toBe(own.id);
      // the other job's LoRA (its job succeeded) is not held by it
      const other = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
      expect(other.statusCode, other.body).toBe(204);
      expect(app.jobStore.getJob(train.id).status).toBe('succeeded');
    },
  );
});
