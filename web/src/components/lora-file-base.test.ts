import { describe, expect, it } from 'vitest';
import { generateBase } from './generate-form.js';
import { loraFileBase, loraFileBaseNote } from './lora-file-base.js';

const choices = [
  { name: 'tiny', aliases: ['tiny'], present: true, description: 'a small random-weight model' },
  {
    name: 'anything-v5',
    aliases: ['anything-v5', 'stablediffusionapi/anything-v5'],
    present: false,
    description: 'anime SD1.5',
  },
  { name: 'owner/toon-sd15', aliases: ['owner/toon-sd15'], present: true, description: 'Hub base' },
];

describe('loraFileBase', () => {
  it("finds the base an uploaded LoRA's metadata names among the server's present bases", () => {
    expect(loraFileBase({ ss_sd_model_name: 'tiny' }, choices)).toEqual({ named: 'tiny', onServer: 'tiny' });
    expect(loraFileBase({ ss_sd_model_name: '/models/owner/toon-sd15' }, choices)).toEqual({
      named: '/models/owner/toon-sd15',
      onServer: null,
    });
    expect(loraFileBase({ ss_sd_model_name: 'owner/toon-sd15' }, choices)?.onServer).toBe('owner/toon-sd15');
    // named but not downloaded: not taken
    expect(loraFileBase({ ss_sd_model_name: 'stablediffusionapi/anything-v5' }, choices)).toEqual({
      named: 'stablediffusionapi/anything-v5',
      onServer: null,
    });
    expect(loraFileBase({}, choices)).toBe(null);
    expect(loraFileBase(undefined, choices)).toBe(null);
  });

  it("makes it the Generate form's base (was the server's default, not downloaded), and says so", () => {
    const upload = { meta: { uploaded: true } };
    const found = loraFileBase({ ss_sd_model_name: 'tiny' }, choices);
    expect(generateBase({ baseModel: '' }, upload, found?.onServer ?? null)).toEqual({
      baseModel: 'tiny',
      name: 'tiny',
      source: 'file',
    });
    // typed, or trained here: those still win
    expect(generateBase({ baseModel: 'x' }, upload, 'tiny').source).toBe('form');
    expect(generateBase({ baseModel: '' }, { meta: { baseModel: 'y' } }, 'tiny').source).toBe('lora');
    expect(loraFileBaseNote({ named: 'tiny', onServer: 'tiny' }, 'anything-v5').text).toBe(
      "Base tiny: the one this LoRA file's metadata says it was trained on (on the server).",
    );
    expect(loraFileBaseNote({ named: 'sd-xyz', onServer: null }, 'anything-v5')).toEqual({
      text: "This LoRA file's metadata names base sd-xyz, which the server does not have: it generates on anything-v5 unless you type another.",
      warn: true,
    });
  });
});
