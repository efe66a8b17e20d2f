"""toonlora_trainer/generate.py — image generation: StableDiffusionPipeline + a LoRA at a user weight.

A GenerationSession loads the base once and swaps LoRAs (load_lora_weights + set_adapters, a DoRA's weight applied
as the WebUI does by dora_weight.py; LoKr files through lokr_file.py), which is what `serve-generation` and the
server's warm worker use; `generate` is one session, one request. Latents or pixels that come out NaN / Inf (a LoRA
with NaN weights) raise NonFiniteImageError naming the LoRA instead of saving black PNGs; a LoRA for another base
(a size mismatch) is named as such.
The pipeline and sampling live in pipeline.py, LoRA file loading and its errors in lora_loading.py, the PNG
text and file names in image_files.py; import their names from there.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import torch
from PIL.PngImagePlugin import PngInfo

from .config import GenerationConfig
from .cpu_threads import apply_cpu_threads
from .dora_weight import apply_dora_weight
from .image_files import _lora_label, _lora_short_hash, _unused_path, a1111_parameters, make_grid
from .lora_loading import _adapter_kind, _copy_source, _load_lora_file
from .models import load_base_model, select_device
from .pipeline import (
    build_pipeline, make_scheduler, non_finite_error, non_finite_seeds, pixels_to_images, render_latents, vae_decode,
)
from .prompt_encoding import prompt_truncation_warnings
from .protocol import Done, Emit, Log, StepProgress


@dataclass
class GenerationResult:
    images: list[str]
    grid: str | None
    swap_s: float
    generate_s: float

    def done(self, load_s: float | None = None, request_id: str | None = None) -> Done:
        """The `done` event of a generate request (src/worker/protocol-done.ts generateDoneSchema): the PNGs and the grid,
        the seconds of the LoRA swap and of sampling, and of the base load for a one-shot `generate` (`load_s`)."""
        stats = ({} if load_s is None else {"load_s": load_s}) | {"swap_s": self.swap_s, "generate_s": self.generate_s}
        return Done(artifacts={"images": self.images, "grid": self.grid}, stats=stats, id=request_id)


class GenerationSession:
    """Keeps one base model loaded on the device and swaps LoRA files in and out by path."""

    def __init__(self, base_model: str, device: torch.device | None = None, max_loras: int = 8, sd15_config_dir: str | None = None) -> None:
        started = time.perf_counter()
        self.device = device or select_device()
        # float16 on GPU (memory, speed); float32 on CPU, where half precision is slow and unsupported in places.
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.base = load_base_model(base_model, sd15_config_dir)
        self.cpu_threads = apply_cpu_threads(self.device, self.base.unet)  # the log line, None on a GPU
        self.pipe = build_pipeline(self.base, self.device, self.dtype)
        self.active: tuple[str, float] | None = None
        self.max_loras = max_loras  # loaded adapters kept for fast swaps; the least recently used goes first
        self._names: dict[tuple[str, float], str] = {}  # (the file's real path, its mtime) -> its adapter's name
        self._kind: str | None = None  # "lokr" or "lora" (DoRA included): the PEFT layer type of the loaded adapters
        self._loaded = 0
        self.load_s = time.perf_counter() - started

    def use_lora(self, path: str | None, weight: float) -> float:
        """Activates the LoRA file at `weight` (None: no LoRA); returns seconds spent. Loads each file once while
        the files are of one kind: a LoKr after LoRAs / DoRAs (or the reverse) first unloads them, as PEFT would
        otherwise wrap the other kind's layers around theirs, one level deeper at every switch."""
        started = time.perf_counter()
        if path is None:
            if self._names:
                self.pipe.disable_lora()
            self.active = None
            return time.perf_counter() - started
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: LoRA file not found. Check --lora.")
        key = (os.path.realpath(path), os.path.getmtime(path))
        if key not in self._names:
            kind = _adapter_kind(path)
            if self._kind not in (None, kind):
                self.pipe.unload_lora_weights()  # every adapter, and the PEFT layers: the base's own modules again
                self._names.clear()
            self._kind = kind
            while len(self._names) >= self.max_loras:
                oldest = next(iter(self._names))
                self.pipe.delete_adapters(self._names.pop(oldest))
            name = f"lora_{self._loaded}"
            self._loaded += 1
            try:
                _load_lora_file(self.pipe, path, name)
            except Exception:  # a file refused half way (text encoder loaded, UNet refused) must not stay loaded
                self.pipe.unload_lora_weights()
                self._names.clear()
                self._kind = None
                raise
            self._names[key] = name
            # Inference: the layers PEFT just made start in train mode (the tiny base's whole model too), where a LoKr
            # layer draws torch.rand(1) in every forward to decide whether to skip its delta (module dropout).
            for model in (self.pipe.unet, self.pipe.text_encoder):
                model.eval()
        self._names[key] = self._names.pop(key)  # most recently used last
        self.pipe.enable_lora()
        self.pipe.set_adapters([self._names[key]], adapter_weights=[weight])
        # DoRA: weight w is W + w·(W_dora − W) as in the WebUI / ComfyUI, not PEFT's B·A-only scale (dora_weight.py)
        apply_dora_weight([self.pipe.unet, self.pipe.text_encoder], self._names[key], weight)
        self.active = key
        return time.perf_counter() - started

    def unload_lora(self, path: str) -> int:
        """Drops every adapter loaded from the file at `path` (each version of it; the file may be gone already: a
        LoRA deleted on the server), freeing its weights; returns how many. With none left, the PEFT layers go too."""
        file = os.path.realpath(path)
        dropped = [key for key in self._names if key[0] == file]
        for key in dropped:
            self.pipe.delete_adapters(self._names.pop(key))
            if self.active == key:
                self.active = None
        if dropped and not self._names:
            self.pipe.unload_lora_weights()  # the base's own modules again, as before the first LoRA
            self._kind = None
        return len(dropped)

    def generate(self, lora: str | None, config: GenerationConfig, output_dir: str, emit: Emit | None = None,
                 request_id: str | None = None, should_stop: Callable[[], bool] | None = None, *,
                 lora_name: str | None = None) -> GenerationResult:
        """Renders one image per seed into `output_dir` (PNG) plus a grid when there are several seeds.
        Their WebUI text names the LoRA `lora_name` (a server LoRA's name; its file is <uuid>.safetensors), else the
        file's stem.
        With `emit`, a `progress` event follows each sampling step (step/total = step/config.steps),
        carrying `request_id` as its `id` when given (serve-generation answers several requests).
        `should_stop` is asked after each sampling step: True raises GenerationCancelled, and nothing is written."""
        swap_s = self.use_lora(lora, config.lora_weight)
        self.pipe.scheduler = make_scheduler(config.scheduler, self.base.noise_scheduler.config)
        progress = StepProgress(config.steps, emit, request_id) if emit else None
        if emit:  # toonlora encodes the prompts itself, so diffusers' own truncation warning never shows
            prompts = {"prompt": config.prompt, "negative prompt": config.negative_prompt}
            for warning in prompt_truncation_warnings(self.pipe.tokenizer, prompts):
                emit(Log("warn", warning, id=request_id))

        def on_step(step: int) -> None:
            if progress:
                progress(step)
            if should_stop and should_stop():
                raise GenerationCancelled(step)

        original = (_copy_source(lora) or lora) if lora else None  # the user's file, not toonlora's copy of it
        started = time.perf_counter()
        if not config.vae_fp32:
            self.pipe.vae.to(dtype=self.dtype)
        try:  # the session's VAE stays float32 for the next request, whatever happens to this one
            latents = render_latents(
                self.pipe, config.prompt, config.negative_prompt, config.seeds, steps=config.steps, guidance=config.guidance_scale,
                width=config.width, height=config.height, clip_skip=config.clip_skip, on_step=on_step if progress or should_stop else None,
            )
            # A NaN image saves as all black: say so (naming the LoRA) instead of writing it as a success.
            if bad := non_finite_seeds(latents, config.seeds):
                raise non_finite_error(bad, "sampling", original, config.lora_weight)
            pixels = _decode_each(self.pipe.vae, latents, config.seeds, emit, request_id)
            if bad := non_finite_seeds(pixels, config.seeds):
                raise non_finite_error(bad, "VAE decoding", original, config.lora_weight)
            images = pixels_to_images(self.pipe, pixels)
        finally:
            self.pipe.vae.to(dtype=torch.float32)
        os.makedirs(output_dir, exist_ok=True)
        paths = []
        label = (lora_name or _lora_label(original)) if original else None
        lora_hash = _lora_short_hash(original)
        for seed, image in zip(config.seeds, images):
            path = _unused_path(output_dir, f"seed-{seed}")
            info = PngInfo()
            info.add_text("parameters", a1111_parameters(config, seed, label, lora_hash))
            image.save(path, pnginfo=info)
            paths.append(path)
            _sign_of_life(emit, f"saved {os.path.basename(path)}", request_id)
        grid = None
        if len(images) > 1:
            grid = _unused_path(output_dir, "grid")
            make_grid(images).save(grid)
        return GenerationResult(paths, grid, swap_s, time.perf_counter() - started)


def _sign_of_life(emit: Emit | None, message: str, request_id: str | None) -> None:
    """A debug `log` (shown to nobody) after each decoded / saved image: the driver's silence watchdog
    (--worker-timeout) restarts on every line, and after the last sampling step a CPU decode of 8 seeds at 1024 px
    can take longer than its allowance."""
    if emit:
        emit(Log("debug", message, id=request_id))


def _decode_each(vae, latents: torch.Tensor, seeds, emit: Emit | None, request_id: str | None) -> torch.Tensor:
    """vae_decode, one seed at a time (as vae_decode does anyway), with a sign of life after each image."""
    pixels = []
    for i, seed in enumerate(seeds):
        pixels.append(vae_decode(vae, latents[i:i + 1]))
        _sign_of_life(emit, f"decoded image {i + 1}/{len(seeds)} (seed {seed})", request_id)
    return torch.cat(pixels)


class GenerationCancelled(Exception):
    """The driver cancelled the request (serve-generation's `cancel` line): raised at the sampling step after
    it arrived, before anything is decoded or written."""

    def __init__(self, step: int) -> None:
        super().__init__(f"cancelled after sampling step {step}")
        self.step = step

