"""Generation: VAE float32 while the UNet is float16 (SPEC §4), CLIP skip as specified, the kohya file
from `toonlora convert` loaded by diffusers gives the PEFT-adapted UNet's output, and the warm session
swaps LoRAs without reloading the base."""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from peft import LoraConfig
from PIL import Image
from helpers import TRAINER_DIR, lora_settings, run_worker

from toonlora_trainer.checkpoint import save_adapter
from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession, LoraFileError, build_pipeline
from toonlora_trainer.models import attach_lora, build_tiny_base_model, encode_prompts

TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
REPO = TRAINER_DIR.parent
GEN_CONFIG = {
    "baseModel": "tiny", "prompt": "sks, striped pattern", "negativePrompt": "lowres", "loraWeight": 1.0, "steps": 3,
    "guidanceScale": 5, "width": 64, "height": 64, "clipSkip": 2, "vaeFp32": True, "scheduler": "dpmpp_2m_karras", "seeds": [1, 2],
}


def test_vae_stays_float32_while_unet_is_float16():
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float16)
    assert pipe.unet.dtype == torch.float16 and pipe.text_encoder.dtype == torch.float16
    assert pipe.vae.dtype == torch.float32


def test_casting_the_vae_before_moving_the_pipeline_would_be_undone():
    # Why build_pipeline casts the VAE last: pipe.to(dtype) casts every module, VAE included.
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    pipe.vae.to(dtype=torch.float32)
    pipe.to("cpu", torch.float16)
    assert pipe.vae.dtype == torch.float16


