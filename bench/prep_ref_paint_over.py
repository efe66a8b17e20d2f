# bench/prep_ref_paint_over.py — for the Python reference (bench/prep_reference.py): each crop shows its
# character alone (src/prep/character-isolate.ts paintOutOtherCharacters, characterIsolator): the other
# characters' mask parts and the clutter (speech bubbles, removed text), grown for their anti-aliasing,
# are painted over with the background beside them, run by run (src/prep/paint-over.ts paintOverRuns:
# a textured background carried on by its period, else the row's sides blended, the column's sides
# outvoting a row side that disagrees with both; each side the median over its row or column and the
# SIDE_BAND either side, or the square's paper where the side is lines over it). Same constants and
# rules; numpy per row and per run
# where the TypeScript loops per pixel. Images are BGR here (RGB there): only luma names the channels.
import numpy as np

from prep_ref_characters import component_of_box, label_components
from prep_ref_text_remove import dilated

BACKGROUND, OTHER, OWN, CLUTTER = 0, 1, 2, 3  # paint-over.ts PIXEL
# paint-over.ts MAX_TEXTURE_PERIOD, TEXTURE_MIN_CONTRAST, PERIOD_MAX_SHARE, SIDE_SAMPLES, SIDES_AGREE
MAX_TEXTURE_PERIOD, TEXTURE_MIN_CONTRAST, PERIOD_MAX_SHARE, SIDE_SAMPLES, SIDES_AGREE = 16, 8, 0.5, 15, 48
SIDE_BAND = 4  # paint-over.ts SIDE_BAND
LINE_SIDE_MIN_SHARE = 0.2  # paint-over.ts LINE_SIDE_MIN_SHARE
ROW_STEP = 3  # backgroundPeriod looks at every third row


def js_round_array(values):
    """Math.round (halves up) over an array."""
    return np.floor(np.asarray(values, np.float64) + 0.5).astype(np.int64)


def background_period(square, kind):
    """paint-over.ts backgroundPeriod: the background's horizontal period, 1 when flat or none repeats."""
    rows = square[::ROW_STEP].astype(np.float64)
    # a Float32Array there: each luma rounded to float32
    luma = (0.3 * rows[..., 2] + 0.59 * rows[..., 1] + 0.11 * rows[..., 0]).astype(np.float32).astype(np.float64)
    back = kind[::ROW_STEP] == BACKGROUND

    def mean(p):
        if p >= luma.shape[1]:
            return np.inf
        both = back[:, :-p] & back[:, p:]
        count = both.sum()
        return np.abs(luma[:, :-p] - luma[:, p:])[both].sum() / count if count else np.inf

    neighbour = mean(1)
    if not (neighbour > TEXTURE_MIN_CONTRAST) or not np.isfinite(neighbour):
        return 1
    means = [mean(p) for p in range(2, MAX_TEXTURE_PERIOD + 1)]
    best = min(means)
    if not (best <= PERIOD_MAX_SHARE * neighbour):
        return 1
    return next((p for p, m in zip(range(2, MAX_TEXTURE_PERIOD + 1), means) if m <= best * 1.25 + 1), 1)


def paper_colour(square, kind):
    """paint-over.ts paperColour: the mean colour (BGR here) of the commonest background colour, 16 levels
    a channel, over every other pixel of every other row (bins ordered R, G, B as there, so a tie picks
    the same bin); None when there is no background pixel."""
    pixels = square[::2, ::2][kind[::2, ::2] == BACKGROUND].astype(np.int64)
    if len(pixels) == 0:
        return None
    b, g, r = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    bins = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4)
    best = np.argmax(np.bincount(bins, minlength=4096))  # the first of the commonest, as there
    return js_round_array(pixels[bins == best].sum(axis=0) / (bins == best).sum())


def lines_over_paper(pixels, run, paper):
    """paint-over.ts linesOverPaper: whether a side's samples (`pixels` where `run`, one row per parallel
    run) are lines over `paper`: at least LINE_SIDE_MIN_SHARE of them paper (every channel within
    SIDES_AGREE) and as many not, and half or more of the runs that hold samples hold both."""
    on_paper = run & (np.abs(pixels.astype(np.int64) - paper) <= SIDES_AGREE).all(axis=-1)
    per_run, paper_per_run = run.sum(axis=1), on_paper.sum(axis=1)
    n, on = per_run.sum(), paper_per_run.sum()
    held = (per_run > 0).sum()
    crossed = ((paper_per_run > 0) & (paper_per_run < per_run)).sum()
    least = LINE_SIDE_MIN_SHARE * n
    return on >= least and n - on >= least and crossed * 2 >= held and held > 0


