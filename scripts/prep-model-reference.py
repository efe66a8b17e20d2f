"""scripts/prep-model-reference.py — the upstream Python pre/post-processing of toonlora's prep models,
re-implemented from the cited sources, so test/prep-model-parity.test.ts can compare the TypeScript
stages with them on the same model file and image (test tooling; run with trainer/.venv/bin/python).

  isnet  <model> <image> <out.png>  SkyTNT anime-segmentation inference.py get_mask (cv2, /255, padded)
  u2net  <model> <image> <out.png>  rembg sessions/base.py normalize + sessions/u2net.py predict (PIL)
  wd14   <model> <tags.csv> <image> SmilingWolf wd-tagger app.py prepare_image + thresholds 0.35 / 0.85
  person <model> <image>            deepghs imgutils generic/yolo.py (resize, rgb_encode, NMS 0.3 / 0.5)

Masks are written as 8-bit PNGs; tags and detections are printed as JSON.
"""

from __future__ import annotations

import csv
import json
import os
import sys

# onnxruntime 1.29+ uploads telemetry and writes a device id and /tmp/mat-debug-<pid>.log unless this is set
# before it loads (src/vision/ort-telemetry.ts does the same for the product)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import cv2
import numpy as np
import onnxruntime as ort
from PIL import Image

KAOMOJIS = {"0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3", "6_9", ">_o",
            "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||"}


