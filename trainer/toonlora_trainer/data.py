"""toonlora_trainer/data.py — the kohya dataset layout: `<repeats>_<trigger> <class>/name.png + name.txt`.

Scans folders (repeats from the folder name, as kohya sd-scripts' DreamBooth datasets do), reads
captions, shuffles caption tags with the trigger kept first, and loads images as [-1, 1] tensors
(centre-cropped to a square: images that are not square are named in a warning, since the crop cuts them).
The sample order is a pure function of (seed, epoch), so a resumed run sees the same batches.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
FOLDER_PATTERN = re.compile(r"^(\d+)_(.+)$")
SQUARE_TOLERANCE = 1.05  # a longer side up to 5% over the shorter one loses at most 2.5% at each end


class DatasetError(ValueError):
    """The dataset folder is missing, empty or has a bad entry; the message names the path."""


@dataclass(frozen=True)
class DatasetItem:
    image_path: str
    caption: str
    trigger: str
    repeats: int
    folder_tokens: str = ""  # `<trigger> <class>` from the folder name, e.g. `sks girl`


@dataclass(frozen=True)
class Dataset:
    items: tuple[DatasetItem, ...]
    warnings: tuple[str, ...]

    @property
    def trigger(self) -> str:
        return self.items[0].trigger

    @property
    def sample_prompt(self) -> str:
        """The default sample prompt: the trigger and class word of the first folder (`sks girl`)."""
        return self.items[0].folder_tokens or self.trigger

    @property
    def repeated_length(self) -> int:
        """Images per epoch, counting repeats (kohya's definition of an epoch)."""
        return sum(item.repeats for item in self.items)


def scan_kohya_dataset(dataset_dir: str) -> Dataset:
    """Reads every `<repeats>_<trigger> <class>` folder; raises DatasetError if nothing can be trained on.

    A missing caption falls back to the folder's `<trigger> <class>` (kohya's class-token caption);
    unreadable captions are reported in `warnings` and skipped, never silently.
    """
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"{dataset_dir}: not a folder. Give the dataset folder that `toonlora prep` wrote.")
    items: list[DatasetItem] = []
    warnings: list[str] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name))
    for folder in folders:
        match = FOLDER_PATTERN.match(folder.name)
        assert match is not None
        repeats, tokens = int(match.group(1)), match.group(2).strip()
        if repeats < 1:
            warnings.append(f"{folder}: repeats is 0, folder skipped")
            continue
        trigger = tokens.split()[0]
        for image in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            caption = _read_caption(image, tokens, warnings)
            items.append(DatasetItem(str(image), caption, trigger, repeats, tokens))
    if not items:
        raise DatasetError(
            f"{dataset_dir}: no images found in `<repeats>_<trigger> <class>` folders (e.g. `10_sks girl/a.png`). "
            "Run `toonlora prep` first or rename the folders."
        )
    warnings.extend(non_square_warning(items))
    return Dataset(tuple(items), tuple(warnings))


def non_square_warning(items: list[DatasetItem]) -> list[str]:
    """One warning naming the images that are not square (from their headers; an unreadable one is left to the
    load, which names it): training centre-crops them, which cuts the top and bottom of a tall image (the head
    and feet of a full-body character) or the sides of a wide one. There are no aspect-ratio buckets yet."""
    cut: list[str] = []
    for item in items:
        try:
            with Image.open(item.image_path) as image:
                width, height = image.size
        except (OSError, ValueError):
            continue
        if max(width, height) > SQUARE_TOLERANCE * min(width, height):
            cut.append(f"{Path(item.image_path).name} {width}x{height}")
    if not cut:
        return []
    shown = ", ".join(cut[:3]) + (f" and {len(cut) - 3} more" if len(cut) > 3 else "")
    return [f"{len(cut)} of {len(items)} images are not square ({shown}): training centre-crops each to a square, "
            "which cuts the top and bottom of tall images (a full-body character's head and feet) and the sides of wide "
            "ones. Crop them square first (`toonlora prep` does) or pad them to a square."]


def _read_caption(image: Path, fallback: str, warnings: list[str]) -> str:
    caption_file = image.with_suffix(".txt")
    if not caption_file.exists():
        return fallback
    try:
        text = caption_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        warnings.append(f"{caption_file}: unreadable caption ({error}); using {fallback!r}")
        return fallback
    return text or fallback


def shuffle_caption(caption: str, trigger: str, rng: random.Random) -> str:
    """Shuffles the comma-separated tags; the trigger (kohya `keep_tokens=1`) stays first.

    If the caption does not start with the trigger, the trigger is put in front so that every
    training caption carries it in the same place.
    """
    tags = [t.strip() for t in caption.split(",") if t.strip()]
    if tags and tags[0] == trigger:
        tags = tags[1:]
    else:
        first = tags[0].split() if tags else []
        if first and first[0] == trigger:
            tags[0] = " ".join(first[1:])
            tags = [t for t in tags if t]
    rng.shuffle(tags)
    return ", ".join([trigger, *tags])


@functools.lru_cache(maxsize=8)
def epoch_order(n_items_repeated: int, seed: int, epoch: int) -> tuple[int, ...]:
    """The shuffled order of one epoch's repeated indices; a pure function of (seed, epoch)."""
    order = list(range(n_items_repeated))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return tuple(order)


def batch_indices(repeated: list[int], seed: int, stream_start: int, batch_size: int) -> list[int]:
    """Item indices for the micro-batch starting at `stream_start` in the endless, epoch-shuffled stream.

    `repeated` lists each item index `repeats` times. Pure: a resumed run asks for the same positions
    (stream_start = (step * accumulation + micro) * batch_size) and gets the same items.
    """
    out = []
    for position in range(stream_start, stream_start + batch_size):
        epoch, offset = divmod(position, len(repeated))
        out.append(repeated[epoch_order(len(repeated), seed, epoch)[offset]])
    return out


def repeated_indices(dataset: Dataset) -> list[int]:
    """Each item index `repeats` times, in folder order."""
    return [i for i, item in enumerate(dataset.items) for _ in range(item.repeats)]


def load_image_tensor(path: str, resolution: int) -> torch.Tensor:
    """RGB image -> [3, resolution, resolution] float tensor in [-1, 1] (centre crop, Lanczos resize).

    Raises DatasetError naming the file when it cannot be decoded.
    """
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            w, h = img.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            img = img.crop((left, top, left + side, top + side)).resize((resolution, resolution), Image.LANCZOS)
            array = np.asarray(img, dtype=np.float32) / 127.5 - 1.0
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot read image ({error})") from None
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()
