// test/helpers/kohya-lora-file.ts — a small SD1.5 kohya LoRA file's bytes (one attention module, rank 4), made from
// a PEFT folder by convertLora: what the LoRA page's upload takes as a LoRA made elsewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertLora } from '../../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../../src/lora/lora-fixtures.js';
import { tempDataDir } from './server-fixtures.js';

/** The bytes of `<name>.safetensors`, made in a temporary folder labelled `label`. */
export async function kohyaLoraFile(label: string, name: string): Promise<Buffer> {
  const work = tempDataDir(label);
  const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writePeftFolder(join(work, 'peft'), makePeftTensors({ modules, rank: 4, seed: 7 }), {
    r: 4,
    lora_alpha: 4,
    target_modules: ['to_q'],
  });
  const output = join(work, `${name}.safetensors`);
  await convertLora({ input: join(work, 'peft'), output, to: 'kohya' });
  return readFileSync(output);
}
