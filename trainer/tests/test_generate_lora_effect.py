"""What a LoRA does to the tiny UNet: the kohya file from `toonlora convert` loaded by diffusers gives the
PEFT-adapted UNet's output, a mixed-alpha LoRA needs the diffusers copy generate uses, and the LoRA weight scales
the change."""

import subprocess
from pathlib import Path

import pytest
import torch
from generation_helpers import REPO, TARGETS, convert_to_kohya, unet_output, write_diffusers_lora, write_random_lora
from peft import LoraConfig

from toonlora_trainer.checkpoint import save_adapter
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline


def test_kohya_file_loaded_by_diffusers_matches_peft_adapted_unet(tmp_path):
    peft_model = write_random_lora(tmp_path / "adapter", rank=4, alpha=2.0, seed=5)  # alpha != rank: scale 0.5
    convert_to_kohya(tmp_path / "adapter", tmp_path / "sks.safetensors")
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    bare = unet_output(pipe.unet)
    pipe.load_lora_weights(str(tmp_path / "sks.safetensors"), adapter_name="sks")
    pipe.set_adapters(["sks"], adapter_weights=[1.0])
    loaded = unet_output(pipe.unet)
    reference = unet_output(peft_model.unet)
    assert not torch.allclose(bare, reference, atol=1e-3)  # the LoRA does something
    assert torch.allclose(loaded, reference, atol=1e-5), (loaded - reference).abs().max()


def test_mixed_alpha_lora_needs_the_diffusers_copy_that_generate_uses(tmp_path):
    """diffusers applies one alpha to a kohya file; `convert --to diffusers` (what `toonlora generate`
    loads for a mixed-alpha kohya file, src/lora/diffusers-copy.ts) keeps every module's alpha."""
    base = build_tiny_base_model()
    base.unet.requires_grad_(False)
    base.unet.add_adapter(LoraConfig(r=4, lora_alpha=2, target_modules=TARGETS, alpha_pattern={"attn1.to_q": 8}))
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(base.unet, str(tmp_path / "adapter"), "tiny")
    reference = unet_output(base.unet)
    convert_to_kohya(tmp_path / "adapter", tmp_path / "mixed.safetensors")
    result = subprocess.run([str(REPO / "toonlora"), "convert", str(tmp_path / "adapter"), "-o",
                             str(tmp_path / "mixed.diffusers.safetensors"), "--to", "diffusers", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

    def loaded(path: Path):
        pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
        pipe.load_lora_weights(str(path), adapter_name="x")
        pipe.set_adapters(["x"], adapter_weights=[1.0])
        return unet_output(pipe.unet)

    assert not torch.allclose(loaded(tmp_path / "mixed.safetensors"), reference, atol=1e-3)  # one alpha for all
    assert torch.allclose(loaded(tmp_path / "mixed.diffusers.safetensors"), reference, atol=1e-5)


def test_lora_weight_half_gives_half_the_unet_output_change(tmp_path):
    write_diffusers_lora(tmp_path / "small.safetensors", seed=4)
    session = GenerationSession("tiny", torch.device("cpu"))
    session.use_lora(None, 1.0)
    bare = unet_output(session.pipe.unet)
    session.use_lora(str(tmp_path / "small.safetensors"), 1.0)
    full = unet_output(session.pipe.unet) - bare
    session.use_lora(str(tmp_path / "small.safetensors"), 0.5)
    half = unet_output(session.pipe.unet) - bare
    assert full.abs().max() > 1e-3  # the LoRA changes the output
    # Each adapted projection adds weight * B @ A x; with small B the UNet is linear in it to first order.
    ratio = (half * full).sum() / (full * full).sum()
    assert ratio == pytest.approx(0.5, abs=0.01), ratio
    assert torch.allclose(half, 0.5 * full, atol=0.05 * full.abs().max().item())  # weight 1 or 0 would be off by 50%
