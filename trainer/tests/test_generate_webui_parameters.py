"""The WebUI `parameters` text the images carry (LoRA name, weight and hash), the warning on a prompt longer than
CLIP reads, and how a run's adapter is named in that text."""

import hashlib

import torch
from generation_helpers import GEN_CONFIG, convert_to_kohya, write_random_lora
from PIL import Image

from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession


def test_images_carry_the_webui_parameters_text_and_a_long_prompt_is_warned_about(tmp_path):
    write_random_lora(tmp_path / "mine", rank=4, alpha=4.0, seed=3)
    convert_to_kohya(tmp_path / "mine", tmp_path / "sks_girl.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    config = parse_generation_config({**GEN_CONFIG, "loraWeight": 0.8, "seeds": [7]})
    events = []
    result = session.generate(str(tmp_path / "sks_girl.safetensors"), config, str(tmp_path / "out"), events.append)
    # the WebUI's short hash of a LoRA: sha256 of the bytes after the safetensors header (its addnet hash)
    data = (tmp_path / "sks_girl.safetensors").read_bytes()
    short = hashlib.sha256(data[8 + int.from_bytes(data[:8], "little"):]).hexdigest()[:12]
    assert Image.open(result.images[0]).text["parameters"] == (
        "sks, striped pattern <lora:sks_girl:0.8>\n"
        "Negative prompt: lowres\n"
        "Steps: 3, Sampler: DPM++ 2M Karras, CFG scale: 5, Seed: 7, Size: 64x64, Model: tiny, Clip skip: 2, "
        f'Lora hashes: "sks_girl: {short}", Version: toonlora'
    )
    assert not [e for e in events if getattr(e, "type", "") == "log" and e.level != "debug"]  # a short prompt: no warning
    long_prompt = "sks, " + ", ".join(f"tag{i} word" for i in range(60))
    events.clear()
    session.generate(None, parse_generation_config({**GEN_CONFIG, "prompt": long_prompt, "seeds": [7]}),
                     str(tmp_path / "out"), events.append)
    warnings = [e for e in events if getattr(e, "type", "") == "log" and e.level == "warn"]
    assert len(warnings) == 1
    assert warnings[0].message.startswith("the prompt is ") and "CLIP reads only the first 75" in warnings[0].message
    assert warnings[0].id is None  # no request id (the one-shot `generate`): the line carries no `id`


def test_webui_parameters_name_a_run_adapter_by_its_run_and_keep_each_field_on_its_line():
    from toonlora_trainer.image_files import _lora_label, a1111_parameters

    assert _lora_label("/runs/mina/adapter_model.safetensors") == "mina"
    assert _lora_label("/runs/mina/mina.safetensors") == "mina"
    config = parse_generation_config({**GEN_CONFIG, "prompt": "sks,\nsmiling", "negativePrompt": "lowres\nblurry"})
    text = a1111_parameters(config, 1, "mina")
    assert text.splitlines()[:2] == ["sks, smiling <lora:mina:1>", "Negative prompt: lowres blurry"]
