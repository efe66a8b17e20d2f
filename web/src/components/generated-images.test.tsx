// web/src/components/generated-images.test.tsx — the Generate page's image parts (rendered to markup): a
// weight sweep as a grid of full-size links with downloads, earlier generations folded, the timing line, and each
// image's Delete when the page offers one.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { EarlierImages, GenerationTimingLine, ImageGrid, imageDownloadName } from './generated-images.js';

const image = (id: string, seed: number, weight: number): Artifact => ({
  id,
  characterId: 'c1',
  jobId: 'j1',
  kind: 'image',
  name: `img-${id}`,
  meta: { seed, weight },
  createdAt: '2026-01-02T03:04:05.000Z',
  url: `/api/artifacts/${id}/file`,
});

describe('generated images', () => {
  it('lays a sweep out a column per weight and a row per seed, each image opening full size', () => {
    const html = renderToStaticMarkup(
      <ImageGrid images={[image('a', 1, 0.4), image('b', 1, 1), image('c', 2, 0.4), image('d', 2, 1)]} />,
    );
    expect(html).toContain('grid-template-columns:repeat(2, max-content)');
    expect(html.match(/<h4>/g)).toHaveLength(2);
    expect(html).toContain(
      '<a href="/api/artifacts/d/file" target="_blank" rel="noreferrer" title="Open the full-size image"><img src="/api/artifacts/d/file" alt="seed 2, weight 1"/></a>',
    );
    expect(html).toContain('download="img-d · job j1.png"');
  });
  it('downloads the same seed and weight of two generations under two names (both were "seed 1 · weight 0.8.png")', () => {
    const name = 'seed 1 · weight 0.8';
    const first = imageDownloadName({ ...image('a', 1, 0.8), name, jobId: '6f1c2d3e-aaaa-bbbb' });
    const second = imageDownloadName({ ...image('b', 1, 0.8), name, jobId: '9a8b7c6d-cccc-dddd' });
    expect(first).toBe('seed 1 · weight 0.8 · job 6f1c2d3e.png');
    expect(second).toBe('seed 1 · weight 0.8 · job 9a8b7c6d.png');
  });
  it('shows nothing without images, and earlier ones folded with their seed and weight', () => {
    expect(renderToStaticMarkup(<ImageGrid images={[]} />)).toBe('');
    expect(renderToStaticMarkup(<EarlierImages images={[]} />)).toBe('');
    const earlier = renderToStaticMarkup(<EarlierImages images={[image('e', 7, 0.7)]} />);
    expect(earlier).toContain('<summary>Earlier generations (1 image)</summary>');
    expect(earlier).toMatch(/alt="seed 7 · weight 0.7 · [^"]+" loading="lazy"/);
    const two = renderToStaticMarkup(<EarlierImages images={[image('e', 7, 0.7), image('f', 8, 0.7)]} />);
    expect(two).toContain('<summary>Earlier generations (2 images)</summary>');
  });
  it('gives each image a Delete named by its label when the page offers one, saying so while it is on its way', () => {
    const onDelete = () => {};
    const grid = renderToStaticMarkup(
      <ImageGrid
        images={[image('a', 1, 0.4), image('b', 2, 0.4)]}
        onDelete={onDelete}
        deleting={new Set(['b'])}
      />,
    );
    expect(grid).toContain('aria-label="Delete seed 1 · weight 0.4"');
    expect(grid).toMatch(/aria-label="Delete seed 2 · weight 0.4"[^>]*aria-busy="true"[^>]*>Deleting…</);
    expect(grid.match(/>Delete</g)).toHaveLength(1);
    const earlier = renderToStaticMarkup(<EarlierImages images={[image('e', 7, 0.7)]} onDelete={onDelete} />);
    expect(earlier).toMatch(/aria-label="Delete seed 7 · weight 0.7 · [^"]+"[^>]*>Delete</);
    // without onDelete (nothing to delete with), no button
    expect(renderToStaticMarkup(<ImageGrid images={[image('a', 1, 0.4)]} />)).not.toContain('<button');
  });
  it('says whether the worker was warm and how long each part took', () => {
    const cold = { warm: false, loadMs: 2500, loraSwapMs: 12.4, generateMs: 3000, totalMs: 5600 };
    expect(renderToStaticMarkup(<GenerationTimingLine timing={cold} />)).toContain(
      'base loaded in 2.5 s · LoRA swap 12 ms · generation 3.0 s',
    );
  });
});
