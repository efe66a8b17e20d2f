"""toonlora_trainer/image_tensors.py — loads a dataset image as the trainer sees it: upright (EXIF orientation),
transparency over white, 16-bit greyscale scaled to 8 bits, centre-cropped to its bucket's aspect ratio and
resized, as a [3, height, width] tensor in [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageOps

from .dataset_items import Bucket, DatasetError


# PIL modes of 16-bit (and 32-bit integer) greyscale: a 16-bit PNG opens as "I;16", a TIFF as "I". PIL's RGB
# conversion clips these to 0-255 instead of scaling, so anything above 1/256 of full scale turns white.
WIDE_GREY_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})


def _grey_to_8bit(img: Image.Image) -> Image.Image:
    """A 16-bit greyscale image as 8-bit "L", each value >> 8 (0-65535 onto 0-255, as a viewer shows it). Mode "I"
    (32-bit) is read as 16-bit too, which is what a 16-bit PNG or TIFF opened that way holds; values outside
    0-65535 are clipped."""
    values = np.asarray(img).astype(np.int64)
    return Image.fromarray((np.clip(values, 0, 65535) >> 8).astype(np.uint8))  # 2-D uint8: mode "L"


def _upright_rgb(img: Image.Image) -> Image.Image:
    """The image as a viewer shows it: its EXIF orientation applied (a phone photo stored sideways),
    transparency over white (PIL's plain RGB conversion keeps whatever colour hides under alpha 0) as prep does,
    and 16-bit greyscale scaled to 8 bits (PIL's conversion clips it: almost white)."""
    img = ImageOps.exif_transpose(img)
    if img.mode in WIDE_GREY_MODES:
        img = _grey_to_8bit(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return img.convert("RGB")


def load_image_tensor(path: str, resolution: int, bucket: Bucket | None = None) -> torch.Tensor:
    """RGB image -> [3, height, width] float tensor in [-1, 1] at `bucket` (width, height), default a square of
    `resolution`: centre-cropped to the bucket's aspect ratio, then a Lanczos resize.

    Raises DatasetError naming the file when it cannot be decoded.
    """
    width, height = bucket or (resolution, resolution)
    try:
        with Image.open(path) as img:
            img = _upright_rgb(img)
            w, h = img.size
            crop_w, crop_h = (w, round(w * height / width)) if w * height <= h * width else (round(h * width / height), h)
            left, top = (w - crop_w) // 2, (h - crop_h) // 2
            img = img.crop((left, top, left + crop_w, top + crop_h)).resize((width, height), Image.LANCZOS)
            array = np.asarray(img, dtype=np.float32) / 127.5 - 1.0
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot read image ({error})") from None
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()
