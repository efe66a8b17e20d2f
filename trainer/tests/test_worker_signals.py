"""Signals and bad inputs at the worker boundary: SIGTERM ends a `generate` worker at once (only `train`
checkpoints and stops between steps), and a --lora file that is not a LoRA is bad input naming the file."""

import json
import signal
import subprocess
import sys
import time

from helpers import TRAINER_DIR, pattern_image, run_worker

GEN_CONFIG = {
    "baseModel": "tiny", "prompt": "sks", "negativePrompt": "", "loraWeight": 1.0, "steps": 500,
    "guidanceScale": 5, "width": 64, "height": 64, "clipSkip": 2, "vaeFp32": True, "scheduler": "euler", "seeds": [1, 2, 3, 4],
}


def test_sigterm_ends_a_generate_worker_promptly(tmp_path):
    request = {"version": 1, "command": "generate", "id": None, "lora": None, "output_dir": str(tmp_path / "out"), "config": GEN_CONFIG}
    proc = subprocess.Popen([sys.executable, "-m", "toonlora_trainer", "generate"], cwd=TRAINER_DIR, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.close()
    first = json.loads(proc.stdout.readline())  # the log line after the base loaded: rendering starts now
    assert first["type"] == "log" and "rendering 4 image(s)" in first["message"]
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        code = proc.wait(timeout=10)  # 500 steps x 4 seeds would run far longer than this
    finally:
        proc.kill()
    assert time.monotonic() - sent < 10
    assert code == 128 + signal.SIGTERM
    stderr = proc.stderr.read()
    assert "generate stopped before finishing" in stderr and "checkpointing" not in stderr
    assert not any(json.loads(line)["type"] == "done" for line in proc.stdout.read().splitlines() if line.strip())


def test_a_png_given_as_lora_is_bad_input_naming_the_file(tmp_path):
    fake = tmp_path / "not-a-lora.safetensors"
    pattern_image().save(tmp_path / "img.png")
    fake.write_bytes((tmp_path / "img.png").read_bytes())
    request = {"version": 1, "command": "generate", "id": None, "lora": str(fake), "output_dir": str(tmp_path / "out"),
               "config": {**GEN_CONFIG, "steps": 2, "seeds": [1]}}
    code, events, stderr = run_worker("generate", request, timeout=120)
    assert code == 1, stderr
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "lora_format", events[-1]
    assert str(fake) in events[-1]["message"] and "not a LoRA file" in events[-1]["message"]
