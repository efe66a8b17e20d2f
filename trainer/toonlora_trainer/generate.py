"""toonlora_trainer/generate.py — image generation: StableDiffusionPipeline + a LoRA at a user weight.

A GenerationSession loads the base once and swaps LoRAs (load_lora_weights + set_adapters; LoKr files through
lokr_file.py), which is what `serve-generation` and the server's warm worker use; `generate` is one session,
one request. Latents or pixels that come out NaN / Inf (a LoRA with NaN weights) raise NonFiniteImageError naming
the LoRA instead of saving black PNGs; a LoRA for another base (a size mismatch) is named as such.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Callable

import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .config import GenerationConfig
from .lokr_file import LokrFileError, has_lokr_keys, load_lokr_file
from .models import BaseModel, encode_prompts, load_base_model, prompt_truncation_warnings, select_device
from .protocol import Done, Emit, Log, StepProgress


class LoraFileError(ValueError):
    """The --lora file exists but is not a LoRA diffusers can load (an image, a truncated download, ...)."""


class NonFiniteImageError(ValueError):
    """The latents or decoded pixels came out NaN / Inf: the image would be saved all black. `lora` is the user's
    LoRA file (the likely cause: NaN / Inf weights, or a weight far too high), None without one."""

    def __init__(self, message: str, lora: str | None) -> None:
        super().__init__(message)
        self.lora = lora


def make_scheduler(name: str, config):
    """Sampler table (name -> diffusers scheduler), configured from the base model's scheduler config."""
    from diffusers import (
        DDIMScheduler,
        DPMSolverMultistepScheduler,
        EulerAncestralDiscreteScheduler,
        EulerDiscreteScheduler,
        PNDMScheduler,
    )

    table = {
        # DPM++ 2M Karras as the WebUI names it: multistep DPM-Solver++, order 2, Karras sigmas.
        "dpmpp_2m_karras": lambda: DPMSolverMultistepScheduler.from_config(
            config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True
        ),
        "euler_a": lambda: EulerAncestralDiscreteScheduler.from_config(config),
        "euler": lambda: EulerDiscreteScheduler.from_config(config),
        "ddim": lambda: DDIMScheduler.from_config(config),
        # PLMS only, as diffusers' SD pipelines configure it (skip_prk_steps=True): the Runge-Kutta warm-up needs
        # 4+ steps, so 1-3 steps failed with "operands could not be broadcast together with shapes (4,) (8,)".
        "pndm": lambda: PNDMScheduler.from_config(config, skip_prk_steps=True),
    }
    if name not in table:
        raise ValueError(f"scheduler: expected one of {sorted(table)}, got {name!r}")
    return table[name]()


def assemble_pipeline(base: BaseModel):
    """A StableDiffusionPipeline around the loaded modules, left where they are (no device/dtype change)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(
        vae=base.vae, text_encoder=base.text_encoder, tokenizer=base.tokenizer, unet=base.unet,
        scheduler=make_scheduler("dpmpp_2m_karras", base.noise_scheduler.config),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_pipeline(base: BaseModel, device: torch.device, dtype: torch.dtype, vae_fp32: bool = True):
    """StableDiffusionPipeline on `device`: the whole pipeline moved (and cast) first, THEN only the VAE
    cast back to float32 (SPEC §4). The order matters: `pipe.to(device, dtype)` casts every module, so a
    VAE cast done before it would be undone; a float16 VAE decodes over-saturated ("fried") colours."""
    pipe = assemble_pipeline(base)
    pipe.to(device, dtype)
    if vae_fp32:
        pipe.vae.to(dtype=torch.float32)
    return pipe


@torch.no_grad()
def render_latents(pipe, prompt: str, negative: str, seeds, *, steps: int, guidance: float, width: int, height: int, clip_skip: int,
                   on_step: Callable[[int], None] | None = None) -> torch.Tensor:
    """Denoised latents [len(seeds), 4, h/8, w/8], one seed per image (CPU generators: same on any device).

    Prompt embeddings come from models.encode_prompts (CLIP skip in the WebUI convention, the same code
    the trainer uses), passed to the pipeline as `prompt_embeds`. `on_step(i)` is called after each of the
    `steps` denoising steps (1-based), through the pipeline's `callback_on_step_end`.
    """
    text = _PipeText(pipe)
    embeds = encode_prompts(text, [prompt, negative], clip_skip, pipe.device).to(pipe.text_encoder.dtype)
    n = len(seeds)
    generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
    return pipe(
        prompt_embeds=embeds[:1].expand(n, -1, -1), negative_prompt_embeds=embeds[1:].expand(n, -1, -1),
        num_inference_steps=steps, guidance_scale=guidance, width=width, height=height, generator=generators,
        output_type="latent", **({"callback_on_step_end": _step_callback(on_step)} if on_step else {}),
    ).images


def _step_callback(on_step: Callable[[int], None]):
    """A diffusers `callback_on_step_end` that reports the finished step (1-based) and changes nothing."""

    def callback(pipe, step_index: int, timestep, callback_kwargs: dict) -> dict:
        on_step(step_index + 1)
        return callback_kwargs

    return callback


class _PipeText:
    """The two attributes encode_prompts reads, taken from a pipeline."""

    def __init__(self, pipe) -> None:
        self.tokenizer, self.text_encoder = pipe.tokenizer, pipe.text_encoder


@torch.no_grad()
def decode_latents(pipe, latents: torch.Tensor) -> list[Image.Image]:
    """VAE-decodes latents in the VAE's own dtype (float32 by default) and returns PIL images."""
    return pixels_to_images(pipe, vae_decode(pipe.vae, latents))


