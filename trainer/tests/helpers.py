"""trainer/tests/helpers.py — shared test builders: a resolved training config (what the TypeScript
side sends) and its LoRA settings, a tiny kohya dataset of one distinctive pattern, and a worker runner."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from toonlora_trainer.config import LoraSettings, parse_lora_settings
from toonlora_trainer.config_schema import DEFAULT_TRAINING_CONFIG

TRAINER_DIR = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "protocol.jsonl"


# The tiny model's sizes over the exported defaults; sampling and checkpoints off unless a test asks for them.
TINY_TRAINING = {
    "baseModel": "tiny", "lora": {"rank": 4, "alpha": 4}, "resolution": 64, "steps": 8, "learningRate": 1e-3,
    "sampleEverySteps": 0, "checkpointEverySteps": 0,
}


def training_config(**overrides) -> dict:
    """A fully resolved TrainingConfig as src/schemas/config.ts emits it: its defaults (config_schema.json), sized
    for the tiny model (TINY_TRAINING), then `overrides` (camelCase; `lora` merges into the LoRA settings)."""
    config = copy.deepcopy(DEFAULT_TRAINING_CONFIG)
    for changes in (TINY_TRAINING, overrides):
        for key, value in changes.items():
            config[key] = {**config["lora"], **value} if key == "lora" else value
    return config


def lora_settings(**changes) -> LoraSettings:
    """training_config()'s LoRA settings as the worker parses them (rank 4, alpha = rank), with `changes` (LoraSettings
    fields; alpha follows a changed rank unless given, as src/schemas/config.ts effectiveLoraAlpha)."""
    if "rank" in changes:
        changes.setdefault("alpha", float(changes["rank"]))
    return dataclasses.replace(parse_lora_settings(training_config()["lora"], "lora"), **changes)


def pattern_image(size: int = 64, phase: int = 0) -> Image.Image:
    """A bold red/yellow diagonal stripe pattern on dark blue: easy to tell from noise."""
    y, x = np.mgrid[0:size, 0:size]
    stripes = ((x + y + phase) // 8) % 2 == 0
    rgb = np.zeros((size, size, 3), dtype=np.uint8)
    rgb[...] = (20, 30, 120)
    rgb[stripes] = (230, 40, 30)
    rgb[(x // 16 + y // 16) % 4 == 0] = (250, 220, 40)
    return Image.fromarray(rgb)


def make_pattern_dataset(root: Path, images: int = 3, repeats: int = 5) -> Path:
    """`root/<repeats>_sks pattern/` with a few copies of the pattern and captions."""
    folder = root / f"{repeats}_sks pattern"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(images):
        pattern_image(phase=i).save(folder / f"img{i}.png")
        (folder / f"img{i}.txt").write_text("sks, striped pattern, red and yellow", encoding="utf-8")
    return root


def run_worker(command: str, request: dict, timeout: float = 300, extra_lines: list[dict] | None = None) -> tuple[int, list[dict], str]:
    """Runs `python -m toonlora_trainer <command>` with the request on stdin; returns (code, events, stderr)."""
    lines = [json.dumps(request)] + [json.dumps(x) for x in (extra_lines or [])]
    proc = subprocess.run(
        [sys.executable, "-m", "toonlora_trainer", command], input="\n".join(lines) + "\n", capture_output=True,
        text=True, cwd=TRAINER_DIR, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, events, proc.stderr
