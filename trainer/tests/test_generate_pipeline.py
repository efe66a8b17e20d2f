"""Generation pipeline set-up: the VAE stays float32 while the UNet is float16 (SPEC §4), CLIP skip as specified,
and PNDM renders with fewer than four steps."""

from pathlib import Path

import pytest
import torch
from generation_helpers import GEN_CONFIG

from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline
from toonlora_trainer.prompt_encoding import encode_prompts


def test_vae_stays_float32_while_unet_is_float16():
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float16)
    assert pipe.unet.dtype == torch.float16 and pipe.text_encoder.dtype == torch.float16
    assert pipe.vae.dtype == torch.float32


def test_casting_the_vae_before_moving_the_pipeline_would_be_undone():
    # Why build_pipeline casts the VAE last: pipe.to(dtype) casts every module, VAE included.
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    pipe.vae.to(dtype=torch.float32)
    pipe.to("cpu", torch.float16)
    assert pipe.vae.dtype == torch.float16


def test_clip_skip_2_is_the_penultimate_layer_through_the_final_norm():
    base = build_tiny_base_model()
    tokens = base.tokenizer(["sks girl"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        hidden = base.text_encoder(tokens, output_hidden_states=True)
        expected = base.text_encoder.final_layer_norm(hidden.hidden_states[-2])
    skip2 = encode_prompts(base, ["sks girl"], 2, torch.device("cpu"))
    skip1 = encode_prompts(base, ["sks girl"], 1, torch.device("cpu"))
    assert torch.allclose(skip2, expected)
    assert torch.allclose(skip1, hidden.last_hidden_state)
    assert not torch.allclose(skip1, skip2, atol=1e-3)


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_pndm_renders_with_fewer_than_four_steps(tmp_path, steps):
    # PNDM from the DDPM config kept its Runge-Kutta warm-up, which needs 4+ steps (numpy broadcast error below that)
    session = GenerationSession("tiny", torch.device("cpu"))
    result = session.generate(None, parse_generation_config({**GEN_CONFIG, "scheduler": "pndm", "steps": steps, "seeds": [1]}),
                              str(tmp_path / "out"))
    assert len(result.images) == 1 and Path(result.images[0]).stat().st_size > 0
