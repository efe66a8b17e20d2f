"""The chain learns (loss down, trigger images closer to the training images), resumes exactly, stops on
NaN keeping the last checkpoint, and checkpoints + exits cleanly on SIGTERM. CPU, tiny model."""

import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from helpers import TRAINER_DIR, lora_settings, make_pattern_dataset, training_config

from toonlora_trainer import train as train_module
from toonlora_trainer.checkpoint import load_adapter_weights
from toonlora_trainer.config import parse_train_request
from toonlora_trainer.image_tensors import load_image_tensor
from toonlora_trainer.lora_adapters import attach_lora
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import assemble_pipeline, render_latents
from toonlora_trainer.precision import choose_precision
from toonlora_trainer.prompt_encoding import encode_prompts
from toonlora_trainer.train import NonFiniteLossError, diffusion_loss, encode_latents, run_training

PROMPT = "sks, striped pattern, red and yellow"


def train(dataset, run_dir, config, resume=False, stop_after=None):
    events = []

    def emit(event):
        events.append(event)

    def should_stop():
        return stop_after is not None and any(e.type == "progress" and e.step >= stop_after for e in events)

    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": resume, "config": config}
    run_training(parse_train_request(request), emit, should_stop)
    return events


def tiny_with_adapter(rank, adapter_dir=None):
    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(rank=rank))
    if adapter_dir is not None:
        load_adapter_weights(base.unet, str(adapter_dir))
    return base


def fixed_eval_loss(base, latents, config_dict):
    """The training loss on fixed noise/timesteps (same for every model compared)."""
    config = parse_train_request({"version": 1, "command": "train", "dataset_dir": "", "run_dir": "", "resume": False, "config": config_dict}).config
    embeddings = encode_prompts(base, [PROMPT] * len(latents), 2, torch.device("cpu"))
    generator = torch.Generator().manual_seed(123)
    with torch.no_grad():
        losses = [diffusion_loss(base.unet, base, latents, embeddings, config=config, generator=generator,
                                 precision=choose_precision("no", torch.device("cpu"))) for _ in range(16)]
    return torch.stack(losses).mean().item()


def test_training_learns_the_pattern(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds")
    rank = 8
    # gradient checkpointing off: it only trades speed for memory, and this test must stay fast on 2 cores
    config = training_config(steps=80, learningRate=6e-3, lora={"rank": rank, "alpha": rank}, noiseOffset=0.0, gradientCheckpointing=False)
    events = train(dataset, tmp_path / "run", config)
    assert events[-1].type == "done" and os.path.exists(events[-1].artifacts["adapter"])

    images = sorted(dataset.glob("*/*.png"))
    before, after = tiny_with_adapter(rank), tiny_with_adapter(rank, tmp_path / "run")
    latents = encode_latents(before, torch.stack([load_image_tensor(str(p), 64) for p in images]))
    loss_before, loss_after = fixed_eval_loss(before, latents, config), fixed_eval_loss(after, latents, config)
    assert loss_after < 0.85 * loss_before, (loss_before, loss_after)

    def distance_to_training_images(base):
        generated = render_latents(assemble_pipeline(base), PROMPT, "", [1, 2, 3], steps=10, guidance=5.0, width=64, height=64, clip_skip=2)
        return torch.stack([((generated - target) ** 2).mean() for target in latents]).mean().item()

    far, near = distance_to_training_images(before), distance_to_training_images(after)
    assert near < 0.9 * far, (far, near)


def test_resume_reaches_the_same_loss_as_an_uninterrupted_run(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=2)
    config = training_config(steps=6, checkpointEverySteps=3)
    straight = [e for e in train(dataset, tmp_path / "a", config) if e.type == "progress"]

    stopped = train(dataset, tmp_path / "b", config, stop_after=3)
    assert stopped[-1].type == "cancelled" and stopped[-1].step == 3
    resumed = [e for e in train(dataset, tmp_path / "b", config, resume=True) if e.type == "progress"]
    assert [e.step for e in resumed] == [4, 5, 6]
    for a, b in zip(straight[3:], resumed):
        assert a.loss == pytest.approx(b.loss, rel=1e-5, abs=1e-6)
        assert a.lr == pytest.approx(b.lr)


def test_nan_loss_stops_with_last_good_checkpoint(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    calls = {"n": 0}
    real_loss = train_module.diffusion_loss

    def loss_then_nan(*args, **kwargs):
        calls["n"] += 1
        loss = real_loss(*args, **kwargs)
        return loss * float("nan") if calls["n"] == 3 else loss

    monkeypatch.setattr(train_module, "diffusion_loss", loss_then_nan)
    with pytest.raises(NonFiniteLossError, match=r"loss became nan at step 3.*step-000002"):
        train(dataset, tmp_path / "run", training_config(steps=5, checkpointEverySteps=2))
    assert os.path.exists(tmp_path / "run" / "checkpoints" / "step-000002" / "training_state.pt")
    assert not os.path.exists(tmp_path / "run" / "adapter_model.safetensors")


def test_sigterm_checkpoints_then_exits_cleanly(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(steps=100000)}
    proc = subprocess.Popen([sys.executable, "-m", "toonlora_trainer", "train"], cwd=TRAINER_DIR, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.close()
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["type"] == "progress" and events[-1]["step"] == 2:
            proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert events[-2]["type"] == "checkpoint" and events[-1]["type"] == "cancelled"
    assert events[-1]["checkpoint"] == events[-2]["path"] and os.path.isdir(events[-2]["path"])


def test_dora_trains_and_saves_magnitude_vectors(tmp_path):
    from safetensors.torch import load_file

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    events = train(dataset, tmp_path / "run", training_config(steps=2, lora={"dora": True}))
    assert events[-1].type == "done"
    keys = load_file(events[-1].artifacts["adapter"]).keys()
    magnitude = [k for k in keys if "lora_magnitude_vector" in k]
    assert len(magnitude) == 32 and all(k.startswith("base_model.model.") for k in keys)


def test_resume_past_the_requested_steps_names_the_fix(tmp_path):
    from toonlora_trainer.config_schema import ConfigError

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=3))
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": True,
               "config": training_config(steps=2)}
    with pytest.raises(ConfigError, match=r"at step 3, past the requested 2.*Raise --steps"):
        run_training(parse_train_request(request), events.append, lambda: False)
    # no warning about the changed schedule first: this resume goes nowhere
    assert not [e for e in events if e.type == "log" and e.level == "warn"]


