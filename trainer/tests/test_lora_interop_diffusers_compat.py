"""Interop with real diffusers / PEFT: a diffusers 0.21 - 0.24 LoRA file (`unet.<module>.lora.down.weight`, text
encoder `text_encoder.text_model.<module>.lora_linear_layer.down.weight`, no alphas: scale 1) over linears, a 1x1
conv, a 3x3 conv and the CLIP attention / MLP. diffusers' own load_lora_weights of the file, of `toonlora convert`'s
kohya and diffusers output, and PEFT's loading of its PEFT output all give the hand-merged model's outputs; the
older attention-processor files (`<attn>.processor.to_q_lora.down.weight`) load or convert as `toonlora inspect`
says. CPU, tiny model; needs node for `toonlora convert` / `inspect`."""

import json
import shutil
import subprocess

import pytest
import torch
from peft import LoraConfig, PeftModel, inject_adapter_in_model
from safetensors.torch import load_file, save_file
from generation_helpers import REPO, unet_output
from test_text_encoder_lora import toonlora_convert

from toonlora_trainer.checkpoint import TEXT_ENCODER_DIR, load_adapter_weights
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline

BLOCK = "down_blocks.0.attentions.0.transformer_blocks.0."
UNET_MODULES = (
    BLOCK + "attn1.to_q", BLOCK + "attn1.to_out.0", BLOCK + "attn2.to_k", BLOCK + "ff.net.2",
    "down_blocks.0.attentions.0.proj_in",  # 1x1 conv (LoRACompatibleConv)
    "down_blocks.0.resnets.0.conv1",  # 3x3 conv
    "up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_v",
)
TE_MODULES = ("encoder.layers.0.self_attn.q_proj", "encoder.layers.1.self_attn.out_proj", "encoder.layers.0.mlp.fc1")
RANK = 4


def toonlora(*args) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: toonlora cannot run here")
    return subprocess.run([str(REPO / "toonlora"), *map(str, args)], capture_output=True, text=True, timeout=120)


def diffusers_verdict(path) -> dict:
    """`toonlora inspect`'s diffusers verdict on `path`."""
    result = toonlora("inspect", path, "--json")
    assert result.returncode == 0, result.stderr
    return next(v for v in json.loads(result.stdout)["compatibility"] if v["loader"] == "diffusers")