def test_clip_skip_2_is_the_penultimate_layer_through_the_final_norm():
    base = build_tiny_base_model()
    tokens = base.tokenizer(["sks girl"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        hidden = base.text_encoder(tokens, output_hidden_states=True)
        expected = base.text_encoder.final_layer_norm(hidden.hidden_states[-2])
    skip2 = encode_prompts(base, ["sks girl"], 2, torch.device("cpu"))
    skip1 = encode_prompts(base, ["sks girl"], 1, torch.device("cpu"))
    assert torch.allclose(skip2, expected)
    assert torch.allclose(skip1, hidden.last_hidden_state)
    assert not torch.allclose(skip1, skip2, atol=1e-3)


def write_random_lora(folder: Path, rank: int, alpha: float, seed: int):
    """A tiny-UNet PEFT adapter with non-zero B (a trained-looking LoRA) and its adapted UNet."""
    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(rank=rank, alpha=alpha))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(base.unet, str(folder), "tiny")
    return base


def convert_to_kohya(adapter: Path, output: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: `toonlora convert` cannot run here")
    result = subprocess.run([str(REPO / "toonlora"), "convert", str(adapter), "-o", str(output), "--to", "kohya", "--json"],
                            capture_output=True, text=True, timeout=120)
    if "TL_ERR_NOT_IMPLEMENTED" in result.stderr:
        pytest.skip("toonlora convert is not implemented in this checkout")
    assert result.returncode == 0, result.stderr


def unet_output(unet, seed=0):
    generator = torch.Generator().manual_seed(seed)
    sample = torch.randn((1, 4, 8, 8), generator=generator)
    context = torch.randn((1, 77, 32), generator=generator)
    with torch.no_grad():
        return unet(sample, torch.tensor([500]), context).sample


def test_kohya_file_loaded_by_diffusers_matches_peft_adapted_unet(tmp_path):
    peft_model = write_random_lora(tmp_path / "adapter", rank=4, alpha=2.0, seed=5)  # alpha != rank: scale 0.5
    convert_to_kohya(tmp_path / "adapter", tmp_path / "sks.safetensors")
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    bare = unet_output(pipe.unet)
    pipe.load_lora_weights(str(tmp_path / "sks.safetensors"), adapter_name="sks")
    pipe.set_adapters(["sks"], adapter_weights=[1.0])
    loaded = unet_output(pipe.unet)
    reference = unet_output(peft_model.unet)
    assert not torch.allclose(bare, reference, atol=1e-3)  # the LoRA does something
    assert torch.allclose(loaded, reference, atol=1e-5), (loaded - reference).abs().max()


def test_mixed_alpha_lora_needs_the_diffusers_copy_that_generate_uses(tmp_path):
    """diffusers applies one alpha to a kohya file; `convert --to diffusers` (what `toonlora generate`
    loads for a mixed-alpha kohya file, src/lora/diffusers-copy.ts) keeps every module's alpha."""
    base = build_tiny_base_model()
    base.unet.requires_grad_(False)
    base.unet.add_adapter(LoraConfig(r=4, lora_alpha=2, target_modules=TARGETS, alpha_pattern={"attn1.to_q": 8}))
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(base.unet, str(tmp_path / "adapter"), "tiny")
    reference = unet_output(base.unet)
    convert_to_kohya(tmp_path / "adapter", tmp_path / "mixed.safetensors")
    result = subprocess.run([str(REPO / "toonlora"), "convert", str(tmp_path / "adapter"), "-o",
                             str(tmp_path / "mixed.diffusers.safetensors"), "--to", "diffusers", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

    def loaded(path: Path):
        pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
        pipe.load_lora_weights(str(path), adapter_name="x")
        pipe.set_adapters(["x"], adapter_weights=[1.0])
        return unet_output(pipe.unet)

    assert not torch.allclose(loaded(tmp_path / "mixed.safetensors"), reference, atol=1e-3)  # one alpha for all
    assert torch.allclose(loaded(tmp_path / "mixed.diffusers.safetensors"), reference, atol=1e-5)


def test_session_swaps_loras_without_reloading_and_reports_times(tmp_path):
    for name, seed in (("a", 1), ("b", 2)):
        write_random_lora(tmp_path / name, rank=4, alpha=4.0, seed=seed)
        convert_to_kohya(tmp_path / name, tmp_path / f"{name}.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    config = parse_generation_config(GEN_CONFIG)
    first = session.generate(str(tmp_path / "a.safetensors"), config, str(tmp_path / "out"))
    second = session.generate(str(tmp_path / "b.safetensors"), config, str(tmp_path / "out"))
    again = session.generate(str(tmp_path / "a.safetensors"), config, str(tmp_path / "out"))
    assert len(first.images) == 2 and first.grid and Path(first.grid).exists()
    assert len(set(first.images + second.images + again.images)) == 6  # never overwrites
    assert session.load_s > 0 and again.swap_s < first.swap_s  # already-loaded LoRA: set_adapters only
    a = np.asarray(Image.open(first.images[0]), dtype=np.float32)
    b = np.asarray(Image.open(second.images[0]), dtype=np.float32)
    assert np.abs(a - b).mean() > 0.5  # different LoRA, different image


def test_serve_generation_answers_requests_by_id(tmp_path):
    write_random_lora(tmp_path / "a", rank=4, alpha=4.0, seed=1)
    convert_to_kohya(tmp_path / "a", tmp_path / "a.safetensors")
    request = lambda rid, lora: {"version": 1, "command": "generate", "id": rid, "lora": lora, "output_dir": str(tmp_path / "o"),  # noqa: E731
                                 "config": {**GEN_CONFIG, "seeds": [3]}}
    code, events, stderr = run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                                      extra_lines=[request("r1", str(tmp_path / "a.safetensors")), request("r2", str(tmp_path / "missing.safetensors")),
                                                   request("r3", None), {"version": 1, "command": "shutdown"}])
    assert code == 0, stderr
    assert events[0]["type"] == "ready" and events[0]["load_s"] > 0
    by_id = {e["id"]: e for e in events[1:]}
    assert by_id["r1"]["type"] == "done" and len(by_id["r1"]["artifacts"]["images"]) == 1
    assert by_id["r2"]["type"] == "error" and by_id["r2"]["kind"] == "input_missing" and "missing.safetensors" in by_id["r2"]["message"]
    assert by_id["r3"]["type"] == "done"


def test_serve_generation_sends_progress_per_sampling_step_tagged_with_the_request_id(tmp_path):
    request = lambda rid, steps: {"version": 1, "command": "generate", "id": rid, "lora": None, "output_dir": str(tmp_path / "o"),  # noqa: E731
                                  "config": {**GEN_CONFIG, "steps": steps, "seeds": [3]}}
    code, events, stderr = run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                                      extra_lines=[request("r1", 3), request("r2", 2), {"version": 1, "command": "shutdown"}])
    assert code == 0, stderr
    answered = [(e["type"], e.get("id"), e.get("step"), e.get("total")) for e in events if e["type"] in ("progress", "done", "error")]
    assert answered == [
        ("progress", "r1", 1, 3), ("progress", "r1", 2, 3), ("progress", "r1", 3, 3), ("done", "r1", None, None),
        ("progress", "r2", 1, 2), ("progress", "r2", 2, 2), ("done", "r2", None, None),
    ]
    progress = [e for e in events if e["type"] == "progress"]
    assert all(e["loss"] is None and e["lr"] is None and e["it_per_s"] > 0 for e in progress)
    assert progress[2]["eta_s"] == 0  # last step of r1: nothing left


def test_serve_generation_tags_a_prompt_warning_with_the_request_id(tmp_path):
    # The driver hands a warning to the job of the request it names; a short prompt's request gets none.
    long_prompt = "sks, " + ", ".join(f"tag{i} word" for i in range(60))
    request = lambda rid, prompt: {"version": 1, "command": "generate", "id": rid, "lora": None,  # noqa: E731
                                   "output_dir": str(tmp_path / rid), "config": {**GEN_CONFIG, "prompt": prompt, "seeds": [3]}}
    code, events, stderr = run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                                      extra_lines=[request("r1", long_prompt), request("r2", "sks"), {"version": 1, "command": "shutdown"}])
    assert code == 0, stderr
    logs = [e for e in events if e["type"] == "log" and e["level"] != "debug"]
    assert [(e["level"], e.get("id")) for e in logs] == [("warn", "r1")]
    assert "CLIP reads only the first 75" in logs[0]["message"]
    assert events.index(logs[0]) < events.index(next(e for e in events if e["type"] == "done" and e["id"] == "r1"))


def test_serve_generation_cancel_stops_a_queued_request_and_the_next_one_runs(tmp_path):
    # The reader thread takes `cancel r1` off stdin while the base model loads: r1 stops before its first step.
    request = lambda rid, steps, out: {"version": 1, "command": "generate", "id": rid, "lora": None,  # noqa: E731
                                       "output_dir": str(tmp_path / out), "config": {**GEN_CONFIG, "steps": steps, "seeds": [3]}}
    cancel = lambda rid: {"version": 1, "command": "cancel", "id": rid}  # noqa: E731
    code, events, stderr = run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                                      extra_lines=[request("r1", 50, "o1"), cancel("r1"), cancel("r9"), {"version": 1, "command": "cancel"},
                                                   request("r2", 2, "o2"), {"version": 1, "command": "shutdown"}])
    assert code == 0, stderr
    answered = [(e["type"], e.get("id")) for e in events if e["type"] in ("cancelled", "done", "error")]
    assert answered == [("cancelled", "r1"), ("error", None), ("done", "r2")]  # r9: unknown, nothing to answer
    stopped = next(e for e in events if e["type"] == "cancelled")
    assert stopped["step"] == 0 and stopped["checkpoint"] is None
    assert not any(e["type"] == "progress" and e.get("id") == "r1" for e in events)
    assert not (tmp_path / "o1").exists()  # a cancelled request writes nothing
    error = next(e for e in events if e["type"] == "error")
    assert error["kind"] == "config" and "id" in error["message"]
    assert len(next(e for e in events if e["type"] == "done")["artifacts"]["images"]) == 1


def test_session_stops_at_the_sampling_step_after_should_stop_and_keeps_its_vae_float32(tmp_path):
    from toonlora_trainer.generate import GenerationCancelled

    session = GenerationSession("tiny", torch.device("cpu"))
    session.dtype = torch.bfloat16  # what a GPU session casts the VAE to when vaeFp32 is off
    config = parse_generation_config({**GEN_CONFIG, "steps": 6, "vaeFp32": False})
    asked: list[int] = []
    events: list = []

    def should_stop() -> bool:
        asked.append(len(asked) + 1)
        return len(asked) >= 2

    with pytest.raises(GenerationCancelled) as stopped:
        session.generate(None, config, str(tmp_path / "out"), events.append, "r1", should_stop)
    assert stopped.value.step == 2 and asked == [1, 2]
    assert [e.step for e in events] == [1, 2]  # the progress of both steps went out, then it stopped
    assert not (tmp_path / "out").exists()
    assert session.pipe.vae.dtype == torch.float32  # restored for the next request
    session.dtype = torch.float32
    after = session.generate(None, parse_generation_config(GEN_CONFIG), str(tmp_path / "out"))
    assert len(after.images) == 2


def test_session_keeps_at_most_max_loras_loaded(tmp_path):
    for name, seed in (("a", 1), ("b", 2), ("c", 3)):
        write_random_lora(tmp_path / name, rank=4, alpha=4.0, seed=seed)
        convert_to_kohya(tmp_path / name, tmp_path / f"{name}.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"), max_loras=2)
    for name in ("a", "b", "a", "c"):
        session.use_lora(str(tmp_path / f"{name}.safetensors"), 1.0)
    loaded = session.pipe.get_list_adapters()["unet"]
    assert sorted(loaded) == ["lora_0", "lora_2"]  # a and c; b, the least recently used, was deleted
    assert sorted(session._names.values()) == sorted(loaded)


