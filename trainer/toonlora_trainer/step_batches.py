"""toonlora_trainer/step_batches.py — which images and captions each optimizer step trains on: its micro-batches'
dataset items from the endless epoch-shuffled stream and their (shuffled) captions, pure in (seed, step), so a
--resume and the text-embedding prefetch see the same ones; and StepInputs, what every step reads."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .batch_order import batch_indices
from .config import TrainingConfig
from .data import shuffle_caption
from .dataset_items import Dataset
from .models import BaseModel
from .precision import Precision


@dataclass(frozen=True)
class StepInputs:
    """What every optimizer step reads and none changes: the base, the dataset and its repeated item order, the cached
    latents (None: encoded each step), where the text embeddings come from (make_text_source), the config, the
    precision and the LoRA parameters the update clips."""

    base: BaseModel
    dataset: Dataset
    repeated: list[int]
    latents_cache: list[torch.Tensor] | None
    text_source: object
    config: TrainingConfig
    precision: Precision
    params: list[torch.nn.Parameter]


def micro_batch(dataset: Dataset, repeated: list[int], config: TrainingConfig, step: int, micro: int) -> tuple[list[int], int]:
    """The dataset items of micro-batch `micro` of optimizer step `step`, and the position of its first item in the
    endless, epoch-shuffled stream (its captions' shuffle depends on it). The step and step_captions both use this,
    so the prefetched captions are the ones the step asks for."""
    stream_start = (step * config.gradient_accumulation + micro) * config.batch_size
    return batch_indices(repeated, config.seed, stream_start, config.batch_size, dataset.buckets), stream_start


def step_captions(dataset: Dataset, repeated: list[int], config: TrainingConfig, step: int) -> list[str]:
    """Every caption optimizer step `step` trains on (all its micro-batches), shuffled as the step shuffles them."""
    captions = []
    for micro in range(config.gradient_accumulation):
        indices, stream_start = micro_batch(dataset, repeated, config, step, micro)
        captions += batch_captions(dataset, indices, config, stream_start)
    return captions


def batch_captions(dataset: Dataset, indices: list[int], config: TrainingConfig, stream_start: int) -> list[str]:
    """The captions of the micro-batch `indices` starting at `stream_start`, tag-shuffled with shuffleCaptions."""
    captions = []
    for k, i in enumerate(indices):
        item = dataset.items[i]
        if config.shuffle_captions:
            rng = random.Random(config.seed * 7919 + stream_start + k)  # pure in (seed, position): resumable
            captions.append(shuffle_caption(item.caption, item.trigger, rng))
        else:
            captions.append(item.caption)
    return captions
