# bench/prep_ref_crop.py — for the Python reference (bench/prep_reference.py): speech bubbles out of the
# character mask (src/prep/bubble-mask.ts, src/prep/mask-contours.ts) and the square crop around the
# character (src/prep/crop-box.ts, painted and resized as src/prep/analyse-file.ts does).
import cv2
import numpy as np

from prep_ref_js import js_round
from prep_ref_segment import morphology_kernel_px

MASK_THRESHOLD, BUBBLE_WHITE_MIN, BUBBLE_WHITE_FRACTION = 127, 225, 0.9
BUBBLE_MIN_PAPER_SHARE = 0.4  # bubble-mask.ts BUBBLE_MIN_PAPER_SHARE
TAIL_MAX_AREA_SHARE, TAIL_PAPER_TOLERANCE = 0.5, 6  # bubble-mask.ts TAIL_MAX_AREA_SHARE, TAIL_PAPER_TOLERANCE
TAIL_TIP_REACH, TAIL_TIP_OPEN_SCALE, TAIL_TIP_MIN_AREA = 2, 3, 1  # bubble-mask.ts TAIL_TIP_REACH, _OPEN_SCALE, _MIN_AREA
TIP_STROKE_REACH, TIP_STROKE_TOLERANCE, OUTLINE_DARK_MAX = 4, 32, 225  # crop-clutter.ts


def grow_through_outline_colour(bubble, characters, img, outline_px):
    """crop-clutter.ts growThroughOutlineColour: `bubble` (bool) plus the pixels reached from it in at most
    TIP_STROKE_REACH outlines of 8-neighbour steps through pixels within TIP_STROKE_TOLERANCE (each
    channel) of the outline's colour (per channel the lower median of the bubble's non-paper pixels),
    outside the `characters` pixels grown by an outline (elliptical dilation)."""
    dark = bubble & (img < OUTLINE_DARK_MAX).any(axis=2)
    steps = TIP_STROKE_REACH * outline_px
    if not dark.any() or steps <= 0:
        return bubble
    pixels = img[dark]
    rank = (len(pixels) - 1) // 2
    colour = np.sort(pixels, axis=0)[rank].astype(np.int16)
    ellipse = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * outline_px + 1, 2 * outline_px + 1))
    near = cv2.dilate(characters.astype(np.uint8), ellipse) > 0
    close = (np.abs(img.astype(np.int16) - colour) <= TIP_STROKE_TOLERANCE).all(axis=2)
    allowed = (close & ~near & ~bubble).astype(np.uint8)
    grown = bubble.astype(np.uint8)
    square = np.ones((3, 3), np.uint8)
    for _ in range(steps):
        step = cv2.dilate(grown, square) & (allowed | grown)
        if np.array_equal(step, grown):
            break
        grown = step
    return grown > 0


def remove_text_bubbles(mask, img, text_mask):
    """remove_text_bubbles_with_interiors's mask (bubble-mask.ts removeTextBubbles)."""
    return remove_text_bubbles_with_interiors(mask, img, text_mask)[0]


