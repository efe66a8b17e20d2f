# bench/prep_reference.py — the Python reference the prep benchmark (bench/prep-speed.ts) compares the
# TypeScript stages against: the same model file, input sizes and pre/post-processing, written the way
# upstream PaddleOCR writes them (bench/prep_ref_detect.py), detections on art (faces, hatching) refused
# (prep_ref_text_plausible.py), the same text removal with sound-effect outlines (dark or white) erased
# also past the detected box (prep_ref_text_remove.py, prep_ref_text_outline.py, prep_ref_text_letters.py),
# the same classic segmenter (prep_ref_segment.py), speech bubbles taken out and touching figures cut
# apart (prep_ref_crop.py, prep_ref_split_figures.py), bubble leftovers and panels left out
# (prep_ref_characters.py) and the same square crop with other characters, bubbles and removed text
# painted over (prep_ref_crop.py, prep_ref_paint_over.py), as
# src/prep/analyse-file.ts runs them. Prints one JSON object: per-stage ms per image and every image's
# boxes; with --serve it answers one JSON line per image path read from stdin (bench/prep-speed.ts uses
# this to alternate TypeScript and Python image by image, so both see the same background load); a
# request line `{"path": ..., "masks": true}` also gets the text and character masks back (packed bits,
# base64), for the bench's parity check, encoded after the clock stops.
# Run: trainer/.venv/bin/python bench/prep_reference.py --model <det.onnx> --repeats 3 <images...>
import argparse
import base64
import json
import os
import sys
import time

# onnxruntime 1.29+ uploads telemetry and writes a device id and /tmp/mat-debug-<pid>.log unless this is set
# before it loads (src/vision/ort-telemetry.ts does the same for the product)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from prep_ref_characters import find_characters  # noqa: E402
from prep_ref_crop import crop, remove_text_bubbles_with_interiors  # noqa: E402
from prep_ref_detect import detect  # noqa: E402
from prep_ref_paint_over import character_isolator  # noqa: E402
from prep_ref_segment import morphology_kernel_px, segment_classic  # noqa: E402
from prep_ref_split_figures import split_touching_figures  # noqa: E402
from prep_ref_text_plausible import split_plausible_text  # noqa: E402
from prep_ref_text_remove import remove_text  # noqa: E402

STAGES = ("decode", "detect", "remove", "segment", "crop")


def segment_stage(clean, text_mask):
    """As src/prep/analyse-file.ts findCharacters segments: (the segmenter's mask, that mask minus speech
    bubbles with touching figures cut apart, the bubble interiors cleared or None, the outline px)."""
    raw = segment_classic(clean)
    outline_px = morphology_kernel_px(raw.shape[1], raw.shape[0]) * 2 + 1
    bubble_free, interiors = remove_text_bubbles_with_interiors(raw, clean, text_mask)
    split, _ = split_touching_figures(bubble_free)
    return raw, split, interiors, outline_px


def crop_stage(clean, text_mask, raw, split, interiors, outline_px):
    """The character (bubbles, their leftovers and panels left out) and its crop with the other
    characters, the bubbles and the removed text painted over (analyse-file.ts, crop-clutter.ts,
    character-isolate.ts, paint-over.ts): (mask the crop reads, the character's box or None, (the painted
    square, the crop at the training size) or None)."""
    mask, character, everyone, clutter = find_characters(raw, split, interiors, clean, text_mask, outline_px)
    if character is None:
        return mask, None, None
    isolate = character_isolator(mask, [character], outline_px, everyone, clutter)
    return mask, character, crop(clean, character, isolate)


def run_stages(session, path):
    """Every stage on one image, as src/prep/analyse-file.ts runs them: per-stage milliseconds, the text
    boxes (all detected), the character box, and the text mask (pixels text removal filled) and the
    character mask the crop reads (bubbles out, touching figures cut apart, bubble leftovers out)."""
    t0 = time.perf_counter()
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:  # cv2.imread returns None for a missing or unreadable file
        raise ValueError(f"cannot read image {path!r} (missing, or not an image OpenCV decodes)")
    t1 = time.perf_counter()
    parts = {}
    regions = detect(session, img, parts)
    t2 = time.perf_counter()
    # a "text line" on a face, legs or hatching is art, left in the image (text-plausible.ts)
    text, _ = split_plausible_text(img, regions)
    clean, text_mask = remove_text(img, text)
    t3 = time.perf_counter()
    segmented = segment_stage(clean, text_mask)
    t4 = time.perf_counter()
    mask, character, _ = crop_stage(clean, text_mask, *segmented)
    t5 = time.perf_counter()
    times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
    ms = {name: dt * 1000 for name, dt in zip(STAGES, times)}
    ms.update({f"detect.{k}": v for k, v in parts.items()})
    return ms, regions, character, {"text": text_mask, "character": mask}


def packed_mask(mask):
    """A 0/255 mask as {width, height, bits}: mask > 127 row-major, np.packbits (MSB first), base64."""
    h, w = mask.shape
    return {"width": w, "height": h, "bits": base64.b64encode(np.packbits(mask.ravel() > 127)).decode()}


def serve(session, versions):
    """One image per request line, so the caller can interleave it with its own run of the same image."""
    print(json.dumps({"ready": True, "versions": versions}), flush=True)
    for line in sys.stdin:
        request = line.rstrip("\n")
        if not request:
            continue
        wanted = json.loads(request) if request.startswith("{") else {"path": request}
        path = wanted["path"]
        ms, regions, character, masks = run_stages(session, path)
        answer = {"path": path, "ms": ms, "boxes": regions, "character": character}
        if wanted.get("masks"):
            answer["masks"] = {name: packed_mask(m) for name, m in masks.items()}
        print(json.dumps(answer), flush=True)


def main():
    parser = argparse.ArgumentParser(
        description="the Python reference of bench/prep-speed.ts: PaddleOCR detection, text removal, classic "
        "segmentation and the painted crop per image, timed (opencv-python + onnxruntime)")
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
        serve(session, versions)
        return
    totals = dict.fromkeys(STAGES, 0.0)
    boxes = {}
    for run in range(args.repeats + 1):  # run 0 warms up and is not counted
        for path in args.images:
            ms, regions, _, _ = run_stages(session, path)
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
