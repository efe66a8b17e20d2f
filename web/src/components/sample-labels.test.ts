import { describe, expect, it } from 'vitest';
import { EMPTY_JOB_VIEW, jobViewAfter } from './job-view.js';
import { sampleLabel, sampleSettingsOf } from './sample-labels.js';

describe('sampleLabel', () => {
  it('tells the images of one step apart by seed (both read "step 5" before)', () => {
    const view = jobViewAfter(EMPTY_JOB_VIEW, {
      type: 'sample',
      step: 5,
      artifactIds: ['a', 'b'],
      urls: ['/a.png', '/b.png'],
    });
    const settings = sampleSettingsOf({ training: {} }); // the default seeds: 42 and 43
    expect(view.samples.map((s) => sampleLabel(s, settings).caption)).toEqual([
      'step 5 · seed 42',
      'step 5 · seed 43',
    ]);
    expect(sampleLabel(view.samples[1] as (typeof view.samples)[number], settings).alt).toBe(
      'sample at step 5, prompt 1, seed 43',
    );
  });

  it('names the prompt when a step has several, quoting the one the job set', () => {
    const settings = sampleSettingsOf({
      training: { samplePrompts: ['mina_tl girl', 'mina_tl girl, smile'], sampleSeeds: [7] },
    });
    expect(sampleLabel({ step: 10, index: 1, count: 2 }, settings)).toEqual({
      caption: 'step 10 · prompt 2 · seed 7',
      alt: 'sample at step 10, prompt 2 "mina_tl girl, smile", seed 7',
    });
    // three images for two seeds: not the settings' layout, so numbered
    expect(sampleLabel({ step: 10, index: 2, count: 3 }, sampleSettingsOf({})).caption).toBe(
      'step 10 · image 3 of 3',
    );
  });
});