def test_a_resume_that_cannot_work_says_so_before_loading_the_base(tmp_path):
    from toonlora_trainer.config_schema import ConfigError

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    absent_base = str(tmp_path / "not-downloaded-base")  # loading it would raise ModelMissingError
    with pytest.raises(FileNotFoundError, match=r"--resume given but no checkpoint folder"):
        train(dataset, tmp_path / "fresh", training_config(baseModel=absent_base), resume=True)
    train(dataset, tmp_path / "run", training_config(steps=2))
    with pytest.raises(ConfigError, match=r"lora\.rank was 4, now 8"):
        train(dataset, tmp_path / "run", training_config(steps=4, baseModel=absent_base, lora={"rank": 8}), resume=True)


def test_resume_with_other_lora_settings_names_each_field(tmp_path):
    from toonlora_trainer.config_schema import ConfigError

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2))
    # values as a config file or the command line writes them (4, not 4.0), each fix naming the flag and the config key;
    # alpha changed only with the rank (no --alpha given), so the rank is the whole fix
    with pytest.raises(ConfigError, match=r"lora\.rank was 4, now 8; lora\.alpha was 4, now 8; seed was 42, now 7") as caught:
        train(dataset, tmp_path / "run", training_config(steps=4, seed=7, lora={"rank": 8, "alpha": 8}), resume=True)
    assert "step-000002" in str(caught.value) and len(str(caught.value)) < 600  # not PyTorch's size-mismatch dump
    assert str(caught.value).endswith(
        ". To resume it: use --rank 4 (in a config file: training.lora.rank = 4); training.seed = 42 in the --config file "
        "(no flag sets it). Or start a new run folder without --resume.")
    with pytest.raises(ConfigError) as caught:
        train(dataset, tmp_path / "run", training_config(steps=4, lora={"rank": 4, "alpha": 2}), resume=True)
    assert "lora.alpha was 4, now 2. To resume it: use --alpha 4 (in a config file: training.lora.alpha = 4)." in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        train(dataset, tmp_path / "run", training_config(steps=4, aspectRatioBuckets=False), resume=True)
    assert ("aspectRatioBuckets was true, now false. To resume it: drop --no-buckets (in a config file: "
            "training.aspectRatioBuckets = true). Or start a new run folder without --resume.") in str(caught.value)
    assert "True" not in str(caught.value)
    # the restored optimizer and schedule carry the old rate: a new one would be silently ignored, so it is refused
    with pytest.raises(ConfigError, match=r"learningRate was 0\.001, now 0\.0005; lrWarmupSteps was 0, now 2"):
        train(dataset, tmp_path / "run", training_config(steps=4, learningRate=5e-4, lrWarmupSteps=2), resume=True)


