"""Optional text-encoder LoRA (issue 6): its LoRA params change while the CLIP base weights do not, it has
its own AdamW group and rate, resume continues the same trajectory with it, and the kohya file
(`lora_te_` keys from `toonlora convert`) loaded by diffusers gives the PEFT-adapted text encoder's output.
CPU, tiny model."""

import os

import pytest
import torch
from helpers import lora_settings, make_pattern_dataset, training_config
from safetensors.torch import load_file
from generation_helpers import convert_to_kohya
from test_training import train

from toonlora_trainer import train as train_module
from toonlora_trainer import text_embeddings as text_embeddings_module
from toonlora_trainer.checkpoint import TEXT_ENCODER_DIR, load_adapter_weights
from toonlora_trainer.lora_adapters import TEXT_ENCODER_TARGET_MODULES, attach_text_encoder_lora
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline

TE_CONFIG = {"trainTextEncoder": True, "textEncoderLearningRate": 2e-3, "learningRate": 1e-3}


def te_output(text_encoder, base):
    tokens = base.tokenizer(["sks, striped pattern"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        return text_encoder(tokens).last_hidden_state



def randomise_lora_b(models, seed: int) -> None:
    """Gives every lora_B random values (PEFT starts them at zero, which would make every delta zero)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for model in models:
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.2)

def test_text_encoder_lora_trains_with_its_own_rate_and_base_stays(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=2)
    seen = {}
    real_make = train_module._make_loop_state

    def spy(config, groups, precision):
        state = real_make(config, groups, precision)
        seen["groups"] = state.optimizer.param_groups
        seen["before"] = [[p.detach().clone() for p in g["params"]] for g in state.optimizer.param_groups]
        return state

    monkeypatch.setattr(train_module, "_make_loop_state", spy)
    real_build = train_module.load_base_model
    monkeypatch.setattr(train_module, "load_base_model", lambda name, *configs: seen.setdefault("base", real_build(name, *configs)))
    config = training_config(steps=3, lrScheduler="constant", **TE_CONFIG)
    events = train(dataset, tmp_path / "run", config)

    done = events[-1]
    assert done.type == "done" and done.stats["text_encoder_lora_modules"] == 16  # 4 tiny CLIP layers x q/k/v/out
    unet_group, te_group = seen["groups"]
    assert unet_group["lr"] == pytest.approx(1e-3) and te_group["lr"] == pytest.approx(2e-3)
    text_encoder = seen["base"].text_encoder
    te_lora = {id(p) for n, p in text_encoder.named_parameters() if "lora_" in n}
    assert {id(p) for p in te_group["params"]} == te_lora and len(te_lora) == 32
    # lora_A starts random and lora_B at zero (gaussian init): after training both moved, except in the last
    # CLIP layer: with clip skip 2 its output is not used, so it gets no gradient (kohya keeps it too, untrained).
    names = [n for n, p in text_encoder.named_parameters() if p.requires_grad]
    moved = {n: not torch.equal(a, b.detach()) for n, a, b in zip(names, seen["before"][1], te_group["params"])}
    assert all(moved[n] for n in names if ".layers.3." not in n), moved
    assert not any(moved[n] for n in names if ".layers.3." in n), moved
    fresh = build_tiny_base_model().text_encoder.state_dict()
    for name, value in text_encoder.state_dict().items():
        if "lora_" not in name:
            assert torch.equal(value, fresh[name.replace(".base_layer", "")]), name
    # Output: text_encoder/ adapter beside the UNet adapter, keys in Hugging Face CLIP naming.
    keys = load_file(done.artifacts["text_encoder_adapter"]).keys()
    assert done.artifacts["text_encoder_adapter"] == os.path.join(tmp_path, "run", TEXT_ENCODER_DIR, "adapter_model.safetensors")
    assert len(keys) == 32 and all(k.startswith("base_model.model.text_model.encoder.layers.") for k in keys)
    assert all(k.startswith("base_model.model.") and "text_model" not in k for k in load_file(done.artifacts["adapter"]))


def test_text_embeddings_are_computed_each_step_not_cached(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    calls = []
    real = text_embeddings_module.encode_prompts_grad
    monkeypatch.setattr(text_embeddings_module, "encode_prompts_grad", lambda *a: calls.append(torch.is_grad_enabled()) or real(*a))
    train(dataset, tmp_path / "run", training_config(steps=3, shuffleCaptions=False, **TE_CONFIG))
    assert calls == [True, True, True]  # the same caption each step, encoded again with gradients


def test_resume_with_text_encoder_reaches_the_same_loss(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=2)
    config = training_config(steps=6, checkpointEverySteps=3, **TE_CONFIG)
    straight = [e for e in train(dataset, tmp_path / "a", config) if e.type == "progress"]
    stopped = train(dataset, tmp_path / "b", config, stop_after=3)
    assert stopped[-1].type == "cancelled"
    assert os.path.exists(os.path.join(stopped[-1].checkpoint, TEXT_ENCODER_DIR, "adapter_model.safetensors"))
    resumed = [e for e in train(dataset, tmp_path / "b", config, resume=True) if e.type == "progress"]
    assert [e.step for e in resumed] == [4, 5, 6]
    for a, b in zip(straight[3:], resumed):
        assert a.loss == pytest.approx(b.loss, rel=1e-5, abs=1e-6)
    # Resuming that run without the text encoder would silently drop its LoRA: refused, naming the fix.
    from toonlora_trainer.config_schema import ConfigError

    with pytest.raises(ConfigError, match=r"trainTextEncoder was true, now false\. To resume it: add --train-text-encoder "
                                          r"\(in a config file: training\.trainTextEncoder = true\)"):
        train(dataset, tmp_path / "b", training_config(steps=9, checkpointEverySteps=3), resume=True)


def test_kohya_file_with_text_encoder_loaded_by_diffusers_matches_peft(tmp_path):
    from toonlora_trainer.checkpoint import save_adapter
    from toonlora_trainer.lora_adapters import attach_lora

    peft_model = build_tiny_base_model()
    attach_lora(peft_model.unet, lora=lora_settings(alpha=2.0))
    attach_text_encoder_lora(peft_model.text_encoder, lora=lora_settings(alpha=2.0))  # alpha != rank: scale 0.5
    randomise_lora_b((peft_model.unet, peft_model.text_encoder), seed=7)
    save_adapter(peft_model.unet, str(tmp_path / "adapter"), "tiny")
    save_adapter(peft_model.text_encoder, str(tmp_path / "adapter" / TEXT_ENCODER_DIR), "tiny")
    # The saved folder reloads into a fresh adapted text encoder unchanged (the resume path).
    reloaded = build_tiny_base_model()
    attach_text_encoder_lora(reloaded.text_encoder, lora=lora_settings(alpha=2.0))
    load_adapter_weights(reloaded.text_encoder, str(tmp_path / "adapter" / TEXT_ENCODER_DIR))
    reference = te_output(peft_model.text_encoder, peft_model)
    assert torch.equal(te_output(reloaded.text_encoder, reloaded), reference)

    convert_to_kohya(tmp_path / "adapter", tmp_path / "sks.safetensors")
    kohya = load_file(tmp_path / "sks.safetensors")
    te_keys = sorted(k for k in kohya if k.startswith("lora_te_"))
    assert len(te_keys) == 16 * 3 and "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight" in te_keys
    assert all(k.startswith(("lora_unet_", "lora_te_")) for k in kohya)
    assert kohya["lora_te_text_model_encoder_layers_3_self_attn_out_proj.alpha"].item() == 2.0

    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    bare = te_output(pipe.text_encoder, pipe)
    pipe.load_lora_weights(str(tmp_path / "sks.safetensors"), adapter_name="sks")
    pipe.set_adapters(["sks"], adapter_weights=[1.0])
    loaded = te_output(pipe.text_encoder, pipe)
    assert not torch.allclose(bare, reference, atol=1e-3)  # the text-encoder LoRA does something
    assert torch.allclose(loaded, reference, atol=1e-5), (loaded - reference).abs().max()
    assert set(TEXT_ENCODER_TARGET_MODULES) == {k.split("_self_attn_")[1].split(".")[0] for k in te_keys}


def write_peft_run_with_text_encoder(folder, seed: int):
    """A PEFT run folder (UNet adapter + text_encoder/, non-zero B) whose text encoder has two alphas
    (alpha_pattern), and the adapted model it was saved from."""
    from peft import LoraConfig, inject_adapter_in_model

    from toonlora_trainer.checkpoint import save_adapter
    from toonlora_trainer.lora_adapters import attach_lora

    model = build_tiny_base_model()
    attach_lora(model.unet, lora=lora_settings(alpha=2.0))
    model.text_encoder.requires_grad_(False)
    inject_adapter_in_model(LoraConfig(r=4, lora_alpha=2.0, target_modules=list(TEXT_ENCODER_TARGET_MODULES),
                                       alpha_pattern={"layers.1.self_attn.out_proj": 8.0}), model.text_encoder)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for part in (model.unet, model.text_encoder):
            for name, param in part.named_parameters():
                if "lora_B" in name:
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(model.unet, str(folder), "tiny")
    save_adapter(model.text_encoder, str(folder / TEXT_ENCODER_DIR), "tiny")
    return model


def toonlora_convert(source, output, to: str) -> None:
    import shutil
    import subprocess

    from generation_helpers import REPO

    if shutil.which("node") is None:
        pytest.skip("node is not installed: `toonlora convert` cannot run here")
    result = subprocess.run([str(REPO / "toonlora"), "convert", str(source), "-o", str(output), "--to", to, "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def expected_text_encoder_deltas(model) -> dict:
    """Per adapted CLIP Linear (module path without `text_model.`): the weight change PEFT applies."""
    return {name.removeprefix("text_model."): module.get_delta_weight("default").detach().clone()
            for name, module in model.text_encoder.named_modules() if hasattr(module, "lora_A") and "default" in module.lora_A}


def fused_text_encoder_deltas(path) -> dict:
    """Loads `path` as `toonlora generate` does (lora_loading._load_lora_file), fuses it at weight 1 and returns
    each CLIP Linear's weight change."""
    from toonlora_trainer.lora_loading import _load_lora_file

    def linears(text_encoder):
        return {name.removeprefix("text_model."): module.weight.detach().clone()
                for name, module in text_encoder.named_modules() if isinstance(module, torch.nn.Linear)}

    before = linears(build_tiny_base_model().text_encoder)
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    _load_lora_file(pipe, str(path), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    pipe.fuse_lora(lora_scale=1.0, adapter_names=["x"])
    pipe.unload_lora_weights()
    after = linears(pipe.text_encoder)
    return {name: after[name] - before[name] for name in before if not torch.equal(after[name], before[name])}


def test_text_encoder_lora_converted_for_diffusers_loads_with_every_alpha(tmp_path):
    """What `toonlora generate` hands diffusers for a PEFT run with a text encoder (its diffusers copy) and
    for a mixed-alpha kohya file (kohya -> diffusers copy): each CLIP projection changes by PEFT's delta.
    Before the fix the copy named `text_model.` targets, which transformers 5's CLIP does not have, and
    load_lora_weights refused it."""
    model = write_peft_run_with_text_encoder(tmp_path / "run", seed=11)
    expected = expected_text_encoder_deltas(model)
    assert len(expected) == 16 and {2.0, 8.0} <= {m.scaling["default"] * 4 for m in model.text_encoder.modules() if hasattr(m, "scaling")}
    toonlora_convert(tmp_path / "run", tmp_path / "run.diffusers.safetensors", "diffusers")
    toonlora_convert(tmp_path / "run", tmp_path / "run.kohya.safetensors", "kohya")
    toonlora_convert(tmp_path / "run.kohya.safetensors", tmp_path / "kohya.diffusers.safetensors", "diffusers")
    for path in (tmp_path / "run.diffusers.safetensors", tmp_path / "kohya.diffusers.safetensors"):
        got = fused_text_encoder_deltas(path)
        assert sorted(got) == sorted(expected), path
        for name, delta in expected.items():
            assert torch.allclose(got[name], delta, atol=1e-6), (path.name, name, (got[name] - delta).abs().max())


def test_a_converted_copy_diffusers_refuses_names_the_users_file_as_a_toonlora_bug(tmp_path):
    """A copy `toonlora generate` made (metadata toonlora.copy_of) that diffusers cannot load: the error names the
    user's file and says it is toonlora's fault, not the file's. The copy here carries the old `text_model.` targets."""
    import json

    from safetensors import safe_open
    from safetensors.torch import save_file

    from toonlora_trainer.lora_loading import LoraFileError, _load_lora_file

    write_peft_run_with_text_encoder(tmp_path / "run", seed=12)
    toonlora_convert(tmp_path / "run", tmp_path / "good.safetensors", "diffusers")
    with safe_open(str(tmp_path / "good.safetensors"), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(tmp_path / "good.safetensors")
    adapter = json.loads(metadata["lora_adapter_metadata"])
    adapter["text_encoder.target_modules"] = [f"text_model.{t}" for t in adapter["text_encoder.target_modules"]]
    copy = tmp_path / "lora-diffusers" / "run.0123456789abcdef.diffusers.safetensors"
    copy.parent.mkdir()
    save_file(tensors, str(copy), metadata={**metadata, "lora_adapter_metadata": json.dumps(adapter),
                                            "toonlora.copy_of": str(tmp_path / "run")})
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    with pytest.raises(LoraFileError) as refused:
        _load_lora_file(pipe, str(copy), "x")
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'run'}: toonlora converted it for diffusers into {copy}")
    assert "This is a toonlora bug, not a problem with your file" in message and "not a LoRA file" not in message


def test_kohya_text_encoder_lora_on_q_and_v_loads_whole_from_its_diffusers_copy(tmp_path):
    """A PEFT text-encoder adapter on q_proj + v_proj (+ mlp.fc1), converted to kohya: diffusers reads kohya
    text-encoder attention keys only when some module is an out_proj (convert_state_dict_to_peft looks for
    `to_out_lora`), so load_lora_weights applies the fc1 modules and silently none of the q/v ones. The
    diffusers-format copy `toonlora generate` loads instead (diffusers-copy.ts) applies every module exactly."""
    from peft import LoraConfig, inject_adapter_in_model

    from toonlora_trainer.checkpoint import save_adapter
    from toonlora_trainer.lora_adapters import attach_lora

    model = build_tiny_base_model()
    attach_lora(model.unet, lora=lora_settings(alpha=2.0, target_modules=("to_q",)))
    model.text_encoder.requires_grad_(False)
    inject_adapter_in_model(LoraConfig(r=4, lora_alpha=2.0, target_modules=["q_proj", "v_proj", "fc1"]),
                            model.text_encoder)
    randomise_lora_b((model.unet, model.text_encoder), seed=13)
    save_adapter(model.unet, str(tmp_path / "run"), "tiny")
    save_adapter(model.text_encoder, str(tmp_path / "run" / TEXT_ENCODER_DIR), "tiny")
    expected = expected_text_encoder_deltas(model)
    assert len(expected) == 12

    toonlora_convert(tmp_path / "run", tmp_path / "qv.safetensors", "kohya")
    toonlora_convert(tmp_path / "qv.safetensors", tmp_path / "qv.diffusers.safetensors", "diffusers")
    direct = fused_text_encoder_deltas(tmp_path / "qv.safetensors")
    assert sorted(direct) == sorted(n for n in expected if n.endswith("fc1"))  # what the fix routes around
    got = fused_text_encoder_deltas(tmp_path / "qv.diffusers.safetensors")
    assert sorted(got) == sorted(expected)
    for name, delta in expected.items():
        assert torch.allclose(got[name], delta, atol=1e-6), (name, (got[name] - delta).abs().max())
