"""bench/train_speed.py runs (CPU: the tiny config) and reports every variant against its baseline, so the
script a lent GPU session runs has not drifted from the trainer's config and step."""

import json
import subprocess
import sys

from helpers import TRAINER_DIR

BENCH = TRAINER_DIR.parent / "bench" / "train_speed.py"


def test_train_speed_bench_reports_each_variant_against_the_baseline(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(BENCH), "--steps", "1", "--batch-sizes", "1", "--json", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "TINY config" in run.stdout  # a CPU says its figures are not GPU figures
    report = json.loads(out.read_text())
    rows = {row["variant"]: row for row in report["results"]}
    assert report["device"] == "cpu" and report["resolution"] == 64
    assert rows["baseline (diffusers example: encode every step, no ckpt)"]["speed_ratio"] == 1.0
    for name in ("toonlora (cached, grad ckpt)", "toonlora (cached, no grad ckpt)"):
        assert rows[name]["it_per_s"] > 0 and rows[name]["speed_ratio"] > 0