def test_a_constant_schedule_with_warmup_warms_up():
    from toonlora_trainer import train as T
    from toonlora_trainer.config import parse_training_config

    for scheduler in ("constant", "cosine"):
        config = parse_training_config(training_config(lrScheduler=scheduler, lrWarmupSteps=4, steps=8, learningRate=1e-3))
        param = torch.nn.Parameter(torch.zeros(2))
        state = T._make_loop_state(config, [{"params": [param], "lr": config.learning_rate}], choose_precision("no", torch.device("cpu")))
        rates = []
        for _ in range(5):
            rates.append(state.optimizer.param_groups[0]["lr"])
            state.optimizer.step()
            state.lr_scheduler.step()
        assert rates[:4] == pytest.approx([0, 2.5e-4, 5e-4, 7.5e-4]), scheduler  # diffusers' "constant" alone stays at 1e-3
        assert rates[4] == pytest.approx(1e-3) if scheduler == "constant" else rates[4] <= 1e-3


def test_a_checkpoint_without_loss_scaling_resumes_into_a_run_with_it():
    from toonlora_trainer import train as T
    from toonlora_trainer.config import parse_training_config

    config = parse_training_config(training_config())
    param = torch.nn.Parameter(torch.zeros(2))
    state = T._make_loop_state(config, [{"params": [param], "lr": 1e-3}], choose_precision("no", torch.device("cpu")))
    saved = {**state.to_checkpoint(), "step": 3}
    assert saved["scaler"] == {}  # the scaler was off (CPU)
    state.scaler = torch.amp.GradScaler("cpu", enabled=True)  # as a GPU fp16 resume builds it
    state.restore(saved)  # GradScaler.load_state_dict({}) would raise "The source state dict is empty"
    assert state.step == 3 and state.scaler.is_enabled()


def test_a_checkpoint_from_before_a_setting_was_stored_resumes_with_that_settings_old_value(tmp_path):
    from toonlora_trainer import checkpoint as ckpt
    from toonlora_trainer.config_schema import ConfigError

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2))
    folder = ckpt.latest_checkpoint(str(tmp_path / "run"))
    state = torch.load(os.path.join(folder, ckpt.TRAINING_STATE), weights_only=False)
    for key in ("lora.algorithm", "lora.lokrFactor", "aspectRatioBuckets"):
        del state["settings"][key]  # as an older toonlora wrote it
    torch.save(state, os.path.join(folder, ckpt.TRAINING_STATE))
    with pytest.raises(ConfigError, match=r'lora\.algorithm was "lora", now "lokr"\. To resume it: drop --lokr '
                                          r'\(in a config file: training\.lora\.algorithm = "lora"\)'):
        train(dataset, tmp_path / "run", training_config(steps=4, lora={"algorithm": "lokr"}), resume=True)
    events = train(dataset, tmp_path / "run", training_config(steps=3, aspectRatioBuckets=False), resume=True)
    assert events[-1].type == "done" and [e.step for e in events if e.type == "progress"] == [3]


def test_resume_with_other_total_steps_warns_and_nan_names_the_resumed_checkpoint(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2))
    real_loss = train_module.diffusion_loss
    monkeypatch.setattr(train_module, "diffusion_loss", lambda *a, **k: real_loss(*a, **k) * float("nan"))
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": True,
               "config": training_config(steps=5, batchSize=2, noiseOffset=0.05)}
    with pytest.raises(NonFiniteLossError, match=r"Last good checkpoint: .*step-000002"):
        run_training(parse_train_request(request), events.append, lambda: False)
    warnings = [e.message for e in events if e.type == "log" and e.level == "warn"]
    assert any("resuming with 5 total steps; the checkpoint was trained towards 2" in w for w in warnings), warnings
    # batch size and noise offset may change on resume (e.g. to fit a GPU), with a warning naming both
    assert ("resuming with batchSize 2 (the checkpoint was trained with 1); noiseOffset 0.05 (the checkpoint was trained with 0.1): "
            "from here the run differs from an uninterrupted one") in warnings, warnings


def test_a_run_that_fails_on_a_missing_base_leaves_no_run_folder(tmp_path):
    from toonlora_trainer.base_files import ModelMissingError

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    with pytest.raises(ModelMissingError):
        train(dataset, tmp_path / "run", training_config(baseModel=str(tmp_path / "no-such-base")))
    assert not (tmp_path / "run").exists()


