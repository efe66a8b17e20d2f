"""The warm GenerationSession: it swaps LoRAs without reloading the base and reports the times, stops at the
sampling step after should_stop (its VAE float32 again), and keeps at most max_loras loaded."""

from pathlib import Path

import numpy as np
import pytest
import torch
from generation_helpers import GEN_CONFIG, convert_to_kohya, write_random_lora
from PIL import Image

from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession


def test_session_swaps_loras_without_reloading_and_reports_times(tmp_path):
    for name, seed in (("a", 1), ("b", 2)):
        write_random_lora(tmp_path / name, rank=4, alpha=4.0, seed=seed)
        convert_to_kohya(tmp_path / name, tmp_path / f"{name}.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    config = parse_generation_config(GEN_CONFIG)
    first = session.generate(str(tmp_path / "a.safetensors"), config, str(tmp_path / "out"))
    second = session.generate(str(tmp_path / "b.safetensors"), config, str(tmp_path / "out"))
    again = session.generate(str(tmp_path / "a.safetensors"), config, str(tmp_path / "out"))
    assert len(first.images) == 2 and first.grid and Path(first.grid).exists()
    assert len(set(first.images + second.images + again.images)) == 6  # never overwrites
    assert session.load_s > 0 and again.swap_s < first.swap_s  # already-loaded LoRA: set_adapters only
    a = np.asarray(Image.open(first.images[0]), dtype=np.float32)
    b = np.asarray(Image.open(second.images[0]), dtype=np.float32)
    assert np.abs(a - b).mean() > 0.5  # different LoRA, different image


def test_session_stops_at_the_sampling_step_after_should_stop_and_keeps_its_vae_float32(tmp_path):
    from toonlora_trainer.generate import GenerationCancelled

    session = GenerationSession("tiny", torch.device("cpu"))
    session.dtype = torch.bfloat16  # what a GPU session casts the VAE to when vaeFp32 is off
    config = parse_generation_config({**GEN_CONFIG, "steps": 6, "vaeFp32": False})
    asked: list[int] = []
    events: list = []

    def should_stop() -> bool:
        asked.append(len(asked) + 1)
        return len(asked) >= 2

    with pytest.raises(GenerationCancelled) as stopped:
        session.generate(None, config, str(tmp_path / "out"), events.append, "r1", should_stop)
    assert stopped.value.step == 2 and asked == [1, 2]
    assert [e.step for e in events] == [1, 2]  # the progress of both steps went out, then it stopped
    assert not (tmp_path / "out").exists()
    assert session.pipe.vae.dtype == torch.float32  # restored for the next request
    session.dtype = torch.float32
    after = session.generate(None, parse_generation_config(GEN_CONFIG), str(tmp_path / "out"))
    assert len(after.images) == 2


def test_session_keeps_at_most_max_loras_loaded(tmp_path):
    for name, seed in (("a", 1), ("b", 2), ("c", 3)):
        write_random_lora(tmp_path / name, rank=4, alpha=4.0, seed=seed)
        convert_to_kohya(tmp_path / name, tmp_path / f"{name}.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"), max_loras=2)
    for name in ("a", "b", "a", "c"):
        session.use_lora(str(tmp_path / f"{name}.safetensors"), 1.0)
    loaded = session.pipe.get_list_adapters()["unet"]
    assert sorted(loaded) == ["lora_0", "lora_2"]  # a and c; b, the least recently used, was deleted
    assert sorted(session._names.values()) == sorted(loaded)
