"""torch's intra-op threads on the CPU: one for a tiny UNet, torch's default for a real base, the user's count from
TOONLORA_CPU_THREADS or OMP_NUM_THREADS; nothing changes on a GPU. The worker applies it and logs the count it uses."""

import json
import os
import subprocess
import sys

import pytest
import torch

from helpers import TRAINER_DIR, make_pattern_dataset, training_config
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.cpu_threads import ENV_VAR, SMALL_UNET_PARAMS, apply_cpu_threads, choose_cpu_threads

TINY_UNET = 792_964  # the tiny base's UNet
SD15_UNET = 859_520_964


def test_a_tiny_unet_on_the_cpu_runs_on_one_thread():
    assert choose_cpu_threads("cpu", TINY_UNET, {}).threads == 1
    assert choose_cpu_threads("cpu", SMALL_UNET_PARAMS - 1, {}).threads == 1


def test_a_real_base_keeps_torchs_default():
    assert choose_cpu_threads("cpu", SD15_UNET, {}).threads is None
    assert choose_cpu_threads("cpu", SMALL_UNET_PARAMS, {}).threads is None


def test_a_gpu_run_changes_nothing():
    assert choose_cpu_threads("cuda", TINY_UNET, {ENV_VAR: "3"}).threads is None


def test_the_user_overrides_with_toonlora_cpu_threads_or_omp_num_threads():
    assert choose_cpu_threads("cpu", TINY_UNET, {ENV_VAR: "3"}).threads == 3
    assert choose_cpu_threads("cpu", SD15_UNET, {ENV_VAR: " 2 "}).threads == 2
    assert choose_cpu_threads("cpu", TINY_UNET, {ENV_VAR: "4", "OMP_NUM_THREADS": "1"}).threads == 4  # ours first
    omp = choose_cpu_threads("cpu", TINY_UNET, {"OMP_NUM_THREADS": "2"})
    assert omp.threads is None and "OMP_NUM_THREADS=2" in omp.reason  # torch read it at start: left as it is


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_toonlora_cpu_threads_is_a_config_error_naming_it(value):
    with pytest.raises(ConfigError, match=rf"{ENV_VAR}: expected a positive whole number.*{value!r}"):
        choose_cpu_threads("cpu", TINY_UNET, {ENV_VAR: value})


def test_apply_sets_torchs_threads_and_says_so():
    before = torch.get_num_threads()
    try:
        line = apply_cpu_threads(torch.device("cpu"), torch.nn.Linear(4, 4), {ENV_VAR: "3"})
        assert torch.get_num_threads() == 3 and line.startswith(f"CPU threads: 3 ({ENV_VAR}=3")
        assert apply_cpu_threads(torch.device("cuda"), torch.nn.Linear(4, 4), {ENV_VAR: "1"}) is None
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def _worker_logs(command: str, request: dict, env: dict[str, str]) -> list[str]:
    base_env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", ENV_VAR)}
    proc = subprocess.run([sys.executable, "-m", "toonlora_trainer", command], input=json.dumps(request) + "\n", capture_output=True,
                          text=True, cwd=TRAINER_DIR, timeout=300, env={**base_env, "PYTHONUNBUFFERED": "1", **env})
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [e["message"] for e in events if e["type"] == "log"]


@pytest.mark.parametrize(("env", "expected"), [({}, "CPU threads: 1 (a small UNet"), ({ENV_VAR: "3"}, f"CPU threads: 3 ({ENV_VAR}=3)")])
def test_a_tiny_training_worker_runs_on_the_threads_it_logs(tmp_path, env, expected):
    if torch.cuda.is_available():
        pytest.skip("a GPU run leaves the CPU threads alone")
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(steps=1)}
    logs = _worker_logs("train", request, env)
    assert any(line.startswith(expected) for line in logs), logs


def test_a_tiny_generate_worker_runs_on_one_thread(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU run leaves the CPU threads alone")
    config = {"baseModel": "tiny", "prompt": "sks", "negativePrompt": "", "loraWeight": 1.0, "steps": 1, "guidanceScale": 5,
              "width": 64, "height": 64, "clipSkip": 2, "vaeFp32": True, "scheduler": "euler", "seeds": [1]}
    request = {"version": 1, "command": "generate", "id": None, "lora": None, "output_dir": str(tmp_path / "out"), "config": config}
    logs = _worker_logs("generate", request, {})
    assert any(line.startswith("CPU threads: 1 (a small UNet") for line in logs), logs


GOLDEN_CASES = json.loads((TRAINER_DIR / "tests" / "golden" / "cpu_threads_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[case["note"] for case in GOLDEN_CASES])
def test_the_choice_answers_each_shared_case_as_the_typescript_side_does(case):
    """golden/cpu_threads_cases.json is read by src/worker/cpu-threads.test.ts too: `train --dry-run` says the count."""
    if case["error"]:
        with pytest.raises(ConfigError, match=ENV_VAR):
            choose_cpu_threads(case["device"], case["unet_params"], case["env"])
    else:
        assert choose_cpu_threads(case["device"], case["unet_params"], case["env"]).threads == case["threads"]
