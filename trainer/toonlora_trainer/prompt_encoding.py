"""toonlora_trainer/prompt_encoding.py — CLIP text embeddings of prompts (one function for training and generation,
with the WebUI's CLIP skip) and the warnings for prompts longer than CLIP reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .models import BaseModel


@torch.no_grad()
def encode_prompts(base: BaseModel, prompts: list[str], clip_skip: int, device: torch.device) -> torch.Tensor:
    """CLIP text embeddings [B, 77, D] without gradients (frozen text encoder, generation); see encode_prompts_grad."""
    return encode_prompts_grad(base, prompts, clip_skip, device)


def encode_prompts_grad(base: BaseModel, prompts: list[str], clip_skip: int, device: torch.device) -> torch.Tensor:
    """CLIP text embeddings [B, 77, D] for training AND generation (one function, so both see the same text).

    `clip_skip` is the WebUI convention: 1 = last layer, 2 = penultimate (hidden_states[-2]) followed by
    the final layer norm, as diffusers' encode_prompt does. Done here rather than through the pipeline's
    `clip_skip=` because diffusers 0.42.1 reads `text_encoder.text_model.final_layer_norm`, which
    transformers 5 no longer has (CLIPTextModel holds `final_layer_norm` directly).
    Tokens past the 77th are cut off without a word: prompt_truncation_warnings and
    text_embeddings.long_caption_warnings say so beforehand.
    """
    tokens = base.tokenizer(
        prompts, padding="max_length", max_length=base.tokenizer.model_max_length, truncation=True, return_tensors="pt"
    ).input_ids.to(device)
    output = base.text_encoder(tokens, output_hidden_states=clip_skip > 1)
    if clip_skip <= 1:
        return output.last_hidden_state
    final_norm = getattr(base.text_encoder, "text_model", base.text_encoder).final_layer_norm
    return final_norm(output.hidden_states[-clip_skip])


def prompt_token_limit(tokenizer) -> int:
    """Tokens of text CLIP reads: its 77 positions less the start and end tokens (75 for SD1.5)."""
    return tokenizer.model_max_length - 2


def prompt_token_counts(tokenizer, prompts: list[str]) -> list[int]:
    """Text tokens of each prompt (no start / end token), before the cut to prompt_token_limit that
    encode_prompts_grad makes. `verbose=False`: the tokenizer's own over-length notice goes to stderr, unseen."""
    if not prompts:
        return []
    return [len(ids) for ids in tokenizer(prompts, add_special_tokens=False, verbose=False).input_ids]


def prompt_truncation_warnings(tokenizer, prompts: dict[str, str]) -> list[str]:
    """A warning per named prompt (e.g. {"prompt": ..., "negative prompt": ...}) longer than CLIP reads: encode_prompts
    keeps the first prompt_token_limit tokens and drops the rest without a word (diffusers warns when it encodes the
    prompt itself, but toonlora encodes it here), so generation should say so."""
    limit = prompt_token_limit(tokenizer)
    names = [name for name, text in prompts.items() if text]
    counts = prompt_token_counts(tokenizer, [prompts[name] for name in names])
    return [f"the {name} is {count} tokens long; CLIP reads only the first {limit}, the rest is ignored. Shorten it (fewer tags)."
            for name, count in zip(names, counts) if count > limit]
