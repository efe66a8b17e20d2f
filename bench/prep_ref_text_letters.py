# bench/prep_ref_text_letters.py — light (white) letter outlines, for the Python reference's text removal
# (bench/prep_ref_text_remove.py): a flat light ring, or one mostly light (lightRingColour), around a text
# area measured as the letters' white outline band (src/prep/text-letters.ts ringBandPx), and dark letters
# enclosed by a light foreign outline joining them unless what it encloses is the art around it (white
# letters' counters: text-letters.ts withEnclosedLetters, withEnclosed, enclosedPixels,
# outsideColourShare). Same constants; images are BGR here (RGB there), so luma and the colour bins name
# the channels.
import cv2
import numpy as np

from prep_ref_js import js_round
from prep_ref_text_outline import BAND_MAX_LUMA, luma_bgr, measure_outline_band_px, outline_reach_px

# text-letters.ts LIGHT_BAND_MIN_LUMA, LIGHT_BAND_TOLERANCE, LIGHT_OUTLINE_MIN_LUMA
LIGHT_BAND_MIN_LUMA, LIGHT_BAND_TOLERANCE, LIGHT_OUTLINE_MIN_LUMA = 200, 20, 200
LIGHT_RING_MIN_SHARE, ENCLOSED_ART_MIN_SHARE = 0.5, 0.2  # text-letters.ts LIGHT_RING_MIN_SHARE, ENCLOSED_ART_MIN_SHARE


def ring_band_px(img, labels, label, area, colour):
    """text-letters.ts ringBandPx: the width of the letters' outline band a flat ring of `colour` lies on,
    0 when the ring is the ground the text sits on: dark rings with the dark outline's tolerance (48),
    light ones (luma 200+) with LIGHT_BAND_TOLERANCE, mid-tones never."""
    lum = luma_bgr(colour)
    if lum < BAND_MAX_LUMA:
        return measure_outline_band_px(img, labels, label, area, colour, outline_reach_px(area))
    if lum < LIGHT_BAND_MIN_LUMA:
        return 0
    return measure_outline_band_px(img, labels, label, area, colour, outline_reach_px(area), LIGHT_BAND_TOLERANCE)


def light_ring_colour(ring_pixels):
    """text-letters.ts lightRingColour: the rounded mean colour of the ring's light pixels (every channel
    LIGHT_BAND_MIN_LUMA - LIGHT_BAND_TOLERANCE+, luma LIGHT_BAND_MIN_LUMA+) when they are at least
    LIGHT_RING_MIN_SHARE of its 8+ pixels (a white letter outline broken by the gaps between letters), else None."""
    if len(ring_pixels) < 8:
        return None
    pixels = ring_pixels.astype(np.float64)
    light = (ring_pixels.min(axis=1) >= LIGHT_BAND_MIN_LUMA - LIGHT_BAND_TOLERANCE) & (
        luma_bgr(pixels.T) >= LIGHT_BAND_MIN_LUMA
    )
    count = int(light.sum())
    if count < len(ring_pixels) * LIGHT_RING_MIN_SHARE:
        return None
    return np.array([js_round(v / count) for v in pixels[light].sum(axis=0)], np.uint8)


def enclosed_pixels(foreign, comp):
    """text-letters.ts enclosedPixels: the pixels (bool over the area's box) not in `foreign` and not
    reachable, 4-connected through unset pixels, from the box's edge or from a pixel outside the area
    (`comp` False). One cv2.connectedComponents over the unset pixels instead of the TypeScript's flood."""
    free = ~foreign
    count, labels = cv2.connectedComponents(free.astype(np.uint8), connectivity=4)
    seeds = free & ~comp
    seeds[0, :] |= free[0, :]
    seeds[-1, :] |= free[-1, :]
    seeds[:, 0] |= free[:, 0]
    seeds[:, -1] |= free[:, -1]
    reached = np.zeros(count, bool)
    reached[labels[seeds]] = True
    return free & ~reached[labels]


def colour_bin(pixels):
    """text-letters.ts colourBin: a colour's 32-level bin (0..511), R, G, B from the most significant."""
    p = pixels.astype(np.int32) >> 5
    return p[..., 2] * 64 + p[..., 1] * 8 + p[..., 0]


def outside_colour_share(mask, enclosed, area_img, comp):
    """text-letters.ts outsideColourShare: how common (0..1, averaged over the `enclosed` pixels) each
    enclosed pixel's colour bin is among the pixels 2 px outside `mask`'s edges (the step between and the
    pixel itself neither masked nor enclosed, the pixel in the area), counted once per mask pixel and
    direction; 0 when fewer than 8 such exist. All bool over the area's box."""
    free = ~mask & ~enclosed
    bins = colour_bin(area_img)
    counts = np.zeros(512, np.int64)
    h, w = mask.shape
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        # from the pixel at (y, x) to (y + 2dy, x + 2dx): slices of the box where both lie inside it
        ys = slice(max(0, -2 * dy), h - max(0, 2 * dy))
        xs = slice(max(0, -2 * dx), w - max(0, 2 * dx))

        def at(k, ys=ys, xs=xs, dy=dy, dx=dx):
            return (slice(ys.start + k * dy, ys.stop + k * dy), slice(xs.start + k * dx, xs.stop + k * dx))

        ok = mask[at(0)] & free[at(1)] & free[at(2)] & comp[at(2)]
        counts += np.bincount(bins[at(2)][ok], minlength=512)
    outside = int(counts.sum())
    n = int(enclosed.sum())
    if outside < 8 or n == 0:
        return 0.0
    return int(counts[bins[enclosed]].sum()) / n / outside


def with_enclosed(foreign, comp, area_img):
    """text-letters.ts withEnclosed: `foreign` plus what it encloses, unless that is the art around it
    (outside_colour_share ENCLOSED_ART_MIN_SHARE+: white letters' counters over art)."""
    enclosed = enclosed_pixels(foreign, comp)
    if outside_colour_share(foreign, enclosed, area_img, comp) >= ENCLOSED_ART_MIN_SHARE:
        return foreign
    return foreign | enclosed


def with_enclosed_letters(foreign, comp, area_img):
    """text-letters.ts withEnclosedLetters: `foreign` plus what it encloses (with_enclosed) when its
    pixels are light on average (mean luma LIGHT_OUTLINE_MIN_LUMA+: a white outline around dark letters
    the art shares)."""
    if not foreign.any():
        return foreign
    pixels = area_img[foreign].astype(np.float64)
    if luma_bgr(pixels.T).mean() < LIGHT_OUTLINE_MIN_LUMA:
        return foreign
    return with_enclosed(foreign, comp, area_img)
