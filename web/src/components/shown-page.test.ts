// web/src/components/shown-page.test.ts — a page's key tells a character's tabs apart, and two characters' same
// tab, but not two LoRAs of the same LoRA page; an error from a page gone is dropped only when a read's failure; a
// banner shows only on the page it was shown on.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { hashParts, parseRoute } from '../route.js';
import {
  asReadFailure,
  bannerOnPage,
  errorBanner,
  pageKey,
  pageName,
  readFailureReport,
} from './shown-page.js';

const routeOf = (hash: string) => parseRoute(hashParts(hash));
const keyOf = (hash: string) => pageKey(routeOf(hash));

describe('pageKey', () => {
  it("tells pages apart, a LoRA page's LoRAs not", () => {
    expect(keyOf('#/c/mina/lora')).not.toBe(keyOf('#/c/mina/generate'));
    expect(keyOf('#/c/mina/lora')).not.toBe(keyOf('#/c/kira/lora'));
    expect(keyOf('#/c/mina/lora/one')).toBe(keyOf('#/c/mina/lora/two'));
    expect(keyOf('#/c/mina')).toBe(keyOf('#/c/mina/upload'));
    expect(keyOf('#/')).not.toBe(keyOf('#/models'));
    expect(keyOf('#/zzz')).not.toBe(keyOf('#/'));
  });
});

describe('pageName', () => {
  it('names a page as its heading does', () => {
    expect(pageName(routeOf('#/c/mina/upload'), 'Mina')).toBe('Mina: Screenshots');
    expect(pageName(routeOf('#/models'))).toBe('Models');
    expect(pageName(routeOf('#/'))).toBe('Characters');
  });
});

describe('errorBanner', () => {
  const upload = { key: keyOf('#/c/mina/upload'), name: 'Mina: Screenshots' };
  const train = keyOf('#/c/mina/train');
  const full = () => new ApiError(507, 'TL_ERR_STORAGE', 'disk full');

  it("shows a write's error from a page gone, naming that page", () => {
    expect(errorBanner(full(), 'disk full', upload, train)).toBe('disk full (from Mina: Screenshots)');
  });

  it("drops a read's or a download's error from a page gone", () => {
    expect(errorBanner(asReadFailure(full()), 'disk full', upload, train)).toBeNull();
    let heard: unknown = null;
    readFailureReport((error) => {
      heard = error;
    })(full());
    expect(errorBanner(heard, 'disk full', upload, train)).toBeNull();
  });

  it('shows any error of the page shown now, or of the app, as it is', () => {
    expect(errorBanner(asReadFailure(full()), 'disk full', upload, upload.key)).toBe('disk full');
    expect(errorBanner(full(), 'disk full', upload, upload.key)).toBe('disk full');
    expect(errorBanner(asReadFailure(full()), 'disk full', undefined, train)).toBe('disk full');
  });

  it('shows an error that cannot be marked (not an object) from a page gone', () => {
    expect(errorBanner(asReadFailure('refused'), 'refused', upload, train)).toBe(
      'refused (from Mina: Screenshots)',
    );
  });
});

describe('bannerOnPage', () => {
  const onModels = { text: 'busy', page: keyOf('#/models') };

  it('keeps a banner while its page shows, another LoRA of a LoRA page included', () => {
    expect(bannerOnPage(onModels, keyOf('#/models'))).toBe(onModels);
    const onLora = { text: 'busy', page: keyOf('#/c/mina/lora/one') };
    expect(bannerOnPage(onLora, keyOf('#/c/mina/lora/two'))).toBe(onLora);
  });

  it('drops it on any other page: another top-level page, character, tab, or an address the app does not have', () => {
    expect(bannerOnPage(onModels, keyOf('#/'))).toBeNull();
    expect(bannerOnPage(onModels, keyOf('#/zzz'))).toBeNull();
    const onMina = { text: 'busy', page: keyOf('#/c/mina/train') };
    expect(bannerOnPage(onMina, keyOf('#/c/kira/train'))).toBeNull();
    expect(bannerOnPage(onMina, keyOf('#/c/mina/lora'))).toBeNull();
    expect(bannerOnPage(null, keyOf('#/'))).toBeNull();
  });
});