def side_colour(square, kind, x, y, dx, dy, paper=None):
    """paint-over.ts sideColour: the per-channel median (upper middle) of the background runs from (`x`,
    `y`) going (`dx`, `dy`), at most SIDE_SAMPLES pixels each, on that row (or column) and the SIDE_BAND
    either side of it (each from the same distance along, only while background), or `paper` where they
    are lines over it (lines_over_paper); None when (`x`, `y`) is not a background pixel of the square."""
    h, w = kind.shape
    if not (0 <= x < w and 0 <= y < h) or kind[y, x] != BACKGROUND:
        return None
    steps, band = np.arange(SIDE_SAMPLES), np.arange(-SIDE_BAND, SIDE_BAND + 1)
    if dy == 0:  # a row's side: rows y +- SIDE_BAND, columns from x on (a prefix: walks stop at the edge)
        xs, ys = x + dx * steps, y + band
        xs, ys = xs[(xs >= 0) & (xs < w)], ys[(ys >= 0) & (ys < h)]
        kinds, pixels = kind[np.ix_(ys, xs)], square[np.ix_(ys, xs)]
    else:  # a column's side: columns x +- SIDE_BAND, rows from y on; lines first
        ys, xs = y + dy * steps, x + band
        ys, xs = ys[(ys >= 0) & (ys < h)], xs[(xs >= 0) & (xs < w)]
        kinds, pixels = kind[np.ix_(ys, xs)].T, square[np.ix_(ys, xs)].transpose(1, 0, 2)
    run = np.logical_and.accumulate(kinds == BACKGROUND, axis=1)
    if paper is not None and lines_over_paper(pixels, run, paper):
        return paper.copy()
    values = pixels[run].astype(np.int64)
    return np.sort(values, axis=0)[len(values) >> 1]


def painted_runs(kinds):
    """(start, end) of each run of painted (other or clutter) pixels in a row or column."""
    painted = np.concatenate(([False], (kinds == OTHER) | (kinds == CLUTTER), [False]))
    edges = np.flatnonzero(painted[1:] != painted[:-1])
    return edges[0::2], edges[1::2]


def column_sides(square, kind, paper):
    """paint-over.ts columnSides: per painted pixel, the colours above and below its column run (-1
    where none; sides as side_colour with `paper`) and its share of the way down the run."""
    h, w = kind.shape
    up = np.full((h, w, 3), -1, np.int64)
    down = np.full((h, w, 3), -1, np.int64)
    share = np.zeros((h, w), np.float32)  # a Float32Array there
    for x in range(w):
        starts, ends = painted_runs(kind[:, x])
        for start, end in zip(starts, ends):
            above = side_colour(square, kind, x, start - 1, 0, -1, paper)
            below = side_colour(square, kind, x, end, 0, 1, paper)
            share[start:end, x] = (np.arange(start, end) - start + 1) / (end - start + 1)
            if above is not None:
                up[start:end, x] = above
            if below is not None:
                down[start:end, x] = below
    return up, down, share


def agree(a, b):
    """Per pixel (rows of `a`, `b`): no channel differs by more than SIDES_AGREE."""
    return (np.abs(a - b) <= SIDES_AGREE).all(axis=-1)


def blend(a, b, f):
    return js_round_array(a + (b - a) * np.asarray(f, np.float64)[..., None])


def combine_sides(left, right, t, u, d, s):
    """paint-over.ts combineSides over a run's pixels: the row decides (its two sides blended at `t`, or
    its one side) unless the column's two sides (`u`, `d`: -1 where none; blended at `s`) agree with each
    other and a row side does not agree with them. (colours, whether each pixel got one)."""
    n = len(t)
    has_u, has_d = u[:, 0] >= 0, d[:, 0] >= 0
    column = np.where((has_u & has_d)[:, None], blend(u, d, s), np.where(has_u[:, None], u, d))
    column_agrees = has_u & has_d & agree(u, d)
    if left is not None and right is not None:
        row_blend = blend(np.broadcast_to(left, (n, 3)), np.broadcast_to(right, (n, 3)), t)
        if agree(left, right):
            return row_blend, np.ones(n, bool)
        side = np.where(agree(left, column)[:, None], left, np.where(agree(right, column)[:, None], right, column))
        return np.where(column_agrees[:, None], side, row_blend), np.ones(n, bool)
    row = left if left is not None else right
    if row is not None:
        return np.where((column_agrees & ~agree(row, column))[:, None], column, row), np.ones(n, bool)
    return column, has_u | has_d


