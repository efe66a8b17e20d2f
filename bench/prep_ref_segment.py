# bench/prep_ref_segment.py — the classic segmenter of src/prep/segment-classic.ts for the Python
# reference (bench/prep_reference.py), same parameters, in cv2/numpy: ~512 px working copy, border-ring
# seed colours, gradient-aware fill, rectangular opening/closing, bilinear scale-back.
import math

import cv2
import numpy as np

from prep_ref_js import js_round

WORKING_PIXELS, TOLERANCE, GRADIENT_STEP, GRADIENT_DRIFT, SEED_MIN_SHARE = 512 * 512, 40, 3, 2.5, 0.1


def ring_pixels(w, h, inset):
    """Pixel indices of the ring `inset` in from the border, in segment-classic.ts's order."""
    x0, y0, x1, y1 = inset, inset, w - 1 - inset, h - 1 - inset
    if x1 < x0 or y1 < y0:
        return np.zeros(0, np.int64)
    xs = np.arange(x0, x1 + 1)
    ys = np.arange(y0 + 1, y1)
    return np.concatenate([np.stack([y0 * w + xs, y1 * w + xs], 1).ravel(), np.stack([ys * w + x0, ys * w + x1], 1).ravel()])


def dominant_colours(flat_bgr, ring):
    """Mean colours (B, G, R) of the 32-level buckets holding >= 10% of the ring (always the most
    common), most common first, ties by first seen (segment-classic.ts dominantColours)."""
    px = flat_bgr[ring].astype(np.int64)
    keys = (px[:, 0] >> 3) * 1024 + (px[:, 1] >> 3) * 32 + (px[:, 2] >> 3)
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    sums = np.stack([np.bincount(inverse, weights=px[:, c], minlength=len(counts)) for c in range(3)], 1)
    order = np.lexsort((first, -counts))
    keep = [order[0]] + [o for o in order[1:] if counts[o] >= len(ring) * SEED_MIN_SHARE]
    return [sums[o] / counts[o] for o in keep]


def within(img, seed, limit):
    """Pixels whose every channel is within `limit` of the (fractional) seed colour."""
    lo = tuple(float(max(0, math.ceil(v - limit))) for v in seed)
    hi = tuple(float(min(255, math.floor(v + limit))) for v in seed)
    return cv2.inRange(img, lo, hi) > 0


def smooth_pixels(img):
    """Pixels within GRADIENT_STEP (every channel) of each of their four neighbours."""
    step = (GRADIENT_STEP,) * 3
    right = cv2.inRange(cv2.absdiff(img[:, 1:], img[:, :-1]), (0, 0, 0), step) > 0
    down = cv2.inRange(cv2.absdiff(img[1:], img[:-1]), (0, 0, 0), step) > 0
    smooth = np.ones(img.shape[:2], bool)
    smooth[:, 1:] &= right
    smooth[:, :-1] &= right
    smooth[1:] &= down
    smooth[:-1] &= down
    return smooth


DARK_TOLERANCE_SHARE, DARK_MIN_TOLERANCE = 0.5, 16  # segment-classic.ts CLASSIC_DARK_TOLERANCE_SHARE, _MIN_TOLERANCE


def seed_tolerance(seed, tolerance):
    """segment-classic.ts seedTolerance: a dark seed's tolerance is half its largest channel (its
    distance to black line art), at least DARK_MIN_TOLERANCE, at most `tolerance`."""
    return min(tolerance, max(DARK_MIN_TOLERANCE, js_round(max(seed) * DARK_TOLERANCE_SHARE)))


def flood_background(img, tolerance=TOLERANCE):
    """Background (True) reached from each border ring's dominant colours: near the seeds, or within
    the drift and smooth towards all four neighbours (the TypeScript side runs the same fill as a
    BFS). Consecutive rings with the same seed colours share one connected-components pass: a fill
    takes whole components of the not-yet-background passable pixels, so seeding them together gives
    the same result as ring after ring."""
    h, w = img.shape[:2]
    flat = img.reshape(-1, 3)
    background = np.zeros(h * w, bool)
    max_inset = min(min(w, h) // 8, max(4, js_round(min(w, h) * 0.03)))
    classified = {}
    smooth = None
    run_key, run_starts = None, []

    def fill(key, starts):
        near, passable = classified[key]
        starts = np.concatenate(starts)
        starts = starts[near[starts] & ~background[starts]]
        if len(starts) == 0:
            return
        region = (passable & ~background).astype(np.uint8).reshape(h, w)
        _, labels = cv2.connectedComponents(region, connectivity=4)
        labels = labels.ravel()
        reached = np.zeros(labels.max() + 1, bool)
        reached[labels[starts]] = True
        reached[0] = False
        background[reached[labels]] = True

    for inset in range(max_inset + 1):
        ring = ring_pixels(w, h, inset)
        if len(ring) == 0:
            continue
        seeds = dominant_colours(flat, ring)
        key = ";".join(",".join(str(js_round(v / 8)) for v in seed[::-1]) for seed in seeds)
        if key not in classified:
            near = np.zeros((h, w), bool)
            drift = np.zeros((h, w), bool)
            for seed in seeds:
                limit = seed_tolerance(seed, tolerance)
                near |= within(img, seed, limit)
                drift |= within(img, seed, limit * GRADIENT_DRIFT)
            drift &= ~near
            if drift.any():
                smooth = smooth_pixels(img) if smooth is None else smooth
                near_or_gradient = near | (drift & smooth)
            else:
                near_or_gradient = near
            classified[key] = (near.ravel(), near_or_gradient.ravel())
        if key != run_key and run_key is not None:
            fill(run_key, run_starts)
            run_starts = []
        run_key = key
        run_starts.append(ring)
    if run_key is not None:
        fill(run_key, run_starts)
    return background.reshape(h, w)


def morphology_kernel_px(w, h):
    size = max(3, js_round(min(w, h) / 200))
    return size if size % 2 == 1 else size + 1


def segment_classic(img):
    """Character mask (255) at full size: segment a ~512x512 area-averaged copy, clean it with
    rectangular opening + closing, scale back bilinearly, threshold at 127."""
    h, w = img.shape[:2]
    scale = math.sqrt(WORKING_PIXELS / (w * h))
    small = img
    if scale < 1:
        size = (max(1, js_round(w * scale)), max(1, js_round(h * scale)))
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    foreground = np.where(flood_background(small), 0, 255).astype(np.uint8)
    k = morphology_kernel_px(small.shape[1], small.shape[0])
    opened = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    big = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * k + 1, 2 * k + 1))
    mask = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, big)
    if scale < 1:
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
        _, mask = cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)
    return mask


