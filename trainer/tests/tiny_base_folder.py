"""trainer/tests/tiny_base_folder.py — the tiny random-weight base saved as a diffusers SD1.5 folder (every component
in its subfolder, each loads), for tests that break or move one of its files."""

import os

from toonlora_trainer.models import build_tiny_base_model


def save_tiny_base(folder: str) -> str:
    """Saves the tiny base's tokenizer, text_encoder, vae, unet and scheduler under `folder`; returns `folder`."""
    model = build_tiny_base_model()
    for component, part in (("tokenizer", model.tokenizer), ("text_encoder", model.text_encoder), ("vae", model.vae),
                            ("unet", model.unet), ("scheduler", model.noise_scheduler)):
        part.save_pretrained(os.path.join(folder, component))
    return folder