def paint_over_runs(square, kind):
    """paint-over.ts paintOverRuns: the square with its other / clutter pixels painted over, row by row."""
    h, w = kind.shape
    out = square.copy()
    period = background_period(square, kind)
    paper = None if period > 1 else paper_colour(square, kind)  # no paper on a textured background
    columns = None
    for y in range(h):
        kinds, line = kind[y], square[y]
        starts, ends = painted_runs(kinds)
        for start, end in zip(starts, ends):
            left_tile = period > 1 and start - period >= 0 and (kinds[start - period : start] == BACKGROUND).all()
            right_tile = period > 1 and end + period <= w and (kinds[end : end + period] == BACKGROUND).all()
            if left_tile or right_tile:
                i = np.arange(start, end)
                from_left = np.logical_and(left_tile, np.logical_or(not right_tile, i - start < end - i))
                source = np.where(from_left, start - period + (i - start) % period, end + (i - end) % period)
                out[y, start:end] = line[source]
                continue
            left = side_colour(square, kind, start - 1, y, -1, 0, paper)
            right = side_colour(square, kind, end, y, 1, 0, paper)
            t = (np.arange(start, end) - start + 1) / (end - start + 1)
            if left is not None and right is not None and agree(left, right):  # the common case, no column
                out[y, start:end] = js_round_array(left + (right - left) * t[:, None])
                continue
            if columns is None:
                columns = column_sides(square, kind, paper)
            up, down, share = columns
            colour, has = combine_sides(left, right, t, up[y, start:end], down[y, start:end], share[y, start:end])
            out[y, start:end][has] = colour[has]
            white = ~has & (kinds[start:end] == OTHER)
            out[y, start:end][white] = 255
    return out


def paint_out_others(square, crop_box, components, own, others, grow_px, clutter):
    """character-isolate.ts paintOutOtherCharacters: `square` (cut at `crop_box`) with the `others`
    components and `clutter` (bool, image-sized), grown by `grow_px`, painted over except on `own`."""
    if not others and clutter is None:
        return square
    labels, boxes = components
    ih, iw = labels.shape
    other = np.zeros(len(boxes) + 1, bool)
    other[[o for o in others if o >= 0]] = True
    cx, cy, cw, ch = crop_box
    x0, y0, w, h = cx - grow_px, cy - grow_px, cw + 2 * grow_px, ch + 2 * grow_px
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + w, iw), min(y0 + h, ih)
    local = np.zeros((h, w), bool)
    local_clutter = np.zeros((h, w), bool)
    if sx1 > sx0 and sy1 > sy0:
        is_other = other[labels[sy0:sy1, sx0:sx1]]
        local[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = is_other
        if clutter is not None:
            local_clutter[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = clutter[sy0:sy1, sx0:sx1] & ~is_other
    if not local.any() and not local_clutter.any():
        return square
    grown = dilated(local, grow_px)[grow_px : grow_px + ch, grow_px : grow_px + cw]
    grown_clutter = (dilated(local_clutter, grow_px) if clutter is not None else local_clutter)[
        grow_px : grow_px + ch, grow_px : grow_px + cw
    ]
    own_here = np.zeros((ch, cw), bool)
    ox0, oy0, ox1, oy1 = max(cx, 0), max(cy, 0), min(cx + cw, iw), min(cy + ch, ih)
    if ox1 > ox0 and oy1 > oy0:
        own_here[oy0 - cy : oy1 - cy, ox0 - cx : ox1 - cx] = labels[oy0:oy1, ox0:ox1] == own
    kind = np.where(own_here, OWN, np.where(grown, OTHER, np.where(grown_clutter, CLUTTER, BACKGROUND))).astype(
        np.uint8
    )
    return paint_over_runs(square, kind)


def character_isolator(mask, boxes, grow_px, everyone, clutter):
    """character-isolate.ts characterIsolator: (index, square, crop box) -> the square with every other
    character of `everyone` and the `clutter` painted over; identity with one character and no clutter."""
    if len(everyone) < 2 and clutter is None:
        return lambda _index, square, _box: square
    components = label_components(mask)
    owners = [component_of_box(components, box) for box in boxes]
    every = list(dict.fromkeys(owners + [component_of_box(components, box) for box in everyone]))

    def isolate(index, square, crop_box):
        own = owners[index] if index < len(owners) else 0
        others = [label for label in every if label > 0 and label != own]
        return paint_out_others(square, crop_box, components, own, others, grow_px, clutter)

    return isolate
