"""LoRA files generate refuses, and why: a PEFT adapter file, a LoRA for another base (naming the first
mismatching module, and the user's file behind a converted copy), torch's shape errors read, and a LoRA whose
image comes out NaN (no black PNG written)."""

from pathlib import Path

import pytest
import torch
from generation_helpers import GEN_CONFIG, write_diffusers_lora, write_random_lora

from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.lora_loading import LoraFileError


def test_a_peft_adapter_file_given_to_the_worker_is_refused_naming_it_not_a_missing_adapter(tmp_path):
    write_random_lora(tmp_path / "adapter", rank=4, alpha=4.0, seed=1)
    peft_file = tmp_path / "adapter" / "adapter_model.safetensors"
    session = GenerationSession("tiny", torch.device("cpu"))
    with pytest.raises(LoraFileError, match=r"adapter_model\.safetensors: diffusers found no LoRA module it knows"):
        session.use_lora(str(peft_file), 1.0)


def write_wide_text_lora(path: Path, metadata: dict | None = None) -> None:
    """A diffusers-format LoRA whose attn2.to_k reads 1024-wide text embeddings (SD 2.x's; the tiny base's are 32)."""
    from safetensors.torch import save_file

    module = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k"
    save_file({f"{module}.lora_A.weight": torch.randn(4, 1024) * 0.01, f"{module}.lora_B.weight": torch.randn(32, 4) * 0.01},
              str(path), metadata=metadata)


def test_a_lora_for_another_base_is_named_so_with_the_first_mismatching_module(tmp_path):
    write_wide_text_lora(tmp_path / "sd21.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    with pytest.raises(LoraFileError) as raised:
        session.use_lora(str(tmp_path / "sd21.safetensors"), 1.0)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'sd21.safetensors'}: this LoRA was made for a different base model: ")
    # the mismatch itself, not only torch's header line "Error(s) in loading state_dict for UNet2DConditionModel:"
    assert "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k (lora_down) expects [4, 1024], the base has [4, 32]" in message
    assert "SD 2.x LoRA on an SD1.5 base" in message and "not a LoRA file" not in message
    # the fix (the base it was trained for) is data the driver words: `--base` on the CLI, a form field on the web
    assert message.endswith("(e.g. an SD 2.x LoRA on an SD1.5 base).") and "--base" not in message
    assert raised.value.fix == {"kind": "choose-base", "why": "lora"}


def test_a_converted_copy_for_another_base_names_the_users_file_and_blames_no_toonlora_bug(tmp_path):
    original = tmp_path / "downloaded.safetensors"
    write_wide_text_lora(tmp_path / "copy.safetensors", {"toonlora.copy_of": str(original)})
    session = GenerationSession("tiny", torch.device("cpu"))
    with pytest.raises(LoraFileError, match=r"made for a different base model") as raised:
        session.use_lora(str(tmp_path / "copy.safetensors"), 1.0)
    assert str(raised.value).startswith(f"{original}: ") and "toonlora bug" not in str(raised.value)


def test_shape_mismatch_reads_torch_errors_and_leaves_other_errors_alone():
    from toonlora_trainer.lora_loading import _error_summary, shape_mismatch

    text = ("Error(s) in loading state_dict for CLIPTextModel:\n\tsize mismatch for encoder.layers.0.self_attn.q_proj.lora_B.x.weight: "
            "copying a param with shape torch.Size([1024, 8]) from checkpoint, the shape in current model is torch.Size([768, 8]).")
    assert shape_mismatch(text).startswith("encoder.layers.0.self_attn.q_proj (lora_up) expects [1024, 8], the base has [768, 8] (e.g.")
    other = "Error(s) in loading state_dict for UNet2DConditionModel:\n\tMissing key(s): a.b"
    assert shape_mismatch(other) is None
    # other errors keep the line after a header that ends with ':' (torch's lists its problems below it)
    assert _error_summary(RuntimeError(other)) == "Error(s) in loading state_dict for UNet2DConditionModel: Missing key(s): a.b"


def write_nan_lora(path: Path) -> None:
    """A tiny-UNet diffusers-format LoRA with one NaN in a lora_B (a LoRA that overflowed in float16 training)."""
    from safetensors.torch import load_file, save_file

    write_diffusers_lora(path, seed=6)
    tensors = load_file(str(path))
    first_b = sorted(key for key in tensors if key.endswith("lora_B.weight"))[0]
    tensors[first_b][0, 0] = float("nan")
    save_file(tensors, str(path))


def test_a_nan_image_is_an_error_naming_the_lora_and_no_black_png_is_written(tmp_path):
    from toonlora_trainer.__main__ import _error_kind
    from toonlora_trainer.pipeline import NonFiniteImageError

    write_nan_lora(tmp_path / "nan.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    config = parse_generation_config({**GEN_CONFIG, "steps": 1})
    with pytest.raises(NonFiniteImageError) as raised:
        session.generate(str(tmp_path / "nan.safetensors"), config, str(tmp_path / "out"))
    assert str(raised.value).startswith(f"{tmp_path / 'nan.safetensors'}: the image came out NaN (seeds 1, 2, in sampling): "
                                        "the LoRA holds NaN/Inf weights")
    assert _error_kind(raised.value) == "lora_format"  # TL_ERR_LORA_FORMAT, not a worker crash
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    # the same session still renders without the LoRA
    assert len(session.generate(None, config, str(tmp_path / "out")).images) == 2


def test_non_finite_seeds_names_only_the_seeds_whose_image_is_not_finite():
    from toonlora_trainer.pipeline import non_finite_seeds

    images = torch.zeros(3, 4, 8, 8)
    assert non_finite_seeds(images, [5, 6, 7]) == []
    images[1, 0, 0, 0], images[2, 3, 7, 7] = float("inf"), float("nan")
    assert non_finite_seeds(images, [5, 6, 7]) == [6, 7]
    assert non_finite_seeds(torch.full((1, 4, 8, 8), 60000.0, dtype=torch.float16), [1]) == []  # large, finite: no false alarm
