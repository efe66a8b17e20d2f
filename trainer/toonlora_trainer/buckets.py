"""toonlora_trainer/buckets.py — aspect-ratio buckets (kohya's `enable_bucket`, library/train_util.py
make_bucket_resolutions): the bucket sizes of a resolution, each image's nearest one (its size as seen, EXIF
orientation applied, from the file's header), the images per bucket, and without buckets the warning for
images a square crop would cut."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PIL import Image

from .dataset_items import Bucket, Dataset, DatasetItem

SQUARE_TOLERANCE = 1.05  # a longer side up to 5% over the shorter one loses at most 2.5% at each end
BUCKET_STEP = 64  # bucket sides in pixels: latents a multiple of 8, as the UNet's three downsamplings need

# EXIF orientations that turn the stored pixels a quarter turn: the image as seen is height x width.
QUARTER_TURN_ORIENTATIONS = frozenset({5, 6, 7, 8})


def _image_size(path: str) -> tuple[int, int] | None:
    """Width and height as the image is seen (its EXIF orientation applied), from the file's header; None when it
    cannot be read (the scan left out such files, so only one changed since then; the load names it)."""
    try:
        with Image.open(path) as image:
            w, h = image.size
            return (h, w) if image.getexif().get(0x0112) in QUARTER_TURN_ORIENTATIONS else (w, h)
    except (OSError, ValueError):
        return None


def non_square_warning(items: tuple[DatasetItem, ...]) -> list[str]:
    """Without buckets: one warning naming the images that are not square. Training centre-crops them, which cuts
    the top and bottom of a tall image (the head and feet of a full-body character) or the sides of a wide one."""
    cut: list[str] = []
    for item in items:
        size = _image_size(item.image_path)
        if size and max(size) > SQUARE_TOLERANCE * min(size):
            cut.append(f"{Path(item.image_path).name} {size[0]}x{size[1]}")
    if not cut:
        return []
    shown = ", ".join(cut[:3]) + (f" and {len(cut) - 3} more" if len(cut) > 3 else "")
    return [f"{len(cut)} of {len(items)} images are not square ({shown}): with aspectRatioBuckets off, training "
            "centre-crops each to a square, which cuts the top and bottom of tall images (a full-body character's head "
            "and feet) and the sides of wide ones. Turn the buckets on, or crop them square first (`toonlora prep` does)."]


def bucket_sizes(resolution: int) -> tuple[Bucket, ...]:
    """The buckets for a run at `resolution`: the square, and for each width from resolution/2 to 2 x resolution in
    steps of 64, the tallest height (same limits, steps of 64) with width x height <= resolution^2, and the
    transposes (kohya's make_bucket_resolutions, min/max bucket side 256/1024 at 512). Sorted by aspect ratio."""
    low, high, area = max(BUCKET_STEP, resolution // 2), resolution * 2, resolution * resolution
    sizes = {(resolution, resolution)}  # the square as without buckets (a resolution may be any multiple of 8)
    for width in range(-(-low // BUCKET_STEP) * BUCKET_STEP, high + 1, BUCKET_STEP):
        height = min(high, area // width // BUCKET_STEP * BUCKET_STEP)
        if height >= low:
            sizes |= {(width, height), (height, width)}
    return tuple(sorted(sizes, key=lambda size: size[0] / size[1]))


def nearest_bucket(width: int, height: int, buckets: tuple[Bucket, ...]) -> Bucket:
    """The bucket whose aspect ratio is closest to the image's (kohya compares w/h the same way); on a tie the
    squarer one."""
    ratio = width / height
    return min(buckets, key=lambda b: (abs(b[0] / b[1] - ratio), abs(b[0] / b[1] - 1)))


def assign_buckets(dataset: Dataset, resolution: int) -> Dataset:
    """`dataset` with each item's bucket; an image whose header cannot be read keeps the square (its load names it)."""
    buckets = bucket_sizes(resolution)
    square = (resolution, resolution)
    items = []
    for item in dataset.items:
        size = _image_size(item.image_path)
        items.append(dataclasses.replace(item, bucket=nearest_bucket(*size, buckets) if size else square))
    return dataclasses.replace(dataset, items=tuple(items))


def bucket_counts(dataset: Dataset, resolution: int) -> dict[Bucket, int]:
    """Images per bucket (each image once), most used first."""
    counts: dict[Bucket, int] = {}
    for item in dataset.items:
        bucket = item.bucket or (resolution, resolution)
        counts[bucket] = counts.get(bucket, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def bucket_info(dataset: Dataset) -> dict | None:
    """kohya's ss_bucket_info of a run with aspect-ratio buckets (train_util.py BaseDataset.make_buckets): each bucket
    an image trains in, sorted by (width, height) as kohya's BucketManager.sort does, with its images counting repeats,
    and the mean |bucket aspect ratio - image aspect ratio| over the images (each once; an image whose header cannot
    be read counts 0). None without buckets (no item has one), as kohya writes none then."""
    if not dataset.items or any(item.bucket is None for item in dataset.items):
        return None
    counts: dict[Bucket, int] = {}
    errors: list[float] = []
    for item in dataset.items:
        bucket = item.bucket
        counts[bucket] = counts.get(bucket, 0) + item.repeats
        size = _image_size(item.image_path)
        errors.append(abs(bucket[0] / bucket[1] - size[0] / size[1]) if size else 0.0)
    return {"buckets": [{"resolution": list(bucket), "count": counts[bucket]} for bucket in sorted(counts)],
            "mean_img_ar_error": sum(errors) / len(errors)}
