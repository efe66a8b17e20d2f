# bench/prep_ref_text_plausible.py — for the Python reference (bench/prep_reference.py): whether a
# detected text region looks like text at all (src/prep/text-plausible.ts splitPlausibleText, same
# constants). A region on a light bubble is text; one off a bubble is text when dense stroke edges fill
# it that run several ways (structure-tensor coherence of their 2x2 gradients under 0.82); a "text line"
# on a face, legs, hatching or hair strands is refused and left in the image. numpy over the box instead
# of the TypeScript's pixel loop. Images are BGR here (RGB there).
import math

import numpy as np

RING_PX, PAPER_MIN_CHANNEL = 4, 215  # text-plausible.ts RING_PX, PAPER_MIN_CHANNEL
# BUBBLE_RING_MIN_LIGHT, EDGE_LUMA_STEP, MIN_STROKE_EDGE_DENSITY, MAX_STROKE_COHERENCE
BUBBLE_RING_MIN_LIGHT, EDGE_LUMA_STEP, MIN_STROKE_EDGE_DENSITY, MAX_STROKE_COHERENCE = 0.7, 64, 0.05, 0.82


def region_box(region):
    """The region's box (x, y, w, h) around its polygon, as text-detect-paddle.ts sets `box`
    (db-postprocess.ts boundingBox: floor of the least, ceil of the most, + 1)."""
    points = np.asarray(region["polygon"], np.float64)
    x, y = math.floor(points[:, 0].min()), math.floor(points[:, 1].min())
    return x, y, math.ceil(points[:, 0].max()) - x + 1, math.ceil(points[:, 1].max()) - y + 1


def text_evidence(img, box):
    """text-plausible.ts textEvidence: (ring light share, stroke-edge density, stroke coherence) of `box`."""
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
    light = int(paper.sum()) - (int(paper[y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0].sum()) if inside else 0)
    return (light / ring if ring else 0.0), (edges / inside if inside else 0.0), coherence


def looks_like_text(evidence):
    """text-plausible.ts looksLikeText: on a bubble, or dense strokes that run several ways."""
    ring_light, edge_density, coherence = evidence
    if ring_light >= BUBBLE_RING_MIN_LIGHT:
        return True
    return edge_density >= MIN_STROKE_EDGE_DENSITY and coherence < MAX_STROKE_COHERENCE


def split_plausible_text(img, regions):
    """(regions that look like text, regions refused as art), as text-plausible.ts splitPlausibleText."""
    text, refused = [], []
    for region in regions:
        (text if looks_like_text(text_evidence(img, region_box(region))) else refused).append(region)
    return text, refused
