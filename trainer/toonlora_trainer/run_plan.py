"""toonlora_trainer/run_plan.py — the lines a run logs once at its start about what it will do: the dataset and its
repeats, the steps as epochs, the aspect-ratio buckets, the sample images, how text embeddings and latents are made,
and last a plain line on what comes next: the web app's status line shows the newest line until the first loss."""

from __future__ import annotations

from fractions import Fraction

from .batch_order import micro_batches_per_epoch, repeated_indices
from .buckets import bucket_counts
from .config import TrainingConfig
from .dataset_items import Dataset
from .dataset_plan import epochs_of_images, epochs_trained
from .text_embeddings import PREFETCH_CAPTIONS
from .training_samples import sample_prompts


PLAN_LAST_LINE = "loading the base model; training starts after it"


def _count(n: float, noun: str) -> str:
    """`1 epoch`, `2.5 epochs`, `60 steps`."""
    return f"{n:g} {noun}" if n == 1 else f"{n:g} {noun}s"


def _partial_epoch(config: TrainingConfig, dataset: Dataset, epochs: int) -> str:
    """` (the last one partly: 10 of its 15 batches)` when the steps end inside an epoch, else ``: the batches counted,
    not a fraction of an epoch (`0.0667 epochs of images` read as a figure to work out); the images, when the batch
    does not divide them (`8 of its 10 images`, not `2 of its 5/2 batches`)."""
    if epochs_of_images(config, dataset, config.steps) >= epochs:
        return ""
    batches = micro_batches_per_epoch(repeated_indices(dataset), dataset.buckets, config.batch_size)
    done = config.steps * config.gradient_accumulation - (epochs - 1) * batches
    if not 0 < done < batches:  # --epochs E with a batch bigger than the dataset: several E train the same steps
        return ""
    which = "only partly" if epochs == 1 else "the last one partly"
    if Fraction(batches).denominator != 1:  # a batch that does not divide the images (2.5 batches): count images
        return f" ({which}: {int(done * config.batch_size)} of its {int(batches * config.batch_size)} images)"
    return f" ({which}: {int(done)} of its {int(batches)} batches)"


def _quoted(items: list[str]) -> str:
    """`"sks girl", "zzk boy"`: prompts as the user typed them, not a Python list."""
    return ", ".join(f'"{item}"' for item in items)


def plan_lines(config: TrainingConfig, dataset: Dataset) -> list[str]:
    """What the run will do, logged once at the start: data, length, samples, the text-embedding cache."""
    repeats = sorted({item.repeats for item in dataset.items})
    per_epoch = dataset.repeated_length
    # the epochs the kohya file records (ss_epoch, a started one counting), from the one function that counts them
    epochs = epochs_trained(config, dataset, config.steps)
    partial = _partial_epoch(config, dataset, epochs)
    lines = [
        f"dataset: {_count(len(dataset.items), 'image')}, repeats {'/'.join(map(str, repeats))}, {per_epoch} images per epoch; "
        f"{_count(config.steps, 'step')} = {_count(epochs, 'epoch')}{partial} at batch {config.batch_size} x accumulation "
        f"{config.gradient_accumulation}"
    ]
    counts = bucket_counts(dataset, config.resolution)
    if len(counts) > 1:
        sizes = ", ".join(f"{w}x{h} ({n})" for (w, h), n in counts.items())
        lines.append(f"aspect-ratio buckets (images each): {sizes}" + ("; a batch holds one bucket" if config.batch_size > 1 else "")
                     + ("; compile makes one graph per bucket size" if config.compile else ""))
    if config.sample_every_steps and config.steps < config.sample_every_steps:
        # as the dry run says it (src/worker/memory-estimate.ts): samples come at multiples of sampleEverySteps only
        lines.append(f"no sample images: the {_count(config.steps, 'step')} end before the first sample, at step "
                     f"{config.sample_every_steps} (sampleEverySteps)")
    elif config.sample_every_steps:
        prompts = sample_prompts(config, dataset)
        folders = len({item.folder_tokens or item.trigger for item in dataset.items})
        skipped = (f" (the first {len(prompts)} of {folders} concept folders; samplePrompts sets others)"
                   if not config.sample_prompts and folders > len(prompts) else "")
        seeds = ", ".join(map(str, config.sample_seeds))
        lines.append(f"samples every {config.sample_every_steps} steps: {'prompt' if len(prompts) == 1 else 'prompts'} "
                     f"{_quoted(prompts)}{skipped}, {'seed' if len(config.sample_seeds) == 1 else 'seeds'} {seeds}")
    if not config.train_text_encoder:
        shuffled = "shuffled captions" if config.shuffle_captions else "captions"
        lines.append(f"text embeddings: the coming steps' {shuffled} are encoded {PREFETCH_CAPTIONS} at a time, and on a GPU "
                     "the frozen text encoder waits in CPU memory in between"
                     + ("; image latents are cached once" if config.cache_latents else "; image latents are encoded every step"))
    # the status line shows the newest line while the base loads (it can take minutes): plain words, not the detail above
    lines.append(PLAN_LAST_LINE)
    return lines