def test_generate_worker_emits_a_progress_event_per_sampling_step(tmp_path):
    request = {"version": 1, "command": "generate", "id": None, "lora": None, "output_dir": str(tmp_path / "out"),
               "config": {**GEN_CONFIG, "steps": 4, "seeds": [7]}}
    code, events, stderr = run_worker("generate", request)
    assert code == 0, stderr
    progress = [e for e in events if e["type"] == "progress"]
    assert [e["step"] for e in progress] == [1, 2, 3, 4]
    assert {e["total"] for e in progress} == {4}
    assert all(e["loss"] is None and e["lr"] is None and e["it_per_s"] > 0 and e["eta_s"] >= 0 for e in progress)
    assert progress[-1]["eta_s"] == 0
    assert events[-1]["type"] == "done" and len(events[-1]["artifacts"]["images"]) == 1
    assert events.index(progress[-1]) < len(events) - 1  # every step reported before `done`


def write_diffusers_lora(path: Path, seed: int, dora: bool = False, b_scale: float = 0.02) -> None:
    """A tiny-UNet LoRA in diffusers' PEFT key format (`unet.<module>.lora_A.weight`), B small but non-zero
    (`b_scale`), alpha = rank (scale 1), as `toonlora generate` loads it; with `dora`, a DoRA (PEFT's
    lora_magnitude_vector, as generate's diffusers copy of a kohya DoRA file holds it), its magnitudes moved off
    their init too."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(dora=dora))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            # A too, from the seed: PEFT draws its init from the global RNG, which earlier tests move.
            if "lora_A" in name:
                param.copy_(torch.randn(param.shape, generator=generator) / param.shape[1] ** 0.5)
            elif "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * b_scale)
            elif "lora_magnitude_vector" in name:
                param.mul_(1 + 0.2 * torch.rand(param.shape, generator=generator))
    state = get_peft_model_state_dict(base.unet)
    assert dora == any("lora_magnitude_vector" in key for key in state)
    save_file({f"unet.{key}": value.contiguous() for key, value in state.items()}, str(path))


def test_lora_weight_half_gives_half_the_unet_output_change(tmp_path):
    write_diffusers_lora(tmp_path / "small.safetensors", seed=4)
    session = GenerationSession("tiny", torch.device("cpu"))
    session.use_lora(None, 1.0)
    bare = unet_output(session.pipe.unet)
    session.use_lora(str(tmp_path / "small.safetensors"), 1.0)
    full = unet_output(session.pipe.unet) - bare
    session.use_lora(str(tmp_path / "small.safetensors"), 0.5)
    half = unet_output(session.pipe.unet) - bare
    assert full.abs().max() > 1e-3  # the LoRA changes the output
    # Each adapted projection adds weight * B @ A x; with small B the UNet is linear in it to first order.
    ratio = (half * full).sum() / (full * full).sum()
    assert ratio == pytest.approx(0.5, abs=0.01), ratio
    assert torch.allclose(half, 0.5 * full, atol=0.05 * full.abs().max().item())  # weight 1 or 0 would be off by 50%


def test_a_peft_adapter_file_given_to_the_worker_is_refused_naming_it_not_a_missing_adapter(tmp_path):
    write_random_lora(tmp_path / "adapter", rank=4, alpha=4.0, seed=1)
    peft_file = tmp_path / "adapter" / "adapter_model.safetensors"
    session = GenerationSession("tiny", torch.device("cpu"))
    with pytest.raises(LoraFileError, match=r"adapter_model\.safetensors: diffusers found no LoRA module it knows"):
        session.use_lora(str(peft_file), 1.0)


def test_images_carry_the_webui_parameters_text_and_a_long_prompt_is_warned_about(tmp_path):
    write_random_lora(tmp_path / "mine", rank=4, alpha=4.0, seed=3)
    convert_to_kohya(tmp_path / "mine", tmp_path / "sks_girl.safetensors")
    session = GenerationSession("tiny", torch.device("cpu"))
    config = parse_generation_config({**GEN_CONFIG, "loraWeight": 0.8, "seeds": [7]})
    events = []
    result = session.generate(str(tmp_path / "sks_girl.safetensors"), config, str(tmp_path / "out"), events.append)
    # the WebUI's short hash of a LoRA: sha256 of the bytes after the safetensors header (its addnet hash)
    data = (tmp_path / "sks_girl.safetensors").read_bytes()
    short = hashlib.sha256(data[8 + int.from_bytes(data[:8], "little"):]).hexdigest()[:12]
    assert Image.open(result.images[0]).text["parameters"] == (
        "sks, striped pattern <lora:sks_girl:0.8>\n"
        "Negative prompt: lowres\n"
        "Steps: 3, Sampler: DPM++ 2M Karras, CFG scale: 5, Seed: 7, Size: 64x64, Model: tiny, Clip skip: 2, "
        f'Lora hashes: "sks_girl: {short}", Version: toonlora'
    )
    assert not [e for e in events if getattr(e, "type", "") == "log" and e.level != "debug"]  # a short prompt: no warning
    long_prompt = "sks, " + ", ".join(f"tag{i} word" for i in range(60))
    events.clear()
    session.generate(None, parse_generation_config({**GEN_CONFIG, "prompt": long_prompt, "seeds": [7]}),
                     str(tmp_path / "out"), events.append)
    warnings = [e for e in events if getattr(e, "type", "") == "log" and e.level == "warn"]
    assert len(warnings) == 1
    assert warnings[0].message.startswith("the prompt is ") and "CLIP reads only the first 75" in warnings[0].message
    assert warnings[0].id is None  # no request id (the one-shot `generate`): the line carries no `id`


def test_webui_parameters_name_a_run_adapter_by_its_run_and_keep_each_field_on_its_line():
    from toonlora_trainer.generate import _lora_label, a1111_parameters

    assert _lora_label("/runs/mina/adapter_model.safetensors") == "mina"
    assert _lora_label("/runs/mina/mina.safetensors") == "mina"
    config = parse_generation_config({**GEN_CONFIG, "prompt": "sks,\nsmiling", "negativePrompt": "lowres\nblurry"})
    text = a1111_parameters(config, 1, "mina")
    assert text.splitlines()[:2] == ["sks, smiling <lora:mina:1>", "Negative prompt: lowres blurry"]


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_pndm_renders_with_fewer_than_four_steps(tmp_path, steps):
    # PNDM from the DDPM config kept its Runge-Kutta warm-up, which needs 4+ steps (numpy broadcast error below that)
    session = GenerationSession("tiny", torch.device("cpu"))
    result = session.generate(None, parse_generation_config({**GEN_CONFIG, "scheduler": "pndm", "steps": steps, "seeds": [1]}),
                              str(tmp_path / "out"))
    assert len(result.images) == 1 and Path(result.images[0]).stat().st_size > 0


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


def test_a_converted_copy_for_another_base_names_the_users_file_and_blames_no_toonlora_bug(tmp_path):
    original = tmp_path / "downloaded.safetensors"
    write_wide_text_lora(tmp_path / "copy.safetensors", {"toonlora.copy_of": str(original)})
    session = GenerationSession("tiny", torch.device("cpu"))
    with pytest.raises(LoraFileError, match=r"made for a different base model") as raised:
        session.use_lora(str(tmp_path / "copy.safetensors"), 1.0)
    assert str(raised.value).startswith(f"{original}: ") and "toonlora bug" not in str(raised.value)


def test_shape_mismatch_reads_torch_errors_and_leaves_other_errors_alone():
    from toonlora_trainer.generate import _error_summary, shape_mismatch

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
    from toonlora_trainer.generate import NonFiniteImageError

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
    from toonlora_trainer.generate import non_finite_seeds

    images = torch.zeros(3, 4, 8, 8)
    assert non_finite_seeds(images, [5, 6, 7]) == []
    images[1, 0, 0, 0], images[2, 3, 7, 7] = float("inf"), float("nan")
    assert non_finite_seeds(images, [5, 6, 7]) == [6, 7]
    assert non_finite_seeds(torch.full((1, 4, 8, 8), 60000.0, dtype=torch.float16), [1]) == []  # large, finite: no false alarm
