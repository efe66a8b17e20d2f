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
    text = out.read_text()
    assert "NaN" not in text  # strict JSON: a CPU has no GPU memory figures, written as null
    report = json.loads(text)
    rows = {row["variant"]: row for row in report["results"]}
    assert rows["toonlora (cached, grad ckpt)"]["peak_gib"] is None and rows["toonlora (cached, grad ckpt)"]["memory_ratio"] is None
    assert "nan" not in run.stdout and "n/a" in run.stdout
    assert report["device"] == "cpu" and report["resolution"] == 64
    assert rows["baseline (diffusers example: encode every step, no ckpt)"]["speed_ratio"] == 1.0
    for name in ("toonlora (cached, grad ckpt)", "toonlora (cached, grad ckpt on narrow blocks)", "toonlora (cached, no grad ckpt)"):
        assert rows[name]["it_per_s"] > 0 and rows[name]["speed_ratio"] > 0


def load_bench(path=BENCH):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
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


def usage_error(parse, argv, capsys) -> str:
    """argparse's exit 2 and its message for `argv` (before any model is built)."""
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        parse(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_train_speed_arguments_are_checked_up_front(capsys):
    bench = load_bench()
    args = bench.parse_args(["--batch-sizes", "1, 4", "--steps", "2", "--variants", "ckpt"])
    assert args.batch_sizes == [1, 4] and args.steps == 2 and args.variants == ["baseline", "ckpt"]
    for bad in ("0", "-1", "abc", "1,", "", "65"):
        assert "--batch-sizes: expected a comma-separated list of integers 1-64" in usage_error(bench.parse_args, ["--batch-sizes", bad], capsys)
    assert "--steps: expected a positive integer, got '0'" in usage_error(bench.parse_args, ["--steps", "0"], capsys)
    assert "unknown bogus" in usage_error(bench.parse_args, ["--variants", "bogus"], capsys)


def test_train_memory_arguments_are_checked_up_front(capsys):
    bench = load_bench(BENCH.parent / "train_memory.py")
    assert bench.parse_args(["--batch-sizes", "4", "--resolution", "768"]).resolution == 768
    assert "--batch-sizes" in usage_error(bench.parse_args, ["--batch-sizes", "abc"], capsys)
    for bad in ("100", "0", "32", "x", "4096"):
        assert "--resolution: expected a multiple of 8 from 64 to 2048" in usage_error(bench.parse_args, ["--resolution", bad], capsys)


def test_compile_preflight_runs_only_known_variants(capsys):
    bench = load_bench(BENCH.parent / "compile_preflight.py")
    assert bench.parse_args([]).variants == ["ckpt", "selective", "none"]
    assert bench.parse_args(["--variants", "none,selective"]).variants == ["none", "selective"]
    error = usage_error(bench.parse_args, ["--variants", "selctive"], capsys)
    assert "unknown variant 'selctive'" in error and "choose from ckpt, selective, none" in error
    assert "an empty item" in usage_error(bench.parse_args, ["--variants", "ckpt,"], capsys)
    assert "--latent" in usage_error(bench.parse_args, ["--latent", "0"], capsys)
