# bench/prep_ref_text_plausible.py — for the Python reference (bench/prep_reference.py): whether a
# detected text region looks like text at all (src/prep/text-plausible.ts splitPlausibleText, same
# constants). A region is text when its stroke edges run several ways (structure-tensor coherence of
# their 2x2 gradients under 0.82), do not repeat along two directions (repeat residue under 0.3, a pixel
# differing from its copy by 64 levels and 0.34 of its channel's range: cross-hatching, screentone; on a
# bubble or not), and it is on a light bubble (paper around the box and mostly paper inside it) or dense
# with stroke edges off one; a "text line" on a face, legs, a head with a black hair cap, hatching,
# cross-hatching, screentone or hair strands is refused and left in the image.
# numpy over the box instead of the TypeScript's pixel loop. Images are BGR here (RGB there).
import math

import numpy as np

RING_PX, PAPER_MIN_CHANNEL = 4, 215  # text-plausible.ts RING_PX, PAPER_MIN_CHANNEL
# BUBBLE_RING_MIN_LIGHT, BUBBLE_INSIDE_MIN_LIGHT, EDGE_LUMA_STEP, MIN_STROKE_EDGE_DENSITY, MAX_STROKE_COHERENCE
BUBBLE_RING_MIN_LIGHT, BUBBLE_INSIDE_MIN_LIGHT = 0.7, 0.45
EDGE_LUMA_STEP, MIN_STROKE_EDGE_DENSITY, MAX_STROKE_COHERENCE = 64, 0.05, 0.82
# REPEAT_MAX_SHIFT, REPEAT_MIN_SHIFT, REPEAT_CHANNEL_STEP, REPEAT_MIN_SINE, MAX_REPEAT_RESIDUE
REPEAT_MAX_SHIFT, REPEAT_MIN_SHIFT, REPEAT_CHANNEL_STEP, REPEAT_MIN_SINE, MAX_REPEAT_RESIDUE = 24, 3, 64, 0.5, 0.3
REPEAT_CONTRAST_SHARE = 0.34  # text-plausible.ts REPEAT_CONTRAST_SHARE


def region_box(region):
    """The region's box (x, y, w, h) around its polygon, as text-detect-paddle.ts sets `box`
    (db-postprocess.ts boundingBox: floor of the least, ceil of the most, + 1)."""
    points = np.asarray(region["polygon"], np.float64)
    x, y = math.floor(points[:, 0].min()), math.floor(points[:, 1].min())
    return x, y, math.ceil(points[:, 0].max()) - x + 1, math.ceil(points[:, 1].max()) - y + 1


def repeat_step(pix):
    """text-plausible.ts repeatStep: per channel, REPEAT_CHANNEL_STEP or REPEAT_CONTRAST_SHARE of the
    channel's range over `pix` (rounded up), whichever is more."""
    spread = pix.reshape(-1, 3).max(axis=0) - pix.reshape(-1, 3).min(axis=0)
    return np.maximum(REPEAT_CHANNEL_STEP, np.ceil(REPEAT_CONTRAST_SHARE * spread.astype(np.float64)))


def shift_residue(pix, dx, dy, edge_density, step):
    """text-plausible.ts shiftResidue: the share of `pix`'s pixels that differ (a channel by its `step` or
    more) from their copy (dx, dy) away, either way, over `edge_density`, capped at MAX_REPEAT_RESIDUE."""
    h, w = pix.shape[:2]
    ax = abs(dx)
    counted = 2 * max(0, w - ax) * max(0, h - dy) - max(0, w - 2 * ax) * max(0, h - 2 * dy)
    xa = slice(max(0, -dx), min(w, w - dx))  # x of the pixels whose copy lies +shift away
    xb = slice(max(0, dx), min(w, w + dx))
    differ = (np.abs(pix[: h - dy, xa] - pix[dy:, xb]) >= step).any(axis=2)
    state = np.zeros((h, w), bool)
    state[: h - dy, xa] |= differ
    state[dy:, xb] |= differ
    return min(MAX_REPEAT_RESIDUE, int(state.sum()) / counted / edge_density)


