# bench/prep_ref_text_letters.py — light (white) letter outlines, for the Python reference's text removal
# (bench/prep_ref_text_remove.py): a flat light ring around a text area measured as the letters' white
# outline band (src/prep/text-letters.ts ringBandPx), and dark letters enclosed by a light foreign
# outline joining them (text-letters.ts withEnclosedLetters, enclosedPixels). Same constants; images are
# BGR here (RGB there), so only luma names the channels.
import cv2
import numpy as np

from prep_ref_text_outline import BAND_MAX_LUMA, luma_bgr, measure_outline_band_px, outline_reach_px

# text-letters.ts LIGHT_BAND_MIN_LUMA, LIGHT_BAND_TOLERANCE, LIGHT_OUTLINE_MIN_LUMA
LIGHT_BAND_MIN_LUMA, LIGHT_BAND_TOLERANCE, LIGHT_OUTLINE_MIN_LUMA = 200, 20, 200


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


def with_enclosed_letters(foreign, comp, area_img):
    """text-letters.ts withEnclosedLetters: `foreign` plus what it encloses when its pixels are light on
    average (mean luma LIGHT_OUTLINE_MIN_LUMA+: a white outline around dark letters the art shares)."""
    if not foreign.any():
        return foreign
    pixels = area_img[foreign].astype(np.float64)
    if luma_bgr(pixels.T).mean() < LIGHT_OUTLINE_MIN_LUMA:
        return foreign
    return foreign | enclosed_pixels(foreign, comp)
