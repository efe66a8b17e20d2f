"""Interop with real diffusers: what diffusers 0.42's load_lora_weights does with a kohya DoRA file (dora_scale) and
what `toonlora inspect` says it does. It drops the dora_scale and applies plain LoRA (alpha / rank) whatever the
magnitude's axis; a per-output-row file's diffusers copy keeps it, a per-input-column one cannot be converted; and
a file whose text encoder has q/k/v_proj but no out_proj module makes the load raise. Its `convert --to peft` folder
applies LyCORIS' DoRA weight in PEFT itself. CPU, tiny model; needs node."""

import json

import pytest
import torch
from peft import LoraConfig, PeftModel, inject_adapter_in_model
from safetensors.torch import save_file
from generation_helpers import unet_output
from test_generate_dora import _weights
from test_generate_dora import write_kohya_dora as write_lycoris_dora
from test_lora_interop_diffusers_compat import diffusers_verdict, te_output, toonlora
from test_text_encoder_lora import toonlora_convert

from toonlora_trainer.checkpoint import TEXT_ENCODER_DIR, load_adapter_weights
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline

RANK, ALPHA = 4, 2.0
UNET = ("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", "down_blocks.0.resnets.0.conv1")
TE_QKV_OUT = ("encoder.layers.0.self_attn.q_proj", "encoder.layers.0.self_attn.out_proj")


def kohya_name(component: str, module: str) -> str:
    return "lora_unet_" + module.replace(".", "_") if component == "unet" else "lora_te_text_model_" + module.replace(".", "_")


def write_kohya_dora(path, modules, per_output_row=True):
    """A kohya / LyCORIS DoRA file over `modules` ((component, path) pairs); returns the tiny base with the plain
    LoRA (up @ down * alpha / rank, no magnitude) merged into its weights."""
    generator = torch.Generator().manual_seed(3)
    plain, tensors = build_tiny_base_model(), {}
    for component, module in modules:
        weight = getattr(plain, component).get_submodule(module).weight
        out_features, in_features = weight.shape[:2]
        kernel = tuple(weight.shape[2:])
        down = torch.randn(RANK, in_features, *kernel, generator=generator) * 0.3
        up = torch.randn(out_features, RANK, *([1] * len(kernel)), generator=generator) * 0.3
        ones = [1] * (weight.dim() - 1)
        scale_shape = (out_features, *ones) if per_output_row else (1, in_features, *([1] * len(kernel)))
        name = kohya_name(component, module)
        tensors |= {f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up, f"{name}.alpha": torch.tensor(ALPHA),
                    f"{name}.dora_scale": torch.rand(scale_shape, generator=generator) + 0.5}
        with torch.no_grad():
            weight += (up.flatten(1) @ down.flatten(1)).reshape(weight.shape) * (ALPHA / RANK)
    save_file(tensors, str(path))
    return plain