def pixels_to_images(pipe, pixels: torch.Tensor) -> list[Image.Image]:
    """PIL images of decoded pixels in [-1, 1] (a NaN pixel would come out black)."""
    return pipe.image_processor.postprocess(pixels.float(), output_type="pil")


def non_finite_seeds(images: torch.Tensor, seeds) -> list[int]:
    """The seeds whose image (latents or pixels, one per seed along dim 0) holds a NaN / Inf value. First one float32
    sum over the batch (NaN / Inf carry through it; latents and pixels are far too small for finite values to overflow
    it): about 4 ms for 16 float32 768 px images on CPU, nothing next to decoding them. Per seed only when it is not finite."""
    if bool(torch.isfinite(images.sum(dtype=torch.float32))):
        return []
    finite = torch.isfinite(images).flatten(1).all(dim=1).tolist()
    return [int(seed) for seed, ok in zip(seeds, finite) if not ok]


def non_finite_error(seeds: list[int], stage: str, lora: str | None, weight: float) -> NonFiniteImageError:
    """The error for images that came out NaN / Inf at `stage` (sampling, VAE decoding), naming the user's LoRA file."""
    which = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    if lora:
        return NonFiniteImageError(
            f"{lora}: the image came out NaN ({which}, in {stage}): the LoRA holds NaN/Inf weights (a LoRA that "
            f"overflowed in float16 training) or the weight ({weight:g}) is too high. No image was written; try a lower "
            "--weight, or another file.", lora)
    return NonFiniteImageError(
        f"the image came out NaN ({which}, in {stage}) with no LoRA: the base model holds NaN/Inf weights, or a float16 "
        "VAE overflowed (keep vaeFp32 on). No image was written.", None)


@torch.no_grad()
def vae_decode(vae, latents: torch.Tensor) -> torch.Tensor:
    """Pixels in [-1, 1] of `latents` [N, 4, h, w], decoded ONE image at a time (diffusers' VAE slicing) in the
    VAE's own dtype. A batch decode holds every image's activations at once: at 512 px in float32 about
    0.75 GiB per image (memory_estimate), so 16 sample seeds would need 12 GiB on top of the models."""
    scaled = latents.to(vae.device, vae.dtype) / vae.config.scaling_factor
    return torch.cat([vae.decode(one[None], return_dict=False)[0] for one in scaled])


