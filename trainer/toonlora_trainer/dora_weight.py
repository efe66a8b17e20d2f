"""toonlora_trainer/dora_weight.py — a DoRA's LoRA weight as the WebUI and ComfyUI apply it.

A1111 and ComfyUI (weight_decompose) scale a DoRA after the weight decomposition: weight w gives W + w·(W_dora − W),
so 0 is the base model and 1 the full DoRA. PEFT's set_adapters weight instead scales only B·A inside the norm, so
the magnitude still rescales every row at weight 0. For each DoRA layer of the active adapter this keeps PEFT's scale
at 1 and multiplies the DoRA layer's output (y_dora(x) − base(x), the extra output PEFT adds to the base layer's) by
w. Plain LoRA layers (no magnitude) keep set_adapters' weight; LoKr layers are not LoRA layers and are never touched.
"""

from __future__ import annotations

import torch
from peft.tuners.lora import LoraLayer
from peft.tuners.lora.dora import DoraEmbeddingLayer

_WEIGHT_ATTR = "toonlora_weight"


def _scale_output(module: torch.nn.Module, _inputs, output: torch.Tensor) -> torch.Tensor:
    """Forward hook on a DoRA layer: its extra output (y_dora − base) times the weight set by apply_dora_weight."""
    return output * getattr(module, _WEIGHT_ATTR)


def apply_dora_weight(models: list[torch.nn.Module], adapter_name: str, weight: float) -> int:
    """After `set_adapters([adapter_name], [weight])`: every DoRA layer of `adapter_name` in `models` gets PEFT scale 1
    and its output delta times `weight` (the WebUI / ComfyUI rule); returns how many DoRA layers there are (0: no DoRA).
    The hook is added once per DoRA layer and reads the weight stored on it, so a swap costs no reload."""
    count = 0
    for model in models:
        for module in model.modules():
            if not isinstance(module, LoraLayer) or adapter_name not in module.lora_magnitude_vector:
                continue
            dora = module.lora_magnitude_vector[adapter_name]
            if isinstance(dora, DoraEmbeddingLayer):  # returns (scale, delta); SD LoRAs target no embeddings
                raise ValueError(f"DoRA on an embedding ({type(module.get_base_layer()).__name__}) is not supported")
            module.set_scale(adapter_name, 1.0)
            if not hasattr(dora, _WEIGHT_ATTR):
                dora.register_forward_hook(_scale_output)
            setattr(dora, _WEIGHT_ATTR, float(weight))
            count += 1
    return count