def mark_bubble_tails(labels, count, white, img, text_mask, bubble, reach_px):
    """bubble-mask.ts markBubbleTails: `bubble` (bool per label) plus the bubbles' closed tails, white
    areas without text that a straight walk of at most `reach_px` (right, left, down, up) from one of
    their pixels leads into a bubble interior (past non-white pixels and other white areas, not past
    their own), at most TAIL_MAX_AREA_SHARE of its area and of its paper colour (mean of the pixels
    without text, per channel within TAIL_PAPER_TOLERANCE). Vectorised over the candidates' pixels
    within reach of a bubble (a cross dilation) where the TypeScript scans every white pixel."""
    paper_px = white & (text_mask == 0)
    area = np.bincount(labels[white], minlength=count)
    paper_labels = labels[paper_px]
    paper = np.bincount(paper_labels, minlength=count)
    candidate = (area == paper) & ~bubble
    candidate[0] = False
    if not candidate.any() or not bubble.any():
        return bubble
    pixels = img[paper_px].astype(np.float64)
    sums = np.stack([np.bincount(paper_labels, weights=pixels[:, c], minlength=count) for c in range(3)], axis=1)
    mean = sums / np.maximum(paper, 1)[:, None]  # as sums[l] / paper[l] there (paper > 0 where compared)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (2 * reach_px + 1, 2 * reach_px + 1))
    near = cv2.dilate(bubble[labels].astype(np.uint8), cross) > 0
    ys, xs = np.nonzero(candidate[labels] & near)
    own = labels[ys, xs]
    h, w = labels.shape
    tail = np.zeros(count, bool)
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        walking = np.arange(len(ys))
        for k in range(1, reach_px + 1):
            cx, cy = xs[walking] + k * dx, ys[walking] + k * dy
            walking = walking[(cx >= 0) & (cy >= 0) & (cx < w) & (cy < h)]  # the walk stops at the edge
            if len(walking) == 0:
                break
            b = labels[ys[walking] + k * dy, xs[walking] + k * dx]
            l = own[walking]
            hit = bubble[b]  # own label (never a bubble) or a bubble ends the walk
            small = area[l[hit]] <= area[b[hit]] * TAIL_MAX_AREA_SHARE
            same_paper = (np.abs(mean[l[hit]] - mean[b[hit]]) <= TAIL_PAPER_TOLERANCE).all(axis=1)
            tail[l[hit][small & same_paper]] = True
            walking = walking[~hit & (b != l)]
    return bubble | tail


def remove_text_bubbles_with_interiors(mask, img, text_mask):
    """(mask, the bubble interiors cleared: bool, or None when none). Near-white areas of the mask
    (4-connected) that hold text-mask pixels and are at least BUBBLE_MIN_PAPER_SHARE paper (white, not
    text: text erased over art is not a bubble) are cleared with their closed tails (mark_bubble_tails),
    then a rectangular opening (2 x the morphology kernel + 1) over their box grown by twice that (reading
    one kernel beyond it, as the tip's opening does) removes the outline rings left (bubble-mask.ts removeTextBubblesWithInteriors, bubbleLabels, markBubbleTails);
    around each closed tail (its box grown by TAIL_TIP_REACH outlines) a second opening with a square
    TAIL_TIP_OPEN_SCALE outlines wide takes the tip's wedge off the head (tails of TAIL_TIP_MIN_AREA outlines
    squared or more: not the specks of anti-aliasing at a bubble's rim). The cleared interiors tell a bubble's leftovers (outline, tail) from a character (prep_ref_characters.py)."""
    in_mask = mask > MASK_THRESHOLD
    text_in_mask = (text_mask > 0) & in_mask
    if not text_in_mask.any():
        return mask, None
    white = (in_mask & (img >= BUBBLE_WHITE_MIN).all(axis=2)) | text_in_mask
    count, labels = cv2.connectedComponents(white.astype(np.uint8) * 255, connectivity=4)
    text = np.bincount(labels[text_in_mask], minlength=count)
    paper = np.bincount(labels[white & (text_mask == 0)], minlength=count)
    holds_text = (text > 0) & (paper >= (text + paper) * BUBBLE_MIN_PAPER_SHARE)
    holds_text[0] = False
    outline = morphology_kernel_px(mask.shape[1], mask.shape[0]) * 2 + 1
    with_tails = mark_bubble_tails(labels, count, white, img, text_mask, holds_text, outline)
    tails = np.flatnonzero(with_tails & ~holds_text)  # in label order, as markBubbleTails returns them
    holds_text = with_tails
    bubble = holds_text[labels]
    if not bubble.any():
        return mask, None
    cleared = mask.copy()
    cleared[bubble] = 0
    ys, xs = np.nonzero(bubble)
    h, w = mask.shape
    x0, y0 = max(0, xs.min() - 2 * outline), max(0, ys.min() - 2 * outline)
    x1, y1 = min(w, xs.max() + 1 + 2 * outline), min(h, ys.max() + 1 + 2 * outline)
    open_window(cleared, (x0, y0, x1, y1), outline, outline)  # padded: a head crossing the edge keeps its sides
    grow, kernel_px = TAIL_TIP_REACH * outline, TAIL_TIP_OPEN_SCALE * outline
    tail_px = np.bincount(labels.ravel(), minlength=count)
    for tail in tails:  # the tail's tip: its two strokes meet in a wedge wider than the outline
        if tail_px[tail] < TAIL_TIP_MIN_AREA * outline * outline:
            continue  # a speck of anti-aliasing at the bubble's rim, no tip
        ys, xs = np.nonzero(labels == tail)
        x0, y0 = max(0, xs.min() - grow), max(0, ys.min() - grow)
        win = (x0, y0, min(w, xs.max() + 1 + grow), min(h, ys.max() + 1 + grow))
        open_window(cleared, win, kernel_px, kernel_px)
    return cleared, bubble


