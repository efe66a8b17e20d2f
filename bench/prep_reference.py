# bench/prep_reference.py — the Python reference the prep benchmark (bench/prep-speed.ts) compares the
# TypeScript stages against: the same model file, input sizes and pre/post-processing, written the way
# upstream PaddleOCR writes them (opencv-python + onnxruntime + pyclipper, tools/infer/predict_det.py,
# ppocr/postprocess/db_postprocess.py), plus the same text removal and a classic border flood-fill
# segmentation + square crop. Prints one JSON object: per-stage ms per image and every image's boxes;
# with --serve it answers one JSON line per image path read from stdin (bench/prep-speed.ts uses this
# to alternate TypeScript and Python image by image, so both see the same background load).
# Run: trainer/.venv/bin/python bench/prep_reference.py --model <det.onnx> --repeats 3 <images...>
import argparse
import json
import math
import sys
import time

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


def detect(session, img_bgr):
    src_h, src_w = img_bgr.shape[:2]
    resized = det_resize(img_bgr)
    x = ((resized.astype(np.float32) * np.float32(1 / 255.0) - MEAN) / STD).transpose(2, 0, 1)[None]
    pred = session.run(None, {"x": np.ascontiguousarray(x)})[0][0, 0]
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


def segment_classic(img, tolerance=40):
    h, w = img.shape[:2]
    flood = np.zeros((h + 2, w + 2), np.uint8)
    work = img.copy()
    diff = (tolerance,) * 3
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
    step = max(1, min(h, w) // 64)
    for x in range(0, w, step):
        for y in (0, h - 1):
            if flood[y + 1, x + 1] == 0:
                cv2.floodFill(work, flood, (x, y), 0, diff, diff, flags)
    for y in range(0, h, step):
        for x in (0, w - 1):
            if flood[y + 1, x + 1] == 0:
                cv2.floodFill(work, flood, (x, y), 0, diff, diff, flags)
    foreground = np.where(flood[1:-1, 1:-1] > 0, 0, 255).astype(np.uint8)
    k = max(3, round(min(h, w) / 200))
    k = k if k % 2 == 1 else k + 1
    opened = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    big = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * k + 1, 2 * k + 1))
    return cv2.morphologyEx(opened, cv2.MORPH_CLOSE, big)


def crop(img, mask, margin=0.1, resolution=512):
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    x, y, w, h = cv2.boundingRect(max(contours, key=cv2.contourArea))
    side = int(math.ceil(max(w, h) * (1 + 2 * margin)))
    cx, cy = x + w / 2, y + h / 2
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    pad = max(0, -left, -top, left + side - img.shape[1], top + side - img.shape[0])
    padded = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    square = padded[top + pad : top + pad + side, left + pad : left + pad + side]
    return cv2.resize(square, (resolution, resolution), interpolation=cv2.INTER_AREA)


def run_stages(session, path):
    """Every stage on one image; per-stage milliseconds and the text boxes."""
    t0 = time.perf_counter()
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    t1 = time.perf_counter()
    regions = detect(session, img)
    t2 = time.perf_counter()
    clean, _ = remove_text(img, regions)
    t3 = time.perf_counter()
    mask = segment_classic(clean)
    t4 = time.perf_counter()
    crop(clean, mask)
    t5 = time.perf_counter()
    times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
    return {name: dt * 1000 for name, dt in zip(STAGES, times)}, regions


STAGES = ("decode", "detect", "remove", "segment", "crop")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help="read image paths from stdin, answer one JSON line each")
    parser.add_argument("images", nargs="*")
    args = parser.parse_args()
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
            ms, regions = run_stages(session, path)
            print(json.dumps({"path": path, "ms": ms, "boxes": regions}), flush=True)
        return
    totals = dict.fromkeys(STAGES, 0.0)
    boxes = {}
    for run in range(args.repeats + 1):  # run 0 warms up and is not counted
        for path in args.images:
            ms, regions = run_stages(session, path)
            if run == 0:
                boxes[path] = regions
                continue
            for name in STAGES:
                totals[name] += ms[name]
    per_image = {k: v / (args.repeats * len(args.images)) for k, v in totals.items()}
    print(json.dumps({"msPerImage": per_image, "boxes": boxes, "versions": versions}))


if __name__ == "__main__":
    main()
