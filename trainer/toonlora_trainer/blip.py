"""toonlora_trainer/blip.py — BLIP image captions (SPEC §1 step 5), batched, one event per image.

Salesforce/blip-image-captioning-base with max_length 50 and num_beams 3 by default (the values come
in the request from src/schemas/config.ts). A file that cannot be read gets a caption event with an
error; the other files are still captioned.
"""

from __future__ import annotations

import torch
from PIL import Image

from .base_files import ModelMissingError
from .config_schema import REGISTRY
from .error_fix import pull_model
from .models import select_device
from .protocol import Caption, Done, Emit, StepProgress

# The registry's BLIP captioner (src/models/registry.ts `blip-base`): its Hugging Face id and toonlora's id.
BLIP_BASE = REGISTRY["blipModel"]
BLIP_BASE_ID = REGISTRY["blipModelId"]


def load_blip(model: str, device: torch.device):
    """(processor, model) from a HF id in the local cache or a local folder; ModelMissingError if absent."""
    from transformers import BlipForConditionalGeneration, BlipProcessor

    try:
        processor = BlipProcessor.from_pretrained(model, local_files_only=True)
        blip = BlipForConditionalGeneration.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError) as error:
        hint = f"Run: toonlora models pull {BLIP_BASE_ID}" if model == BLIP_BASE else "Check the BLIP model folder."
        fix = pull_model(BLIP_BASE_ID) if model == BLIP_BASE else None
        raise ModelMissingError(f"{model}: BLIP model not found on this machine ({str(error).splitlines()[0]}). {hint}", fix) from None
    blip.to(device, torch.float16 if device.type == "cuda" else torch.float32).eval()
    return processor, blip


def _open_rgb(path: str) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


@torch.no_grad()
def caption_images(paths: list[str], model: str, max_length: int, num_beams: int, batch_size: int, emit: Emit) -> None:
    """Emits one `caption` event per path (in order) and a `progress` event after each batch (step =
    images handled so far, readable or not, of len(paths)), then `done` with the count of captions written."""
    device = select_device()
    processor, blip = load_blip(model, device)
    progress = StepProgress(len(paths), emit)
    ok = 0
    for start in range(0, len(paths), batch_size):
        batch, images = [], []
        for path in paths[start : start + batch_size]:
            try:
                images.append(_open_rgb(path))
                batch.append(path)
            except (OSError, ValueError) as error:
                emit(Caption(path=path, caption=None, error=f"{path}: cannot read image ({error})"))
        if images:
            inputs = processor(images=images, return_tensors="pt").to(device, blip.dtype)
            output = blip.generate(**inputs, max_length=max_length, num_beams=num_beams)
            for path, text in zip(batch, processor.batch_decode(output, skip_special_tokens=True)):
                emit(Caption(path=path, caption=text.strip()))
                ok += 1
        progress(min(start + batch_size, len(paths)))
    emit(captions_done(ok, len(paths) - ok))


def captions_done(captioned: int, failed: int) -> Done:
    """The `done` event of `blip-caption` (src/worker/protocol-done.ts blipCaptionDoneSchema): the captions went out as
    `caption` events; this counts the images captioned and those that could not be read."""
    return Done(artifacts={}, stats={"captioned": captioned, "failed": failed})
