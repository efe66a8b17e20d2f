# bench/prep_ref_text_remove.py — text removal for the Python reference (bench/prep_reference.py), the
# algorithm of src/prep/text-remove.ts in cv2/numpy: the detected polygons filled and dilated, then per
# masked area a flat fill with the bubble's colour when the ring around it is near-uniform, else
# Navier-Stokes inpainting of the letters only (src/prep/text-letters.ts: colours the ring lacks, grown),
# with a drawn outline measured inside the area or past it (src/prep/text-outline.ts, here
# prep_ref_text_outline.py) and erased too, also where it lies past the detected box (text-letters.ts
# grows the erase box by the outline's width + 1 with crop-box.ts grownBox); a flat white ring is measured
# as a white outline band too, as is a ring at least half light, and dark letters a light outline encloses
# join it unless they are the art around it (prep_ref_text_letters.py).
# Returns, as the TypeScript does, the pixels it filled or inpainted as the text mask.
from functools import lru_cache

import cv2
import numpy as np

from prep_ref_js import grown_box, js_round
from prep_ref_text_letters import (
    LIGHT_OUTLINE_MIN_LUMA,
    light_ring_colour,
    ring_band_px,
    with_enclosed,
    with_enclosed_letters,
)
from prep_ref_text_outline import (
    measure_outline_band_px,
    measure_outline_px,
    luma_bgr,
    near,
    outline_colour_around,
    outline_reach_px,
)

DILATE_PX, INPAINT_RADIUS = 4, 3  # prep.textDilatePx / prep.inpaintRadius defaults (src/schemas/config.ts)
RING_PX, FLAT_MAX_STD = 3, 8  # text-remove.ts RING_PX, FLAT_RING_MAX_STD
MIN_FOREIGN_SHARE, OUTLINE_GROW = 0.02, 0.06  # text-letters.ts MIN_FOREIGN_SHARE, OUTLINE_GROW
OUTLINE_BAND_TOLERANCE = 48  # text-letters.ts OUTLINE_BAND_TOLERANCE (= prep_ref_text_outline.near's)


