"""toonlora_trainer/lokr_file.py — loads a kohya / LyCORIS LoKr file (`lora_unet_<module>.lokr_w1`, ...,
`.alpha`; what `toonlora train --lokr` writes and the WebUI / ComfyUI load) into a pipeline as a PEFT LoKr adapter.

diffusers 0.42's `load_lora_weights` reads kohya LoRA keys for SD1.5 but no LoKr keys (its LoKr conversions are
for Z-Image and Flux2), so the file's kohya names are mapped back to the model's module paths here, against
the modules the model really has, and the UNet part goes through diffusers' own `load_lora_adapter`
(which builds the LoKrConfig from the tensor shapes); a text-encoder part is injected with PEFT directly.
"""

from __future__ import annotations

import torch

KOHYA_PREFIXES = {"lora_unet_": "unet", "lora_te_": "text_encoder", "lora_te1_": "text_encoder"}
LOKR_PARTS = ("lokr_w1", "lokr_w1_a", "lokr_w1_b", "lokr_w2", "lokr_w2_a", "lokr_w2_b")
# transformers 5's CLIPTextModel holds `encoder` directly; kohya names keep Hugging Face's `text_model.` prefix.
CLIP_PREFIX = "text_model_"


def has_lokr_keys(keys) -> bool:
    return any(".lokr_" in key for key in keys)


def bake_alpha(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Consumes the `.alpha` keys the way LyCORIS' lokr.py (and A1111's network_lokr.py, ComfyUI's lokr.py)
    apply them: scale = alpha / dim when a factor is rank-decomposed (dim = that factor's rank), 1 when both
    factors are full matrices. The scale goes into the first factor (as diffusers' `_bake_lokr_alpha_`), so the
    PEFT adapter then runs at scale 1."""
    out = {key: value for key, value in state.items() if not key.endswith(".alpha")}
    for key in [k for k in state if k.endswith(".alpha")]:
        module = key.removesuffix(".alpha")
        decomposed = state.get(f"{module}.lokr_w2_b", state.get(f"{module}.lokr_w1_b"))
        if decomposed is None:
            continue
        scale = float(state[key]) / decomposed.shape[0]
        first = f"{module}.lokr_w1" if f"{module}.lokr_w1" in out else f"{module}.lokr_w1_a"
        out[first] = out[first].float() * scale
    return out


def split_by_component(state: dict[str, torch.Tensor], module_names: dict[str, set[str]], path: str) -> dict[str, dict[str, torch.Tensor]]:
    """{component: {<module path>.<part>: tensor}} from kohya keys. `module_names` holds each component's
    module paths (`down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`, ...); a kohya name is the
    path with `_` for `.`, which is ambiguous on its own, so it is matched against the real names.
    ValueError naming the file and the key for a key that is not LoKr or names no module."""
    lookup = {component: {name.replace(".", "_"): name for name in names} for component, names in module_names.items()}
    result: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in state.items():
        prefix = next((p for p in KOHYA_PREFIXES if key.startswith(p)), None)
        module, _, part = key.partition(".")
        if prefix is None or part not in LOKR_PARTS:
            raise ValueError(f"{path}: key {key!r} is not a LoKr tensor (expected lora_unet_/lora_te_<module>.<{'|'.join(LOKR_PARTS)}>)")
        component = KOHYA_PREFIXES[prefix]
        kohya_name = module[len(prefix):]
        if component == "text_encoder":
            kohya_name = kohya_name.removeprefix(CLIP_PREFIX)
        name = lookup.get(component, {}).get(kohya_name)
        if name is None:
            raise ValueError(f"{path}: LoKr module {module!r} is not a module of this model's {component}")
        result.setdefault(component, {})[f"{name}.{part}"] = tensor
    return result


def load_lokr_file(pipe, path: str, adapter_name: str) -> None:
    """Adds the LoKr file at `path` to `pipe` as adapter `adapter_name` (then switched with set_adapters like a LoRA)."""
    from diffusers.utils.peft_utils import _create_lokr_config  # diffusers 0.42.1: LoKrConfig from tensor shapes
    from peft import inject_adapter_in_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    models = {"unet": pipe.unet, "text_encoder": pipe.text_encoder}
    names = {component: {name for name, _ in model.named_modules()} for component, model in models.items()}
    parts = split_by_component(bake_alpha(load_file(path)), names, path)
    for component, state in parts.items():
        model = models[component]
        dtype = next(model.parameters()).dtype
        state = {key: value.to(dtype) for key, value in state.items()}
        if component == "unet":
            model.load_lora_adapter(state, prefix=None, adapter_name=adapter_name)
            continue
        config = _create_lokr_config(state, None)
        inject_adapter_in_model(config, model, adapter_name=adapter_name)
        result = set_peft_model_state_dict(model, state, adapter_name=adapter_name)
        if getattr(result, "unexpected_keys", None):
            raise ValueError(f"{path}: text-encoder LoKr keys do not fit this text encoder (e.g. {result.unexpected_keys[0]})")
