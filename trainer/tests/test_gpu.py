"""GPU-only checks (skipped on CPU): the mixed-precision training path (fp16 + GradScaler, bf16) with
sample images, and generation with a float16 UNet and a float32 VAE on the device (SPEC §4)."""

import numpy as np
import pytest
import torch
from helpers import make_pattern_dataset, training_config

from toonlora_trainer.config import parse_generation_config, parse_train_request
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.train import run_training

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("mixed", ["fp16", "bf16"])
def test_mixed_precision_training_on_gpu(tmp_path, mixed):
    dataset = make_pattern_dataset(tmp_path / "ds")
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(steps=6, mixedPrecision=mixed, sampleEverySteps=3, checkpointEverySteps=3)}
    run_training(parse_train_request(request), events.append, lambda: False)
    types = [e.type for e in events]
    assert types[-1] == "done" and types.count("sample") == 2
    assert all(np.isfinite(e.loss) for e in events if e.type == "progress")
    logs = [e.message for e in events if e.type == "log"]
    lora_line = next(line for line in logs if line.startswith("LoRA: "))
    assert f"cuda ({'torch.float16' if mixed == 'fp16' else 'torch.bfloat16'})" in lora_line
    assert any(line.startswith("estimated peak GPU memory ") and " free of " in line for line in logs)


def test_generation_on_gpu_keeps_vae_float32(tmp_path):
    session = GenerationSession("tiny")
    assert session.pipe.unet.dtype == torch.float16 and session.pipe.vae.dtype == torch.float32
    config = parse_generation_config({
        "baseModel": "tiny", "prompt": "sks", "negativePrompt": "", "loraWeight": 1.0, "steps": 4, "guidanceScale": 5,
        "width": 64, "height": 64, "clipSkip": 2, "vaeFp32": True, "scheduler": "dpmpp_2m_karras", "seeds": [1, 2],
    })
    result = session.generate(None, config, str(tmp_path))
    assert len(result.images) == 2 and result.grid is not None


@pytest.mark.parametrize("mixed", ["fp16", "bf16"])
def test_text_encoder_lora_training_on_gpu(tmp_path, mixed):
    """Text-encoder LoRA under autocast: fp32 LoRA params in both AdamW groups, finite loss, samples, adapter saved."""
    dataset = make_pattern_dataset(tmp_path / "ds", images=1)
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(steps=6, mixedPrecision=mixed, sampleEverySteps=3, checkpointEverySteps=3,
                                         trainTextEncoder=True, textEncoderLearningRate=1e-4)}
    run_training(parse_train_request(request), events.append, lambda: False)
    assert events[-1].type == "done" and events[-1].stats["text_encoder_lora_modules"] == 16
    assert [e.type for e in events].count("sample") == 2
    assert all(np.isfinite(e.loss) for e in events if e.type == "progress")
