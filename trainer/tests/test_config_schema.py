"""The worker checks each request field as config_schema.json (the export of src/schemas/config.ts) states it: every
enum, bound, multiple, length and list size, at and past its edge. Defaults live only on the TypeScript side."""

import dataclasses
import inspect
import json
from pathlib import Path

import pytest
from helpers import training_config

from toonlora_trainer import base_files, blip, config_schema, lora_adapters
from toonlora_trainer.config import (
    LoraSettings, parse_blip_request, parse_generation_config, parse_lora_settings, parse_training_config,
)
from toonlora_trainer.config_schema import (
    BLIP_REQUEST, DEFAULT_GENERATION_CONFIG, DEFAULT_TRAINING_CONFIG, GENERATION_CONFIG, LORA_SETTINGS, REGISTRY,
    TRAINING_CONFIG, ConfigError,
)

BLIP_REQUEST_OK = {"version": 1, "command": "blip-caption", "model": "m", "paths": ["/a.png"], "max_length": 50,
                   "num_beams": 3, "batch_size": 8}

# Each parser with a valid object and the schema it reads. The training config gives its length in epochs, so a
# step field at its bound meets no warmup rule (that one is checked by test_protocol's contradictions).
PARSERS = {
    "training": (lambda obj: parse_training_config(obj), training_config(steps=None, epochs=1), TRAINING_CONFIG),
    "lora": (lambda obj: parse_lora_settings(obj, "config.lora"), training_config()["lora"], LORA_SETTINGS),
    "generation": (lambda obj: parse_generation_config(obj), DEFAULT_GENERATION_CONFIG, GENERATION_CONFIG),
    "blip": (parse_blip_request, BLIP_REQUEST_OK, BLIP_REQUEST),
}


def non_null(spec: dict) -> dict:
    return next((v for v in spec.get("anyOf", []) if v.get("type") != "null"), spec)


def edge_cases(spec: dict) -> list[tuple[object, bool]]:
    """(value, accepted) at and just past each constraint of one field's schema."""
    spec, cases = non_null(spec), []
    kind = spec.get("type")
    step = 1 if kind == "integer" else 1e-6
    if kind in ("integer", "number"):
        if "minimum" in spec:
            cases += [(spec["minimum"], True), (spec["minimum"] - step, False)]
        if "exclusiveMinimum" in spec:
            cases += [(spec["exclusiveMinimum"], False), (spec["exclusiveMinimum"] + step, True)]
        if "maximum" in spec:
            cases += [(spec["maximum"], True), (spec["maximum"] + step, False)]
        if "multipleOf" in spec:
            cases += [(spec["minimum"] + 1, False)]
        if kind == "integer":
            cases += [(1.5, False), (True, False)]
    elif kind == "string" and "enum" in spec:
        cases += [(value, True) for value in spec["enum"]] + [("not-" + spec["enum"][0], False)]
    elif kind == "string":
        if "maxLength" in spec:
            cases += [("x" * spec["maxLength"], True), ("x" * (spec["maxLength"] + 1), False)]
        if spec.get("minLength"):
            cases += [("x" * (spec["minLength"] - 1), False)]
        cases += [(3, False)]
    elif kind == "array":
        items = spec["items"]
        item = items["enum"][0] if "enum" in items else items.get("minimum", "x")
        if "maxItems" in spec:
            cases += [([item] * spec["maxItems"], True), ([item] * (spec["maxItems"] + 1), False)]
        if spec.get("minItems"):
            cases += [([], False)]
        if "enum" in items:
            cases += [([value], True) for value in items["enum"]] + [(["not-" + items["enum"][0]], False)]
        if "maximum" in items:
            cases += [([items["maximum"] + 1], False)]
    return cases


def field_cases():
    for parser_name, (_, _, schema) in PARSERS.items():
        for field, spec in schema["properties"].items():
            if field in ("version", "command", "lora"):  # checked by the protocol / by its own parser
                continue
            for value, accepted in edge_cases(spec):
                yield pytest.param(parser_name, field, value, accepted, id=f"{parser_name}.{field}={str(value)[:24]}")


@pytest.mark.parametrize(("parser_name", "field", "value", "accepted"), list(field_cases()))
def test_a_field_is_checked_as_the_exported_schema_states_it(parser_name, field, value, accepted):
    parse, valid, _ = PARSERS[parser_name]
    if parser_name == "training" and field == "steps":
        valid = training_config()  # the length in steps, not epochs: one of the two is null
    if parser_name == "training" and field == "lrSchedulerNumCycles":
        valid = training_config(steps=None, epochs=1, lrScheduler="cosine_with_restarts")  # the one schedule with cycles
    obj = {**json.loads(json.dumps(valid)), field: value}
    if accepted:
        parse(obj)
    else:
        with pytest.raises(ConfigError, match=rf"\.{field}: expected "):
            parse(obj)


def test_every_edge_case_family_is_covered():
    # The walk above finds the cases in the schema: it must keep reaching the fields the review found unchecked.
    ids = {(p.values[0], p.values[1]) for p in field_cases()}
    for case in [("training", "sampleEverySteps"), ("training", "lrWarmupSteps"), ("training", "sampleSeeds"),
                 ("training", "lrScheduler"), ("training", "mixedPrecision"), ("lora", "targetModules"),
                 ("lora", "algorithm"), ("generation", "scheduler"), ("generation", "prompt"), ("blip", "max_length")]:
        assert case in ids


def test_the_export_carries_the_typescript_bounds_the_worker_once_retyped():
    fields = TRAINING_CONFIG["properties"]
    for name in ("lrWarmupSteps", "sampleEverySteps", "checkpointEverySteps"):
        assert (fields[name]["minimum"], fields[name]["maximum"]) == (0, 10_000_000)
    assert LORA_SETTINGS["properties"]["targetModules"]["items"]["enum"] == ["to_q", "to_k", "to_v", "to_out.0"]
    header = json.loads(Path(config_schema.__file__).with_name("config_schema.json").read_text(encoding="utf-8"))["generated_by"]
    assert header.startswith("scripts/export-config-schema.ts") and "do not edit" in header


def test_defaults_come_only_from_the_export():
    # LoraSettings and the LoRA helpers take every value from the parsed request: no second copy of a default.
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(LoraSettings))
    for helper in (lora_adapters.make_lora_config, lora_adapters.attach_lora, lora_adapters.attach_text_encoder_lora,
                   lora_adapters.count_lora_for_config, lora_adapters.count_text_encoder_lora_for_config):
        params = inspect.signature(helper).parameters
        assert params["lora"].kind is inspect.Parameter.KEYWORD_ONLY, helper.__name__
        assert all(p.default is inspect.Parameter.empty for p in params.values()), helper.__name__
    # the exported resolved default parses as it stands (what training_config() and the benchmark start from)
    assert parse_training_config(DEFAULT_TRAINING_CONFIG).lora.alpha == 32


def test_registry_facts_come_from_the_export():
    assert base_files.DEFAULT_BASE_MODEL == REGISTRY["defaultBaseModel"] == DEFAULT_TRAINING_CONFIG["baseModel"]
    assert base_files.REGISTRY_BASE_ID == REGISTRY["defaultBaseModelId"]
    assert blip.BLIP_BASE == REGISTRY["blipModel"] and blip.BLIP_BASE_ID == REGISTRY["blipModelId"]
