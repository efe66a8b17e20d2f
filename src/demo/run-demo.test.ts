import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_MODEL } from '../schemas/config.js';
import { chooseDemoBase } from './run-demo.js';

describe('chooseDemoBase', () => {
  it('auto trains the real anime base only when its weights are cached', () => {
    expect(chooseDemoBase(undefined, true)).toEqual({ base: DEFAULT_BASE_MODEL, plan: 'real' });
    expect(chooseDemoBase('auto', false)).toEqual({ base: 'tiny', plan: 'tiny' });
  });
  it('an explicit base is taken as asked', () => {
    expect(chooseDemoBase('tiny', true)).toEqual({ base: 'tiny', plan: 'tiny' });
    expect(chooseDemoBase('/models/my.safetensors', false)).toEqual({
      base: '/models/my.safetensors',
      plan: 'real',
    });
  });
});
