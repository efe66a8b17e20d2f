# bench/prep_reference.py — the Python reference the prep benchmark (bench/prep-speed.ts) compares the
# TypeScript stages against: the same model file, input sizes and pre/post-processing, written the way
# upstream PaddleOCR writes them (opencv-python + onnxruntime + pyclipper, tools/infer/predict_det.py,
# ppocr/postprocess/db_postprocess.py), plus the same text removal, the same classic segmenter (a
# cv2/numpy port of src/prep/segment-classic.ts: ~512 px working copy, border-ring seed colours,
# gradient-aware fill, rectangular opening/closing, bilinear scale-back) and the same square crop
# (src/prep/crop-box.ts, resized as src/prep/analyse-file.ts does). Prints one JSON object: per-stage ms per image and every image's boxes;
# with --serve it answers one JSON line per image path read from stdin (bench/prep-speed.ts uses this
# to alternate TypeScript and Python image by image, so both see the same background load).
# Run: trainer/.venv/bin/python bench/prep_reference.py --model <det.onnx> --repeats 3 <images...>
import argparse
import json
import math
import os
import sys
import time

# onnxruntime 1.29+ uploads telemetry and writes a device id and /tmp/mat-debug-<pid>.log unless this is set
# before it loads (src/vision/ort-telemetry.ts does the same for the product)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import cv2
import numpy as np
import onnxruntime as ort
import pyclipper

LIMIT_SIDE_LEN = 960
THRESH, BOX_THRESH, UNCLIP_RATIO, MAX_CANDIDATES, MIN_SIZE = 0.3, 0.6, 1.5, 1000, 3
GROW_RATIO = 0.15  # toonlora's extra growth (src/prep/text-detect-paddle.ts DEFAULT_GROW_RATIO)
DILATE_PX, INPAINT_RADIUS, RING_PX, FLAT_MAX_STD = 4, 3, 3, 8  # prep.textDilatePx / inpaintRadius defaults
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 1, 3)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 1, 3)


def det_resize(img):
    h, w = img.shape[:2]
    ratio = LIMIT_SIDE_LEN / max(h, w) if max(h, w) > LIMIT_SIDE_LEN else 1.0
    rh = max(int(round(int(h * ratio) / 32) * 32), 32)
    rw = max(int(round(int(w * ratio) / 32) * 32), 32)
    return cv2.resize(img, (rw, rh))


def mini_box(contour):
    rect = cv2.minAreaRect(contour)
    pts = sorted(list(cv2.boxPoints(rect)), key=lambda p: p[0])
    i1, i4 = (0, 1) if pts[1][1] > pts[0][1] else (1, 0)
    i2, i3 = (2, 3) if pts[3][1] > pts[2][1] else (3, 2)
    return np.array([pts[i1], pts[i2], pts[i3], pts[i4]]), min(rect[1])


def box_score_fast(pred, box):
    h, w = pred.shape
    xmin = np.clip(np.floor(box[:, 0].min()).astype(int), 0, w - 1)
    xmax = np.clip(np.ceil(box[:, 0].max()).astype(int), 0, w - 1)
    ymin = np.clip(np.floor(box[:, 1].min()).astype(int), 0, h - 1)
    ymax = np.clip(np.ceil(box[:, 1].max()).astype(int), 0, h - 1)
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box.copy()
    shifted[:, 0] -= xmin
    shifted[:, 1] -= ymin
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(pred[ymin : ymax + 1, xmin : xmax + 1], mask)[0]


