# bench/prep_ref_stage.py — one stage of the Python reference (bench/prep_reference.py) on one image, for
# the parity test (test/prep-model-parity.test.ts) to compare with the TypeScript stage on the same input:
#   remove <image> <regions.json>  text removal with the given regions ([{"polygon": [[x, y], ...]}, ...]):
#                                  the pixels it filled or inpainted
#   plausible <image> <regions.json>  which regions look like text (text-plausible.ts): 1 kept, 0 refused
#   segment <image> [regions.json] classic segmentation (of the text-removed image, with regions), speech
#                                  bubbles out, touching figures cut apart: the character mask and how
#                                  many parts were split
#   split <mask.png>               touching figures cut apart in a mask (grey PNG): the mask, parts split
#   crop <image> <out.png> [regions.json]  as prep_reference.py from the segmenter on (regions refused as
#                                  art left in): the mask the crop reads, the character's box, and the
#                                  painted square (before resizing) written to out.png
#   paint <square.png> <kind.png> <out.png>  a square's holes painted over (prep_ref_paint_over.py
#                                  paint_over_runs; kind.png: grey, paint-over.ts PIXEL per pixel)
# Prints one JSON line; masks as prep_reference.py sends them (np.packbits of mask > 127, base64).
import argparse
import json
import sys

import cv2
import numpy as np

from prep_ref_crop import remove_text_bubbles
from prep_ref_paint_over import CLUTTER, OTHER, paint_over_runs
from prep_ref_segment import segment_classic
from prep_ref_split_figures import split_touching_figures
from prep_ref_text_plausible import split_plausible_text
from prep_ref_text_remove import remove_text
from prep_reference import crop_stage, packed_mask, segment_stage


def read_regions(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def main():
    parser = argparse.ArgumentParser(description="one stage of bench/prep_reference.py on one image (JSON out)")
    parser.add_argument("stage", choices=["remove", "plausible", "segment", "split", "crop", "paint"])
    parser.add_argument("image")
    parser.add_argument("more", nargs="*", help="remove / plausible: regions.json; segment: [regions.json]; "
                        "crop: out.png [regions.json]; paint: kind.png out.png")
    args = parser.parse_args()
    if args.stage == "split":
        mask = cv2.imread(args.image, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            parser.error(f"cannot read mask {args.image!r}")
        mask, splits = split_touching_figures(mask)
        print(json.dumps({"character": packed_mask(mask), "splits": splits}))
        return
    img = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if img is None:
        parser.error(f"cannot read image {args.image!r}")
    if args.stage == "paint":
        kind = cv2.imread(args.more[0], cv2.IMREAD_GRAYSCALE) if len(args.more) == 2 else None
        if kind is None:
            parser.error("paint: give a readable kind.png and out.png")
        cv2.imwrite(args.more[1], paint_over_runs(img, kind))
        print(json.dumps({"painted": int(np.isin(kind, (OTHER, CLUTTER)).sum())}))
        return
    if args.stage in ("remove", "plausible"):
        if len(args.more) != 1:
            parser.error(f"{args.stage}: give the regions JSON file")
        regions = read_regions(args.more[0])
        if args.stage == "plausible":
            text, _ = split_plausible_text(img, regions)
            print(json.dumps({"kept": [int(any(r is t for t in text)) for r in regions]}))
            return
        _, used = remove_text(img, regions)
        print(json.dumps({"text": packed_mask(used)}))
        return
    if args.stage == "crop":
        if not 1 <= len(args.more) <= 2:
            parser.error("crop: give out.png [regions.json]")
        text, _ = split_plausible_text(img, read_regions(args.more[1])) if len(args.more) == 2 else ([], [])
        clean, text_mask = remove_text(img, text)
        mask, character, cropped = crop_stage(clean, text_mask, *segment_stage(clean, text_mask))
        if cropped is not None:
            cv2.imwrite(args.more[0], cropped[0])
        print(json.dumps({"character": packed_mask(mask), "box": character}))
        return
    text_mask = np.zeros(img.shape[:2], np.uint8)
    if args.more:
        img, text_mask = remove_text(img, read_regions(args.more[0]))
    mask, splits = split_touching_figures(remove_text_bubbles(segment_classic(img), img, text_mask))
    print(json.dumps({"character": packed_mask(mask), "splits": splits}))


if __name__ == "__main__":
    sys.exit(main())
