"""toonlora_trainer/dataset_plan.py — the dataset as a training run reads it, and the run's length from it.

One place for what `train` does before any model loads (scan the kohya folders, assign aspect-ratio buckets, the
dataset warnings, epochs turned into steps) and what `scan-dataset` reports to `toonlora train --dry-run`, so the
dry run's counts and warnings are the run's own.
"""

from __future__ import annotations

import dataclasses
import math
import os
from fractions import Fraction
from typing import Any

from .base_files import (BaseComponentError, check_no_lfs_pointers, component_load_error, hub_revision_folder, hub_snapshot_folder,
                         is_hub_base)
from .batch_order import micro_batches_per_epoch, repeated_indices
from .buckets import assign_buckets, non_square_warning
from .config import ScanDatasetRequest, TrainingConfig, check_warmup
from .data import scan_kohya_dataset
from .dataset_items import Dataset


def scan_for_training(dataset_dir: str, config: TrainingConfig) -> tuple[Dataset, list[str]]:
    """The dataset `config` trains (each item in its bucket with aspectRatioBuckets) and every warning the run emits
    about it, in the run's order. Raises DatasetError as scan_kohya_dataset does."""
    dataset = scan_kohya_dataset(dataset_dir)
    if config.aspect_ratio_buckets:
        dataset = assign_buckets(dataset, config.resolution)
        return dataset, [*dataset.warnings, *batch_size_warning(config, dataset)]
    return dataset, [*dataset.warnings, *non_square_warning(dataset.items), *batch_size_warning(config, dataset)]


def batch_size_warning(config: TrainingConfig, dataset: Dataset) -> list[str]:
    """One warning when a batch is bigger than an epoch (every image times its repeats): each batch then repeats images
    to fill it, so a step trains more than an epoch and `--epochs` is met only in whole steps."""
    per_epoch = dataset.repeated_length
    if config.batch_size <= per_epoch:
        return []
    images = len(dataset.items)
    return [f"batch size {config.batch_size} is larger than the {per_epoch} images of an epoch ({images} image"
            f"{'' if images == 1 else 's'} x repeats): each batch repeats images to fill it, so one step trains "
            f"{config.batch_size / per_epoch:.3g} epochs. Set training.batchSize = {per_epoch} or less in the --config file, "
            "or add images or repeats."]


def resolve_steps(config: TrainingConfig, dataset: Dataset) -> TrainingConfig:
    """`config` with steps set: given, or ceil(epochs * micro-batches per epoch / accumulation), where an epoch
    is every image times its repeats (kohya's epoch; train_network.py: num_update_steps_per_epoch =
    ceil(len(dataloader) / accumulation)) and, with batches of one bucket, counts their filled-up batches."""
    if config.epochs is None:
        return config
    per_epoch = micro_batches_per_epoch(repeated_indices(dataset), dataset.buckets, config.batch_size)
    resolved = dataclasses.replace(config, steps=math.ceil(config.epochs * per_epoch / config.gradient_accumulation))
    check_warmup(resolved)
    return resolved


def epochs_trained(config: TrainingConfig, dataset: Dataset, steps: int) -> int:
    """The epochs `steps` optimizer steps reach (ss_epoch; a started epoch counts, as kohya counts it), defined as the
    inverse of resolve_steps so the two never disagree: the fewest whole epochs whose resolve_steps is `steps` or more,
    i.e. `--epochs E` records E. (kohya's ceil(steps / ceil(batches per epoch / accumulation)) rounds the batches of an
    epoch up on their own and undercounts: `--epochs 3` at a batch bigger than the dataset recorded 2.) A run given
    `--epochs E` (`config` resolved by resolve_steps) that trained all its steps reached E: with a batch bigger than the
    dataset several E resolve to the same steps."""
    if config.epochs is not None and config.steps is not None and steps >= config.steps:
        return config.epochs
    batches = micro_batches_per_epoch(repeated_indices(dataset), dataset.buckets, config.batch_size)
    return max(1, math.floor((steps - 1) * config.gradient_accumulation / batches) + 1)


def epochs_of_images(config: TrainingConfig, dataset: Dataset, steps: int) -> Fraction:
    """The epochs' worth of micro-batches `steps` optimizer steps train, as a fraction (16 steps of 15 an epoch: 16/15).
    Not an epoch count: the start log shows it beside epochs_trained's only when the last epoch is partial."""
    return Fraction(steps * config.gradient_accumulation) / micro_batches_per_epoch(repeated_indices(dataset), dataset.buckets,
                                                                                   config.batch_size)