def load_in_diffusers(path):
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    pipe.load_lora_weights(str(path), adapter_name="x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    return pipe


def test_diffusers_applies_a_kohya_dora_file_as_plain_lora_as_inspect_says(tmp_path):
    modules = [("unet", m) for m in UNET] + [("text_encoder", m) for m in TE_QKV_OUT]
    plain = write_kohya_dora(tmp_path / "rows.safetensors", modules)
    pipe = load_in_diffusers(tmp_path / "rows.safetensors")
    bare = build_tiny_base_model()
    assert not torch.allclose(unet_output(bare.unet), unet_output(plain.unet), atol=1e-3)
    assert torch.allclose(unet_output(pipe.unet), unet_output(plain.unet), atol=1e-5)
    assert torch.allclose(te_output(pipe.text_encoder, bare.tokenizer), te_output(plain.text_encoder, bare.tokenizer), atol=1e-5)

    verdict = diffusers_verdict(tmp_path / "rows.safetensors")
    notes = " ".join(verdict["notes"])
    assert not verdict["ok"] and verdict["unmappedKeys"] == []
    assert "drops a kohya file's dora_scale and loads it as plain LoRA" in notes and "keeps and applies it" in notes
    # the diffusers copy keeps the magnitude (test_generate_dora.py checks the weights it gives)
    assert toonlora("convert", tmp_path / "rows.safetensors", "-o", tmp_path / "rows.diffusers.safetensors", "--to", "diffusers").returncode == 0
    assert diffusers_verdict(tmp_path / "rows.diffusers.safetensors")["ok"]


def test_a_per_input_column_kohya_dora_file_loads_as_plain_lora_and_has_no_diffusers_copy(tmp_path):
    plain = write_kohya_dora(tmp_path / "columns.safetensors", [("unet", m) for m in UNET], per_output_row=False)
    pipe = load_in_diffusers(tmp_path / "columns.safetensors")
    assert torch.allclose(unet_output(pipe.unet), unet_output(plain.unet), atol=1e-5)

    notes = " ".join(diffusers_verdict(tmp_path / "columns.safetensors")["notes"])
    assert "loads it as plain LoRA" in notes and "convert --to diffusers and toonlora generate refuse the file" in notes
    assert "keeps" not in notes
    converted = toonlora("convert", tmp_path / "columns.safetensors", "-o", tmp_path / "columns.diffusers.safetensors", "--to", "diffusers")
    assert converted.returncode != 0 and "per input column" in converted.stderr


def test_a_kohya_dora_file_with_text_encoder_q_proj_only_makes_diffusers_raise_as_inspect_says(tmp_path):
    write_kohya_dora(tmp_path / "q-only.safetensors", [("unet", UNET[0]), ("text_encoder", TE_QKV_OUT[0])])
    with pytest.raises(ValueError, match="Could not automatically infer state dict type"):
        load_in_diffusers(tmp_path / "q-only.safetensors")
    verdict = diffusers_verdict(tmp_path / "q-only.safetensors")
    assert not verdict["ok"]
    assert any("q/k/v_proj" in note and "Could not automatically infer state dict type" in note for note in verdict["notes"])


def test_the_peft_folder_of_a_kohya_dora_file_applies_the_lycoris_dora_weight_in_peft(tmp_path):
    """`convert --to peft` of a per-output-row kohya DoRA file (a linear, a 3x3 conv, a CLIP q_proj): PEFT's own
    PeftModel.from_pretrained (use_dora) gives LyCORIS' W' = m * (W + s*B@A) / ||W + s*B@A|| per output row."""
    deltas = write_lycoris_dora(tmp_path / "dora.safetensors", _weights(build_tiny_base_model()))
    expected = build_tiny_base_model()
    with torch.no_grad():
        for (component, module), delta in deltas.items():
            getattr(expected, component).get_submodule(module.removeprefix("text_model.")).weight.add_(delta)
    toonlora_convert(tmp_path / "dora.safetensors", tmp_path / "peft", "peft")
    assert json.loads((tmp_path / "peft" / "adapter_config.json").read_text())["use_dora"] is True

    base = build_tiny_base_model()
    unet = PeftModel.from_pretrained(base.unet, str(tmp_path / "peft"))
    assert not torch.allclose(unet_output(build_tiny_base_model().unet), unet_output(expected.unet), atol=1e-2)
    assert torch.allclose(unet_output(unet), unet_output(expected.unet), atol=1e-5)
    config = json.loads((tmp_path / "peft" / TEXT_ENCODER_DIR / "adapter_config.json").read_text())
    inject_adapter_in_model(LoraConfig(**{k: v for k, v in config.items() if k in LoraConfig.__dataclass_fields__}), base.text_encoder)
    load_adapter_weights(base.text_encoder, str(tmp_path / "peft" / TEXT_ENCODER_DIR))
    assert torch.allclose(te_output(base.text_encoder, base.tokenizer), te_output(expected.text_encoder, base.tokenizer), atol=1e-5)
