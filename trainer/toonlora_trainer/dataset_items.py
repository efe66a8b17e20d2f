"""toonlora_trainer/dataset_items.py — what a scanned dataset is: its items (image, caption, trigger, repeats,
bucket), the Dataset with its warnings, triggers and default sample prompts, and DatasetError."""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
