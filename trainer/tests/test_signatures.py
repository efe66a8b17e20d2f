"""trainer/tests/test_signatures.py — no trainer function takes a long row of positional arguments: past six, the
call sites cannot be read or checked (which of ten tensors and settings is which), so the rest are keyword-only or
grouped in a small dataclass (step_batches.StepInputs)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import toonlora_trainer

MAX_POSITIONAL = 6


def _functions():
    for module_info in pkgutil.iter_modules(toonlora_trainer.__path__):
        module = importlib.import_module(f"toonlora_trainer.{module_info.name}")
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", value
            elif inspect.isclass(value) and value.__module__ == module.__name__:
                for method_name, method in vars(value).items():
                    # a dataclass's generated __init__ takes its fields, which its callers name
                    if inspect.isfunction(method) and not (method_name == "__init__" and dataclasses.is_dataclass(value)):
                        yield f"{module.__name__}.{name}.{method_name}", method


def test_no_function_takes_more_than_six_positional_arguments():
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    long = {}
    for name, function in _functions():
        positional = [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds and p.name != "self"]
        if len(positional) > MAX_POSITIONAL:
            long[name] = positional
    assert sorted(long) == []
