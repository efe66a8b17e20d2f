"""A setting in a message is written as a config file or the command line writes it, and its fix names the flag."""

import re
from pathlib import Path

from toonlora_trainer.setting_hints import SWITCHES, VALUE_FLAGS, setting_fix, user_value

LOAD_CONFIG_TS = Path(__file__).resolve().parents[2] / "src" / "config" / "load-config.ts"


def test_values_are_written_as_a_config_file_has_them_not_as_python_literals():
    assert [user_value(v) for v in (True, False, 32.0, 32, 0.0001, 5e-05, "lokr", ["to_k", "to_q"])] == [
        "true", "false", "32", "32", "0.0001", "5e-05", '"lokr"', '["to_k", "to_q"]']


def test_a_fix_names_the_flag_given_added_or_dropped_and_the_config_key():
    assert setting_fix("lora.rank", 32) == "use --rank 32 (in a config file: training.lora.rank = 32)"
    assert setting_fix("lora.alpha", 16.0) == "use --alpha 16 (in a config file: training.lora.alpha = 16)"
    assert setting_fix("aspectRatioBuckets", True) == "drop --no-buckets (in a config file: training.aspectRatioBuckets = true)"
    assert setting_fix("aspectRatioBuckets", False) == "add --no-buckets (in a config file: training.aspectRatioBuckets = false)"
    assert setting_fix("lora.dora", True) == "add --dora (in a config file: training.lora.dora = true)"
    assert setting_fix("lora.algorithm", "lokr") == 'add --lokr (in a config file: training.lora.algorithm = "lokr")'
    assert setting_fix("learningRate", 0.0001) == "use --lr 0.0001 (in a config file: training.learningRate = 0.0001)"
    assert setting_fix("lrScheduler", "cosine") == 'training.lrScheduler = "cosine" in the --config file (no flag sets it)'


def test_the_flags_are_the_ones_the_typescript_config_errors_name():
    """src/config/load-config.ts FLAG_FOR_FIELD is the flag table of the TypeScript side: the same flag per field."""
    table = LOAD_CONFIG_TS.read_text(encoding="utf-8").split("const FLAG_FOR_FIELD", 1)[1].split("};", 1)[0]
    typescript = {field: flag for field, flag in re.findall(r"'training\.([\w.]+)': '(--[\w-]+)'", table)}
    python = VALUE_FLAGS | {field: switch for field, (switch, _) in SWITCHES.items()}
    assert typescript and python == typescript
