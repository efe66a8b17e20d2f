// src/prep/analyse-file.ts — the image stages for ONE input file: decode -> detect text -> remove text
// -> segment (minus speech bubbles; touching characters cut apart) -> (detect persons) -> crop, timing
// each; a webtoon strip or a manga page is cut into its panels first, each analysed as its own picture. Pure image work on any thread (the run's, an analysis worker's); finish-file.ts then writes the
// results in input order.
// Product failures of this file (bad image) become a `failed` analysis holding its manifest entry; only
// run-level failures (a model that cannot load) propagate.
import { isToonloraError } from '../errors.js';
import type { PrepConfig } from '../schemas/config.js';
import type { ManifestFile } from '../schemas/manifest.js';
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { resizeRgb } from '../vision/sharp-io.js';
import { removeTextBubblesWithInteriors } from './bubble-mask.js';
import { isBubbleRemnant } from './bubble-remnant.js';
import { characterIsolator } from './character-isolate.js';
import { characterTooSmallReason, computeCropBox, cutSquare } from './crop-box.js';
import { cropClutter } from './crop-clutter.js';
import { decodeImage } from './decode.js';
import { colourThumbnail, differenceHash } from './dedupe.js';
import { erasedShare } from './erased-character.js';
import { failedEntry } from './file-entry.js';
import {
  BUBBLE_WHITE_FRACTION,
  findMaskContours,
  looksLikePanel,
  type MaskContour,
  selectCharacterContours,
  tightenToMask,
  whiteFractionWithin,
} from './mask-contours.js';
import { findPagePanels, type PagePanel, pageFromPanels, pagePanelImage } from './page-panels.js';
import { morphologyKernelPx } from './segment-classic.js';
import { splitTouchingFigures } from './split-figures.js';
import { StageTimer } from './stage-timer.js';
import { boxInStrip, findStripPanels, isStripShaped, strongestCandidates } from './strip-panels.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';
import { splitPlausibleText } from './text-plausible.js';

/** The stages that look at one file: all a thread needs to analyse it (no run state). */
export interface AnalysisStages {
  readonly textDetector: TextDetector;
  readonly textRemover: TextRemover;
  readonly segmenter: CharacterSegmenter;
  readonly personDetector: PersonDetector | null;
}

/** A character found in a file: refused as too small, or cut out and resized to the training size. */
export type AnalysedCandidate =
  | { readonly characterBox: Box; readonly tooSmall: string; readonly panel?: number }
  | {
      readonly characterBox: Box;
      /** The strip or page panel it was found in (1-based, `panels`); absent for a file analysed whole. */
      readonly panel?: number;
      readonly cropBox: Box;
      /** The square at the training resolution. */
      readonly crop: RgbImage;
      /** For near-duplicate checks against the crops kept before it (dedupe.ts). */
      readonly thumbnail: Float64Array;
      readonly dhash: string;
      /** The square before resizing (only with saveStages). */
      readonly square?: RgbImage;
      /** Share of the character's mask that text removal erased (erased-character.ts). */
      readonly erased?: number;
    };

/**
 * What the stages found in one file, before anything is written: either its final manifest entry
 * (it failed or was skipped at decode) or the candidates `finishFile` turns into crops. Plain data,
 * so an analysis worker thread can send it back (analysis-pool.ts).
 */
export type FileAnalysis =
  | { readonly kind: 'failed'; readonly entry: ManifestFile }
  | {
      readonly kind: 'analysed';
      readonly source: string;
      readonly timings: Record<string, number>;
      readonly width: number;
      readonly height: number;
      readonly textRegions: number;
      /** Text detections left in the image as art (text-plausible.ts). */
      readonly refusedTextRegions?: number;
      /** Frames (pages) in the file: an animated GIF / WebP has several, of which only the first is read. */
      readonly frames?: number;
      /** The file's format as sharp names it (`tiff`: its frames are pages); absent in older analyses. */
      readonly format?: string;
      /** A webtoon strip's panels (strip-panels.ts) or a manga page's (page-panels.ts), analysed one by one;
       * absent for a file analysed whole. */
      readonly panels?: readonly Box[];
      /** The stage images (only with saveStages). */
      readonly stageImages?: {
        readonly textMask: GrayImage;
        readonly textRemoved: RgbImage;
        readonly characterMask: GrayImage;
      };
      readonly candidates: readonly AnalysedCandidate[];
      /** Name of the segmenter, for the no-character reason. */
      readonly segmenter: string;
      /** Mask parts left out as speech bubbles (almost all white, or a bubble's outline / tail), for the no-character reason. */
      readonly bubbleLikeParts: number;
      /** Mask parts left out as filled rectangles (panels, boxes), for the no-character reason. */
      readonly panelLikeParts?: number;
    };