def session(path: str) -> ort.InferenceSession:
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def isnet(model: str, image: str, out: str) -> None:
    img = np.array(Image.open(image).convert("RGB"))
    sess = session(model)
    s = sess.get_inputs()[0].shape[2]
    h0, w0 = img.shape[:2]
    h, w = (s, int(s * w0 / h0)) if h0 > w0 else (int(s * h0 / w0), s)
    ph, pw = s - h, s - w
    canvas = np.zeros([s, s, 3], dtype=np.float32)
    canvas[ph // 2:ph // 2 + h, pw // 2:pw // 2 + w] = cv2.resize(img, (w, h)) / 255
    pred = sess.run(None, {"img": canvas.transpose((2, 0, 1))[None]})[0][0]
    pred = pred[:, ph // 2:ph // 2 + h, pw // 2:pw // 2 + w]
    mask = cv2.resize(pred.transpose((1, 2, 0)), (w0, h0))
    Image.fromarray(np.clip(np.round(mask * 255), 0, 255).astype(np.uint8)).save(out)


def u2net(model: str, image: str, out: str) -> None:
    img = Image.open(image).convert("RGB")
    sess = session(model)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    arr = np.array(img.resize((320, 320), Image.Resampling.LANCZOS)).astype(np.float64)
    arr = arr / max(np.max(arr), 1e-6)
    x = np.stack([(arr[:, :, c] - mean[c]) / std[c] for c in range(3)])[None].astype(np.float32)
    pred = sess.run(None, {sess.get_inputs()[0].name: x})[0][:, 0, :, :]
    pred = np.squeeze((pred - pred.min()) / (pred.max() - pred.min()))
    mask = Image.fromarray((pred * 255).astype("uint8"), mode="L").resize(img.size, Image.Resampling.LANCZOS)
    mask.save(out)


def wd14(model: str, tags_csv: str, image: str) -> None:
    sess = session(model)
    size = sess.get_inputs()[0].shape[1]
    img = Image.open(image).convert("RGB")
    side = max(img.size)
    padded = Image.new("RGB", (side, side), (255, 255, 255))
    padded.paste(img, ((side - img.size[0]) // 2, (side - img.size[1]) // 2))
    if side != size:
        padded = padded.resize((size, size), Image.BICUBIC)
    x = np.asarray(padded, dtype=np.float32)[:, :, ::-1][None]
    probs = sess.run([sess.get_outputs()[0].name], {sess.get_inputs()[0].name: np.ascontiguousarray(x)})[0][0]
    with open(tags_csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [r["name"] if r["name"] in KAOMOJIS else r["name"].replace("_", " ") for r in rows]
    cats = [int(r["category"]) for r in rows]
    pick = lambda cat, t: [n for n, p in sorted(((names[i], probs[i]) for i in range(len(rows)) if cats[i] == cat and probs[i] > t), key=lambda x: -x[1])]
    print(json.dumps({"tags": pick(4, 0.85) + pick(0, 0.35), "probs": [float(p) for p in probs]}))


def person(model: str, image: str) -> None:
    img = Image.open(image).convert("RGB")
    sess = session(model)
    size = sess.get_inputs()[0].shape[2]
    x = (np.asarray(img.resize((size, size)), dtype=np.float32) / 255).transpose((2, 0, 1))[None]
    out = sess.run(["output0"], {"images": x})[0][0]
    keep = out[4:, :].max(axis=0) > 0.3
    cand = out[:, keep].T
    boxes = np.stack([cand[:, 0] - cand[:, 2] / 2, cand[:, 1] - cand[:, 3] / 2, cand[:, 0] + cand[:, 2] / 2, cand[:, 1] + cand[:, 3] / 2], 1)
    scores = cand[:, 4:].max(axis=1)
    order, kept = scores.argsort()[::-1], []
    while order.size:
        i = order[0]
        kept.append(int(i))
        xx1, yy1 = np.maximum(boxes[i, 0], boxes[order[1:], 0]), np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2, yy2 = np.minimum(boxes[i, 2], boxes[order[1:], 2]), np.minimum(boxes[i, 3], boxes[order[1:], 3])
        # imgutils' _yolo_nms uses the +1 pixel convention; on boxes hundreds of px wide it changes nothing here
        inter = np.maximum(0, xx2 - xx1 + 1) * np.maximum(0, yy2 - yy1 + 1)
        area = lambda b: (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
        iou = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter)
        order = order[np.where(iou <= 0.5)[0] + 1]
    sx, sy = img.size[0] / size, img.size[1] / size
    fix = lambda v, m: int(np.clip(v, 0, m).round())
    print(json.dumps([{"x0": fix(boxes[i, 0] * sx, img.size[0]), "y0": fix(boxes[i, 1] * sy, img.size[1]),
                       "x1": fix(boxes[i, 2] * sx, img.size[0]), "y1": fix(boxes[i, 3] * sy, img.size[1]),
                       "score": float(scores[i])} for i in kept]))


MODES = {  # mode -> (function, its arguments; the ones before `out.png` are files that must exist)
    "isnet": (isnet, ("model", "image", "out.png")),
    "u2net": (u2net, ("model", "image", "out.png")),
    "wd14": (wd14, ("model", "tags.csv", "image")),
    "person": (person, ("model", "image")),
}


def main(argv: list[str]) -> None:
    """Checks the mode and its arguments (usage errors exit 2, with the usage), then runs it."""
    usage = __doc__.split("\n\n")[1]

    def fail(message: str) -> None:
        print(f"usage: trainer/.venv/bin/python scripts/prep-model-reference.py <mode> <args>\n{usage}\n"
              f"prep-model-reference.py: error: {message}", file=sys.stderr)
        sys.exit(2)

    if not argv or argv[0] in ("-h", "--help"):
        if argv:
            print(__doc__)
            return
        fail("give a mode: " + ", ".join(MODES))
    kind, args = argv[0], argv[1:]
    if kind not in MODES:
        fail(f"unknown mode {kind!r}; choose from {', '.join(MODES)}")
    run, names = MODES[kind]
    if len(args) != len(names):
        fail(f"{kind} takes {len(names)} arguments: {' '.join(f'<{n}>' for n in names)} (got {len(args)})")
    missing = [f"<{name}> {value}" for name, value in zip(names, args) if name != "out.png" and not os.path.isfile(value)]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    run(*args)


if __name__ == "__main__":
    main(sys.argv[1:])
