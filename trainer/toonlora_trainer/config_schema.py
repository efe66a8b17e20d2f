"""toonlora_trainer/config_schema.py — reads config_schema.json (the JSON Schema of every config this worker parses,
with defaults and registry facts, exported from src/schemas/config.ts by scripts/export-config-schema.ts) and checks
request fields against it (Fields).

The enums, bounds and defaults live in the TypeScript schemas only; config.py, models.py and blip.py read them
from here. The worker runs from trainer/ (PYTHONPATH), so the file is read beside this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_EXPORT: dict[str, Any] = json.loads(Path(__file__).with_name("config_schema.json").read_text(encoding="utf-8"))

# JSON Schemas (draft 2020-12, zod's z.toJSONSchema): each field's type, minimum / exclusiveMinimum / maximum,
# multipleOf, enum, minLength / maxLength, minItems / maxItems and `items`; nullable fields are anyOf [..., null].
TRAINING_CONFIG: dict[str, Any] = _EXPORT["trainingConfig"]
LORA_SETTINGS: dict[str, Any] = TRAINING_CONFIG["properties"]["lora"]
GENERATION_CONFIG: dict[str, Any] = _EXPORT["generationConfig"]
BLIP_REQUEST: dict[str, Any] = _EXPORT["blipRequest"]
# The model configs the weightless commands (lora-count, estimate-memory) build from.
ARCHITECTURES: tuple[str, ...] = tuple(_EXPORT["architectures"])

# Fully resolved defaults as the TypeScript side sends them (camelCase JSON): for tests and benchmarks.
DEFAULT_TRAINING_CONFIG: dict[str, Any] = _EXPORT["defaults"]["trainingConfig"]
DEFAULT_GENERATION_CONFIG: dict[str, Any] = _EXPORT["defaults"]["generationConfig"]

# src/models/registry.ts: the default base (Hugging Face id and toonlora's registry id) and the BLIP captioner.
REGISTRY: dict[str, str] = _EXPORT["registry"]

# src/schemas/config.ts TRAINING_SAMPLE_STEPS / TRAINING_SAMPLE_GUIDANCE_SCALE: how a run renders its sample images
# (`steps`, `guidanceScale`; not settings). config.py names them.
TRAINING_SAMPLES: dict[str, Any] = _EXPORT["defaults"]["trainingSamples"]

# What `toonlora prep` writes that data.py reads: `imageExtensions` (src/prep/inputs.ts IMAGE_EXTENSIONS, lower case
# with the dot) and `stagingDir` (src/prep/output-swap.ts STAGING_DIR, the folder a killed prep run leaves behind).
PREP_LAYOUT: dict[str, Any] = _EXPORT["prep"]


def enum_values(schema: dict[str, Any], name: str) -> tuple[str, ...]:
    """The allowed values of field `name` (a list field: of its items), e.g. enum_values(TRAINING_CONFIG, "lrScheduler")."""
    field = schema["properties"][name]
    return tuple(field.get("items", field)["enum"])


class ConfigError(ValueError):
    """A request field is missing, unknown, of the wrong type or contradicts another field."""


def _non_null(spec: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the field's schema without its null alternative, whether null is allowed): zod writes `.nullable()` as anyOf."""
    variants = spec.get("anyOf")
    if variants is None:
        return spec, False
    return next(v for v in variants if v.get("type") != "null"), any(v.get("type") == "null" for v in variants)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_text(spec: dict[str, Any]) -> str:
    """`1-256`, `above 0 and at most 1`, `at least 0`: the bounds of a number schema as an error message says them."""
    low = spec.get("minimum", spec.get("exclusiveMinimum"))
    high = spec.get("maximum")
    if "exclusiveMinimum" in spec:
        return f"above {low}" + (f" and at most {high}" if high is not None else "")
    if low is not None and high is not None:
        return f"{low}-{high}"
    return f"at least {low}" if low is not None else f"at most {high}" if high is not None else ""


def _in_range(value: float, spec: dict[str, Any]) -> bool:
    return (
        ("minimum" not in spec or value >= spec["minimum"])
        and ("exclusiveMinimum" not in spec or value > spec["exclusiveMinimum"])
        and ("maximum" not in spec or value <= spec["maximum"])
        and ("multipleOf" not in spec or value % spec["multipleOf"] == 0)
    )


