"""toonlora_trainer/models.py — loads the SD1.5-architecture base model and attaches the LoRA.

Bases: a Hugging Face id in diffusers layout (resolved from the local HF cache only: nothing
downloads here; `owner/name@REV` loads that revision's snapshot), a local diffusers folder, a single-file `.safetensors` checkpoint, or `tiny`
(an SD1.5-shaped model built from small configs with seeded random weights, for tests and demos).
The configs live in model_configs.py, the load errors and their hints in base_files.py, prompt encoding in
prompt_encoding.py and the LoRA adapter in lora_adapters.py; import their names from there.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from typing import Any

import torch

from .base_files import (
    BASE_COMPONENTS, REGISTRY_BASE_ID, ModelMissingError, _check_safetensors_file, _first_line, _pull_hint, check_no_lfs_pointers,
    component_load_error, hub_snapshot_folder, missing_layout_files, split_revision,
)
from .error_fix import pull_model
from .model_configs import TINY_SEED, TINY_TEXT_CONFIG, TINY_UNET_CONFIG, TINY_VAE_CONFIG

TINY = "tiny"


@dataclass
class BaseModel:
    """The pieces of an SD1.5 pipeline the trainer and the generator use."""

    unet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    noise_scheduler: Any  # DDPMScheduler for training
    name: str

    @property
    def prediction_type(self) -> str:
        return str(self.noise_scheduler.config.prediction_type)


def select_device() -> torch.device:
    """CUDA when a GPU is visible, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_base_model(base: str, sd15_config_dir: str | None = None) -> BaseModel:
    """Loads `base` on the CPU in float32; raises ModelMissingError naming the fix when absent.

    `base`: `tiny`, a single-file checkpoint, or a diffusers layout (a local folder or a Hub id in the HF cache).
    `sd15_config_dir`: a diffusers-layout SD1.5 folder whose component configs build a single-file checkpoint
    when the HF cache lacks the SD1.5 configs diffusers would look up (config.SD15_CONFIG_DIR_NOTE)."""
    if base == TINY:
        return build_tiny_base_model()
    if base.lower().endswith((".safetensors", ".ckpt")):
        return _load_single_file(base, sd15_config_dir)
    return _load_diffusers_layout(base)


def _load_diffusers_layout(base: str) -> BaseModel:
    """Each component from its subfolder. A folder (or Hub snapshot) with every layout file there but a component
    that does not load, or a Git LFS pointer in place of a file, raises BaseComponentError naming the base, the
    component and its files; one lacking files (or no folder at all) ModelMissingError with _pull_hint's fix."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    loaders = dict(zip(BASE_COMPONENTS, (CLIPTokenizer, CLIPTextModel, AutoencoderKL, UNet2DConditionModel, DDPMScheduler)))
    folder = base if os.path.isdir(base) else hub_snapshot_folder(base)
    repo, revision = split_revision(base)  # `owner/name@<commit>`: that snapshot, not the one refs/main names
    at = {"revision": revision} if revision else {}
    complete = folder is not None and not missing_layout_files(folder)
    if complete:
        check_no_lfs_pointers(base, folder)
    parts = {}
    for component, loader in loaders.items():
        try:
            parts[component] = loader.from_pretrained(
                repo, subfolder=component, local_files_only=True, **at)
        except MemoryError:
            raise
        except Exception as error:  # tokenizers raises a bare Exception, safetensors its own SafetensorError
            if complete:
                raise component_load_error(base, folder, component, error) from None
            what = "cannot load this base model folder" if os.path.isdir(base) else "base model not found on this machine"
            hint, fix = _pull_hint(base)
            raise ModelMissingError(f"{base}: {what} ({_first_line(error)}). {hint}", fix) from None
    return BaseModel(parts["unet"], parts["vae"], parts["text_encoder"], parts["tokenizer"], parts["scheduler"], base)


def _load_single_file(path: str, sd15_config_dir: str | None) -> BaseModel:
    from diffusers import DDPMScheduler, StableDiffusionPipeline

    _check_safetensors_file(path)
    load = functools.partial(StableDiffusionPipeline.from_single_file, path, local_files_only=True, safety_checker=None)
    try:
        pipe = load()  # the configs diffusers picks for the checkpoint's kind, when the HF cache has them
    except (OSError, ValueError) as error:
        if sd15_config_dir is None:
            raise ModelMissingError(
                f"{path}: cannot load this single-file checkpoint offline ({_first_line(error)}). diffusers builds it "
                f"from SD1.5 component configs, and none are on this machine: run `toonlora models pull {REGISTRY_BASE_ID}` once.",
                pull_model(REGISTRY_BASE_ID)) from None
        try:
            pipe = load(config=sd15_config_dir)
        except (OSError, ValueError) as second:
            raise ModelMissingError(
                f"{path}: cannot load this single-file checkpoint ({_first_line(error)}; with the SD1.5 configs of "
                f"{sd15_config_dir}: {_first_line(second)}). toonlora trains SD1.5-architecture checkpoints."
            ) from None
    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    return BaseModel(pipe.unet, pipe.vae, pipe.text_encoder, pipe.tokenizer, scheduler, path)


def build_tiny_tokenizer():
    """A CLIP BPE tokenizer with a byte-level vocabulary built in code (no files, no network).

    Every byte is a token (with and without the end-of-word marker), so any prompt tokenizes.
    """
    from transformers import CLIPTokenizer

    chars = _byte_level_alphabet()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in chars:
        vocab[ch] = len(vocab)
    for ch in chars:
        vocab[ch + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    tokenizer.model_max_length = 77
    return tokenizer


def _byte_level_alphabet() -> list[str]:
    """GPT-2/CLIP byte-level BPE alphabet: printable bytes map to themselves, the rest to U+0100 onwards."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


@contextlib.contextmanager
def _seeded(seed: int):
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def build_tiny_base_model(seed: int = TINY_SEED) -> BaseModel:
    """The `tiny` base: SD1.5-shaped, random weights from `seed` (the same weights on every call)."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with _seeded(seed):
        unet = UNet2DConditionModel(**TINY_UNET_CONFIG)
        vae = AutoencoderKL(**TINY_VAE_CONFIG)
        text_encoder = CLIPTextModel(CLIPTextConfig(**TINY_TEXT_CONFIG))
    scheduler = DDPMScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        prediction_type="epsilon", steps_offset=1, clip_sample=False,
    )
    return BaseModel(unet, vae, text_encoder, build_tiny_tokenizer(), scheduler, TINY)
