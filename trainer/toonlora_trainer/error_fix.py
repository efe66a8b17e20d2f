"""toonlora_trainer/error_fix.py — the fix an error names, as data (mirrors src/error-fix.ts errorFixSchema).

A message names no fix that the CLI and the web app word differently (a --base flag, the Base model field): the
error carries it as `fix`, the `error` event sends it, and each side of the TypeScript driver words it. A model to
pull is the exception in wording only: the message names `toonlora models pull <id>` (the server's machine runs it
too), `fix` lets the web app name its Models page as well.
"""

from __future__ import annotations

from typing import Any

# Where in a message its fix's words go (src/error-fix.ts FIX_SLOT): the TypeScript side puts each side's words there.
FIX_SLOT = "\u0000fix\u0000"

# kind -> {field: the values it takes (None: any non-empty string)}; `optional` fields may be left out.
FIX_FIELDS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "pull-model": {"id": None},
    "repull-model": {"id": None},
    "choose-base": {"why": ("path", "file", "not-pulled", "lora"), "pull": None},
    "resume": {},
    "resume-or-new-run": {},
    "writable-output": {"folder": ("run", "output", "dataset")},
    "shorter-warmup": {"count": ("steps", "epochs")},
}
_OPTIONAL = {("choose-base", "pull")}


def pull_model(model_id: str) -> dict[str, Any]:
    """The fix "download model `model_id`" (registry id or Hub id `owner/name`)."""
    return {"kind": "pull-model", "id": model_id}


def repull_model(model_id: str) -> dict[str, Any]:
    """The fix "delete the damaged or incomplete copy of model `model_id` and download it again"."""
    return {"kind": "repull-model", "id": model_id}


def resume() -> dict[str, Any]:
    """The fix "resume the run from its checkpoint": the message holds FIX_SLOT where its words go ("then <fix>
    continue from …")."""
    return {"kind": "resume"}


def shorter_warmup(count: str) -> dict[str, Any]:
    """The fix "lower training.lrWarmupSteps, or train longer": `count` is the count the run was given (`steps`,
    `epochs`), which the CLI names by its flag and the web app by its request field."""
    return {"kind": "shorter-warmup", "count": count}


def choose_base(why: str) -> dict[str, Any]:
    """The fix "use another base model": `why` is `path` (a --base path not there), `file` (a single-file checkpoint
    not there) or `lora` (a LoRA made for another base)."""
    fix = {"kind": "choose-base", "why": why}
    problem = fix_problem(fix)
    if problem:
        raise ValueError(f"fix: {problem}")
    return fix


def fix_problem(fix: Any) -> str | None:
    """What is wrong with `fix` as the protocol's `error.fix` (an unknown kind, a missing, unknown or bad field), or
    None when it is one."""
    if not isinstance(fix, dict):
        return f"expected an object, got {fix!r}"
    kind = fix.get("kind")
    fields = FIX_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        return f"kind: expected one of {tuple(FIX_FIELDS)}, got {kind!r}"
    unknown = sorted(set(fix) - {"kind", *fields})
    if unknown:
        return f"{kind}: unknown field(s) {unknown}"
    for name, values in fields.items():
        value = fix.get(name)
        if value is None and (kind, name) in _OPTIONAL:
            continue
        if not isinstance(value, str) or not value or (values is not None and value not in values):
            return f"{kind}.{name}: expected {'one of ' + str(values) if values else 'a non-empty string'}, got {value!r}"
    return None
