// Tests for inspect.ts on a training run folder: it shows the training record of the run's own kohya file
// (`<run>/<run>.safetensors`), the same record convert carries. Before, `inspect <run>` showed
// "metadata: 1 keys (format)" and no trigger, while `convert <run>` wrote trigger, base and tags from that file.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
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
        format: 'pt', // the adapter's own key stays
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

  it('a PEFT folder that is no run (no kohya file beside it) shows only its own metadata', async () => {
    const folder = join(tempDir(), 'plain');
    await writePeftFolder(folder, makePeftTensors({ modules, rank: 4, seed: 2 }), { r: 4, lora_alpha: 4 });
    const result = await inspectLora(folder);
    expect(Object.keys(result.metadata)).toEqual(['format']);
    expect(result.trigger).toBeUndefined();
  });
});