def make_grid(images: list[Image.Image]) -> Image.Image:
    """Images side by side in rows of up to 4."""
    columns = min(4, len(images))
    rows = (len(images) + columns - 1) // columns
    w, h = images[0].size
    grid = Image.new("RGB", (columns * w, rows * h), "white")
    for i, image in enumerate(images):
        grid.paste(image, ((i % columns) * w, (i // columns) * h))
    return grid


@dataclass
class GenerationResult:
    images: list[str]
    grid: str | None
    swap_s: float
    generate_s: float

    def done(self, load_s: float | None = None, request_id: str | None = None) -> Done:
        """The `done` event of a generate request (src/worker/protocol.ts generateDoneSchema): the PNGs and the grid,
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
        self.pipe = build_pipeline(self.base, self.device, self.dtype)
        self.active: str | None = None
        self.max_loras = max_loras  # loaded adapters kept for fast swaps; the least recently used goes first
        self._names: dict[str, str] = {}
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
        key = os.path.realpath(path) + f"@{os.path.getmtime(path)}"
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
        self._names[key] = self._names.pop(key)  # most recently used last
        self.pipe.enable_lora()
        self.pipe.set_adapters([self._names[key]], adapter_weights=[weight])
        self.active = key
        return time.perf_counter() - started

    def generate(self, lora: str | None, config: GenerationConfig, output_dir: str, emit: Emit | None = None,
                 request_id: str | None = None, should_stop: Callable[[], bool] | None = None,
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
            pixels = vae_decode(self.pipe.vae, latents)
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
        grid = None
        if len(images) > 1:
            grid = _unused_path(output_dir, "grid")
            make_grid(images).save(grid)
        return GenerationResult(paths, grid, swap_s, time.perf_counter() - started)


class GenerationCancelled(Exception):
    """The driver cancelled the request (serve-generation's `cancel` line): raised at the sampling step after
    it arrived, before anything is decoded or written."""

    def __init__(self, step: int) -> None:
        super().__init__(f"cancelled after sampling step {step}")
        self.step = step


def _load_lora_file(pipe, path: str, name: str) -> None:
    """pipe.load_lora_weights (a LoKr file: lokr_file.load_lokr_file), with any failure to read the file
    reported as bad input naming it."""
    try:
        if _is_lokr_file(path):
            load_lokr_file(pipe, path, name)
        else:
            pipe.load_lora_weights(path, adapter_name=name)
    except LokrFileError as error:  # names the file and what toonlora cannot load in it
        raise LoraFileError(f"{error}. The WebUI and ComfyUI may still load it.") from error
    except Exception as error:  # safetensors/diffusers raise many types for a file that is not a LoRA
        original = _copy_source(path)
        mismatch = shape_mismatch(str(error))
        if mismatch:  # the file is a LoRA, for another base: neither "not a LoRA" nor toonlora's copy is at fault
            raise LoraFileError(f"{original or path}: this LoRA was made for a different base model: {mismatch}") from error
        first = _error_summary(error)
        if original:
            raise LoraFileError(_copy_failure(original, path, f"diffusers cannot load it: {first}")) from error
        raise LoraFileError(
            f"{path}: not a LoRA file diffusers can load ({first}). Give the kohya / diffusers .safetensors a training run wrote."
        ) from error
    if not any(name in names for names in pipe.get_list_adapters().values()):  # diffusers skipped every key
        original = _copy_source(path)
        if original:
            raise LoraFileError(_copy_failure(original, path, "diffusers found no LoRA module it knows in it"))
        raise LoraFileError(f"{path}: diffusers found no LoRA module it knows in this file (a PEFT adapter_model.safetensors "
                            "needs converting first: toonlora generate does that). Give the kohya / diffusers .safetensors "
                            "a training run wrote.")


# One line of torch's load_state_dict error per tensor whose shape differs from the module's (PEFT's
# set_peft_model_state_dict loads the LoRA tensors through it).
_SIZE_MISMATCH = re.compile(r"size mismatch for (\S+): copying a param with shape torch\.Size\(\[([^\]]*)\]\) from "
                            r"checkpoint, the shape in current model is torch\.Size\(\[([^\]]*)\]\)")
_PEFT_PARAM = re.compile(r"\.(lora_A|lora_B|lora_magnitude_vector)(?:\.[^.]+)?(?:\.weight)?$")


def shape_mismatch(message: str) -> str | None:
    """What a load_state_dict "size mismatch" error says, in the user's terms: the first mismatching module with the
    LoRA's shape and the base's, and how many more there are; None when the error is not about shapes."""
    found = _SIZE_MISMATCH.findall(message)
    if not found:
        return None
    name, lora_shape, base_shape = found[0]
    part = _PEFT_PARAM.search(name)
    module = name[:part.start()] if part else name
    role = {"lora_A": " (lora_down)", "lora_B": " (lora_up)", "lora_magnitude_vector": " (DoRA magnitude)"}
    more = f"; {len(found) - 1} more tensor(s) do not fit either" if len(found) > 1 else ""
    return (f"{module}{role.get(part.group(1), '') if part else ''} expects [{lora_shape}], the base has [{base_shape}]"
            f"{more} (e.g. an SD 2.x LoRA on an SD1.5 base). Generate with the base model the LoRA was trained for (--base).")


def _error_summary(error: BaseException) -> str:
    """The first line of an error's message, with the next one when the first only introduces it (ends with ':')."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]


# Metadata key of the copies toonlora generate converts for diffusers (src/lora/diffusers-copy.ts
# COPY_SOURCE_METADATA_KEY): the path of the user's file the copy was made from.
COPY_SOURCE_METADATA_KEY = "toonlora.copy_of"


def _copy_source(path: str) -> str | None:
    """The user's original file when `path` is toonlora's own converted copy of it, else None."""
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            return (handle.metadata() or {}).get(COPY_SOURCE_METADATA_KEY)
    except Exception:  # not a safetensors file: not one of toonlora's copies either
        return None


def _copy_failure(original: str, copy: str, what: str) -> str:
    """The error for a converted copy diffusers rejects: the user's file is not at fault, toonlora's copy is."""
    return (f"{original}: toonlora converted it for diffusers into {copy}, and {what}. This is a toonlora bug, not a "
            f"problem with your file: please report it with {os.path.basename(original)} attached. The WebUI and "
            "ComfyUI may still load the file as it is.")


def _adapter_kind(path: str) -> str:
    """"lokr" for a LoKr file, else "lora" (a file that is not safetensors too: loading it reports why)."""
    try:
        return "lokr" if _is_lokr_file(path) else "lora"
    except Exception:
        return "lora"


def _is_lokr_file(path: str) -> bool:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as handle:
        return has_lokr_keys(handle.keys())


A1111_SAMPLERS = {"dpmpp_2m_karras": "DPM++ 2M Karras", "euler_a": "Euler a", "euler": "Euler", "ddim": "DDIM",
                  "pndm": "PLMS"}


def a1111_parameters(config: GenerationConfig, seed: int, lora_name: str | None, lora_hash: str | None = None) -> str:
    """The `parameters` text the AUTOMATIC1111 WebUI writes into its PNGs, which its PNG Info tab, Civitai and
    ComfyUI read back: the prompt (with `<lora:name:weight>`, so "Send to txt2img" applies the LoRA again), the
    negative prompt, then the settings, with `Lora hashes` (the WebUI's short hash, by which Civitai links the
    LoRA) when the file records one."""
    def one_line(text: str) -> str:  # the WebUI's parser reads the text line by line
        return " ".join(text.split())

    prompt = one_line(config.prompt) + (f" <lora:{lora_name}:{config.lora_weight:g}>" if lora_name else "")
    settings = {
        "Steps": config.steps,
        "Sampler": A1111_SAMPLERS.get(config.scheduler, config.scheduler),
        "CFG scale": f"{config.guidance_scale:g}",
        "Seed": seed,
        "Size": f"{config.width}x{config.height}",
        "Model": _model_label(config.base_model),
        "Clip skip": config.clip_skip,
        **({"Lora hashes": f'"{lora_name}: {lora_hash}"'} if lora_name and lora_hash else {}),
        "Version": "toonlora",
    }
    lines = [prompt]
    if config.negative_prompt:
        lines.append(f"Negative prompt: {one_line(config.negative_prompt)}")
    lines.append(", ".join(f"{key}: {value}" for key, value in settings.items()))
    return "\n".join(lines)


def _model_label(base_model: str) -> str:
    """A base model's name as the WebUI shows one: `anything-v5` for its Hugging Face cache folder
    (`…/models--owner--anything-v5/snapshots/<commit>`), a file's or folder's name, else the id as given."""
    parts = os.path.normpath(base_model).split(os.sep)
    for part in parts:
        if part.startswith("models--"):
            return part.split("--")[-1]
    name = os.path.basename(os.path.normpath(base_model)) if os.sep in base_model or os.path.exists(base_model) else base_model
    return os.path.splitext(name)[0] if name.endswith((".safetensors", ".ckpt")) else name


def _lora_short_hash(path: str | None) -> str | None:
    """The WebUI's short hash of the LoRA file `path` (the user's, not toonlora's converted copy; its first 12 hex
    digits): the sha256 of the bytes after the safetensors header, which kohya files record as `sshs_model_hash`
    (toonlora's writer included). None when the file records none (a PEFT adapter)."""
    if path is None:
        return None
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            digest = (handle.metadata() or {}).get("sshs_model_hash", "")
    except Exception:  # a folder (PEFT run), or not a safetensors file: no hash to give
        return None
    return digest[:12] if re.fullmatch(r"[0-9a-f]{64}", digest) else None


def _lora_label(path: str | None) -> str | None:
    """The LoRA's name for `<lora:name:weight>`: the name of the user's file `path` (not of toonlora's converted copy)."""
    if path is None:
        return None
    original = os.path.normpath(path)
    name = os.path.splitext(os.path.basename(original))[0]
    # a run's PEFT adapter: the run's name, which its kohya file (<run>/<run>.safetensors) carries
    if name == "adapter_model":
        return os.path.basename(os.path.dirname(original)) or name
    return name


def _unused_path(folder: str, stem: str) -> str:
    """`folder/stem.png`, or `stem-2.png`, ... : never overwrites an image the user already has."""
    path, n = os.path.join(folder, f"{stem}.png"), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(folder, f"{stem}-{n}.png")
    return path
