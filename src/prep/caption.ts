// src/prep/caption.ts — prep stage "caption": the Captioner interface each captioner implements
// (WD14 tags, BLIP sentences, both) and the pure caption assembly `trigger, [sentence], [tags]`
// with the trigger always first and no repeated phrase (SPEC §1.5).
import type { RgbImage } from '../vision/image.js';

/** What one captioner says about one crop. */
export interface CaptionParts {
  /** A sentence such as "a manga girl with black hair" (BLIP). */
  readonly sentence?: string;
  /** Tags, most confident first, already in caption form ("long hair", not "long_hair"). */
  readonly tags?: readonly string[];
}

export interface Captioner {
  readonly name: string;
  /**
   * Describes each crop; `files` are the crops' PNG paths (already written), `images` the same crops
   * in memory. Returns one CaptionParts per crop, in order.
   */
  describe(images: readonly RgbImage[], files: readonly string[]): Promise<CaptionParts[]>;
  /**
   * For captioners that run out of process (BLIP in the Python worker, which loads its model once
   * per call): `describe` only collects the files, and `finish` describes them all in one batch at
   * the end of the run, keyed by file path.
   */
  finish?(): Promise<Map<string, CaptionParts>>;
}

/** Merges what two captioners said about one crop: the first sentence wins, tags concatenate. */
export function mergeCaptionParts(a: CaptionParts, b: CaptionParts): CaptionParts {
  const sentence = a.sentence || b.sentence;
  const tags = [...(a.tags ?? []), ...(b.tags ?? [])];
  return { ...(sentence ? { sentence } : {}), ...(tags.length ? { tags } : {}) };
}

/** The captioner for `none`: says nothing, so captions are the trigger and class words alone. */
export const noCaptioner: Captioner = {
  name: 'none',
  describe: async (images) => images.map(() => ({})),
};

/** Runs several captioners on the same crops and merges what they say (first sentence wins, tags concatenate). */
export function combineCaptioners(name: string, captioners: readonly Captioner[]): Captioner {
  const deferred = captioners.filter((captioner) => captioner.finish);
  return {
    name,
    async describe(images, files) {
      const results = await Promise.all(captioners.map((captioner) => captioner.describe(images, files)));
      return images.map((_, i) => results.reduce<CaptionParts>((merged, result) => mergeCaptionParts(merged, result[i] ?? {}), {}));
    },
    ...(deferred.length
      ? {
          async finish() {
            const merged = new Map<string, CaptionParts>();
            for (const captioner of deferred) {
              for (const [file, parts] of (await captioner.finish?.()) ?? []) {
                merged.set(file, mergeCaptionParts(merged.get(file) ?? {}, parts));
              }
            }
            return merged;
          },
        }
      : {}),
  };
}

function cleanPhrase(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * `trigger, sentence, tag, tag, ...`: the trigger first, then the sentence, then tags; phrases are
 * trimmed, commas inside the sentence kept, empty and repeated phrases (case-insensitive) dropped.
 * With neither sentence nor tags the caption is `trigger, classWord`.
 */
export function assembleCaption(trigger: string, classWord: string, parts: CaptionParts): string {
  const phrases: string[] = [];
  const seen = new Set<string>();
  const add = (phrase: string): void => {
    const clean = cleanPhrase(phrase);
    const key = clean.toLowerCase();
    if (!clean || seen.has(key)) return;
    seen.add(key);
    phrases.push(clean);
  };
  add(trigger);
  if (parts.sentence) add(parts.sentence.replace(/^\s*,|,\s*$/g, ''));
  for (const tag of parts.tags ?? []) add(tag.replaceAll(',', ' '));
  if (phrases.length === 1) add(classWord);
  return phrases.join(', ');
}
