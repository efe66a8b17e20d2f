# bench/prep_ref_split_figures.py — touching characters cut apart, for the Python reference
# (bench/prep_reference.py): src/prep/split-figures.ts splitTouchingFigures in cv2/numpy, same constants
# and steps. The mask max-pooled to <= 256 px a side; per large part, cv2.distanceTransform (L2, 5x5)
# cores at 0.4 of the part's thickest point, strong cores (>= 0.45 of it) grouped by overlapping columns,
# cv2.watershed from them on the flat binary part; a split only when each figure spans 40% of the part's
# height and holds 10% of its pixels, is tall and large for its own thickness (4.5 x its peak tall,
# 8 x peak² in area: a child beside an adult is, a fist or hair bun is not) and the seam is at most 35%
# of its height; then the seam is cleared at full size.
import cv2
import numpy as np

# split-figures.ts CORE_LEVEL, STRONG_CORE, SAME_COLUMN_OVERLAP, FIGURE_MIN_HEIGHT, FIGURE_MIN_AREA,
# SEAM_MAX_SHARE, FIGURE_MIN_HEIGHT_PER_PEAK, FIGURE_MIN_AREA_PER_PEAK_SQ, MIN_SPLIT_PART_PX,
# ANALYSIS_SIDE_PX; mask-contours.ts MASK_THRESHOLD, SECONDARY_COMPONENT_MIN_FRACTION
CORE_LEVEL, STRONG_CORE, SAME_COLUMN_OVERLAP = 0.4, 0.45, 0.5
FIGURE_MIN_HEIGHT, FIGURE_MIN_AREA, SEAM_MAX_SHARE = 0.4, 0.1, 0.35
FIGURE_MIN_HEIGHT_PER_PEAK, FIGURE_MIN_AREA_PER_PEAK_SQ = 4.5, 8
MIN_SPLIT_PART_PX, ANALYSIS_SIDE_PX = 2000, 256
MASK_THRESHOLD, SECONDARY_COMPONENT_MIN_FRACTION = 127, 0.2
NEIGHBOURS_8 = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def _touches_other(figure):
    """Per pixel: an 8-neighbour belongs to a figure other than its own (the outer ring: False)."""
    h, w = figure.shape
    own = figure[1:-1, 1:-1]
    out = np.zeros((h, w), bool)
    for dy, dx in NEIGHBOURS_8:
        other = figure[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
        out[1:-1, 1:-1] |= (other > 0) & (other != own)
    return out


def _max_pool(set_pixels):
    """The set pixels max-pooled by a whole factor to at most ANALYSIS_SIDE_PX a side: (factor, uint8 0/255)."""
    h, w = set_pixels.shape
    factor = max(1, -(-max(w, h) // ANALYSIS_SIDE_PX))
    ph, pw = -(-h // factor), -(-w // factor)
    padded = np.zeros((ph * factor, pw * factor), bool)
    padded[:h, :w] = set_pixels
    return factor, padded.reshape(ph, factor, pw, factor).any(axis=(1, 3)).astype(np.uint8) * 255


def _figure_columns(dt, peak):
    """split-figures.ts figureColumns: (core labels, {core label: figure 1..n}, n)."""
    core_mask = (dt >= CORE_LEVEL * peak).astype(np.uint8) * 255
    n, core_labels, stats, _ = cv2.connectedComponentsWithStats(core_mask, connectivity=8, ltype=cv2.CV_32S)
    peaks = np.zeros(n, np.float32)
    np.maximum.at(peaks, core_labels.ravel(), dt.ravel())
    strong = [(c, stats[c, 0], stats[c, 0] + stats[c, 2]) for c in range(1, n) if peaks[c] >= STRONG_CORE * peak]
    parent = list(range(len(strong)))

    def root(i):
        return i if parent[i] == i else root(parent[i])

    for a in range(len(strong)):  # union the cores whose columns overlap (a head above its torso)
        for b in range(a + 1, len(strong)):
            (_, a0, a1), (_, b0, b1) = strong[a], strong[b]
            if min(a1, b1) - max(a0, b0) >= SAME_COLUMN_OVERLAP * min(a1 - a0, b1 - b0):
                parent[root(b)] = root(a)
    group_ids, group_of_core = {}, {}
    for i, (core, _, _) in enumerate(strong):
        group_of_core[core] = group_ids.setdefault(root(i), len(group_ids) + 1)
    return core_labels, group_of_core, len(group_ids)


def _resolve_figures(markers, in_part):
    """split-figures.ts resolveFigures: the watershed's boundary pixels take a 4-neighbour's figure,
    visited in raster order and updated in place (as the TypeScript does), up to 4 passes."""
    figure = np.where(in_part & (markers > 0), markers, 0).astype(np.int32)
    h, w = figure.shape
    for _ in range(4):
        left = 0
        todo = np.argwhere(in_part[1:-1, 1:-1] & (figure[1:-1, 1:-1] == 0)) + 1
        for y, x in todo:
            near = next((f for f in (figure[y, x - 1], figure[y, x + 1], figure[y - 1, x], figure[y + 1, x]) if f > 0), 0)
            if near:
                figure[y, x] = near
            else:
                left += 1
        if left == 0:
            break
    return figure


def _clear_split(figure, in_part, dt, figures, part_height, part_area):
    """split-figures.ts clearSplit: each figure spans and holds enough of the part and is tall and large
    for its own thickness (its largest distance-transform value, `peak`); the seam is short."""
    inner = np.zeros_like(in_part)
    inner[1:-1, 1:-1] = in_part[1:-1, 1:-1]
    counted = inner & (figure > 0)
    for f in range(1, figures + 1):
        own = (figure == f) & counted
        rows = np.nonzero(own)[0]
        if len(rows) == 0:
            return False
        height, area, peak = rows.max() - rows.min() + 1, len(rows), float(dt[own].max())
        if height < FIGURE_MIN_HEIGHT * part_height or area < FIGURE_MIN_AREA * part_area:
            return False
        if height < FIGURE_MIN_HEIGHT_PER_PEAK * peak or area < FIGURE_MIN_AREA_PER_PEAK_SQ * peak * peak:
            return False
    seam = (counted & _touches_other(figure)).sum()
    return seam / 2 <= SEAM_MAX_SHARE * part_height  # two pixels wide: its length is half its pixels


def _split_part(labels, part):
    """Each pixel's figure over the part's box plus a pixel, or None when it is one figure."""
    label, x, y, w, h, area = part
    in_part = np.zeros((h + 2, w + 2), bool)
    in_part[1:-1, 1:-1] = labels[y : y + h, x : x + w] == label
    roi = in_part.astype(np.uint8) * 255
    dt = cv2.distanceTransform(roi, cv2.DIST_L2, 5)
    peak = float(dt.max())
    if peak < 3:
        return None
    core_labels, group_of_core, groups = _figure_columns(dt, peak)
    if groups < 2:
        return None
    lookup = np.zeros(core_labels.max() + 1, np.int32)
    for core, group in group_of_core.items():
        lookup[core] = group
    markers = lookup[core_labels]
    cv2.watershed(cv2.cvtColor(roi, cv2.COLOR_GRAY2BGR), markers)
    figure = _resolve_figures(markers, in_part)
    return figure if _clear_split(figure, in_part, dt, groups, h, area) else None


def _cut_seam(out, set_pixels, factor, figure, x0, y0):
    """split-figures.ts cutSeam: in the pooled seam blocks, clear each full-size mask pixel with an
    8-neighbour mask pixel of another figure (pixels past the image count as none)."""
    seam = np.zeros_like(figure, bool)
    seam[1:-1, 1:-1] = (figure[1:-1, 1:-1] > 0) & _touches_other(figure)[1:-1, 1:-1]
    sy, sx = np.nonzero(seam)
    h, w = set_pixels.shape
    # full-size box of the seam blocks, plus a pixel of neighbours all round
    fy0, fx0 = max((y0 + sy.min()) * factor - 1, 0), max((x0 + sx.min()) * factor - 1, 0)
    fy1, fx1 = min((y0 + sy.max() + 1) * factor + 1, h), min((x0 + sx.max() + 1) * factor + 1, w)
    ys, xs = np.arange(fy0, fy1) // factor - y0, np.arange(fx0, fx1) // factor - x0
    fh, fw = figure.shape
    vy, vx = (ys >= 0) & (ys < fh), (xs >= 0) & (xs < fw)
    big = np.zeros((len(ys), len(xs)), np.int32)
    big[np.ix_(vy, vx)] = figure[np.ix_(ys[vy], xs[vx])]
    big[~set_pixels[fy0:fy1, fx0:fx1]] = 0
    in_seam = np.zeros_like(big, bool)
    in_seam[np.ix_(vy, vx)] = seam[np.ix_(ys[vy], xs[vx])]
    padded = np.pad(big, 1)
    cut = _touches_other(padded)[1:-1, 1:-1] & (big > 0) & in_seam
    out[fy0:fy1, fx0:fx1][cut] = 0


def split_touching_figures(mask):
    """(`mask` with every part that clearly holds several touching figures cut along their seam, parts split)."""
    set_pixels = mask > MASK_THRESHOLD
    factor, pooled = _max_pool(set_pixels)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(pooled, connectivity=8, ltype=cv2.CV_32S)
    parts = [(label, *(int(v) for v in stats[label])) for label in range(1, count)]
    largest = max((p[5] for p in parts), default=0)
    out, splits = mask, 0
    for part in parts:
        if part[5] * factor * factor < MIN_SPLIT_PART_PX or part[5] < largest * SECONDARY_COMPONENT_MIN_FRACTION:
            continue
        figure = _split_part(labels, part)
        if figure is None:
            continue
        out = mask.copy() if out is mask else out
        _cut_seam(out, set_pixels, factor, figure, part[1] - 1, part[2] - 1)
        splits += 1
    return out, splits