def offset(points, distance):
    pco = pyclipper.PyclipperOffset()
    pco.AddPath([(int(x), int(y)) for x, y in points], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(pco.Execute(distance)).reshape(-1, 2)


def detect(session, img_bgr, timings=None):
    src_h, src_w = img_bgr.shape[:2]
    t0 = time.perf_counter()
    resized = det_resize(img_bgr)
    x = ((resized.astype(np.float32) * np.float32(1 / 255.0) - MEAN) / STD).transpose(2, 0, 1)[None]
    x = np.ascontiguousarray(x)
    t1 = time.perf_counter()
    pred = session.run(None, {"x": x})[0][0, 0]
    t2 = time.perf_counter()
    height, width = pred.shape
    bitmap = (pred > THRESH).astype(np.uint8) * 255
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    regions = []
    for contour in contours[:MAX_CANDIDATES]:
        box, sside = mini_box(contour)
        if sside < MIN_SIZE:
            continue
        score = box_score_fast(pred, box)
        if score < BOX_THRESH:
            continue
        area, length = cv2.contourArea(box.astype(np.float32)), cv2.arcLength(box.astype(np.float32), True)
        expanded = offset(box, area * UNCLIP_RATIO / length)
        if len(expanded) < 3:
            continue
        box, sside = mini_box(expanded.reshape(-1, 1, 2).astype(np.int32))
        if sside < MIN_SIZE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * src_w), 0, src_w - 1)
        box[:, 1] = np.clip(np.round(box[:, 1] / height * src_h), 0, src_h - 1)
        if int(np.linalg.norm(box[0] - box[1])) <= 3 or int(np.linalg.norm(box[0] - box[3])) <= 3:
            continue
        short = min(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[0] - box[3]))
        grown = offset(box, max(1, round(short * GROW_RATIO)))
        grown[:, 0] = np.clip(grown[:, 0], 0, src_w - 1)
        grown[:, 1] = np.clip(grown[:, 1], 0, src_h - 1)
        regions.append({"polygon": grown.tolist(), "score": float(score)})
    if timings is not None:
        timings.update(prepare=(t1 - t0) * 1000, network=(t2 - t1) * 1000, postprocess=(time.perf_counter() - t2) * 1000)
    return regions


def colour_bins(pixels):
    p = pixels.astype(np.int32) >> 4
    return (p[..., 0] << 8) | (p[..., 1] << 4) | p[..., 2]


def art_text_pixels(area_img, component, ring_pixels):
    """Letters over art: colours absent from the ring (+-1 bin), grown by 6% of the short side."""
    counts = np.bincount(colour_bins(ring_pixels), minlength=4096)
    present = np.zeros((16, 16, 16), bool)
    present.reshape(-1)[counts >= max(1, len(ring_pixels) * 0.005)] = True
    grown = np.zeros_like(present)
    for dr in (-1, 0, 1):
        for dg in (-1, 0, 1):
            for db in (-1, 0, 1):
                shifted = np.roll(np.roll(np.roll(present, dr, 0), dg, 1), db, 2)
                if dr: shifted[0 if dr > 0 else -1, :, :] = False
                if dg: shifted[:, 0 if dg > 0 else -1, :] = False
                if db: shifted[:, :, 0 if db > 0 else -1] = False
                grown |= shifted
    foreign = component & ~grown.reshape(-1)[colour_bins(area_img)]
    if foreign.sum() < component.sum() * 0.02:
        return None
    r = max(2, round(min(component.shape) * 0.06))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return (cv2.dilate(foreign.astype(np.uint8) * 255, kernel) > 0) & component