def open_window(mask, win, kernel_px, pad_px):
    """bubble-mask.ts openWindow: opens `mask` with a `kernel_px` square inside `win` (x0, y0, x1, y1;
    exclusive ends), in place; the opening runs on `win` grown by `pad_px` (within the image), so the mask
    beyond the window's edge is seen, and only `win` is written back."""
    h, w = mask.shape
    x0, y0, x1, y1 = win
    px0, py0, px1, py1 = max(0, x0 - pad_px), max(0, y0 - pad_px), min(w, x1 + pad_px), min(h, y1 + pad_px)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_px, kernel_px))
    opened = cv2.morphologyEx(np.ascontiguousarray(mask[py0:py1, px0:px1]), cv2.MORPH_OPEN, kernel)
    mask[y0:y1, x0:x1] = opened[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]


def white_fraction(img, mask, box):
    """Share of the mask pixels inside `box` that are near-white (a text-emptied bubble)."""
    x, y, w, h = box
    inside = mask[y : y + h, x : x + w] > MASK_THRESHOLD
    count = inside.sum()
    if count == 0:
        return 0.0
    return ((img[y : y + h, x : x + w] >= BUBBLE_WHITE_MIN).all(axis=2) & inside).sum() / count


def place_span(centre, side, size):
    """Start of a square's side around centre, moved into 0..size where it fits, else covering it
    (src/prep/crop-box.ts placeSpan)."""
    start = js_round(centre - side / 2)
    return min(max(start, 0), size - side) if side <= size else min(max(start, size - side), 0)


def crop(img, box, isolate, margin=0.1, resolution=512):
    """The square with margin around the character's `box` (src/prep/crop-box.ts computeCropBox), cut out
    with white padding (cutSquare), the other characters and clutter painted over (`isolate`:
    prep_ref_paint_over.py character_isolator), resized to the training size (cv2: area down, cubic up;
    analyse-file.ts: libvips Lanczos down, cubic up): (the painted square, the crop)."""
    x, y, w, h = box
    side = max(1, js_round(max(w, h) * (1 + 2 * margin)))
    ih, iw = img.shape[:2]
    left, top = place_span(x + w / 2, side, iw), place_span(y + h / 2, side, ih)
    square = np.full((side, side, 3), 255, np.uint8)
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, iw), min(top + side, ih)
    if x1 > x0 and y1 > y0:
        square[y0 - top : y1 - top, x0 - left : x1 - left] = img[y0:y1, x0:x1]
    square = isolate(0, square, (left, top, side, side))
    interpolation = cv2.INTER_AREA if side > resolution else cv2.INTER_CUBIC
    return square, cv2.resize(square, (resolution, resolution), interpolation=interpolation)
