"""toonlora_trainer/lokr_file.py — loads a kohya / LyCORIS LoKr file (`lora_unet_<module>.lokr_w1`, ...,
`.alpha`; what `toonlora train --lokr` writes and the WebUI / ComfyUI load) into a pipeline as a PEFT LoKr adapter.

diffusers 0.42's `load_lora_weights` reads kohya LoRA keys for SD1.5 but no LoKr keys (its LoKr conversions are
for Z-Image and Flux2), so the file's kohya names are mapped back to the model's module paths here, against
the modules the model really has, and the PEFT LoKrConfig that re-creates the file's factor shapes is worked out
from the tensors and the modules (linear layers and convolutions: LyCORIS files from other trainers also adapt
the UNet's 1x1 / 3x3 convolutions). The UNet part then goes through diffusers' own `load_lora_adapter`; a
text-encoder part is injected with PEFT directly.
"""

from __future__ import annotations

import collections

import torch

KOHYA_PREFIXES = {"lora_unet_": "unet", "lora_te_": "text_encoder", "lora_te1_": "text_encoder"}
LOKR_PARTS = ("lokr_w1", "lokr_w1_a", "lokr_w1_b", "lokr_w2", "lokr_w2_a", "lokr_w2_b", "lokr_t2")
# transformers 5's CLIPTextModel holds `encoder` directly; kohya names keep Hugging Face's `text_model.` prefix.
CLIP_PREFIX = "text_model_"


class LokrFileError(ValueError):
    """A LoKr file toonlora cannot load, with the file and the reason in its message."""


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
    LokrFileError naming the file and the key for a key that is not LoKr or names no module."""
    lookup = {component: {name.replace(".", "_"): name for name in names} for component, names in module_names.items()}
    result: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in state.items():
        prefix = next((p for p in KOHYA_PREFIXES if key.startswith(p)), None)
        module, _, part = key.partition(".")
        if prefix is None or part not in LOKR_PARTS:
            raise LokrFileError(f"{path}: key {key!r} is not a LoKr tensor (expected lora_unet_/lora_te_<module>.<{'|'.join(LOKR_PARTS)}>)")
        component = KOHYA_PREFIXES[prefix]
        kohya_name = module[len(prefix):]
        if component == "text_encoder":
            kohya_name = kohya_name.removeprefix(CLIP_PREFIX)
        name = lookup.get(component, {}).get(kohya_name)
        if name is None:
            raise LokrFileError(f"{path}: LoKr module {module!r} is not a module of this model's {component}")
        result.setdefault(component, {})[f"{name}.{part}"] = tensor
    return result


def base_layer(module: torch.nn.Module) -> torch.nn.Module:
    """The model's own layer under `module`: in a long-lived session a layer an earlier LoRA / DoRA / LoKr adapter
    was loaded on is a PEFT tuner layer wrapping it (PEFT nests adapters of different types), still that layer."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    return module.get_base_layer() if isinstance(module, BaseTunerLayer) else module