def remove_text(img, regions):
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    if not regions:
        return img, mask
    cv2.fillPoly(mask, [np.array(r["polygon"], np.int32) for r in regions], 255)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * DILATE_PX + 1, 2 * DILATE_PX + 1))
    mask = cv2.dilate(mask, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = img.copy()
    inpaint_mask = np.zeros_like(mask)
    ring_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING_PX + 1, 2 * RING_PX + 1))
    for label in range(1, count):
        x, y, bw, bh, _ = stats[label]
        x0, y0 = max(x - RING_PX, 0), max(y - RING_PX, 0)
        x1, y1 = min(x + bw + RING_PX, w), min(y + bh + RING_PX, h)
        component = (labels[y0:y1, x0:x1] == label).astype(np.uint8) * 255
        ring = (cv2.dilate(component, ring_kernel) > 0) & (mask[y0:y1, x0:x1] == 0)
        pixels = img[y0:y1, x0:x1][ring]
        inside = labels == label
        if len(pixels) >= 8 and pixels.std(axis=0).max() <= FLAT_MAX_STD:
            out[inside] = np.round(pixels.mean(axis=0)).astype(np.uint8)
        else:
            letters = art_text_pixels(img[y : y + bh, x : x + bw], labels[y : y + bh, x : x + bw] == label, pixels)
            if letters is None:
                inpaint_mask[inside] = 255
            else:
                inpaint_mask[y : y + bh, x : x + bw][letters] = 255
    if inpaint_mask.any():
        filled = cv2.inpaint(out, inpaint_mask, INPAINT_RADIUS, cv2.INPAINT_NS)
        out[inpaint_mask > 0] = filled[inpaint_mask > 0]
    return out, mask


# The classic segmenter of src/prep/segment-classic.ts, same parameters, in cv2/numpy.
WORKING_PIXELS, TOLERANCE, GRADIENT_STEP, GRADIENT_DRIFT, SEED_MIN_SHARE = 512 * 512, 40, 3, 2.5, 0.1


def js_round(value):
    """JavaScript's Math.round (halves up), which the TypeScript side uses."""
    return math.floor(value + 0.5)


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
                near |= within(img, seed, tolerance)
                drift |= within(img, seed, tolerance * GRADIENT_DRIFT)
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


# Speech bubbles out of the character mask (src/prep/bubble-mask.ts, mask-contours.ts).
MASK_THRESHOLD, BUBBLE_WHITE_MIN, BUBBLE_WHITE_FRACTION = 127, 225, 0.9


def remove_text_bubbles(mask, img, text_mask):
    """Near-white areas of the mask (4-connected) that hold text-mask pixels are cleared, then a
    rectangular opening (2 x the morphology kernel + 1) over their box grown by twice that removes
    the outline rings left."""
    in_mask = mask > MASK_THRESHOLD
    text_in_mask = (text_mask > 0) & in_mask
    if not text_in_mask.any():
        return mask
    white = (in_mask & (img >= BUBBLE_WHITE_MIN).all(axis=2)) | text_in_mask
    count, labels = cv2.connectedComponents(white.astype(np.uint8) * 255, connectivity=4)
    holds_text = np.zeros(count, bool)
    holds_text[labels[text_in_mask]] = True
    bubble = holds_text[labels]
    cleared = mask.copy()
    cleared[bubble] = 0
    outline = morphology_kernel_px(mask.shape[1], mask.shape[0]) * 2 + 1
    ys, xs = np.nonzero(bubble)
    h, w = mask.shape
    x0, y0 = max(0, xs.min() - 2 * outline), max(0, ys.min() - 2 * outline)
    x1, y1 = min(w, xs.max() + 1 + 2 * outline), min(h, ys.max() + 1 + 2 * outline)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (outline, outline))
    cleared[y0:y1, x0:x1] = cv2.morphologyEx(np.ascontiguousarray(cleared[y0:y1, x0:x1]), cv2.MORPH_OPEN, kernel)
    return cleared


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


