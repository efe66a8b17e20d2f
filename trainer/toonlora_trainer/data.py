"""toonlora_trainer/data.py — the kohya dataset layout: `<repeats>_<trigger> <class>/name.png + name.txt`.

Scans folders (repeats from the folder name, as kohya sd-scripts' DreamBooth datasets do), reads
captions, shuffles caption tags with the trigger kept first, and loads images as [-1, 1] tensors.
Aspect-ratio buckets (kohya's `enable_bucket`, library/train_util.py make_bucket_resolutions): each image
trains at the bucket size nearest its aspect ratio (sides in steps of 64, area up to resolution^2), cropped
only to that ratio; a batch holds one bucket. Without buckets every image is centre-cropped to a square.
The sample order is a pure function of (seed, epoch), so a resumed run sees the same batches.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

# Every extension `toonlora prep` walks (src/prep/inputs.ts IMAGE_EXTENSIONS: JPEG's other names, GIF, TIFF, HEIF,
# AVIF) plus .bmp: the ones Pillow opens are trained, the others (HEIC/HEIF without a Pillow plugin) are named in a
# warning, never dropped silently. (The TypeScript side reads no dataset file: a run's `done` facts say what it trained.)
_DATASET_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif",
                     ".bmp")
_PIL_OPENS = frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)
IMAGE_SUFFIXES = tuple(suffix for suffix in _DATASET_SUFFIXES if suffix in _PIL_OPENS)
UNREADABLE_SUFFIXES = tuple(suffix for suffix in _DATASET_SUFFIXES if suffix not in _PIL_OPENS)
# A prep run's staging folder inside its output folder (src/prep/output-swap.ts STAGING_DIR): left behind by a
# prep that was killed before it moved its dataset into place.
PREP_STAGING_DIR = ".toonlora-prep-staging"
FOLDER_PATTERN = re.compile(r"^(\d+)_(.+)$")
SQUARE_TOLERANCE = 1.05  # a longer side up to 5% over the shorter one loses at most 2.5% at each end
BUCKET_STEP = 64  # bucket sides in pixels: latents a multiple of 8, as the UNet's three downsamplings need
Bucket = tuple[int, int]  # (width, height) in pixels
# Default sample prompts (one per concept folder) at most: each renders an image per sample seed (2 by default) every
# sampleEverySteps, so a dataset of many folders would spend more time sampling than training.
MAX_DEFAULT_SAMPLE_PROMPTS = 4


class DatasetError(ValueError):
    """The dataset folder is missing, empty or has no readable image; the message names the path. `missing`: there
    is nothing to read (no folder, no image files), as opposed to files that are there but broken."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class DatasetItem:
    image_path: str
    caption: str
    trigger: str
    repeats: int
    folder_tokens: str = ""  # `<trigger> <class>` from the folder name, e.g. `sks girl`
    bucket: Bucket | None = None  # the size it trains at; None: a square of the run's resolution


@dataclass(frozen=True)
class Dataset:
    items: tuple[DatasetItem, ...]
    warnings: tuple[str, ...]

    @property
    def trigger(self) -> str:
        """The first folder's trigger; `triggers` has every folder's."""
        return self.items[0].trigger

    @property
    def triggers(self) -> tuple[str, ...]:
        """Each concept folder's trigger once, in folder (name) order: `5_sks girl` + `2_zzk boy` -> ("zzk", "sks")."""
        return tuple(dict.fromkeys(item.trigger for item in self.items))

    @property
    def sample_prompts(self) -> tuple[str, ...]:
        """The default sample prompts: one per concept folder, its trigger and class word (`sks girl`), in folder order,
        at most MAX_DEFAULT_SAMPLE_PROMPTS (each renders one image per sample seed)."""
        return tuple(dict.fromkeys(item.folder_tokens or item.trigger for item in self.items))[:MAX_DEFAULT_SAMPLE_PROMPTS]

    @functools.cached_property
    def buckets(self) -> tuple[Bucket | None, ...]:
        """Each item's bucket, in item order (what batch_indices groups by), worked out once."""
        return tuple(item.bucket for item in self.items)

    @property
    def repeated_length(self) -> int:
        """Images per epoch, counting repeats (kohya's definition of an epoch)."""
        return sum(item.repeats for item in self.items)


