"""The fix an error names travels as data (error_fix.py, mirroring src/error-fix.ts): the raise sites set it, the
worker's `error` event carries it, and the protocol refuses a fix of an unknown kind or with a bad field, on this
side as in src/worker/protocol-events.ts (the golden file's `error fix …` lines)."""

import pytest
from helpers import make_pattern_dataset, run_worker, training_config

import dataclasses

from toonlora_trainer.config import check_warmup, parse_training_config
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.error_fix import FIX_FIELDS, choose_base, fix_problem, pull_model
from toonlora_trainer.base_files import BaseFileError, ModelMissingError
from toonlora_trainer.models import load_base_model
from toonlora_trainer.protocol import Error, ProtocolError, event_to_json, parse_event_line


def test_the_kinds_are_the_ones_the_driver_words():
    # src/error-fix.ts errorFixSchema; a kind added on one side only fails here or in the golden file's TS test
    assert set(FIX_FIELDS) == {"pull-model", "repull-model", "choose-base", "resume", "resume-or-new-run", "writable-output",
                              "shorter-warmup"}
    assert fix_problem(pull_model("someone/toon")) is None
    assert fix_problem({"kind": "choose-base", "why": "not-pulled", "pull": "anything-v5"}) is None
    assert fix_problem({"kind": "resume"}) is None
    assert fix_problem({"kind": "writable-output", "folder": "run"}) is None
    assert fix_problem({"kind": "writable-output", "folder": "dataset"}) is None
    assert fix_problem({"kind": "repull-model", "id": "nobody/half"}) is None
    assert fix_problem({"kind": "resume-or-new-run"}) is None


@pytest.mark.parametrize("fix, problem", [
    ({"kind": "reinstall"}, "kind: expected one of"),
    ({"kind": "pull-model"}, "pull-model.id: expected a non-empty string, got None"),
    ({"kind": "pull-model", "id": ""}, "pull-model.id"),
    ({"kind": "choose-base", "why": "because"}, "choose-base.why: expected one of"),
    ({"kind": "resume", "step": 4}, "resume: unknown field(s) ['step']"),
    ("pull it", "expected an object"),
])
def test_a_bad_fix_is_named(fix, problem):
    assert problem in (fix_problem(fix) or "")


def test_choose_base_refuses_a_reason_the_driver_cannot_word():
    with pytest.raises(ValueError, match=r"choose-base\.why"):
        choose_base("elsewhere")


def test_an_error_event_carries_its_fix_and_a_bad_one_is_a_protocol_error():
    line = event_to_json(Error("/b.safetensors: base checkpoint file not found.", "input_missing", fix=choose_base("file")))
    assert parse_event_line(line).fix == {"kind": "choose-base", "why": "file"}
    assert '"fix"' not in event_to_json(Error("x", "internal"))  # no fix: no key
    with pytest.raises(ProtocolError, match=r"^error\.fix: kind: expected one of"):
        parse_event_line('{"version":1,"type":"error","message":"x","kind":"model_missing","fix":{"kind":"reinstall"}}')


def test_the_raise_sites_set_the_fix_and_leave_its_words_to_the_driver(tmp_path):
    with pytest.raises(BaseFileError) as missing_file:
        load_base_model(str(tmp_path / "nowhere.safetensors"))
    assert str(missing_file.value) == f"{tmp_path / 'nowhere.safetensors'}: base checkpoint file not found."
    assert missing_file.value.fix == {"kind": "choose-base", "why": "file"}
    with pytest.raises(ModelMissingError) as no_folder:
        load_base_model("./no/such/base")
    assert str(no_folder.value).endswith(" No such folder.") and "--base" not in str(no_folder.value)
    assert no_folder.value.fix == {"kind": "choose-base", "why": "path"}


def test_the_worker_sends_the_fix_with_its_error_event(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    base = tmp_path / "gone.safetensors"
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(baseModel=str(base), steps=1)}
    code, events, stderr = run_worker("train", request)
    assert code == 1, stderr
    assert events[-1] == {"version": 1, "type": "error", "kind": "input_missing",
                          "message": f"{base}: base checkpoint file not found.", "fix": {"kind": "choose-base", "why": "file"}}


def test_a_warmup_longer_than_an_epoch_run_names_its_fix_as_data():
    # an epoch-based run learns its steps from the dataset, in the worker: the message named `--steps` (a flag the run
    # was not given, and none a web user has); now the fix is data each side words (--epochs / params.training.epochs)
    config = parse_training_config(training_config(steps=None, epochs=2, lrWarmupSteps=50))
    with pytest.raises(ConfigError) as caught:
        check_warmup(dataclasses.replace(config, steps=40))
    assert str(caught.value) == "config.lrWarmupSteps: 50 warmup steps leave none of the 40 training steps (2 epochs) at the full rate."
    assert caught.value.fix == {"kind": "shorter-warmup", "count": "epochs"}
    assert fix_problem(caught.value.fix) is None
    with pytest.raises(ConfigError) as caught:
        check_warmup(dataclasses.replace(config, epochs=None, steps=8, lr_warmup_steps=8))
    assert caught.value.fix == {"kind": "shorter-warmup", "count": "steps"}