def crop(img, mask, margin=0.1, resolution=512):
    """Largest external contour that is not a bubble -> square with margin (src/prep/crop-box.ts
    computeCropBox), cut out with white padding (cutSquare), resized to the training size (cv2: area
    down, cubic up; analyse-file.ts: libvips Lanczos down, cubic up)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [(cv2.contourArea(c), cv2.boundingRect(c)) for c in contours]
    boxes = [b for b in boxes if white_fraction(img, mask, b[1]) <= BUBBLE_WHITE_FRACTION]
    if not boxes:
        return None, None
    area, (x, y, w, h) = max(boxes, key=lambda b: (b[0], b[1][2] * b[1][3]))
    if area <= 0:
        return None, None
    side = max(1, js_round(max(w, h) * (1 + 2 * margin)))
    ih, iw = img.shape[:2]
    left, top = place_span(x + w / 2, side, iw), place_span(y + h / 2, side, ih)
    square = np.full((side, side, 3), 255, np.uint8)
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, iw), min(top + side, ih)
    if x1 > x0 and y1 > y0:
        square[y0 - top : y1 - top, x0 - left : x1 - left] = img[y0:y1, x0:x1]
    interpolation = cv2.INTER_AREA if side > resolution else cv2.INTER_CUBIC
    return cv2.resize(square, (resolution, resolution), interpolation=interpolation), (x, y, w, h)


def run_stages(session, path):
    """Every stage on one image; per-stage milliseconds and the text boxes."""
    t0 = time.perf_counter()
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:  # cv2.imread returns None for a missing or unreadable file
        raise ValueError(f"cannot read image {path!r} (missing, or not an image OpenCV decodes)")
    t1 = time.perf_counter()
    parts = {}
    regions = detect(session, img, parts)
    t2 = time.perf_counter()
    clean, text_mask = remove_text(img, regions)
    t3 = time.perf_counter()
    mask = remove_text_bubbles(segment_classic(clean), clean, text_mask)
    t4 = time.perf_counter()
    _, character = crop(clean, mask)
    t5 = time.perf_counter()
    times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
    ms = {name: dt * 1000 for name, dt in zip(STAGES, times)}
    ms.update({f"detect.{k}": v for k, v in parts.items()})
    return ms, regions, character


STAGES = ("decode", "detect", "remove", "segment", "crop")


def main():
    parser = argparse.ArgumentParser(
        description="the Python reference of bench/prep-speed.ts: PaddleOCR detection, text removal, classic "
        "segmentation and crop per image, timed (opencv-python + onnxruntime)")
    parser.add_argument("--model", required=True, help="the PaddleOCR detection model (.onnx)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes after a warm-up pass (default 3)")
    parser.add_argument("--serve", action="store_true", help="read image paths from stdin, answer one JSON line each")
    parser.add_argument("images", nargs="*")
    args = parser.parse_args()
    if not os.path.isfile(args.model):
        parser.error(f"--model: no such file: {args.model}")
    if args.repeats < 1:
        parser.error(f"--repeats: expected a positive integer, got {args.repeats}")
    if not args.serve and not args.images:
        parser.error("give image paths (or --serve to read them from stdin)")
    missing = [path for path in args.images if not os.path.isfile(path)]
    if missing:
        parser.error(f"no such image file: {', '.join(missing)}")
    options = ort.SessionOptions()
    # Same session settings as the TypeScript detector (src/prep/text-detect-paddle.ts): no spin-waiting.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(args.model, sess_options=options, providers=["CPUExecutionProvider"])
    versions = {"opencv": cv2.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__}
    if args.serve:
        # One image per request, so the caller can interleave it with its own run of the same image.
        print(json.dumps({"ready": True, "versions": versions}), flush=True)
        for line in sys.stdin:
            path = line.rstrip("\n")
            if not path:
                continue
            ms, regions, character = run_stages(session, path)
            print(json.dumps({"path": path, "ms": ms, "boxes": regions, "character": character}), flush=True)
        return
    totals = dict.fromkeys(STAGES, 0.0)
    boxes = {}
    for run in range(args.repeats + 1):  # run 0 warms up and is not counted
        for path in args.images:
            ms, regions, _ = run_stages(session, path)
            if run == 0:
                boxes[path] = regions
                continue
            for name in STAGES:
                totals[name] += ms[name]
    per_image = {k: v / (args.repeats * len(args.images)) for k, v in totals.items()}
    print(json.dumps({"msPerImage": per_image, "boxes": boxes, "versions": versions}))


if __name__ == "__main__":
    try:
        main()
    except ValueError as error:  # an unreadable image: one line, not a traceback
        sys.exit(f"prep_reference.py: {error}")
