# bench/prep_ref_characters.py — which mask parts are characters, for the Python reference
# (bench/prep_reference.py), as src/prep/analyse-file.ts findCharacters picks them (`largest` mode, no
# person detector): the mask's external contours, less speech bubbles (almost all white:
# mask-contours.ts whiteFractionWithin; what is left of one whose interior was cleared, its outline ring
# or tail: bubble-remnant.ts isBubbleRemnant) and filled rectangles (mask-contours.ts looksLikePanel);
# then the crop's clutter (crop-clutter.ts cropClutter): the bubbles whole (every part of the raw mask
# that held a cleared interior, and the parts left out as bubbles) leave the mask, and they and the
# removed text are painted over in the crop (prep_ref_paint_over.py). Same constants.
import cv2
import numpy as np

from prep_ref_crop import BUBBLE_WHITE_FRACTION, MASK_THRESHOLD, grow_through_outline_colour, white_fraction
from prep_ref_js import grown_box
from prep_ref_text_remove import dilated

# bubble-remnant.ts BUBBLE_REMNANT_SHARE, HOLLOW_FILL_SHARE, HOLLOW_REMNANT_SHARE
BUBBLE_REMNANT_SHARE, HOLLOW_FILL_SHARE, HOLLOW_REMNANT_SHARE = 0.8, 0.5, 0.3
PANEL_FILL_FRACTION, PANEL_EDGE_FRACTION = 0.8, 0.9  # mask-contours.ts
SECONDARY_COMPONENT_MIN_FRACTION = 0.2  # mask-contours.ts


def mask_contours(mask):
    """mask-contours.ts findMaskContours: (area, (x, y, w, h)) of each external contour of mask > 127,
    largest area first (then largest box)."""
    binary = ((mask > MASK_THRESHOLD) * 255).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = [(cv2.contourArea(c), cv2.boundingRect(c)) for c in contours]
    return sorted(found, key=lambda c: (-c[0], -c[1][2] * c[1][3]))


def select_characters(contours, mode):
    """mask-contours.ts selectCharacterContours: the largest, or ('all') every contour of at least
    SECONDARY_COMPONENT_MIN_FRACTION of its area."""
    if not contours or contours[0][0] <= 0:
        return []
    if mode == "largest":
        return contours[:1]
    return [c for c in contours if c[0] >= contours[0][0] * SECONDARY_COMPONENT_MIN_FRACTION]


def bubble_remnant_share(mask, interiors, box, reach_px):
    """bubble-remnant.ts bubbleRemnantShare: share of the mask pixels in `box` within `reach_px` of a
    cleared interior pixel (0 with none)."""
    if interiors is None:
        return 0.0
    h, w = mask.shape
    gx, gy, gw, gh = grown_box(box, reach_px, w, h)
    local = interiors[gy : gy + gh, gx : gx + gw]
    if not local.any():
        return 0.0
    near = dilated(local, reach_px)
    x, y, bw, bh = box
    in_mask = mask[y : y + bh, x : x + bw] > MASK_THRESHOLD
    count = int(in_mask.sum())
    return 0.0 if count == 0 else int((near[y - gy : y - gy + bh, x - gx : x - gx + bw] & in_mask).sum()) / count


def is_bubble_remnant(mask, interiors, text_mask, part, reach_px):
    """bubble-remnant.ts isBubbleRemnant: mostly along a cleared interior, or hollow (its pixels under
    HOLLOW_FILL_SHARE of its contour's area) around removed text or partly along an interior."""
    area, (x, y, w, h) = part
    share = bubble_remnant_share(mask, interiors, part[1], reach_px)
    if share >= BUBBLE_REMNANT_SHARE:
        return True
    in_mask = mask[y : y + h, x : x + w] > MASK_THRESHOLD
    if in_mask.sum() >= HOLLOW_FILL_SHARE * area:
        return False
    return bool((text_mask[y : y + h, x : x + w][~in_mask] > 0).any()) or share >= HOLLOW_REMNANT_SHARE