def test_cosine_schedule_warms_up_linearly_then_decays(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    config = training_config(steps=8, lrWarmupSteps=3, learningRate=1e-3, lrScheduler="cosine", gradientCheckpointing=False)
    lrs = [e.lr for e in train(dataset, tmp_path / "run", config) if e.type == "progress"]
    # The lr after step s (the scheduler has stepped s times), hand-computed from the schedule's definition
    # (warmup s/W, then 0.5 * (1 + cos(pi * (s - W) / (N - W)))):
    # s=1,2: 1e-3/3, 2e-3/3; s=3: 1e-3; s=4..8: 1e-3 * [0.9045, 0.6545, 0.3455, 0.0955, 0].
    expected = [1e-3 / 3, 2e-3 / 3, 1e-3, 0.904508e-3, 0.654508e-3, 0.345492e-3, 0.095492e-3, 0.0]
    assert lrs == pytest.approx(expected, abs=1e-8)
    assert lrs[1] - lrs[0] == pytest.approx(lrs[0])  # linear rise during warmup
    assert all(a > b for a, b in zip(lrs[2:], lrs[3:]))  # then strictly decreasing


def test_lora_learns_with_gradient_checkpointing_on(tmp_path, monkeypatch):
    """Gradient checkpointing (the default) must still give the LoRA gradients: B starts at zero and moves."""
    loaded = []
    real_load = train_module.load_base_model
    monkeypatch.setattr(train_module, "load_base_model", lambda name, *configs: loaded.append(real_load(name, *configs)) or loaded[-1])
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    events = train(dataset, tmp_path / "run", training_config(steps=3, gradientCheckpointing=True, noiseOffset=0.0))
    assert events[-1].type == "done"
    unet = loaded[0].unet
    assert unet.is_gradient_checkpointing
    b_weights = [p for name, p in unet.named_parameters() if "lora_B" in name]
    assert b_weights and all(p.abs().max() > 0 for p in b_weights)  # every B left its zero init
    saved = tiny_with_adapter(4, tmp_path / "run")
    assert any(p.abs().max() > 0 for name, p in saved.unet.named_parameters() if "lora_B" in name)


@pytest.mark.parametrize("cache_latents", [True, False])
def test_a_dataset_of_square_and_tall_images_trains_in_buckets_of_one_size_a_batch(tmp_path, cache_latents):
    from helpers import pattern_image

    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=2)  # 64x64: the 128x128 bucket at 128 px
    for i in range(2):
        pattern_image(size=240, phase=i).crop((0, 0, 80, 240)).save(dataset / "2_sks pattern" / f"tall{i}.png")  # 1:3
    config = training_config(resolution=128, batchSize=2, steps=4, cacheLatents=cache_latents)
    events = train(dataset, tmp_path / "run", config)
    plan = [e.message for e in events if e.type == "log" and e.message.startswith("aspect-ratio buckets")]
    assert plan == ["aspect-ratio buckets (images each): 128x128 (2), 64x192 (2); a batch holds one bucket"]
    losses = [e.loss for e in events if e.type == "progress"]
    assert len(losses) == 4 and all(loss == loss for loss in losses)
    assert events[-1].type == "done"
    assert not any(e.type == "log" and e.level == "warn" and "not square" in e.message for e in events)
    off = train(dataset, tmp_path / "run-off", training_config(resolution=128, batchSize=2, steps=1, aspectRatioBuckets=False))
    assert any(e.type == "log" and e.level == "warn" and e.message.startswith("2 of 4 images are not square") for e in off)
    # stopped after step 2 and resumed: the same bucketed batches, so the same losses as the straight run
    config = {**config, "checkpointEverySteps": 2}
    stopped = train(dataset, tmp_path / "resumed", config, stop_after=2)
    assert stopped[-1].type == "cancelled" and stopped[-1].step == 2
    resumed = [e.loss for e in train(dataset, tmp_path / "resumed", config, resume=True) if e.type == "progress"]
    assert resumed == pytest.approx(losses[2:], rel=1e-5, abs=1e-6)


def test_a_run_warns_about_long_captions_and_samples_every_concept_folder(tmp_path):
    from helpers import pattern_image

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=2)
    (dataset / "2_sks pattern" / "img0.txt").write_text("sks, " + ", ".join(f"tag{i}" for i in range(20)), encoding="utf-8")
    (dataset / "1_zzk boy").mkdir()
    pattern_image(phase=3).save(dataset / "1_zzk boy" / "b.png")
    events = train(dataset, tmp_path / "run", training_config(steps=1, sampleEverySteps=1, sampleSeeds=[42]))
    warnings = [e.message for e in events if e.type == "log" and e.level == "warn"]
    assert any(w.startswith("1 of 2 captions are longer than the 75 tokens CLIP reads (img0.txt 113 tokens)") for w in warnings), warnings
    (sample,) = [e for e in events if e.type == "sample"]
    assert [os.path.basename(p) for p in sample.paths] == ["step-000001-0-seed42.png", "step-000001-1-seed42.png"]
    plan = [e.message for e in events if e.type == "log" and e.message.startswith("samples every")]
    assert plan == ['samples every 1 steps: prompts "zzk boy", "sks pattern", seed 42']
