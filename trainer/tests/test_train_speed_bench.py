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
    for name in ("toonlora (cached, grad ckpt)", "toonlora (cached, grad ckpt on narrow blocks)", "toonlora (cached, no grad ckpt)"):
        assert rows[name]["it_per_s"] > 0 and rows[name]["speed_ratio"] > 0


def load_bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_speed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_variants_start_with_the_baseline_and_put_compiled_ones_right_after_it():
    import pytest

    bench = load_bench()
    assert bench.chosen_variants(None, False) == ["baseline", "ckpt", "selective", "no-ckpt", "encode"]
    assert bench.chosen_variants(None, True) == ["baseline", "ckpt-compiled", "selective-compiled", "ckpt", "selective", "no-ckpt", "encode"]
    assert bench.chosen_variants("ckpt-compiled,baseline", True) == ["baseline", "ckpt-compiled"]
    with pytest.raises(SystemExit, match="unknown bogus"):
        bench.chosen_variants("ckpt,bogus", False)