def te_output(text_encoder, tokenizer):
    ids = tokenizer(["sks, striped pattern"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        return text_encoder(ids).last_hidden_state


def write_old_diffusers_file(path):
    """The file diffusers 0.21 - 0.24 `save_lora_weights` wrote (LoRACompatibleLinear / LoRACompatibleConv, CLIP
    `lora_linear_layer`); returns the base model with each delta (up @ down, scale 1) merged into its weights."""
    generator = torch.Generator().manual_seed(1)
    merged, tensors = build_tiny_base_model(), {}
    for component, modules in (("unet", UNET_MODULES), ("text_encoder", TE_MODULES)):
        for module in modules:
            weight = getattr(merged, component).get_submodule(module).weight
            kernel = tuple(weight.shape[2:])
            down = torch.randn(RANK, weight.shape[1], *kernel, generator=generator) * 0.2
            up = torch.randn(weight.shape[0], RANK, *([1] * len(kernel)), generator=generator) * 0.2
            with torch.no_grad():
                weight += (up.flatten(1) @ down.flatten(1)).reshape(weight.shape)
            key = f"unet.{module}.lora" if component == "unet" else f"text_encoder.text_model.{module}.lora_linear_layer"
            tensors |= {f"{key}.down.weight": down, f"{key}.up.weight": up}
    save_file(tensors, str(path))
    return merged


def diffusers_outputs(path, tokenizer):
    """The UNet and text-encoder outputs after diffusers' load_lora_weights of `path` at weight 1."""
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    pipe.load_lora_weights(str(path), adapter_name="x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    return unet_output(pipe.unet), te_output(pipe.text_encoder, tokenizer)


def peft_outputs(folder, tokenizer):
    """The outputs with the PEFT adapter folder loaded: the UNet through PeftModel.from_pretrained (as a PEFT user
    does); the text encoder's `text_model.` keys the way toonlora's trainer reads its own (load_adapter_weights)."""
    base = build_tiny_base_model()
    unet = PeftModel.from_pretrained(base.unet, str(folder))
    config = json.loads((folder / TEXT_ENCODER_DIR / "adapter_config.json").read_text())
    te_config = LoraConfig(**{k: v for k, v in config.items() if k in LoraConfig.__dataclass_fields__})
    inject_adapter_in_model(te_config, base.text_encoder)
    load_adapter_weights(base.text_encoder, str(folder / TEXT_ENCODER_DIR))
    return unet_output(unet), te_output(base.text_encoder, base.tokenizer)


def assert_close(got, expected, what):
    assert torch.allclose(got, expected, atol=1e-5), (what, (got - expected).abs().max().item())


def test_an_old_diffusers_file_and_its_conversions_load_as_diffusers_loads_the_file(tmp_path):
    merged = write_old_diffusers_file(tmp_path / "old.safetensors")
    tokenizer = merged.tokenizer
    expected = unet_output(merged.unet), te_output(merged.text_encoder, tokenizer)
    bare = build_tiny_base_model()
    assert not torch.allclose(unet_output(bare.unet), expected[0], atol=1e-2)
    assert not torch.allclose(te_output(bare.text_encoder, tokenizer), expected[1], atol=1e-2)

    # diffusers 0.42 still reads the old keys itself, alpha = rank
    for got, want, what in zip(diffusers_outputs(tmp_path / "old.safetensors", tokenizer), expected, ("unet", "te"), strict=True):
        assert_close(got, want, f"original {what}")

    toonlora_convert(tmp_path / "old.safetensors", tmp_path / "old.kohya.safetensors", "kohya")
    kohya = load_file(str(tmp_path / "old.kohya.safetensors"))
    assert {k.rpartition(".")[0] for k in kohya if k.endswith(".alpha")} == {
        "lora_unet_" + m.replace(".", "_") for m in UNET_MODULES} | {"lora_te_text_model_" + m.replace(".", "_") for m in TE_MODULES}
    assert all(kohya[k].item() == RANK for k in kohya if k.endswith(".alpha"))
    toonlora_convert(tmp_path / "old.safetensors", tmp_path / "old.diffusers.safetensors", "diffusers")
    for name in ("old.kohya.safetensors", "old.diffusers.safetensors"):
        for got, want, what in zip(diffusers_outputs(tmp_path / name, tokenizer), expected, ("unet", "te"), strict=True):
            assert_close(got, want, f"{name} {what}")

    toonlora_convert(tmp_path / "old.safetensors", tmp_path / "peft", "peft")
    for got, want, what in zip(peft_outputs(tmp_path / "peft", tokenizer), expected, ("unet", "te"), strict=True):
        assert_close(got, want, f"peft {what}")


def test_attention_processor_files_with_and_without_the_unet_prefix_load_or_convert_as_inspect_says(tmp_path):
    """diffusers <= 0.20 `save_attn_procs` / `save_lora_weights` (`<attn>.processor.to_q_lora.down.weight`, `to_out_lora`
    for to_out.0): diffusers 0.42 loads the `unet.`-prefixed file and finds nothing in the bare one, as inspect's
    diffusers verdict says; both convert to a kohya file diffusers loads whole."""
    generator = torch.Generator().manual_seed(2)
    merged, tensors = build_tiny_base_model(), {}
    for attention in ("down_blocks.0.attentions.0.transformer_blocks.0.attn2", "mid_block.attentions.0.transformer_blocks.0.attn1"):
        for proj, module in (("to_q", "to_q"), ("to_k", "to_k"), ("to_v", "to_v"), ("to_out", "to_out.0")):
            weight = merged.unet.get_submodule(f"{attention}.{module}").weight
            down = torch.randn(RANK, weight.shape[1], generator=generator) * 0.2
            up = torch.randn(weight.shape[0], RANK, generator=generator) * 0.2
            with torch.no_grad():
                weight += up @ down
            tensors |= {f"{attention}.processor.{proj}_lora.down.weight": down, f"{attention}.processor.{proj}_lora.up.weight": up}
    save_file({f"unet.{k}": v for k, v in tensors.items()}, str(tmp_path / "procs.safetensors"))
    save_file(tensors, str(tmp_path / "bare.safetensors"))
    expected = unet_output(merged.unet)

    assert_close(diffusers_outputs(tmp_path / "procs.safetensors", merged.tokenizer)[0], expected, "unet.-prefixed file")
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    pipe.load_lora_weights(str(tmp_path / "bare.safetensors"), adapter_name="x")
    assert pipe.get_list_adapters() == {}  # the bare keys load nothing

    for name, ok in (("procs", True), ("bare", False)):
        verdict = diffusers_verdict(tmp_path / f"{name}.safetensors")
        assert verdict["ok"] is ok and (verdict["unmappedKeys"] == []) is ok, (name, verdict)
        toonlora_convert(tmp_path / f"{name}.safetensors", tmp_path / f"{name}.kohya.safetensors", "kohya")
        assert_close(diffusers_outputs(tmp_path / f"{name}.kohya.safetensors", merged.tokenizer)[0], expected, name)
