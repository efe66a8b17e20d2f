"""toonlora_trainer/image_files.py — what generation writes besides the pixels: the AUTOMATIC1111 `parameters` text
of each PNG (prompt with `<lora:name:weight>`, settings, the LoRA's short hash), the grid of several seeds, and
file names that never overwrite an image."""

from __future__ import annotations

import os
import re

from PIL import Image

from .config import GenerationConfig


def make_grid(images: list[Image.Image]) -> Image.Image:
    """Images side by side in rows of up to 4."""
    columns = min(4, len(images))
    rows = (len(images) + columns - 1) // columns
    w, h = images[0].size
    grid = Image.new("RGB", (columns * w, rows * h), "white")
    for i, image in enumerate(images):
        grid.paste(image, ((i % columns) * w, (i // columns) * h))
    return grid


A1111_SAMPLERS = {"dpmpp_2m_karras": "DPM++ 2M Karras", "euler_a": "Euler a", "euler": "Euler", "ddim": "DDIM",
                  "pndm": "PLMS"}


def webui_lora_name(name: str) -> str:
    """`name` as the WebUI can parse it back: `:` `>` `"` `,` (which end or split it in `<lora:NAME:w>` and
    `Lora hashes: "NAME: hash"`) as `_`. Mirrors src/lora/webui-name.ts webuiLoraName (the download file names)."""
    return re.sub(r'[:>",]', "_", name)


def a1111_parameters(config: GenerationConfig, seed: int, lora_name: str | None, lora_hash: str | None = None) -> str:
    """The `parameters` text the AUTOMATIC1111 WebUI writes into its PNGs, which its PNG Info tab, Civitai and
    ComfyUI read back: the prompt (with `<lora:name:weight>`, so "Send to txt2img" applies the LoRA again), the
    negative prompt, then the settings, with `Lora hashes` (the WebUI's short hash, by which Civitai links the
    LoRA) when the file records one. The name goes through webui_lora_name."""
    def one_line(text: str) -> str:  # the WebUI's parser reads the text line by line
        return " ".join(text.split())

    lora_name = webui_lora_name(lora_name) if lora_name else lora_name

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