def scan_kohya_dataset(dataset_dir: str) -> Dataset:
    """Reads every `<repeats>_<trigger> <class>` folder; raises DatasetError if nothing can be trained on.

    A missing caption falls back to the folder's `<trigger> <class>` (kohya's class-token caption);
    unreadable captions are reported in `warnings` and skipped, never silently. An image that does not decode is
    left out with a warning naming it and the reason, so one broken file does not stop the run; a dataset where
    none decodes is a DatasetError listing them.
    """
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"{dataset_dir}: not a folder. Give the dataset folder that `toonlora prep` wrote.", missing=True)
    items: list[DatasetItem] = []
    warnings: list[str] = []
    unreadable: list[str] = []
    scanned: list[Path] = []  # every image of the trained folders, for the one both-caption-files warning
    folders = sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name))
    warnings += _misnamed_folder_warnings(root)
    for folder in folders:
        match = FOLDER_PATTERN.match(folder.name)
        assert match is not None
        repeats, tokens = int(match.group(1)), match.group(2).strip()
        if repeats < 1:
            warnings.append(f"{folder}: repeats is 0, folder skipped")
            continue
        trigger = tokens.split()[0]
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        scanned += images
        warnings += _unreadable_format_warnings(folder)
        warnings += _nested_image_warnings(folder)
        for image in images:
            problem = _decode_problem(image)
            if problem:
                unreadable.append(f"{image}: cannot read image ({problem})")
                continue
            caption = _read_caption(image, tokens, warnings)
            items.append(DatasetItem(str(image), caption, trigger, repeats, tokens))
    if unreadable and not items:
        raise DatasetError(f"{dataset_dir}: no readable images, {len(unreadable)} could not be decoded: " + "; ".join(unreadable[:5])
                           + (f"; and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""))
    if not items:
        stopped = (Path(dataset_dir) / PREP_STAGING_DIR).is_dir()
        raise DatasetError(
            f"{dataset_dir}: no images found in `<repeats>_<trigger> <class>` folders (e.g. `10_sks girl/a.png`). "
            + (f"A prep run into this folder was stopped before it finished (what it made is in {PREP_STAGING_DIR}): "
               "run `toonlora prep` again." if stopped else "Run `toonlora prep` first or rename the folders.")
            # what the scan saw and why none of it trains (repeats 0, a misnamed folder, a format Pillow cannot read, ...)
            + (" What the scan found: " + "; ".join(warnings) if warnings else ""),
            missing=True,
        )
    warnings += _both_caption_files_warning(scanned)
    warnings += [f"{line}; left out of the training set" for line in unreadable]
    return Dataset(tuple(items), tuple(warnings))


# Folders `toonlora prep` writes beside the kohya folders: their images are review material, not training data.
PREP_SIDE_FOLDERS = frozenset({"stages"})


def _misnamed_folder_warnings(root: Path) -> list[str]:
    """A warning per folder that holds images but is not named `<repeats>_<trigger> <class>`: kohya skips such a
    folder too, and a user who renamed one by hand should hear that its images are not trained."""
    warnings = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if FOLDER_PATTERN.match(folder.name) or folder.name in PREP_SIDE_FOLDERS or folder.name.startswith("."):
            continue
        images = sum(1 for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            warnings.append(f"{folder}: {images} image(s) not trained: the folder name is not `<repeats>_<trigger> <class>` "
                            "(e.g. `10_sks girl`). Rename it to train them.")
    return warnings


def _unreadable_format_warnings(folder: Path) -> list[str]:
    """One warning for the image files in kohya folder `folder` whose format Pillow cannot open here (UNREADABLE_SUFFIXES,
    e.g. .heic without pillow-heif): prep takes them, so a user who put them in by hand should hear they are not
    trained."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in UNREADABLE_SUFFIXES and p.is_file())
    if not files:
        return []
    names = ", ".join(p.name for p in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    kinds = "/".join(sorted({p.suffix.lower() for p in files}))
    return [f"{folder}: {len(files)} image(s) not trained ({names}): the trainer's image library (Pillow) cannot read "
            f"{kinds} here. Convert them to PNG to train them (trained: {' '.join(IMAGE_SUFFIXES)})."]


def _nested_image_warnings(folder: Path) -> list[str]:
    """A warning per subfolder of kohya folder `folder` that holds images (at any depth): only the folder's own files
    are trained, as in kohya sd-scripts (DreamBoothDataset globs `image_dir/*` without recursing), so a user who
    sorted images into `10_sks girl/extra/` should hear they are left out."""
    warnings = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images = sorted(p for p in sub.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if images:
            names = ", ".join(str(p.relative_to(folder)) for p in images[:3]) + (f" and {len(images) - 3} more" if len(images) > 3 else "")
            warnings.append(f"{sub}: {len(images)} image(s) in a subfolder not trained ({names}): only the files directly in "
                            f"{folder.name} are read. Move them up into {folder} to train them.")
    return warnings


def _decode_problem(path: Path) -> str | None:
    """Why the image at `path` does not decode (not an image, truncated, ...), or None when it does. JPEGs decode at
    1/8 scale (PIL's draft mode), which still reads the whole stream, so a 100-image dataset checks in about a second."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        return str(error) or type(error).__name__
    return None


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


# Caption files in the order they are looked for: `.txt` (what `toonlora prep` writes), then `.caption` (kohya
# sd-scripts' default --caption_extension). When an image has both, the `.txt` wins (dataset_captions warns once).
CAPTION_SUFFIXES = (".txt", ".caption")


def caption_file(image: Path) -> Path | None:
    """The caption file of `image`: `name.txt`, else `name.caption`; None when there is neither."""
    for suffix in CAPTION_SUFFIXES:
        candidate = image.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _both_caption_files_warning(images: list[Path]) -> list[str]:
    """One warning for the images that have a `.txt` and a `.caption` file: the `.txt` is read, the other not."""
    both = [image for image in images if all(image.with_suffix(s).is_file() for s in CAPTION_SUFFIXES)]
    if not both:
        return []
    example = both[0].with_suffix(".caption")
    return [f"{len(both)} image(s) have both a .txt and a .caption caption file (e.g. {example}): the .txt is used, "
            "the .caption is ignored. Delete the one you do not want."]


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # little-endian, big-endian


def decode_caption(raw: bytes) -> str:
    """A caption file's text: UTF-16 (LE or BE, by its BOM) when it starts with a UTF-16 BOM, else UTF-8 with an
    optional BOM. Raises UnicodeDecodeError for anything else (kohya sd-scripts reads captions as UTF-8 only)."""
    if raw.startswith(UTF16_BOMS):
        return raw.decode("utf-16")  # the BOM picks the byte order and is dropped
    return raw.decode("utf-8-sig")


def _read_caption(image: Path, fallback: str, warnings: list[str]) -> str:
    """The image's caption (caption_file), else `fallback`; an empty file also means `fallback` (kohya's class-token
    caption). Read as UTF-8 with an optional BOM (Windows Notepad writes one): a BOM kept in the text would glue
    itself to the first tag, so the trigger check would miss it and the trigger would train twice. A file starting
    with a UTF-16 BOM (Notepad's "Unicode" / "Unicode big endian") is read as UTF-16 (decode_caption)."""
    path = caption_file(image)
    if path is None:
        return fallback
    try:
        text = decode_caption(path.read_bytes()).strip()
    except (OSError, UnicodeDecodeError) as error:
        warnings.append(f"{path}: unreadable caption ({error}); using {fallback!r}")
        return fallback
    return text or fallback


def _without_trigger_word(tag: str, trigger: str) -> str:
    """`tag` with every whitespace-separated word that is the trigger (any case) removed: `sks girl` -> `girl`,
    `smiling SKS` -> `smiling`, `sks` -> ``. A tag without the trigger as a whole word is returned as it is (`sks_girl`,
    `(sks)` and `sksx` are other words)."""
    words = tag.split()
    if not any(word.lower() == trigger.lower() for word in words):
        return tag
    return " ".join(word for word in words if word.lower() != trigger.lower())


def shuffle_caption(caption: str, trigger: str, rng: random.Random) -> str:
    """Shuffles the comma-separated tags; the trigger stays first, once (kohya `keep_tokens=1` with the trigger as the
    first tag, which is how prep writes captions).

    The rule, for every training caption to carry the trigger exactly once and in the same place: the trigger is put
    first, and in every tag (the first one included) the trigger as a whole word (any case: CLIP lower-cases) is
    removed while the tag's other words stay, since they still describe the image: `sks girl, smile` trains as
    `sks, girl, smile` (shuffled after the trigger) and `red eyes, sks girl` as `sks, girl, red eyes`, not with `sks`
    a second time at a random place; a tag that was only the trigger is dropped. A tag that holds the trigger inside
    another word (`sks_girl`, `(sks)`) is left as it is: it is another token sequence for CLIP.
    """
    tags = [_without_trigger_word(t.strip(), trigger) for t in caption.split(",")]
    tags = [t for t in tags if t]
    rng.shuffle(tags)
    return ", ".join([trigger, *tags])


@functools.lru_cache(maxsize=8)
def epoch_order(n_items_repeated: int, seed: int, epoch: int) -> tuple[int, ...]:
    """The shuffled order of one epoch's repeated indices; a pure function of (seed, epoch)."""
    order = list(range(n_items_repeated))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return tuple(order)


def batch_indices(repeated: list[int], seed: int, stream_start: int, batch_size: int,
                  buckets: tuple[Bucket | None, ...] | None = None) -> list[int]:
    """Item indices for the micro-batch starting at `stream_start` in the endless, epoch-shuffled stream.

    `repeated` lists each item index `repeats` times. Pure: a resumed run asks for the same positions
    (stream_start = (step * accumulation + micro) * batch_size) and gets the same items. `buckets` (per item):
    with batches of several images and more than one bucket, micro-batch stream_start / batch_size of the
    bucketed epochs (bucketed_epoch), where each batch holds one bucket.
    """
    if batches_hold_one_bucket(buckets, batch_size):
        batches = bucketed_epoch(tuple(repeated), buckets, seed, 0, batch_size)
        epoch, offset = divmod(stream_start // batch_size, len(batches))
        return list(bucketed_epoch(tuple(repeated), buckets, seed, epoch, batch_size)[offset])
    out = []
    for position in range(stream_start, stream_start + batch_size):
        epoch, offset = divmod(position, len(repeated))
        out.append(repeated[epoch_order(len(repeated), seed, epoch)[offset]])
    return out


def batches_hold_one_bucket(buckets: tuple[Bucket | None, ...] | None, batch_size: int) -> bool:
    """Whether batch_indices groups batches by bucket: batches of several images over more than one bucket."""
    return buckets is not None and batch_size > 1 and len(set(buckets)) > 1


def micro_batches_per_epoch(repeated: list[int], buckets: tuple[Bucket | None, ...] | None, batch_size: int) -> Fraction:
    """Micro-batches in one epoch of the stream batch_indices reads: images-with-repeats / batch size, or, when
    batches hold one bucket, the batches bucketed_epoch makes (each bucket's partial batch filled up, so a few
    more than that). Exact, for turning epochs into steps without ending the last epoch early."""
    if batches_hold_one_bucket(buckets, batch_size):
        return Fraction(len(bucketed_epoch(tuple(repeated), buckets, 0, 0, batch_size)))
    return Fraction(len(repeated), batch_size)


@functools.lru_cache(maxsize=8)
def bucketed_epoch(repeated: tuple[int, ...], buckets: tuple[Bucket | None, ...], seed: int, epoch: int,
                   batch_size: int) -> tuple[tuple[int, ...], ...]:
    """One epoch's batches when a batch must hold one bucket: the epoch's shuffled order (epoch_order), each
    image put in its bucket's open batch, a batch closed when full (so buckets interleave as the order has
    them). A bucket's last, partial batch is filled up from the start of that bucket's own order (kohya leaves
    it short; a full batch keeps one shape per bucket for torch.compile). The same number of batches every epoch."""
    order = [repeated[position] for position in epoch_order(len(repeated), seed, epoch)]
    batches: list[tuple[int, ...]] = []
    open_batches: dict[Bucket | None, list[int]] = {}
    for item in order:
        batch = open_batches.setdefault(buckets[item], [])
        batch.append(item)
        if len(batch) == batch_size:
            batches.append(tuple(batch))
            batch.clear()
    for bucket, batch in open_batches.items():
        if batch:
            members = [item for item in order if buckets[item] == bucket]
            batch += [members[k % len(members)] for k in range(batch_size - len(batch))]
            batches.append(tuple(batch))
    return tuple(batches)


def repeated_indices(dataset: Dataset) -> list[int]:
    """Each item index `repeats` times, in folder order."""
    return [i for i, item in enumerate(dataset.items) for _ in range(item.repeats)]


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