/**
 * The square at the training resolution: Lanczos down, cubic up, by libvips (sharp). OpenCV's
 * INTER_AREA in the WASM build took 8-11 ms for a 737 px square against ~4 ms here.
 */
export function resizeCrop(square: RgbImage, resolution: number): Promise<RgbImage> {
  return resizeRgb(square, resolution, resolution, square.width > resolution ? 'lanczos3' : 'cubic');
}

/** The character boxes, the mask they are cropped from, the painter of the others over each crop, and the
 * parts left out as bubbles and panels. */
interface CharacterPick {
  boxes: Box[];
  mask: GrayImage;
  bubbleLikeParts: number;
  panelLikeParts: number;
  isolate?: (index: number, square: RgbImage, cropBox: Box) => RgbImage;
}

/** Character boxes: persons (tightened to the mask) with the detector in `all` mode, else mask contours. */
async function findCharacters(
  stages: AnalysisStages,
  config: PrepConfig,
  image: RgbImage,
  textMask: GrayImage,
  timer: StageTimer,
): Promise<CharacterPick> {
  const raw = await timer.time('segment', () => stages.segmenter.segment(image));
  const outlinePx = morphologyKernelPx(raw.width, raw.height) * 2 + 1;
  const bubbleFree = await timer.time('bubbles', () =>
    removeTextBubblesWithInteriors(raw, image, textMask, outlinePx),
  );
  const { interiors } = bubbleFree;
  // characters touching (shoulder to shoulder) share a mask part: cut it where it clearly holds several
  const { mask: split } = await timer.time('splitFigures', () => splitTouchingFigures(bubbleFree.mask));
  if (stages.personDetector && config.characters === 'all') {
    const detector = stages.personDetector;
    const people = await timer.time('personDetect', () => detector.detect(image));
    if (people.length > 0) {
      const boxes = people.map((p) => tightenToMask(split, p.box));
      // each person's crop shows the mask part that fills its box, the other persons' parts and the
      // bubbles and removed text painted over
      const { mask, clutter, components } = await cropClutter(raw, interiors, split, textMask, boxes, [], {
        image,
        outlinePx,
      });
      const isolate =
        boxes.length > 1 || clutter
          ? await characterIsolator(mask, boxes, outlinePx, boxes, clutter ?? undefined, components)
          : undefined;
      return { mask, boxes, isolate, bubbleLikeParts: 0, panelLikeParts: 0 };
    }
  }
  const found = await timer.time('contours', () => findMaskContours(split));
  return pickCharacters(found, { image, raw, interiors, split, textMask, outlinePx }, config.characters);
}

/** A picture's segmentation: the segmenter's mask, the cleared bubbles' interiors, the mask minus the
 * bubbles with touching figures cut apart, and the morphology outline width. */
export interface Segmentation {
  readonly image: RgbImage;
  readonly raw: GrayImage;
  readonly interiors: GrayImage | null;
  readonly split: GrayImage;
  readonly textMask: GrayImage;
  readonly outlinePx: number;
}

/** The character boxes among the split mask's parts (no bubble, no panel), the mask they are cropped from
 * and the painter that paints the others over in each crop (exported for the prep benchmark). */