def _number_text(kind: str, spec: dict[str, Any]) -> str:
    """`an integer 64-2048, a multiple of 8`."""
    text = " ".join(part for part in (kind, _range_text(spec)) if part)
    return text + (f", a multiple of {spec['multipleOf']}" if "multipleOf" in spec else "")


def _count_text(spec: dict[str, Any]) -> str:
    """`1-16 `, `at least 1 `: how many items a list schema allows, as a prefix of what they are."""
    low, high = spec.get("minItems"), spec.get("maxItems")
    if low is not None and high is not None:
        return f"{low}-{high} "
    return f"at least {low} " if low is not None else f"at most {high} " if high is not None else ""


class Fields:
    """Reads fields of one JSON object strictly against its JSON Schema (config_schema.json); every error names
    `<where>.<field>`, what the schema expects and the value that arrived. A request without a schema (its fields are
    paths and ids) checks types only."""

    def __init__(self, obj: Any, where: str, schema: dict[str, Any] | None = None) -> None:
        if not isinstance(obj, dict):
            raise ConfigError(f"{where}: expected an object, got {type(obj).__name__}")
        self.obj, self.where, self.used = obj, where, set()
        self.fields: dict[str, Any] = schema["properties"] if schema else {}

    def _get(self, name: str) -> Any:
        if name not in self.obj:
            raise ConfigError(f"{self.where}.{name}: missing (the TypeScript side must send every field)")
        self.used.add(name)
        return self.obj[name]

    def _spec(self, name: str) -> tuple[dict[str, Any], bool]:
        return _non_null(self.fields.get(name, {}))

    def _fail(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.where}.{name}: expected {expected}, got {value!r}")

    def string(self, name: str, choices: tuple[str, ...] | None = None, optional: bool = False) -> Any:
        """A string; `choices` for a field the schema does not list (else its enum), `optional`: None when absent."""
        if optional and self.obj.get(name) is None:
            self.used.add(name)
            return None
        spec, _ = self._spec(name)
        choices = choices or (tuple(spec["enum"]) if "enum" in spec else None)
        value = self._get(name)
        if choices is not None:
            if value not in choices:
                raise self._fail(name, f"one of {choices}", value)
            return value
        low, high = spec.get("minLength", 0), spec.get("maxLength")
        if not isinstance(value, str) or len(value) < low or (high is not None and len(value) > high):
            length = f"{low}-{high}" if high is not None else f"at least {low}"
            raise self._fail(name, f"a string of {length} characters" if low or high is not None else "a string", value)
        return value

    def integer(self, name: str) -> int | None:
        spec, nullable = self._spec(name)
        value = self._get(name)
        if nullable and value is None:
            return None
        if not _is_number(value) or not isinstance(value, int) or not _in_range(value, spec):
            raise self._fail(name, _number_text("an integer", spec), value)
        return value

    def number(self, name: str) -> float:
        spec, _ = self._spec(name)
        value = self._get(name)
        if not _is_number(value) or not _in_range(value, spec):
            raise self._fail(name, _number_text("a number", spec), value)
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        spec, _ = self._spec(name)
        choices = tuple(spec["items"]["enum"]) if "enum" in spec.get("items", {}) else None
        value = self._get(name)
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) and (choices is None or v in choices) for v in value)
            or not spec.get("minItems", 0) <= len(value) <= spec.get("maxItems", len(value))
        ):
            raise self._fail(name, f"a list of {_count_text(spec)}{f'of {choices}' if choices else 'strings'}", value)
        return tuple(value)

    def integers(self, name: str) -> tuple[int, ...]:
        spec, _ = self._spec(name)
        items = spec.get("items", {})
        value = self._get(name)
        if (
            not isinstance(value, list)
            or not all(_is_number(v) and isinstance(v, int) and _in_range(v, items) for v in value)
            or not spec.get("minItems", 0) <= len(value) <= spec.get("maxItems", len(value))
        ):
            raise self._fail(name, f"a list of {_count_text(spec)}{_number_text('integers', items)}", value)
        return tuple(value)

    def raw(self, name: str) -> Any:
        return self._get(name)

    def done(self) -> None:
        unknown = sorted(set(self.obj) - self.used)
        if unknown:
            raise ConfigError(f"{self.where}: unknown field(s) {unknown}; trainer/ and the CLI disagree on the protocol")
