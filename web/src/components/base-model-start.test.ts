// web/src/components/base-model-start.test.ts — a fresh Train form starts on a base the server can run.
import { describe, expect, it } from 'vitest';
import type { BaseModelChoice } from '../../../src/schemas/api.js';
import { startingBaseModel } from './base-model-start.js';

const anything = (present: boolean): BaseModelChoice => ({
  name: 'anything-v5',
  aliases: ['anything-v5', 'stablediffusionapi/anything-v5'],
  present,
  description: 'Anything V5',
});
const tiny: BaseModelChoice = {
  name: 'tiny',
  aliases: ['tiny'],
  present: true,
  description: 'a small model',
};

describe('startingBaseModel', () => {
  it('starts on tiny when the default is not downloaded, and says why and how to get it', () => {
    const start = startingBaseModel('stablediffusionapi/anything-v5', [anything(false), tiny]);
    expect(start?.baseModel).toBe('tiny');
    expect(start?.note.warn).toBe(true);
    expect(start?.note.text).toContain('anything-v5, is not downloaded on the server');
    expect(start?.note.text).toContain('To train on it, pull it on the Models page and pick it here.');
    expect(start?.note.text).not.toContain('toonlora');
  });
  it('keeps the default when it is downloaded, unknown to the list, or nothing else can run', () => {
    expect(startingBaseModel('stablediffusionapi/anything-v5', [anything(true), tiny])).toBeNull();
    expect(startingBaseModel('someone/other-model', [anything(false), tiny])).toBeNull();
    expect(startingBaseModel('anything-v5', [anything(false)])).toBeNull();
    expect(startingBaseModel('anything-v5', [])).toBeNull();
  });
  it('starts on a complete Hub-id base the server lists before tiny, when the default is not downloaded', () => {
    const hub: BaseModelChoice = {
      name: 'someone/toon-sd15',
      aliases: ['someone/toon-sd15'],
      present: true,
      description: 'SD1.5 base pulled from the Hugging Face Hub (diffusers layout)',
    };
    const start = startingBaseModel('anything-v5', [anything(false), hub, tiny]);
    expect(start?.baseModel).toBe('someone/toon-sd15');
    expect(start?.note.text).toContain('The form starts on someone/toon-sd15 (SD1.5 base pulled');
  });
});
