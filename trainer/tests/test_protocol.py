"""The golden protocol file parses here exactly as it does in src/worker/protocol.test.ts; requests
are strict (missing / unknown / out-of-range fields name the field); the worker's stdout is pure protocol."""

import importlib.util
import json
import math

import pytest
from helpers import GOLDEN, TRAINER_DIR, run_worker, training_config

from toonlora_trainer.config import (
    parse_blip_request, parse_cancel_request, parse_estimate_memory_request, parse_generate_request,
    parse_lora_count_request, parse_scan_dataset_request, parse_serve_request, parse_train_request, parse_unload_lora_request,
)
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.protocol import COMMANDS, Done, Log, ProtocolError, event_to_json, parse_event_line, parse_request_line

REQUEST_PARSERS = {
    "train": parse_train_request, "generate": parse_generate_request, "serve-generation": parse_serve_request,
    "blip-caption": parse_blip_request, "lora-count": parse_lora_count_request, "estimate-memory": parse_estimate_memory_request,
    "cancel": parse_cancel_request, "scan-dataset": parse_scan_dataset_request, "unload_lora": parse_unload_lora_request,
}


def golden_cases():
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert "generated_by" in json.loads(lines[0])
    return [json.loads(line) for line in lines[1:]]


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: f"{c['channel']}-{c['note']}")
def test_golden_line(case):
    def parse():
        if case["channel"] == "event":
            return parse_event_line(case["line"])
        obj = parse_request_line(case["line"], case["command"])
        return REQUEST_PARSERS[case["command"]](obj)

    if case["valid"]:
        parse()
    else:
        with pytest.raises((ProtocolError, ConfigError)):
            parse()


def test_golden_covers_every_event_type():
    types = {json.loads(c["line"])["type"] for c in golden_cases() if c["channel"] == "event" and c["valid"]}
    assert types == {"progress", "sample", "checkpoint", "log", "caption", "ready", "cancelled", "done", "error"}


def test_golden_has_each_commands_done():
    # the TypeScript side parses each with its command's schema (src/worker/protocol-done.ts doneSchemaByCommand)
    done_lines = [c for c in golden_cases() if c["channel"] == "event" and c["command"] is not None]
    assert {c["command"] for c in done_lines} == set(COMMANDS)
    assert all(json.loads(c["line"])["type"] == "done" for c in done_lines)


def test_golden_file_is_what_the_script_writes_now():
    # A key renamed in the code that writes a `done` changes the script's output: regenerate the file, and the
    # TypeScript golden test then checks the new key against its schema.
    spec = importlib.util.spec_from_file_location("make_protocol_golden", TRAINER_DIR / "scripts" / "make_protocol_golden.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.golden_text() == GOLDEN.read_text(encoding="utf-8"), \
        "trainer/tests/golden/protocol.jsonl is stale: run trainer/.venv/bin/python trainer/scripts/make_protocol_golden.py"


def test_a_non_finite_stat_is_null_on_the_wire():
    # json.dumps would write a bare NaN inside `stats`, which no JSON reader (the driver's JSON.parse) takes
    line = event_to_json(Done(artifacts={"images": []}, stats={"seconds": math.nan, "loss": math.inf, "steps": 3}))
    assert json.loads(line)["stats"] == {"seconds": None, "loss": None, "steps": 3}
    assert "NaN" not in line and "Infinity" not in line


def test_a_log_carries_its_request_id_only_under_serve_generation():
    # The line the TS side (src/worker/protocol-events.ts logEventSchema) must accept, with and without `id`.
    tagged = event_to_json(Log("warn", "the prompt is 90 tokens long", id="g1"))
    assert json.loads(tagged) == {"version": 1, "level": "warn", "message": "the prompt is 90 tokens long", "id": "g1", "type": "log"}
    assert parse_event_line(tagged) == Log("warn", "the prompt is 90 tokens long", id="g1")
    assert "id" not in json.loads(event_to_json(Log("info", "LoRA: 128 modules")))


def test_config_errors_name_the_field_and_value():
    request = {"version": 1, "command": "train", "dataset_dir": "/d", "run_dir": "/r", "resume": False,
               "config": training_config(lora={"rank": 0})}
    with pytest.raises(ConfigError, match=r"config\.lora\.rank: expected an integer 1-256, got 0"):
        parse_train_request(request)
    request["config"] = training_config(lrWarmupSteps=8, steps=8)
    with pytest.raises(ConfigError, match=r"lrWarmupSteps"):
        parse_train_request(request)
    request["config"] = {**training_config(), "surprise": 1}
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['surprise'\]"):
        parse_train_request(request)


def test_worker_reports_bad_request_as_error_event_on_clean_stdout():
    code, events, _ = run_worker("train", {"version": 1, "command": "train", "dataset_dir": "/nope", "run_dir": "/tmp/x",
                                           "resume": False, "config": training_config(snrGamma=-1)})
    assert code == 1
    assert events == [{"version": 1, "type": "error", "kind": "config",
                       "message": "config.snrGamma: expected a number 0-100, got -1"}]


def test_worker_rejects_unknown_command_with_usage():
    code, events, stderr = run_worker("lora-count", {"version": 1, "command": "train"})
    assert code == 1 and events[0]["kind"] == "protocol" and "command" in events[0]["message"]


def test_lora_count_command_prints_real_sd15_figure():
    code, events, _ = run_worker("lora-count", {"version": 1, "command": "lora-count", "unet": "sd15",
                                                "lora": {"rank": 32, "alpha": 32, "targetModules": ["to_q", "to_k", "to_v", "to_out.0"], "dora": False, "algorithm": "lora", "lokrFactor": -1}})
    assert code == 0
    assert events[-1]["stats"]["modules"] == 128 and events[-1]["stats"]["trainable_params"] == 6_377_472
