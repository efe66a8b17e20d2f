"""Where a training step's text embeddings come from, and where the CLIP text encoder waits meanwhile.

- `PrefetchedTextEmbeddings` is used when the text encoder is frozen (the default). A step's captions are a pure
  function of (seed, position), shuffled tags included (step_batches.step_captions). So the captions of the coming
  steps are known, and on a miss they are all encoded at once.
  - On a GPU the encoder then goes back to CPU memory. A training step holds the UNet and not the 0.23 GiB of
    SD1.5's fp16 text encoder.
  - kohya's `cache_text_encoder_outputs` frees the encoder too, but it refuses shuffled captions; this works
    with them.
- `LiveTextEmbeddings` is used with --train-text-encoder. It encodes every step with gradients, and the encoder
  stays on the device (diffusers' train_dreambooth_lora.py encodes the prompt inside the step when
  train_text_encoder is set).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

import torch

from .data import caption_file, shuffle_caption
from .dataset_items import DatasetItem
from .models import BaseModel
from .prompt_encoding import encode_prompts, encode_prompts_grad, prompt_token_counts, prompt_token_limit

PREFETCH_CAPTIONS = 128  # captions per refill: about 15 MB of SD1.5 embeddings (77 x 768, fp16)
ENCODE_CHUNK = 32  # captions per text-encoder forward during a refill

Placement = Callable[[bool], None]  # moves the text encoder onto the device (True) or off it (False)


def long_caption_warnings(tokenizer, items: tuple[DatasetItem, ...], shuffle_captions: bool) -> list[str]:
    """One warning when captions are longer than CLIP reads (75 tokens for SD1.5), naming up to 3 caption files: the
    encoder keeps the first 75 tokens and drops the tail without a word. Counted as the step sees a caption (tag
    shuffling moves tags, it does not change their token count); with shuffling a different tail drops each step."""
    limit = prompt_token_limit(tokenizer)
    captions = [shuffle_caption(item.caption, item.trigger, random.Random(0)) if shuffle_captions else item.caption for item in items]
    long = [(item, count) for item, count in zip(items, prompt_token_counts(tokenizer, captions)) if count > limit]
    if not long:
        return []
    named = []
    for item, count in long[:3]:
        source = caption_file(Path(item.image_path))
        named.append(f"{(source or Path(item.image_path)).name} {count} tokens")
    shown = ", ".join(named) + (f" and {len(long) - 3} more" if len(long) > 3 else "")
    tail = ("the tags past it are ignored, with caption shuffling different ones each step" if shuffle_captions
            else "the rest of each is ignored")
    return [f"{len(long)} of {len(items)} captions are longer than the {limit} tokens CLIP reads ({shown}): {tail}. "
            "Shorten them (fewer tags) to train every tag."]


class PrefetchedTextEmbeddings:
    """Embeddings by caption text for a window of coming captions. Each refill keeps the window's embeddings
    that are already there, drops the rest first, and encodes the new ones.

    `upcoming()`: the captions of the next steps, from the current one on (the window).
    `place`: where the frozen encoder goes between refills (None: it stays where it is, as on a CPU)."""

    def __init__(self, base: BaseModel, clip_skip: int, device: torch.device, dtype: torch.dtype,
                 upcoming: Callable[[], list[str]], place: Placement | None = None) -> None:
        self.base, self.clip_skip, self.device, self.dtype = base, clip_skip, device, dtype
        self.upcoming, self.place = upcoming, place
        self.store: dict[str, torch.Tensor] = {}
        self.refills = 0
        if place is not None:
            place(False)

    def get(self, captions: list[str]) -> torch.Tensor:
        if any(c not in self.store for c in captions):
            self._refill(list(dict.fromkeys(captions + self.upcoming())))
        return torch.stack([self.store[c] for c in captions])

    def _refill(self, wanted: list[str]) -> None:
        self.store = {c: self.store[c] for c in wanted if c in self.store}
        new = [c for c in wanted if c not in self.store]
        self.refills += 1
        if self.place is not None:
            self.place(True)
        try:
            for start in range(0, len(new), ENCODE_CHUNK):
                chunk = new[start : start + ENCODE_CHUNK]
                encoded = encode_prompts(self.base, chunk, self.clip_skip, self.device).to(self.dtype)
                self.store.update(zip(chunk, encoded))
        finally:
            if self.place is not None:
                self.place(False)


class LiveTextEmbeddings:
    """Text embeddings computed every step WITH gradients: the text encoder's LoRA trains, so nothing is cached."""

    def __init__(self, base: BaseModel, clip_skip: int, device: torch.device, autocast) -> None:
        self.base, self.clip_skip, self.device, self.autocast = base, clip_skip, device, autocast

    def get(self, captions: list[str]) -> torch.Tensor:
        with self.autocast():
            return encode_prompts_grad(self.base, captions, self.clip_skip, self.device)


def encoder_placement(text_encoder: torch.nn.Module, device: torch.device) -> Placement | None:
    """On a GPU: the text encoder moves onto it for refills and back to CPU memory after. Elsewhere: None."""
    if device.type != "cuda":
        return None

    def place(on_device: bool) -> None:
        text_encoder.to(device if on_device else "cpu")

    return place