def lokr_config_for(state: dict[str, torch.Tensor], model, path: str):
    """The PEFT LoKrConfig under which PEFT creates exactly `state`'s factors on `model`'s modules (keys
    `<module path>.lokr_*`, alpha already baked: scale 1). Each module's split of its output / input features
    comes from w1's shape; PEFT derives splits from one `decompose_factor`, found as diffusers'
    `_create_lokr_config` finds it (a factor that divides shows up as the first factor's side; else -1, near
    square). r per module: the decomposed factor's rank, or for full factors one large enough that PEFT makes
    them full (r >= half the larger side of w2, peft/tuners/lokr/layer.py). LokrFileError naming the file otherwise."""
    from peft import LoKrConfig
    from peft.tuners.lokr.layer import factorization

    splits: dict[str, tuple[int, int, int, int]] = {}  # module -> (out features, out_l, in features, in_m)
    ranks: dict[str, int] = {}
    for name in sorted({key.rpartition(".lokr_")[0] for key in state}):
        part = lambda suffix: state.get(f"{name}.{suffix}")  # noqa: E731
        if part("lokr_t2") is not None:
            raise LokrFileError(f"{path}: LoKr module {name!r} has a Tucker core (lokr_t2), which toonlora generate does not load")
        base = base_layer(model.get_submodule(name))
        if isinstance(base, torch.nn.Linear):
            out_dim, in_dim = base.out_features, base.in_features
        elif isinstance(base, torch.nn.Conv2d):
            out_dim, in_dim = base.out_channels, base.in_channels // base.groups
        else:
            found = f"{type(base).__module__}.{type(base).__qualname__}"
            raise LokrFileError(f"{path}: LoKr module {name!r} adapts a {found}; toonlora loads LoKr on torch.nn.Linear and torch.nn.Conv2d layers only")
        w1, w1_a, w1_b = part("lokr_w1"), part("lokr_w1_a"), part("lokr_w1_b")
        w2, w2_a = part("lokr_w2"), part("lokr_w2_a")
        if (w1 is None and (w1_a is None or w1_b is None)) or (w2 is None and w2_a is None):
            raise LokrFileError(f"{path}: LoKr module {name!r} lacks a factor (it needs lokr_w1 or lokr_w1_a/_b, and lokr_w2 or lokr_w2_a/_b)")
        out_l, in_m = tuple(w1.shape) if w1 is not None else (w1_a.shape[0], w1_b.shape[1])
        if out_dim % out_l or in_dim % in_m:
            raise LokrFileError(f"{path}: LoKr module {name!r}: lokr_w1 {out_l}x{in_m} does not divide the layer's {out_dim}x{in_dim}")
        splits[name] = (out_dim, out_l, in_dim, in_m)
        decomposed = w2_a if w2_a is not None else w1_a
        ranks[name] = decomposed.shape[1] if decomposed is not None else max(out_dim // out_l, in_dim // in_m)

    def reproduces(factor: int) -> bool:
        return all(factorization(o, factor)[0] == ol and factorization(i, factor)[0] == im for o, ol, i, im in splits.values())

    candidates = sorted({ol for _, ol, _, _ in splits.values()} | {im for _, _, _, im in splits.values()}) + [-1]
    factor = next((f for f in candidates if reproduces(f)), None)
    if factor is None:
        raise LokrFileError(f"{path}: no single LoKr factor splits every module the way this file does, so PEFT cannot re-create it")
    r = collections.Counter(ranks.values()).most_common(1)[0][0]
    pattern = {name: rank for name, rank in ranks.items() if rank != r}
    return LoKrConfig(
        r=r, alpha=r, rank_pattern=pattern, alpha_pattern=dict(pattern), target_modules=sorted(splits),
        decompose_factor=factor, decompose_both=any(key.endswith(".lokr_w1_a") for key in state),
    )


def load_lokr_file(pipe, path: str, adapter_name: str) -> None:
    """Adds the LoKr file at `path` to `pipe` as adapter `adapter_name` (then switched with set_adapters like a LoRA)."""
    from peft import inject_adapter_in_model, set_peft_model_state_dict
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import load_file

    models = {"unet": pipe.unet, "text_encoder": pipe.text_encoder}
    names = {component: {name for name, _ in model.named_modules()} for component, model in models.items()}
    parts = split_by_component(bake_alpha(load_file(path)), names, path)
    for component, state in parts.items():
        model = models[component]
        dtype = next(model.parameters()).dtype
        state = {key: value.to(dtype) for key, value in state.items()}
        config = lokr_config_for(state, model, path)
        if component == "unet":
            model.load_lora_adapter(state, prefix=None, adapter_name=adapter_name, metadata=config.to_dict())
        else:
            inject_adapter_in_model(config, model, adapter_name=adapter_name)
            set_peft_model_state_dict(model, state, adapter_name=adapter_name)
        loaded = get_peft_model_state_dict(model, adapter_name=adapter_name)
        wrong = [key for key in state if key not in loaded or loaded[key].shape != state[key].shape]
        if wrong:
            raise LokrFileError(f"{path}: LoKr tensor {wrong[0]!r} does not fit the factors PEFT made for this {component}")