def looks_like_panel(mask, box):
    """mask-contours.ts looksLikePanel: the part fills PANEL_FILL_FRACTION of its box and each side,
    2 px in, is PANEL_EDGE_FRACTION mask (a panel interior, a narration box)."""
    x, y, w, h = box
    if w < 8 or h < 8:
        return False
    inside = mask[y : y + h, x : x + w] > MASK_THRESHOLD
    if inside.sum() < PANEL_FILL_FRACTION * w * h:
        return False
    sides = (inside[2, :], inside[h - 3, :], inside[:, 2], inside[:, w - 3])
    return all(side.mean() >= PANEL_EDGE_FRACTION for side in sides)


def label_components(mask):
    """character-isolate.ts labelMaskComponents: (8-connected labels of mask > 127, each label's box)."""
    binary = ((mask > MASK_THRESHOLD) * 255).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_32S)
    return labels, [tuple(int(v) for v in s[:4]) for s in stats]


def component_of_box(components, box):
    """character-isolate.ts componentOfBox: the component whose box is `box` (a contour's bounding
    rectangle is its component's), else the one with most pixels inside it; 0 when none."""
    labels, boxes = components
    for label, b in enumerate(boxes):
        if label > 0 and b == tuple(box):
            return label
    x, y, w, h = box
    counts = np.bincount(labels[y : y + h, x : x + w].ravel())
    counts[0] = 0
    return int(counts.argmax()) if counts.any() else 0


def crop_clutter(raw, interiors, mask, text_mask, characters, bubble_parts, img=None, outline_px=0):
    """crop-clutter.ts cropClutter: (`mask` without the bubbles, the clutter to paint over or None).
    Bubbles: the parts of the segmenter's `raw` mask holding a cleared interior pixel, less the
    `characters` parts of `mask`, plus the `bubble_parts`; clutter: the bubbles grown through strokes of
    their outline's colour (with `img`: prep_ref_crop.grow_through_outline_colour) and the removed text."""
    bubble = np.zeros(mask.shape, bool)
    if interiors is not None or bubble_parts:
        parts = label_components(mask)
        own = np.zeros(len(parts[1]), bool)
        left = np.zeros(len(parts[1]), bool)
        own[[component_of_box(parts, b) for b in characters]] = True
        left[[component_of_box(parts, b) for b in bubble_parts]] = True
        own[0] = left[0] = False  # crop-clutter.ts labelsOf marks components only
        bubble = left[parts[0]]
        if interiors is not None:
            raw_labels, raw_boxes = label_components(raw)
            held = np.zeros(len(raw_boxes), bool)
            held[raw_labels[interiors]] = True
            held[0] = False
            bubble |= held[raw_labels]
        bubble &= ~own[parts[0]]
    grown = bubble
    if img is not None and bubble.any():
        grown = grow_through_outline_colour(bubble, own[parts[0]], img, outline_px)
    clutter = grown | (text_mask > 0)
    cleaned = mask
    if bubble.any():
        cleaned = mask.copy()
        cleaned[bubble] = 0
    return cleaned, (clutter if clutter.any() else None)


def find_characters(raw, split, interiors, clean, text_mask, outline_px):
    """analyse-file.ts findCharacters (`largest`) from the segmenter's `raw` mask and `split` (bubbles
    out, touching figures cut apart): (mask the crop reads, the character's box or None, every
    character's box, the clutter or None)."""
    found = mask_contours(split)
    bubble_like = [
        white_fraction(clean, split, c[1]) > BUBBLE_WHITE_FRACTION
        or is_bubble_remnant(split, interiors, text_mask, c, 2 * outline_px)
        for c in found
    ]
    not_bubbles = [c for c, bubble in zip(found, bubble_like) if not bubble]
    contours = [c for c in not_bubbles if not looks_like_panel(split, c[1])]
    chosen = select_characters(contours, "largest")
    everyone = [c[1] for c in select_characters(contours, "all")]
    bubble_parts = [c[1] for c, bubble in zip(found, bubble_like) if bubble]
    mask, clutter = crop_clutter(raw, interiors, split, text_mask, everyone, bubble_parts, clean, outline_px)
    return mask, (chosen[0][1] if chosen else None), everyone, clutter
