// Tests for inspect.ts on a training run folder: it shows the training record of the run's own kohya file
// (`<run>/<run>.safetensors`), the same record convert carries. Before, `inspect <run>` showed
// "metadata: 1 keys (format)" and no trigger, while `convert <run>` wrote trigger, base and tags from that file.
// A run folder itself is inspected by that kohya file (the loaders' verdicts are the file they load).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-inspect-run-');
const modules = sd15AttentionModules().slice(0, 2);

/** A run folder as train leaves it: the PEFT adapter, a checkpoint of it, and `<run>/<run>.safetensors`. */
async function runFolder(name: string): Promise<string> {
  const run = join(tempDir(), name);
  const tensors = makePeftTensors({ modules, rank: 4, seed: 31 });
  await writePeftFolder(run, tensors, { r: 4, lora_alpha: 4 });
  await writePeftFolder(join(run, 'checkpoints', 'step-000050'), tensors, { r: 4, lora_alpha: 4 });
  await convertLora({
    input: run,
    output: join(run, `${name}.safetensors`),
    trainingFacts: {
      outputName: name,
      steps: 100,
      epochs: 2,
      trigger: 'sks',
      baseModel: 'anything-v5',
      captionsByFolder: { '10_sks girl': ['sks, 1girl, smile', 'sks, 1girl'] },
    },
  });
  return run;
}

describe('inspect of a run folder', () => {
  it("shows the run's kohya-file record: trigger, base, tags; the adapter file and a checkpoint alike", async () => {
    const run = await runFolder('hero');
    const reader = await openSafetensors(join(run, 'hero.safetensors'));
    const recorded = reader.header.metadata;
    await reader.close();
    for (const input of [run, join(run, 'adapter_model.safetensors')]) {
      const result = await inspectLora(input);
      expect(result.metadata).toMatchObject({
        // the adapter's own key stays (the run folder is its kohya file, which has its own)
        ...(input === run ? {} : { format: 'pt' }),
        'modelspec.trigger_phrase': 'sks',
        ss_sd_model_name: recorded.ss_sd_model_name,
        ss_steps: '100',
      });
      expect(result).toMatchObject({ trigger: 'sks', triggerSource: 'modelspec' });
      expect(result.topTags.map((t) => t.tag)).toEqual(['1girl', 'sks', 'smile']);
      expect(result.warnings.filter((w) => w.includes('could not be read'))).toEqual([]);
    }
    const checkpoint = await inspectLora(join(run, 'checkpoints', 'step-000050'));
    expect(checkpoint.metadata).toMatchObject({ ss_steps: '50', 'modelspec.trigger_phrase': 'sks' });
    expect(checkpoint.metadata.ss_training_finished_at).toBeUndefined();
  });

  it("a run folder is inspected by its kohya file: the loaders' verdicts are that file's, the PEFT adapter named beside it", async () => {
    // Before, `inspect <run>` read adapter_model.safetensors: a1111 / comfyui / diffusers PROBLEM (0 keys mapped)
    // and "convert --to diffusers / kohya", though <run>/<run>.safetensors in that folder loads in all three.
    const run = await runFolder('villain');
    const result = await inspectLora(run);
    expect(result.file).toBe(join(run, 'villain.safetensors'));
    expect(result.format).toBe('kohya');
    expect(result.runFolder).toEqual({ folder: run, adapter: join(run, 'adapter_model.safetensors') });
    expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', true],
    ]);
    const text = formatInspection(result);
    expect(text).toContain(`run folder ${run}: inspected its kohya file`);
    expect(text).toContain(`${join(run, 'adapter_model.safetensors')}, is for PEFT and train --resume`);
    expect(text).not.toContain('PROBLEM');
    // the adapter file itself is still inspected as what it is (PEFT keys), and a checkpoint folder too
    expect((await inspectLora(join(run, 'adapter_model.safetensors'))).format).toBe('peft');
    const checkpoint = await inspectLora(join(run, 'checkpoints', 'step-000050'));
    expect(checkpoint.format).toBe('peft');
    expect(checkpoint.runFolder).toBeUndefined();
  });

  it('a PEFT folder that is no run (no kohya file beside it) shows only its own metadata', async () => {
    const folder = join(tempDir(), 'plain');
    await writePeftFolder(folder, makePeftTensors({ modules, rank: 4, seed: 2 }), { r: 4, lora_alpha: 4 });
    const result = await inspectLora(folder);
    expect(Object.keys(result.metadata)).toEqual(['format']);
    expect(result.trigger).toBeUndefined();
  });
});
