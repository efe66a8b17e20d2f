"""DoRA in `toonlora generate`: diffusers' load_lora_weights drops a kohya file's dora_scale (plain LoRA), so
generate loads its diffusers-format copy (src/lora/diffusers-copy.ts), which holds PEFT's lora_magnitude_vector;
that copy must give every module LyCORIS' DoRA weight, W' = m * (W + s*B@A) / ||W + s*B@A|| per output row.
CPU, tiny model; needs node for `toonlora convert`."""

import torch
from safetensors.torch import save_file
from test_text_encoder_lora import toonlora_convert

from toonlora_trainer.lora_loading import _load_lora_file
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline

MODULES = (
    ("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"),  # Linear
    ("unet", "down_blocks.0.resnets.0.conv1"),  # Conv 3x3
    ("text_encoder", "text_model.encoder.layers.0.self_attn.q_proj"),
)


def _weights(pipe_or_base) -> dict:
    out = {}
    for component in ("unet", "text_encoder"):
        for name, module in getattr(pipe_or_base, component).named_modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
                path = name if component == "unet" else "text_model." + name.removeprefix("text_model.")
                out[(component, path)] = module.weight.detach().clone()
    return out


def write_kohya_dora(path, base_weights: dict, modules=MODULES, rank=4, alpha=2.0) -> dict:
    """A kohya / LyCORIS (wd_on_out=True) DoRA file over MODULES; returns each module's expected weight change."""
    generator = torch.Generator().manual_seed(3)
    tensors, expected = {}, {}
    for component, module in modules:
        weight = base_weights[(component, module)]
        out_features, in_features = weight.shape[:2]
        kernel = tuple(weight.shape[2:])
        down = torch.randn(rank, in_features, *kernel, generator=generator) * 0.3
        up = torch.randn(out_features, rank, *([1] * len(kernel)), generator=generator) * 0.3
        ones = [1] * (weight.dim() - 1)
        scale = (torch.rand(out_features, generator=generator) + 0.5).reshape(out_features, *ones)
        name = ("lora_unet_" if component == "unet" else "lora_te_") + module.replace(".", "_")
        tensors.update({f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up,
                        f"{name}.alpha": torch.tensor(alpha), f"{name}.dora_scale": scale})
        lora = (up.flatten(1) @ down.flatten(1)).reshape(weight.shape) * (alpha / rank)
        combined = weight + lora
        norm = combined.reshape(out_features, -1).norm(dim=1).reshape(out_features, *ones)
        expected[(component, module)] = scale * combined / norm - weight
    save_file(tensors, str(path))
    return expected


def fused_deltas(path) -> dict:
    """Loads `path` as the generation worker does, fuses it at weight 1, returns every changed weight's change."""
    before = _weights(build_tiny_base_model())
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    _load_lora_file(pipe, str(path), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    pipe.fuse_lora(lora_scale=1.0, adapter_names=["x"])
    pipe.unload_lora_weights()
    after = _weights(pipe)
    return {key: after[key] - before[key] for key in before if not torch.equal(after[key], before[key])}


def test_kohya_dora_file_generates_with_its_magnitude_through_the_diffusers_copy(tmp_path):
    expected = write_kohya_dora(tmp_path / "dora.safetensors", _weights(build_tiny_base_model()))
    toonlora_convert(tmp_path / "dora.safetensors", tmp_path / "dora.diffusers.safetensors", "diffusers")
    got = fused_deltas(tmp_path / "dora.diffusers.safetensors")
    assert sorted(got) == sorted(expected)
    for key, delta in expected.items():
        assert torch.allclose(got[key], delta, atol=1e-5, rtol=1e-4), (key, (got[key] - delta).abs().max())


def test_kohya_dora_file_loaded_as_it_is_would_be_plain_lora(tmp_path):
    """Why generate converts: diffusers drops dora_scale from a kohya file and applies plain LoRA."""
    base = _weights(build_tiny_base_model())
    expected = write_kohya_dora(tmp_path / "dora.safetensors", base, MODULES[:1])
    got = fused_deltas(tmp_path / "dora.safetensors")[MODULES[0]]
    assert (got - expected[MODULES[0]]).abs().max() > 1e-2
