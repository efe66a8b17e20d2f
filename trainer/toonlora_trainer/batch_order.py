"""toonlora_trainer/batch_order.py — the order a run reads its images in: each item `repeats` times, shuffled per
epoch as a pure function of (seed, epoch), so a resumed run sees the same batches; with buckets, batches that
hold one bucket each."""

from __future__ import annotations

import functools
import random
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dataset_items import Bucket, Dataset


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