export async function pickCharacters(
  found: MaskContour[],
  { image, raw, interiors, split, textMask, outlinePx }: Segmentation,
  characters: PrepConfig['characters'],
): Promise<CharacterPick> {
  // speech bubbles: almost all white, or what is left of one whose interior held text (outline, tail)
  const notBubbles = found.filter(
    (c) =>
      whiteFractionWithin(image, split, c.box) <= BUBBLE_WHITE_FRACTION &&
      !isBubbleRemnant(split, interiors, textMask, c, 2 * outlinePx),
  );
  // a filled rectangle (panel interior, narration box, dark panel) is never the character: the next part may be
  const contours = notBubbles.filter((c) => !looksLikePanel(split, c.box));
  const boxes = selectCharacterContours(contours, characters).map((c) => c.box);
  // each crop shows its own part, every other character's part painted over: with `largest` too, where
  // a second character standing beside the first reached into its square
  const everyone = selectCharacterContours(contours, 'all').map((c) => c.box);
  // the bubbles whole (outline, tail strokes) leave the mask and, with the removed text, every crop
  const bubbleParts = found.filter((c) => !notBubbles.includes(c)).map((c) => c.box);
  const { mask, clutter, components } = await cropClutter(
    raw,
    interiors,
    split,
    textMask,
    everyone,
    bubbleParts,
    { image, outlinePx },
  );
  const isolate =
    everyone.length > 1 || clutter
      ? await characterIsolator(mask, boxes, outlinePx, everyone, clutter ?? undefined, components)
      : undefined;
  return {
    mask,
    boxes,
    isolate,
    bubbleLikeParts: found.length - notBubbles.length,
    panelLikeParts: notBubbles.length - contours.length,
  };
}

/** What the stages found in one picture (a whole file, or one panel of a strip or page), in its own pixels. */
interface PictureAnalysis {
  readonly textRegions: number;
  readonly refusedTextRegions: number;
  readonly candidates: AnalysedCandidate[];
  readonly bubbleLikeParts: number;
  readonly panelLikeParts: number;
  readonly stageImages?: { textMask: GrayImage; textRemoved: RgbImage; characterMask: GrayImage };
}

/** detect text -> remove text -> segment (minus speech bubbles) -> (detect persons) -> crop, on one picture. */
async function analysePicture(
  stages: AnalysisStages,
  config: PrepConfig,
  picture: RgbImage,
  saveStages: boolean,
  timer: StageTimer,
): Promise<PictureAnalysis> {
  const detected = await timer.time('textDetect', () => stages.textDetector.detect(picture));
  // a "text line" on a face or legs (no bubble around it, few strokes) is art: removing it smears them
  const { text: regions, refused } = splitPlausibleText(picture, detected);
  const removed = await timer.time('textRemove', () => stages.textRemover.remove(picture, regions));
  const { mask, boxes, bubbleLikeParts, panelLikeParts, isolate } = await findCharacters(
    stages,
    config,
    removed.image,
    removed.mask,
    timer,
  );
  const candidates: AnalysedCandidate[] = [];
  for (const [index, characterBox] of boxes.entries()) {
    const tooSmall = characterTooSmallReason(characterBox, config.resolution);
    if (tooSmall) {
      candidates.push({ characterBox, tooSmall });
      continue;
    }
    const cropBox = computeCropBox(characterBox, config.cropMargin, picture);
    const square = await timer.time('crop', async () => {
      const cut = cutSquare(removed.image, cropBox);
      return isolate ? isolate(index, cut, cropBox) : cut;
    });
    const crop = await timer.time('crop', () => resizeCrop(square, config.resolution));
    const thumbnail = await timer.time('dedupe', async () => colourThumbnail(crop));
    candidates.push({
      characterBox,
      cropBox,
      crop,
      thumbnail,
      dhash: differenceHash(crop),
      erased: erasedShare(mask, removed.mask, characterBox),
      ...(saveStages ? { square } : {}),
    });
  }
  return {
    textRegions: regions.length,
    refusedTextRegions: refused.length,
    candidates,
    bubbleLikeParts,
    panelLikeParts,
    ...(saveStages
      ? { stageImages: { textMask: removed.mask, textRemoved: removed.image, characterMask: mask } }
      : {}),
  };
}

/**
 * A webtoon strip's or manga page's panels, each analysed as its own picture, put together in the file's
 * pixels: the boxes moved to their panel, each candidate with its panel's number (1-based), the counts added up;
 * a strip's characters too small beside its biggest listed as rejected (strip-panels.ts strongestCandidates).
 */
