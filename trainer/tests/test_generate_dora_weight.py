"""A DoRA's LoRA weight in `toonlora generate` / the warm worker is the WebUI's and ComfyUI's: weight w gives every
DoRA module W + w·(W_dora − W) (strength after the weight decomposition), so 0 is the base model and 1 the full DoRA.
PEFT's own set_adapters weight scales only B·A inside the norm (the magnitude still applies at 0). CPU, tiny model;
the DoRA is written here in the diffusers format generate loads (PEFT's lora_magnitude_vector)."""

import json

import torch
from safetensors.torch import save_file

from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.models import build_tiny_base_model

RANK, ALPHA = 4, 2.0
MODULES = (
    ("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q"),  # Linear, no bias
    ("unet", "down_blocks.0.resnets.0.conv1"),  # Conv 3x3
    ("text_encoder", "text_model.encoder.layers.0.self_attn.q_proj"),  # Linear with bias
)


def layer_of(model, component: str, module: str) -> torch.nn.Module:
    """The module a file key names (CLIP's modules sit under `text_model.` in the file, not in this transformers)."""
    return getattr(model, component).get_submodule(module.removeprefix("text_model."))


def write_diffusers_dora(path, base) -> dict:
    """A diffusers-format DoRA over MODULES; returns each module's full DoRA weight, m·(W + s·B@A)/‖·‖ by row."""
    generator = torch.Generator().manual_seed(7)
    tensors, full, targets = {}, {}, {"unet": [], "text_encoder": []}
    for component, module in MODULES:
        weight = layer_of(base, component, module).weight.detach()
        out_features, in_features, kernel = weight.shape[0], weight.shape[1], tuple(weight.shape[2:])
        down = torch.randn(RANK, in_features, *kernel, generator=generator) * 0.3
        up = torch.randn(out_features, RANK, *([1] * len(kernel)), generator=generator) * 0.3
        magnitude = torch.rand(out_features, generator=generator) + 0.5
        prefix = f"{component}.{module}"
        # as src/lora/convert-plan.ts writes it: a conv magnitude [1, out, 1, 1]; the text encoder's keeps `.weight`
        suffix = ".weight" if component == "text_encoder" else ""
        tensors.update({f"{prefix}.lora_A.weight": down, f"{prefix}.lora_B.weight": up,
                        f"{prefix}.lora_magnitude_vector{suffix}": magnitude.reshape(1, -1, 1, 1) if kernel
                        else magnitude})
        combined = weight + (up.flatten(1) @ down.flatten(1)).reshape(weight.shape) * (ALPHA / RANK)
        norm = combined.flatten(1).norm(dim=1)
        full[(component, module)] = combined * (magnitude / norm).reshape(-1, *([1] * (weight.dim() - 1)))
        targets[component].append(module.removeprefix("text_model."))
    metadata = {}
    for component, modules in targets.items():
        metadata.update({f"{component}.r": RANK, f"{component}.lora_alpha": ALPHA, f"{component}.use_dora": True,
                         f"{component}.target_modules": modules, f"{component}.peft_type": "LORA"})
    save_file(tensors, str(path), metadata={"format": "pt", "lora_adapter_metadata": json.dumps(metadata)})
    return full


def comfyui_rule_model(full: dict, weight: float):
    """The tiny base with each DoRA module's weight merged as ComfyUI / A1111 do: W + weight·(W_dora − W)."""
    model = build_tiny_base_model()
    with torch.no_grad():
        for (component, module), dora in full.items():
            layer = layer_of(model, component, module)
            layer.weight.copy_(layer.weight + weight * (dora - layer.weight))
    return model


def outputs(unet, text_encoder) -> tuple[torch.Tensor, torch.Tensor]:
    latents = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    context = torch.randn(2, 77, 32, generator=torch.Generator().manual_seed(2))
    tokens = torch.randint(0, 1000, (2, 77), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        return unet(latents, torch.tensor([10, 700]), context).sample, text_encoder(tokens)[0]


def max_diff(a: tuple, b: tuple) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def test_dora_weight_is_the_webui_comfyui_strength_and_weight_0_is_the_base(tmp_path):
    base = build_tiny_base_model()
    full = write_diffusers_dora(tmp_path / "dora.safetensors", base)
    base_out = outputs(base.unet, base.text_encoder)
    session = GenerationSession("tiny", torch.device("cpu"))
    seen = {}
    for weight in (1.0, 0.0, 0.5, 1.0):  # one session: weights change on the loaded adapter, no reload
        session.use_lora(str(tmp_path / "dora.safetensors"), weight)
        got = outputs(session.pipe.unet, session.pipe.text_encoder)
        reference = comfyui_rule_model(full, weight)
        seen[weight] = max_diff(got, outputs(reference.unet, reference.text_encoder))
        if weight == 0.0:
            assert max_diff(got, base_out) <= 1e-6, "a DoRA at weight 0 must be the base model"
    full_dora = comfyui_rule_model(full, 1.0)
    assert max_diff(outputs(full_dora.unet, full_dora.text_encoder), base_out) > 1e-2  # the DoRA does something
    assert all(diff <= 1e-5 for diff in seen.values()), seen  # 1: full DoRA; 0.5: W + 0.5·(W_dora − W)
    assert len(session._names) == 1  # loaded once
