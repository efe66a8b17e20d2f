// web/src/components/prep-stages.test.tsx — a finished prep's stage choices on the Upload page (rendered to
// markup): a reason's model pull and the no-tags warning link the Models page.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PrepCaptionWarning, PrepStagesUsed } from './prep-stages.js';

const result = {
  stages: {
    segmenter: { name: 'classic', reason: 'auto: its weights are in the model cache' },
    captioner: {
      name: 'none',
      reason:
        'auto: no captioner weights downloaded, captions are the trigger and class words; `toonlora models pull wd-vit-tagger-v3` adds tags',
      reasonParts: [
        'auto: no captioner weights downloaded, captions are the trigger and class words; ',
        { kind: 'pull-model', id: 'wd-vit-tagger-v3' },
        ' adds tags',
      ],
    },
  },
};

describe('a prep result on the Upload page', () => {
  it("links the Models page a stage reason's pull names", () => {
    const html = renderToStaticMarkup(<PrepStagesUsed result={result} />);
    expect(html).toContain(
      '<li>captions: <b>none</b><span class="muted"> (auto: no captioner weights downloaded, captions are the trigger and class words; pulling wd-vit-tagger-v3 on the <a href="#/models">Models page</a> adds tags)</span></li>',
    );
    expect(html).toContain(
      '<li>character cut-out: <b>classic</b><span class="muted"> (auto: its weights are in the model cache)</span></li>',
    );
    expect(renderToStaticMarkup(<PrepCaptionWarning result={result} />)).toContain(
      'pulling wd-vit-tagger-v3 on the <a href="#/models">Models page</a> adds tags',
    );
  });
  it('shows nothing without stages, or with captions', () => {
    expect(renderToStaticMarkup(<PrepStagesUsed result={{ datasetId: 'd1' }} />)).toBe('');
    const tagged = { stages: { captioner: { name: 'wd14', reason: 'auto' } } };
    expect(renderToStaticMarkup(<PrepCaptionWarning result={tagged} />)).toBe('');
  });
});