def dry_run_tokenizer(base: str) -> Any | None:
    """The tokenizer a run on `base` encodes captions with, read without loading any weights (the tokenizer's vocabulary
    files only), for the dry run's long-caption warning; None when it is not on this machine (the run then fails loading
    the base, which the dry run does not check). Files that are there but do not load (a Git LFS pointer, a damaged
    download) raise BaseComponentError naming the base, the component, its files and the fix (tokenizer_load_error). A single-file checkpoint takes SD1.5's CLIP tokenizer, the one every
    SD1.5 base has, from the registry base or openai/clip-vit-large-patch14 in the Hugging Face cache."""
    from .base_files import DEFAULT_BASE_MODEL
    from .models import TINY, build_tiny_tokenizer

    if base == TINY:
        return build_tiny_tokenizer()
    from transformers import CLIPTokenizer

    single_file = base.lower().endswith((".safetensors", ".ckpt"))
    sources = [(DEFAULT_BASE_MODEL, "tokenizer"), ("openai/clip-vit-large-patch14", "")] if single_file else [(base, "tokenizer")]
    for source, subfolder in sources:
        # a Hub id loads the snapshot its revision names (`owner/name@REV`: REV's, as the run does; a bare id: main's),
        # from that folder: given the id, from_pretrained took a tag's snapshot for a bare id without refs/main
        location = hub_revision_folder(source) if is_hub_base(source) else source
        if location is None:
            continue  # not in the cache at that revision: the run fails loading the base, and names the pull
        try:
            return CLIPTokenizer.from_pretrained(location, subfolder=subfolder, local_files_only=True)
        except (OSError, ValueError):
            continue
        except Exception as error:  # tokenizers' bare Exception ("Error while initializing BPE"): files there, damaged
            raise tokenizer_load_error(source, subfolder, error) from None
    return None


def tokenizer_load_error(base: str, subfolder: str, error: BaseException) -> BaseComponentError:
    """The error for a tokenizer whose files are there but do not load (a Git LFS pointer in place of vocab.json, a
    truncated download), in base_files.py's words for a component the run cannot load: the base, its folder, the files
    and the fix (a Git LFS pointer anywhere in the folder is named as the run names it)."""
    folder = base if os.path.isdir(base) else (hub_snapshot_folder(base) or base)
    check_no_lfs_pointers(base, folder)
    return component_load_error(base, folder, subfolder or "tokenizer", error)


def dry_run_warnings(config: TrainingConfig, dataset: Dataset, warnings: list[str]) -> list[str]:
    """`warnings` (scan_for_training's) and the ones the run adds once its base has loaded: captions longer than CLIP
    reads (text_embeddings.long_caption_warnings, with the run's tokenizer when it is here)."""
    from .text_embeddings import long_caption_warnings

    tokenizer = dry_run_tokenizer(config.base_model)
    return [*warnings, *(long_caption_warnings(tokenizer, dataset.items, config.shuffle_captions) if tokenizer else [])]


def scan_dataset_result(request: ScanDatasetRequest) -> tuple[dict[str, Any], dict[str, float]]:
    """The `scan-dataset` command's `done` artifacts and stats: the images the run trains (`trained_images`, in the
    run's order) with each one's bucket (`buckets`, `WxH`; null without aspect-ratio buckets), the run's dataset
    `warnings` (the long-caption one too), and the counts: images, images with repeats, micro-batches per epoch, the steps the run trains
    (epochs turned into steps as the run does) and the epochs they reach."""
    dataset, warnings = scan_for_training(request.dataset_dir, request.config)
    config = resolve_steps(request.config, dataset)
    per_epoch = micro_batches_per_epoch(repeated_indices(dataset), dataset.buckets, config.batch_size)
    artifacts: dict[str, Any] = {
        "trained_images": [item.image_path for item in dataset.items],
        "buckets": [f"{item.bucket[0]}x{item.bucket[1]}" for item in dataset.items if item.bucket is not None]
        if config.aspect_ratio_buckets else None,
        "warnings": dry_run_warnings(config, dataset, warnings),
    }
    stats = {
        "images": float(len(dataset.items)),
        "images_with_repeats": float(dataset.repeated_length),
        "micro_batches_per_epoch": float(per_epoch),
        "steps": float(config.steps),
        "epochs": float(epochs_trained(config, dataset, config.steps)),
    }
    return artifacts, stats
