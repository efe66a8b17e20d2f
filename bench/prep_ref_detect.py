# bench/prep_ref_detect.py — PaddleOCR DB text detection for the Python reference (bench/prep_reference.py),
# written the way upstream PaddleOCR writes it (tools/infer/predict_det.py,
# ppocr/postprocess/db_postprocess.py: opencv-python + onnxruntime + pyclipper), with the same model, input
# sizes and toonlora's extra box growth (src/prep/text-detect-paddle.ts, src/prep/db-postprocess.ts).
import time

import cv2
import numpy as np
import pyclipper

LIMIT_SIDE_LEN = 960
THRESH, BOX_THRESH, UNCLIP_RATIO, MAX_CANDIDATES, MIN_SIZE = 0.3, 0.6, 1.5, 1000, 3
GROW_RATIO = 0.15  # toonlora's extra growth (src/prep/text-detect-paddle.ts DEFAULT_GROW_RATIO)
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