@lru_cache(maxsize=64)
def ellipse(radius):
    """OpenCV's (2r+1)² elliptical kernel (src/vision/binary-dilate.ts dilates by the same)."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilated(mask, radius):
    """Bool mask dilated by ellipse(radius), pixels past the edge unset (text-letters.ts dilateEllipse)."""
    return cv2.dilate(mask.astype(np.uint8), ellipse(radius)) > 0


def colour_bins(pixels):
    p = pixels.astype(np.int32) >> 4
    return (p[..., 0] << 8) | (p[..., 1] << 4) | p[..., 2]


def ring_colour_bins(ring_pixels):
    """text-mask.ts ringColourBins: the 16-level bins holding >= 0.5% of the ring, plus their 26 neighbours."""
    counts = np.bincount(colour_bins(ring_pixels), minlength=4096)
    present = np.zeros((16, 16, 16), np.uint8)
    present.reshape(-1)[counts >= max(1, len(ring_pixels) * 0.005)] = 1
    return _grow_bins(present)


def _grow_bins(present):
    """Each present bin and its 26 neighbours (clipped at 0 and 15), as a 4096-entry bool table."""
    grown = np.zeros((18, 18, 18), bool)
    for d0 in range(3):
        for d1 in range(3):
            for d2 in range(3):
                grown[d0 : d0 + 16, d1 : d1 + 16, d2 : d2 + 16] |= present > 0
    return grown[1:17, 1:17, 1:17].reshape(-1)


def sample_ring(img, mask, labels, label, area, offset_px=0):
    """text-remove.ts sampleRing: the RING_PX-wide band `offset_px` out from area `label`, outside every
    masked area: (ring bool over its box, the box, the ring's pixels)."""
    reach = offset_px + RING_PX
    box = grown_box(area, reach, img.shape[1], img.shape[0])
    x, y, w, h = box
    local = labels[y : y + h, x : x + w] == label
    ring = dilated(local, reach) & (mask[y : y + h, x : x + w] == 0)
    if offset_px > 0:
        ring &= ~dilated(local, offset_px)
    return ring, box, img[y : y + h, x : x + w][ring]


def flat_colour(ring_pixels):
    """The bubble colour (rounded mean) when the ring is near-uniform, else None (text-remove.ts flatColour)."""
    if len(ring_pixels) < 8 or ring_pixels.std(axis=0).max() > FLAT_MAX_STD:
        return None
    return np.array([js_round(v) for v in ring_pixels.mean(axis=0)], np.uint8)


def art_text_pixels(img, labels, label, area, ring_pixels, band, ring_at):
    """text-letters.ts artTextPixels: (box, bool pixels over it, grown past the area) of the letters to
    inpaint, or None for the whole area. `band`: (px, colour) of an outline measured outside the area."""
    x, y, w, h = area
    area_img = img[y : y + h, x : x + w]
    comp = labels[y : y + h, x : x + w] == label

    def foreign_to(pixels, outline_band):
        foreign = comp & ~ring_colour_bins(pixels)[colour_bins(area_img)]
        foreign = with_enclosed_letters(foreign, comp, area_img)  # dark letters inside a white outline
        if outline_band is not None:  # withOutline: the band's colour inside the area joins the letters
            foreign |= comp & near(area_img, outline_band[1])
            # a light band is the letters' white outline: what it encloses in the area is the letters
            # (text-letters.ts artTextPixels foreignTo: their dark fill can be the art's line colour)
            if luma_bgr(outline_band[1]) >= LIGHT_OUTLINE_MIN_LUMA:
                foreign = with_enclosed(foreign, comp, area_img)
        return foreign

    foreign = foreign_to(ring_at(band[0] + 1)[2], band) if band else foreign_to(ring_pixels, None)
    if foreign.sum() < comp.sum() * MIN_FOREIGN_SHARE:
        return None
    outline = band[0] + 1 if band else measure_outline_px(area_img, foreign, comp, ring_pixels)
    if outline == 0 and not band:
        # no outline inside the area: it may lie outside it (the ring then holds much of its colour)
        colour = outline_colour_around(area_img, foreign, comp)
        px = 0 if colour is None else measure_outline_band_px(img, labels, label, area, colour, outline_reach_px(area))
        if px > 0:
            outline = px + 1
            foreign = foreign_to(ring_at(px + 1)[2], (px, colour))
    grow = max(2, js_round(min(w, h) * OUTLINE_GROW), outline + 1 if outline > 0 else 0)
    if outline == 0:
        return area, dilated(foreign, grow), False
    box = grown_box(area, min(outline + 1, outline_reach_px(area)), img.shape[1], img.shape[0])
    local = np.zeros((box[3], box[2]), bool)
    local[y - box[1] : y - box[1] + h, x - box[0] : x - box[0] + w] = foreign
    return box, dilated(local, grow), True


def remove_text(img, regions):
    """(text-free image, the pixels filled or inpainted) for the detected `regions`."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    if not regions:
        return img, mask
    cv2.fillPoly(mask, [np.array(r["polygon"], np.int32) for r in regions], 255)
    mask = cv2.dilate(mask, ellipse(DILATE_PX))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = img.copy()
    inpaint_mask = np.zeros_like(mask)
    used = np.zeros_like(mask)
    for label in range(1, count):
        area = tuple(int(v) for v in stats[label, :4])
        _, _, pixels = sample_ring(img, mask, labels, label, area)
        colour = flat_colour(pixels)
        band = None
        # a flat ring may be the (dark or white) outline of letters whose box is tight to their fill, not a bubble
        # ... and a ring mostly light, broken by the gaps between letters, their white outline (text-remove.ts
        # fillMaskedAreas, text-letters.ts lightRingColour)
        band_colour = colour if colour is not None else light_ring_colour(pixels)
        if band_colour is not None:
            px = ring_band_px(img, labels, label, area, band_colour)
            band, colour = ((px, band_colour), None) if px > 0 else (None, colour)
        letters = None
        if colour is None:
            ring_at = lambda offset, label=label, area=area: sample_ring(img, mask, labels, label, area, offset)  # noqa: E731
            letters = art_text_pixels(img, labels, label, area, pixels, band, ring_at)
        bx, by, bw, bh = letters[0] if letters else area
        box_labels = labels[by : by + bh, bx : bx + bw]
        take = box_labels == label
        if letters:
            # the letters' erase mask may reach past the area (an outline outside the box): those pixels join it
            outside = (box_labels == 0) & letters[2]
            take = (take | outside) & letters[1]
            box_labels[outside & letters[1]] = label
        used[by : by + bh, bx : bx + bw][take] = 255
        if colour is not None:
            out[by : by + bh, bx : bx + bw][take] = colour
        else:
            inpaint_mask[by : by + bh, bx : bx + bw][take] = 255
    if inpaint_mask.any():
        filled = cv2.inpaint(out, inpaint_mask, INPAINT_RADIUS, cv2.INPAINT_NS)
        out[inpaint_mask > 0] = filled[inpaint_mask > 0]
    return out, used