def repeat_residue(pix, edge_density):
    """text-plausible.ts repeatResidue: the larger residue of the best shift and of the best one at least
    30 degrees from it (3 to 24 px, at most half the box's side); MAX_REPEAT_RESIDUE where none repeats."""
    h, w = pix.shape[:2]
    reach = min(REPEAT_MAX_SHIFT, w // 2, h // 2)
    step = repeat_step(pix)
    shifts = [
        (dx, dy, shift_residue(pix, dx, dy, edge_density, step))
        for dy in range(reach + 1)
        for dx in range(-reach, reach + 1)
        if not (dy == 0 and dx <= 0) and dx * dx + dy * dy >= REPEAT_MIN_SHIFT**2
    ]
    if not shifts:
        return MAX_REPEAT_RESIDUE
    best = shifts[0]
    for s in shifts:
        if s[2] < best[2]:
            best = s
    length = math.hypot(best[0], best[1])
    across = MAX_REPEAT_RESIDUE
    for dx, dy, residue in shifts:
        sine = abs(dx * best[1] - dy * best[0]) / math.hypot(dx, dy) / length
        if sine >= REPEAT_MIN_SINE and residue < across:
            across = residue
    return max(best[2], across)


def verdict_before_repeat(ring_light, inside_light, edge_density, coherence):
    """text-plausible.ts verdictBeforeRepeat: "art" (strokes all one way; off a bubble, too few strokes for
    letters), "text" (on a bubble, no stroke edge at all) or "repeat" (the repeat residue decides)."""
    if coherence >= MAX_STROKE_COHERENCE:
        return "art"
    if ring_light >= BUBBLE_RING_MIN_LIGHT and inside_light >= BUBBLE_INSIDE_MIN_LIGHT:
        return "repeat" if edge_density > 0 else "text"
    return "repeat" if edge_density >= MIN_STROKE_EDGE_DENSITY else "art"


def text_evidence(img, box):
    """text-plausible.ts textEvidence: (ring light share, inside light share, stroke-edge density, stroke
    coherence, repeat residue or None where the rules before it decide) of `box`."""
    ih, iw = img.shape[:2]
    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(iw, math.ceil(box[0] + box[2])), min(ih, math.ceil(box[1] + box[3]))
    inside = max(0, x1 - x0) * max(0, y1 - y0)
    edges, coherence = 0, 0.0
    if inside:
        pix = img[y0:y1, x0:x1].astype(np.float64)
        lum = 0.299 * pix[..., 2] + 0.587 * pix[..., 1] + 0.114 * pix[..., 0]
        gx = np.zeros_like(lum)
        gy = np.zeros_like(lum)
        gx[:, :-1] = lum[:, 1:] - lum[:, :-1]  # forward differences, 0 past the box
        gy[:-1, :] = lum[1:, :] - lum[:-1, :]
        edge = np.maximum(np.abs(gx), np.abs(gy)) >= EDGE_LUMA_STEP
        edges = int(edge.sum())
        # the gradient over the 2x2 pixels from each edge pixel (not on the box's last row or column)
        inner = edge[:-1, :-1]
        here, right, below, diagonal = lum[:-1, :-1], lum[:-1, 1:], lum[1:, :-1], lum[1:, 1:]
        ax = ((right - here + diagonal - below) / 2)[inner]
        ay = ((below - here + diagonal - right) / 2)[inner]
        jxx, jyy, jxy = (ax * ax).sum(), (ay * ay).sum(), (ax * ay).sum()
        energy = jxx + jyy
        coherence = math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / energy if energy > 0 else 0.0
    rx0, ry0, rx1, ry1 = max(0, x0 - RING_PX), max(0, y0 - RING_PX), min(iw, x1 + RING_PX), min(ih, y1 + RING_PX)
    paper = img[ry0:ry1, rx0:rx1].min(axis=2) >= PAPER_MIN_CHANNEL
    ring = paper.size - inside
    inside_paper = int(paper[y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0].sum()) if inside else 0
    ring_light = (int(paper.sum()) - inside_paper) / ring if ring else 0.0
    inside_light = inside_paper / inside if inside else 0.0
    edge_density = edges / inside if inside else 0.0
    repeat = None
    if verdict_before_repeat(ring_light, inside_light, edge_density, coherence) == "repeat":
        repeat = repeat_residue(img[y0:y1, x0:x1].astype(np.int16), edge_density)
    return ring_light, inside_light, edge_density, coherence, repeat


def looks_like_text(evidence):
    """text-plausible.ts looksLikeText: strokes that run several ways and do not repeat along two
    directions, on a bubble (light around and mostly light inside) or dense enough for letters off one."""
    verdict = verdict_before_repeat(*evidence[:4])
    if verdict != "repeat":
        return verdict == "text"
    return evidence[4] >= MAX_REPEAT_RESIDUE


def split_plausible_text(img, regions):
    """(regions that look like text, regions refused as art), as text-plausible.ts splitPlausibleText."""
    text, refused = [], []
    for region in regions:
        (text if looks_like_text(text_evidence(img, region_box(region))) else refused).append(region)
    return text, refused
