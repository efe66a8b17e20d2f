// web/src/components/prep-stages.test.tsx — a finished prep's stage choices on the Upload page (rendered to
// markup): a reason's model pull and the no-tags warning link the Models page.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AUTO_WEIGHTS_CACHED, CAPTIONER_NOT_DOWNLOADED } from '../../../src/prep/auto-stage-reasons.js';
import { cliReason, stageChoice } from '../../../src/stage-reason.js';
import { PrepCaptionWarning, PrepStagesUsed } from './prep-stages.js';

// built as src/prep/stage-registry.ts records them, so a reworded reason is the one tested
const result = {
  stages: {
    segmenter: stageChoice('isnet-anime', [AUTO_WEIGHTS_CACHED]),
    captioner: stageChoice('none', CAPTIONER_NOT_DOWNLOADED),
  },
};
/** The captioner's reason as the page shows it: the CLI's pull command as a link to the Models page. */
const captionerOnPage = cliReason(CAPTIONER_NOT_DOWNLOADED).replace(
  '`toonlora models pull wd-vit-tagger-v3`',
  'pulling wd-vit-tagger-v3 on the <a href="#/models">Models page</a>',
);

describe('a prep result on the Upload page', () => {
  it("links the Models page a stage reason's pull names", () => {
    const html = renderToStaticMarkup(<PrepStagesUsed result={result} />);
    expect(html).toContain(`<li>captions: <b>none</b><span class="muted"> (${captionerOnPage})</span></li>`);
    expect(html).toContain(
      `<li>character cut-out: <b>isnet-anime</b><span class="muted"> (${AUTO_WEIGHTS_CACHED})</span></li>`,
    );
    expect(captionerOnPage).toContain('pulling wd-vit-tagger-v3 on the <a href="#/models">Models page</a>');
    expect(renderToStaticMarkup(<PrepCaptionWarning result={result} />)).toContain(`(${captionerOnPage})`);
  });
  it('shows nothing without stages, or with captions', () => {
    expect(renderToStaticMarkup(<PrepStagesUsed result={{ datasetId: 'd1' }} />)).toBe('');
    const tagged = { stages: { captioner: stageChoice('wd14', [AUTO_WEIGHTS_CACHED]) } };
    expect(renderToStaticMarkup(<PrepCaptionWarning result={tagged} />)).toBe('');
  });
});
