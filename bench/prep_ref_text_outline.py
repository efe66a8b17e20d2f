# bench/prep_ref_text_outline.py — for the Python reference (bench/prep_reference.py): the width of a
# sound effect's drawn outline, inside a text area and past it (a numpy port of src/prep/text-outline.ts:
# outlineColourAround, measureOutlinePx, measureOutlineBandPx; same tolerances and shares). The
# TypeScript walks pixel by pixel out of the letters' edges; here each walk's length comes from one
# "first pixel that stops a walk" scan per direction, which gives the same runs. Images are BGR here
# (RGB there): every test is per channel, so only luma needs the channels named.
import numpy as np

from prep_ref_js import grown_box, js_median, js_round

OUTLINE_TOLERANCE = 48  # text-outline.ts OUTLINE_TOLERANCE
OUTLINE_MIN_SHARE = 0.6  # OUTLINE_MIN_SHARE
OUTLINE_MAX_RING_SHARE = 0.3  # OUTLINE_MAX_RING_SHARE
OUTLINE_MIN_BOUNDED_SHARE = 0.5  # OUTLINE_MIN_BOUNDED_SHARE
BAND_MIN_ENDED_SHARE = 0.8  # BAND_MIN_ENDED_SHARE
# src/prep/text-letters.ts OUTLINE_REACH_SHARE, OUTLINE_REACH_MIN_PX, BAND_MAX_LUMA
OUTLINE_REACH_SHARE, OUTLINE_REACH_MIN_PX, BAND_MAX_LUMA = 0.25, 4, 100


def near(pixels, colour, tolerance=OUTLINE_TOLERANCE):
    """Pixels (..., 3) whose every channel is within `tolerance` of `colour`."""
    return (np.abs(pixels.astype(np.int16) - np.asarray(colour, np.int16)) <= tolerance).all(axis=-1)


def luma_bgr(colour):
    """Luma (0..255) of a B, G, R colour (text-letters.ts luma, which takes R, G, B)."""
    return 0.299 * colour[2] + 0.587 * colour[1] + 0.114 * colour[0]


def outline_reach_px(area):
    """How far past `area` (x, y, w, h) a drawn outline is erased at most (text-letters.ts outlineReachPx)."""
    return max(OUTLINE_REACH_MIN_PX, js_round(min(area[2], area[3]) * OUTLINE_REACH_SHARE))


def _directions(a):
    """`a` (2-D or H x W x C) seen four ways, so that each walk (right, left, down, up) goes +x."""
    t = np.swapaxes(a, 0, 1)
    return a, a[:, ::-1], t, t[:, ::-1]


def _first_stop(passable):
    """Per pixel, the column of the first False at or after it in its row (the row's width if none)."""
    w = passable.shape[1]
    idx = np.where(passable, w, np.arange(w)[None, :])
    return np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]


def outline_colour(samples):
    """The samples' (N x 3) per-channel median when OUTLINE_MIN_SHARE of them are near it, else None."""
    if len(samples) < 8:
        return None
    colour = js_median(samples)
    matching = near(samples, colour).sum()
    return None if matching < len(samples) * OUTLINE_MIN_SHARE else colour


def outline_colour_around(area_img, fill, comp):
    """text-outline.ts outlineColourAround: the colour 2 px outside the fill's edges, inside the area
    (`comp`), when most of those pixels have it. `fill`, `comp`: bool over the area's box."""
    samples = []
    for img, f, a in zip(_directions(area_img), _directions(fill), _directions(comp)):
        edge = f[:, :-2] & ~f[:, 1:-1] & a[:, 2:]
        samples.append(img[:, 2:][edge])
    return outline_colour(np.concatenate(samples))


def measure_outline_px(area_img, fill, comp, ring_pixels):
    """text-outline.ts measureOutlinePx: width in px of a one-colour outline around the letters' fill
    (bool over the area's box) inside the area, 0 when none. `ring_pixels`: the ring's colours (N x 3)."""
    samples, runs, ended = [], [], []
    for img, f, a in zip(_directions(area_img), _directions(fill), _directions(comp)):
        h, w = f.shape
        # a walk starts at s = x + 1 next to each fill pixel x whose right neighbour is not fill
        ys, xs = np.nonzero(f[:, :-1] & ~f[:, 1:])
        starts = xs + 1
        far = starts <= w - 3  # its limit (w - s) is at least 3: the pixel 2 out is a colour sample
        probe = starts[far] + 1
        keep = a[ys[far], probe]
        samples.append(img[ys[far][keep], probe[keep]])
        runs.append((ys, starts, a, f, img))
    colour = outline_colour(np.concatenate(samples))
    if colour is None:
        return 0
    if len(ring_pixels) and near(ring_pixels, colour).sum() > len(ring_pixels) * OUTLINE_MAX_RING_SHARE:
        return 0
    lengths = []
    for ys, starts, a, f, img in runs:
        w = f.shape[1]
        passable = a & ~f & near(img, colour)
        stop = np.concatenate([_first_stop(passable), np.full((f.shape[0], 1), w)], axis=1)
        inside = a[ys, starts]  # a walk whose first pixel is outside the area has no run
        ys, starts = ys[inside], starts[inside]
        q = stop[ys, np.minimum(starts + 1, w)]  # the first pixel past the start that stops the walk
        lengths.append(q - starts)
        # it ended at art (fill or another colour inside the area), not at the box's edge or the area's
        ended.append((q < w) & a[ys, np.minimum(q, w - 1)])
    lengths, ended = np.concatenate(lengths), np.concatenate(ended)
    if len(lengths) == 0 or ended.sum() < len(lengths) * OUTLINE_MIN_BOUNDED_SHARE:
        return 0
    return int(js_median(lengths))


def measure_outline_band_px(img, labels, label, area, colour, bound_px, tolerance=OUTLINE_TOLERANCE):
    """text-outline.ts measureOutlineBandPx: width in px of a band of `colour` (within `tolerance` per
    channel) around text area `label` (box `area`), walked out from its edge through unmasked pixels; 0
    when it is not a band (under 8 runs, or under BAND_MIN_ENDED_SHARE of the walks leave the colour
    within `bound_px`)."""
    ih, iw = labels.shape
    # every walk stays within bound_px + 1 of the area's edge: look at that window only
    wx, wy, ww, wh = grown_box(area, bound_px + 2, iw, ih)
    lab = labels[wy : wy + wh, wx : wx + ww]
    own = np.zeros((wh, ww), bool)
    ax, ay = area[0] - wx, area[1] - wy
    own[ay : ay + area[3], ax : ax + area[2]] = lab[ay : ay + area[3], ax : ax + area[2]] == label
    free = lab == 0
    passable = free & near(img[wy : wy + wh, wx : wx + ww], colour, tolerance)
    runs, open_walks = [], 0
    for o, fr, p in zip(_directions(own), _directions(free), _directions(passable)):
        ys, xs = np.nonzero(o[:, :-1] & fr[:, 1:])
        starts = xs + 1
        run = np.minimum(_first_stop(p)[ys, starts] - starts, bound_px + 1)
        open_walks += int((run > bound_px).sum())
        runs.append(run[(run > 0) & (run <= bound_px)])
    runs = np.concatenate(runs)
    if len(runs) < 8 or len(runs) < (len(runs) + open_walks) * BAND_MIN_ENDED_SHARE:
        return 0
    return int(js_median(runs))
