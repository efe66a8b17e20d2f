"""A `toonlora convert --to peft` folder with a text-encoder adapter (text_encoder/), loaded the ways a user loads it.

Its keys keep Hugging Face's on-disk CLIP naming (`base_model.model.text_model.encoder...`, as PEFT under
transformers 4 and toonlora's trainer write them). transformers >= 5.6 flattened CLIPTextModel (no `text_model`
submodule) and PeftModel.from_pretrained maps adapter keys only through the model's legacy
`_checkpoint_conversion_mapping`, which is empty for CLIP now: PEFT reports the keys missing and the text encoder
is left unchanged (upstream: huggingface/peft#3212 fixed state-dict injection, not this loader). `toonlora generate`
(its diffusers copy) and PeftModel.from_pretrained with `key_mapping={"^text_model\\.": ""}` both apply it."""

from __future__ import annotations

import warnings

import torch
from test_text_encoder_lora import (
    expected_text_encoder_deltas,
    fused_text_encoder_deltas,
    toonlora_convert,
    write_peft_run_with_text_encoder,
)

from toonlora_trainer.models import build_tiny_base_model

# What README tells PEFT users to pass while PEFT's own loader misses the flattened CLIP's keys.
CLIP_KEY_MAPPING = {r"^text_model\.": ""}


def peft_loaded_deltas(folder, key_mapping=None) -> dict:
    """Each CLIP Linear's weight change after PeftModel.from_pretrained(text encoder, folder) and merging."""
    from peft import PeftModel

    base = build_tiny_base_model().text_encoder
    before = {n: m.weight.detach().clone() for n, m in base.named_modules() if isinstance(m, torch.nn.Linear)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "missing adapter keys" warning is what the caller checks by value
        merged = PeftModel.from_pretrained(base, str(folder), key_mapping=key_mapping).merge_and_unload()
    after = {n: m.weight.detach().clone() for n, m in merged.named_modules() if isinstance(m, torch.nn.Linear)}
    return {n.removeprefix("text_model."): after[n] - before[n] for n in before if not torch.equal(after[n], before[n])}


def test_converted_peft_folder_text_encoder_applies_through_toonlora_and_peft_with_key_mapping(tmp_path):
    model = write_peft_run_with_text_encoder(tmp_path / "run", seed=5)
    expected = expected_text_encoder_deltas(model)
    toonlora_convert(tmp_path / "run", tmp_path / "run.kohya.safetensors", "kohya")
    toonlora_convert(tmp_path / "run.kohya.safetensors", tmp_path / "peft", "peft")
    # toonlora generate's way: the folder's diffusers copy, loaded by load_lora_weights
    toonlora_convert(tmp_path / "peft", tmp_path / "copy.safetensors", "diffusers")
    paths = {"toonlora generate": fused_text_encoder_deltas(tmp_path / "copy.safetensors"),
             "PeftModel.from_pretrained + key_mapping": peft_loaded_deltas(tmp_path / "peft" / "text_encoder", CLIP_KEY_MAPPING)}
    for how, got in paths.items():
        assert sorted(got) == sorted(expected), how
        for name, delta in expected.items():
            assert torch.allclose(got[name], delta, atol=1e-6), (how, name)
    if not hasattr(build_tiny_base_model().text_encoder, "text_model"):  # transformers >= 5.6: the upstream limit
        assert peft_loaded_deltas(tmp_path / "peft" / "text_encoder") == {}, (
            "PEFT now loads text_model. keys into a flattened CLIPTextModel: drop the key_mapping note from docs/limits.md")
