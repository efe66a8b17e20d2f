// src/prep/file-notes.ts — the words of a file's manifest reason that explain what prep saw in it: why
// no character was found (as text runs and parts each side words: a prep option, a model to pull, src/stage-reason.ts),
// which text detections were left in the image as art, and which crops were rejected (naming a webtoon strip's
// panel). Pure.
import { cliReason, type StageReason, type StageReasonPart } from '../stage-reason.js';

/** What the no-character reason needs from a file's analysis (analyse-file.ts). */
export interface NoCharacterFacts {
  readonly segmenter: string;
  readonly bubbleLikeParts: number;
  readonly panelLikeParts?: number;
  /** The file's format as sharp names it (`tiff`: its frames are pages). */
  readonly format?: string;
}

/** Why `name` gave no character: panel-like parts, bubble-like parts, or an empty mask (of a file with several
 * frames: a blank first frame, or first page for a TIFF?). The way out for a panel-like shape, another segmenter
 * and its model, is parts: the CLI says `--segmenter isnet-anime` and its pull command, the web app its Upload
 * field and the Models page (src/jobs/web-stage-words.ts). */
export function noCharacterReason(name: string, facts: NoCharacterFacts, framesNote?: string): StageReason {
  const frames = framesNote ? `; ${framesNote}` : '';
  const panels = facts.panelLikeParts ?? 0;
  if (panels > 0)
    return [
      `${name}: no character found (the largest shape${panels === 1 ? ' looks' : 's look'} like a panel or box, not a character: crop the panel, or use `,
      { kind: 'prep-option', option: 'segmenter', value: 'isnet-anime' },
      ' after ',
      { kind: 'pull-model', id: 'isnet-anime' },
      `)${frames}`,
    ];
  const bubbles = facts.bubbleLikeParts;
  if (bubbles > 0)
    return [
      `${name}: no character found (the ${facts.segmenter} mask's ${bubbles} ${bubbles === 1 ? 'part looks like a speech bubble' : 'parts look like speech bubbles'} (almost all white, or the outline or tail left of a bubble whose text was removed) and ${bubbles === 1 ? 'is' : 'are'} left out)${frames}`,
    ];
  const first = facts.format === 'tiff' ? 'page' : 'frame';
  return [
    `${name}: no character found (${framesNote ? `${framesNote}, and its ${facts.segmenter} mask is empty: a blank first ${first}?` : `the ${facts.segmenter} mask is empty: a blank or background-only page?`})`,
  ];
}

/** A file's manifest `reason` (the CLI's words) and, where the reason has parts each side words, `reasonParts`. */
export function fileReason(reason: StageReason): { reason: string; reasonParts?: StageReasonPart[] } {
  const data = reason.some((part) => typeof part !== 'string');
  return { reason: cliReason(reason), ...(data ? { reasonParts: [...reason] } : {}) };
}

/** The note for text detections left in the image as art (text-plausible.ts); none when there are none. */
export function refusedTextNote(count: number): string[] {
  if (count === 0) return [];
  return [
    `${count} text detection${count === 1 ? '' : 's'} left in place: no speech bubble around ${count === 1 ? 'it' : 'them'} and too few strokes for text, strokes all running one way, or a pattern repeating two ways (a face, legs, hatching, cross-hatching, screentone or hair strands, not letters)`,
  ];
}

/** A rejected crop's note in the file's reason: its reason, after the strip panel it was found in when it has
 * one ("panel 3: character too small: ..."; a strip's panels all share the one file name). */
export function rejectedCropNote(rejected: { readonly panel?: number; readonly reason: string }): string {
  return rejected.panel !== undefined ? `panel ${rejected.panel}: ${rejected.reason}` : rejected.reason;
}

/**
 * The note on a file with several frames, of which only the first was read: `an animated file: only frame 1 of 3
 * was read`, or for a multi-page TIFF `a multi-page TIFF: only page 1 of 3 was read`; undefined for one frame.
 */
export function framesNote(frames: number | undefined, format: string | undefined): string | undefined {
  if ((frames ?? 1) <= 1) return undefined;
  return format === 'tiff'
    ? `a multi-page TIFF: only page 1 of ${frames} was read`
    : `an animated file: only frame 1 of ${frames} was read`;
}
