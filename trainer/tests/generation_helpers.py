"""trainer/tests/generation_helpers.py — shared builders for the generation tests: the tiny-base generation
config, random PEFT / diffusers-format LoRAs for the tiny UNet, `toonlora convert` to kohya, the UNet output a
LoRA changes, and the serve-generation worker's request lines."""

import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from helpers import TRAINER_DIR, lora_settings, run_worker

from toonlora_trainer.checkpoint import save_adapter
from toonlora_trainer.lora_adapters import attach_lora
from toonlora_trainer.models import build_tiny_base_model


TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
REPO = TRAINER_DIR.parent
GEN_CONFIG = {
    "baseModel": "tiny", "prompt": "sks, striped pattern", "negativePrompt": "lowres", "loraWeight": 1.0, "steps": 3,
    "guidanceScale": 5, "width": 64, "height": 64, "clipSkip": 2, "vaeFp32": True, "scheduler": "dpmpp_2m_karras", "seeds": [1, 2],
}


def write_random_lora(folder: Path, rank: int, alpha: float, seed: int):
    """A tiny-UNet PEFT adapter with non-zero B (a trained-looking LoRA) and its adapted UNet."""
    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(rank=rank, alpha=alpha))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(base.unet, str(folder), "tiny")
    return base


def convert_to_kohya(adapter: Path, output: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: `toonlora convert` cannot run here")
    result = subprocess.run([str(REPO / "toonlora"), "convert", str(adapter), "-o", str(output), "--to", "kohya", "--json"],
                            capture_output=True, text=True, timeout=120)
    if "TL_ERR_NOT_IMPLEMENTED" in result.stderr:
        pytest.skip("toonlora convert is not implemented in this checkout")
    assert result.returncode == 0, result.stderr


def unet_output(unet, seed=0):
    generator = torch.Generator().manual_seed(seed)
    sample = torch.randn((1, 4, 8, 8), generator=generator)
    context = torch.randn((1, 77, 32), generator=generator)
    with torch.no_grad():
        return unet(sample, torch.tensor([500]), context).sample


def write_diffusers_lora(path: Path, seed: int, dora: bool = False, b_scale: float = 0.02) -> None:
    """A tiny-UNet LoRA in diffusers' PEFT key format (`unet.<module>.lora_A.weight`), B small but non-zero
    (`b_scale`), alpha = rank (scale 1), as `toonlora generate` loads it; with `dora`, a DoRA (PEFT's
    lora_magnitude_vector, as generate's diffusers copy of a kohya DoRA file holds it), its magnitudes moved off
    their init too."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(dora=dora))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            # A too, from the seed: PEFT draws its init from the global RNG, which earlier tests move.
            if "lora_A" in name:
                param.copy_(torch.randn(param.shape, generator=generator) / param.shape[1] ** 0.5)
            elif "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * b_scale)
            elif "lora_magnitude_vector" in name:
                param.mul_(1 + 0.2 * torch.rand(param.shape, generator=generator))
    state = get_peft_model_state_dict(base.unet)
    assert dora == any("lora_magnitude_vector" in key for key in state)
    save_file({f"unet.{key}": value.contiguous() for key, value in state.items()}, str(path))


def generate_request(rid, output_dir: Path, lora=None, **config) -> dict:
    """A serve-generation `generate` line: request `rid` into `output_dir`, GEN_CONFIG with `config` over it."""
    return {"version": 1, "command": "generate", "id": rid, "lora": lora, "output_dir": str(output_dir),
            "config": {**GEN_CONFIG, **config}}


def serve_generation(*lines: dict) -> tuple[int, list[dict], str]:
    """Runs the warm serve-generation worker on the tiny base with `lines`, then a shutdown; (code, events, stderr)."""
    return run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                      extra_lines=[*lines, {"version": 1, "command": "shutdown"}])
