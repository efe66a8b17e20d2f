# bench/prep_ref_js.py — JavaScript number habits the TypeScript prep uses, for the Python reference
# (bench/prep_reference.py) to give the same integers: Math.round and the prep's upper median.
import math

import numpy as np


def js_round(value):
    """JavaScript's Math.round (halves up), which the TypeScript side uses."""
    return math.floor(value + 0.5)


def js_median(values):
    """sorted[floor(n / 2)] (the upper of the two middle values), 0 when empty, as
    src/prep/text-outline.ts median does."""
    if len(values) == 0:
        return 0
    return np.sort(np.asarray(values), axis=0)[len(values) // 2]


def grown_box(box, by, width, height):
    """`box` (x, y, w, h) grown by `by` px on every side, clipped to the image (src/prep/crop-box.ts grownBox)."""
    x, y = max(box[0] - by, 0), max(box[1] - by, 0)
    return x, y, min(box[0] + box[2] + by, width) - x, min(box[1] + box[3] + by, height) - y
