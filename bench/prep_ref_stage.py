# bench/prep_ref_stage.py — one stage of the Python reference (bench/prep_reference.py) on one image, for
# the parity test (test/prep-model-parity.test.ts) to compare with the TypeScript stage on the same input:
#   remove <image> <regions.json>  text removal with the given regions ([{"polygon": [[x, y], ...]}, ...]):
#                                  the pixels it filled or inpainted
#   segment <image> [regions.json] classic segmentation (of the text-removed image, with regions), speech
#                                  bubbles out, touching figures cut apart: the character mask and how
#                                  many parts were split
# Prints one JSON line; masks as prep_reference.py sends them (np.packbits of mask > 127, base64).
import argparse
import json
import sys

import cv2
import numpy as np

from prep_ref_crop import remove_text_bubbles
from prep_ref_segment import segment_classic
from prep_ref_split_figures import split_touching_figures
from prep_ref_text_remove import remove_text
from prep_reference import packed_mask


def main():
    parser = argparse.ArgumentParser(description="one stage of bench/prep_reference.py on one image (JSON out)")
    parser.add_argument("stage", choices=["remove", "segment"])
    parser.add_argument("image")
    parser.add_argument("regions", nargs="?", help="a JSON file of text regions (remove: required)")
    args = parser.parse_args()
    img = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if img is None:
        parser.error(f"cannot read image {args.image!r}")
    if args.stage == "remove":
        if not args.regions:
            parser.error("remove: give the regions JSON file")
        with open(args.regions, encoding="utf-8") as file:
            _, used = remove_text(img, json.load(file))
        print(json.dumps({"text": packed_mask(used)}))
        return
    text_mask = np.zeros(img.shape[:2], np.uint8)
    if args.regions:
        with open(args.regions, encoding="utf-8") as file:
            img, text_mask = remove_text(img, json.load(file))
    mask, splits = split_touching_figures(remove_text_bubbles(segment_classic(img), img, text_mask))
    print(json.dumps({"character": packed_mask(mask), "splits": splits}))


if __name__ == "__main__":
    sys.exit(main())
