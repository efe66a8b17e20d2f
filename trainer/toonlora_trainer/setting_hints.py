"""toonlora_trainer/setting_hints.py — a training setting as the user writes it, for messages that name a fix.

A value is shown as a config file or the command line has it (`true`, `32`, `"lokr"`), never as a Python literal
(`True`, `32.0`, `'lokr'`: not valid TOML), and a fix names the `toonlora train` flag that sets the field as well as
its config key. VALUE_FLAGS and SWITCHES hold the `training.*` entries of src/config/load-config.ts FLAG_FOR_FIELD
(tests/test_setting_hints.py keeps them the same).
"""

from __future__ import annotations

import json
import math
from typing import Any

# Config field (under [training]) -> the flag that sets it to any value: `--rank 32`.
VALUE_FLAGS = {
    "lora.rank": "--rank", "lora.alpha": "--alpha", "lora.lokrFactor": "--lokr-factor", "learningRate": "--lr",
    "textEncoderLearningRate": "--te-lr", "steps": "--steps", "epochs": "--epochs", "keepCheckpoints": "--keep-checkpoints",
    "baseModel": "--base",
}
# Config field -> (the switch, the value the switch sets): `--no-buckets` sets aspectRatioBuckets to false.
SWITCHES: dict[str, tuple[str, Any]] = {
    "aspectRatioBuckets": ("--no-buckets", False), "lora.dora": ("--dora", True), "lora.algorithm": ("--lokr", "lokr"),
    "trainTextEncoder": ("--train-text-encoder", True), "compile": ("--compile", True),
}


def user_value(value: Any) -> str:
    """`value` as a TOML / JSON config file writes it: true / false, a whole float without `.0`, strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def setting_fix(key: str, value: Any) -> str:
    """How to set training field `key` back to `value`: the flag (given, added or dropped) and the config key."""
    config = f"training.{key} = {user_value(value)}"
    if key in VALUE_FLAGS:
        return f"use {VALUE_FLAGS[key]} {user_value(value)} (in a config file: {config})"
    if key in SWITCHES:
        switch, switched = SWITCHES[key]
        return f"{'add' if value == switched else 'drop'} {switch} (in a config file: {config})"
    return f"{config} in the --config file (no flag sets it)"