async function analysePanels(
  stages: AnalysisStages,
  config: PrepConfig,
  picture: RgbImage,
  panels: readonly PagePanel[],
  strip: boolean,
  saveStages: boolean,
  timer: StageTimer,
): Promise<PictureAnalysis> {
  const parts: Array<{ panel: Box; cut: PagePanel; found: PictureAnalysis }> = [];
  for (const panel of panels)
    parts.push({
      panel: panel.box,
      cut: panel,
      found: await analysePicture(stages, config, pagePanelImage(picture, panel), saveStages, timer),
    });
  const sum = (count: (found: PictureAnalysis) => number) => parts.reduce((n, p) => n + count(p.found), 0);
  const moved: AnalysedCandidate[] = parts.flatMap(({ panel, found }, i) =>
    found.candidates.map((c) => ({
      ...c,
      characterBox: boxInStrip(c.characterBox, panel),
      ...('cropBox' in c ? { cropBox: boxInStrip(c.cropBox, panel) } : {}),
      panel: i + 1,
    })),
  );
  // a strip's pieces are weighed against its biggest character, the ones left out listed with the reason (a
  // part already refused as too small stays out unlisted, as before); a page's framed panels each keep theirs
  const candidates = strip
    ? strongestCandidates(moved, (c, reason) =>
        'tooSmall' in c ? null : { characterBox: c.characterBox, panel: c.panel, tooSmall: reason },
      )
    : moved;
  const staged = parts.flatMap(({ cut, found }) =>
    found.stageImages ? [{ panel: cut, ...found.stageImages }] : [],
  );
  return {
    textRegions: sum((f) => f.textRegions),
    refusedTextRegions: sum((f) => f.refusedTextRegions),
    candidates,
    bubbleLikeParts: sum((f) => f.bubbleLikeParts),
    panelLikeParts: sum((f) => f.panelLikeParts),
    ...(saveStages
      ? {
          stageImages: {
            textMask: pageFromPanels<GrayImage>(
              picture,
              1,
              staged.map((s) => ({ panel: s.panel, image: s.textMask })),
            ),
            textRemoved: pageFromPanels<RgbImage>(
              picture,
              3,
              staged.map((s) => ({ panel: s.panel, image: s.textRemoved })),
              picture.data,
            ),
            characterMask: pageFromPanels<GrayImage>(
              picture,
              1,
              staged.map((s) => ({ panel: s.panel, image: s.characterMask })),
            ),
          },
        }
      : {}),
  };
}

/**
 * Runs the image stages on one file: decode -> (cut into panels: a webtoon strip at its gutters,
 * strip-panels.ts; a manga page by an XY-cut, page-panels.ts; else analysed whole) ->
 * per picture: detect text -> remove text -> segment (minus speech bubbles) -> (detect persons) -> crop
 * and resize each character. Writes nothing and touches no run state, so files can be analysed on
 * several threads. Problems of this file become a `failed` analysis; only a model that cannot load
 * (TL_ERR_MODEL_MISSING) throws.
 */
export async function analyseFile(
  stages: AnalysisStages,
  config: PrepConfig,
  source: string,
  saveStages: boolean,
): Promise<FileAnalysis> {
  const timer = new StageTimer();
  try {
    const decoded = await timer.time('decode', () =>
      decodeImage(source, { maxPixels: config.maxInputPixels }),
    );
    const strip = isStripShaped(decoded);
    const cut: readonly PagePanel[] | null = strip
      ? await timer.time('stripPanels', async () => findStripPanels(decoded)?.map((box) => ({ box })) ?? null)
      : await timer.time('pagePanels', () => findPagePanels(decoded, config.pageReadingOrder));
    const panels = cut?.map((p) => p.box);
    const found = cut
      ? await analysePanels(stages, config, decoded, cut, strip, saveStages, timer)
      : await analysePicture(stages, config, decoded, saveStages, timer);
    return {
      kind: 'analysed',
      source,
      timings: timer.timings,
      width: decoded.width,
      height: decoded.height,
      frames: decoded.frames,
      format: decoded.format,
      ...(panels ? { panels } : {}),
      segmenter: stages.segmenter.name,
      ...found,
    };
  } catch (error) {
    if (isToonloraError(error) && error.code === 'TL_ERR_MODEL_MISSING') throw error;
    return { kind: 'failed', entry: failedEntry(source, timer.timings, error) };
  }
}
