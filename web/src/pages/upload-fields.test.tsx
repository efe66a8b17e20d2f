// web/src/pages/upload-fields.test.tsx — the Upload page's prep field labels (rendered to markup) are the words the
// stage reasons and the warning before Build name those fields by: a label written on the page alone would drift;
// and its drop zone says the minimum shorter side an upload takes.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PREP_FIELD_LABELS, PREP_FIELDS } from '../../../src/prep-field-labels.js';
import { webReason } from '../../../src/jobs/web-stage-words.js';
import { prepModelWarnings } from '../components/prep-model-warnings.js';
import { UploadPage } from './upload.js';

const CHARACTER = {
  id: 'c1',
  name: 'Mina',
  trigger: 'mina',
  classWord: 'girl',
  createdAt: '2026-01-01T00:00:00.000Z',
} as Parameters<typeof UploadPage>[0]['character'];

/** Each prep field's label on the rendered page, by its select's name. */
function pageLabels(): Record<string, string> {
  const html = renderToStaticMarkup(<UploadPage character={CHARACTER} onError={() => {}} />);
  const options = /data-testid="prep-options">(.*?)<\/div>/s.exec(html)?.[1] ?? '';
  return Object.fromEntries(
    [...options.matchAll(/<label>([^<]*)<select name="([^"]+)"/g)].map((m) => [m[2], m[1]]),
  );
}

describe('the Upload page names its prep fields as the web words do', () => {
  it('each select is labelled by its field label', () => {
    expect(pageLabels()).toEqual(PREP_FIELD_LABELS);
  });

  it("a stage reason's prep option and the warning before Build use the page's label", () => {
    const labels = pageLabels();
    for (const field of PREP_FIELDS) {
      expect(webReason([{ kind: 'prep-option', option: field, value: 'v' }])).toBe(`${labels[field]} "v"`);
    }
    const warnings = prepModelWarnings(
      { characters: 'all', segmenter: 'u2net', inpainter: 'lama', captioner: 'blip' },
      [],
    );
    expect(warnings.map((text) => text.slice(0, text.indexOf(' "')))).toEqual(
      PREP_FIELDS.map((field) => labels[field]),
    );
  });
});

describe("the Upload page's drop zone", () => {
  it("says the minimum shorter side before anything is sent (the server's default until its limits arrive)", () => {
    const html = renderToStaticMarkup(<UploadPage character={CHARACTER} onError={() => {}} />);
    const dropzone = /data-testid="dropzone"[^>]*>(.*?)<\/button>/s.exec(html)?.[1] ?? '';
    expect(dropzone.replace(/<!-- -->/g, '')).toContain('at least 64 px on the shorter side');
  });
});
