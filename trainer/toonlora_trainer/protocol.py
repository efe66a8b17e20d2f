"""toonlora_trainer/protocol.py — every message between the TypeScript driver and this worker.

Mirrors src/worker/protocol.ts and the schemas it re-exports from protocol-events.ts, protocol-done.ts and
protocol-requests.ts (STYLE rule 5). Requests arrive as one JSON object per stdin line;
events leave as one JSON object per stdout line, each carrying `version` and `type`. stdout carries
ONLY these lines (logs go to stderr); a line that does not parse is an error on both sides.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .error_fix import fix_problem

PROTOCOL_VERSION = 1

# input_missing: a file or folder the request names is not there; input_invalid: it is there but unusable (a dataset
# with no readable image, a truncated base checkpoint); lora_format: a LoRA file diffusers / toonlora cannot load;
# output_write: a file of the run could not be written (a full disk: write_errors.py)
ERROR_KINDS = ("config", "input_missing", "input_invalid", "lora_format", "model_missing", "nan_loss", "out_of_memory",
               "output_write", "protocol", "internal")
LOG_LEVELS = ("debug", "info", "warn")
COMMANDS = ("train", "generate", "serve-generation", "blip-caption", "lora-count", "estimate-memory", "scan-dataset")


class ProtocolError(ValueError):
    """A request or event line that does not match this protocol; the message names the field."""


# ---------------------------------------------------------------- events (worker -> driver)


@dataclass(frozen=True)
class Progress:
    """One finished unit of work. `id` is the request's id under serve-generation (absent otherwise)."""

    step: int
    total: int
    loss: float
    lr: float
    it_per_s: float
    eta_s: float
    id: str | None = None
    type: str = "progress"


@dataclass(frozen=True)
class Sample:
    step: int
    paths: list[str]
    type: str = "sample"


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: str
    type: str = "checkpoint"


@dataclass(frozen=True)
class Log:
    """A message for the user; `warn` ones are shown as warnings. `id` is the request's id under
    serve-generation (absent otherwise), so the driver can hand it to that request's job."""

    level: str
    message: str
    id: str | None = None
    type: str = "log"


@dataclass(frozen=True)
class Caption:
    """One BLIP caption; `caption` is None and `error` says why when the image could not be read."""

    path: str
    caption: str | None
    error: str | None = None
    type: str = "caption"


@dataclass(frozen=True)
class Ready:
    """serve-generation: the base model is loaded (`load_s` seconds) and requests may follow."""

    load_s: float
    device: str
    type: str = "ready"


@dataclass(frozen=True)
class Cancelled:
    """SIGTERM/SIGINT arrived; `checkpoint` is the folder saved before exiting (None if none). Under
    serve-generation: the driver cancelled request `id` (its `cancel` line), stopped after sampling step `step`."""

    step: int
    checkpoint: str | None
    id: str | None = None
    type: str = "cancelled"


@dataclass(frozen=True)
class TrainedFolder:
    """One kohya folder a training run trained (`5_sks girl`), as the trainer's scan read it: what the kohya file's
    ss_dataset_dirs and ss_tag_frequency record of it (src/worker/training-facts.ts trainedFolderSchema)."""

    folder: str  # the folder's name
    repeats: int
    trigger: str  # the first word after `<repeats>_`
    captions: list[str]  # each trained image's caption as read (unshuffled; the folder's tokens when it has none), in name order


@dataclass(frozen=True)
class TrainingFacts:
    """What a training run trained, for the kohya metadata the TypeScript side writes: the folders (those with a
    trained image, in name order), each folder's trigger once, the images with and without repeats, and the precision
    the steps really ran in (`no` on a CPU, whatever mixedPrecision asked: kohya's ss_mixed_precision values)."""

    folders: list[TrainedFolder]
    triggers: list[str]
    images: int
    images_with_repeats: int  # kohya's ss_num_train_images
    mixed_precision: str  # "no" | "fp16" | "bf16"
    prediction_type: str  # what the UNet learnt to predict (the base's scheduler): "epsilon" | "v_prediction"
    optimizer: str  # kohya's ss_optimizer: the optimizer class as `module.Class`
    max_grad_norm: float  # the gradient-norm clip (ss_max_grad_norm)
    max_token_length: int  # caption tokens the text encoder reads (75 for SD1.5's CLIP: kohya's default)
    bucket_info: dict[str, Any] | None = None  # the aspect-ratio buckets trained (buckets.bucket_info); None without

    @staticmethod
    def from_json(obj: dict[str, Any]) -> "TrainingFacts":
        return TrainingFacts(**{**obj, "folders": [TrainedFolder(**folder) for folder in obj["folders"]]})


@dataclass(frozen=True)
class Done:
    """The command finished. `artifacts` maps names to paths (or lists of paths; a training run's `trained_images`: the
    dataset images it trained on, those that decoded); `stats` holds numbers; a training run's `facts` what the kohya
    metadata records (TrainingFacts; absent for every other command)."""

    artifacts: dict[str, Any]
    stats: dict[str, float] = field(default_factory=dict)
    id: str | None = None
    facts: TrainingFacts | None = None
    type: str = "done"


@dataclass(frozen=True)
class Error:
    """A request that failed. `fix`: the fix the message names, as data (error_fix.py), worded by the driver."""

    message: str
    kind: str
    id: str | None = None
    fix: dict[str, Any] | None = None
    type: str = "error"


Event = Progress | Sample | Checkpoint | Log | Caption | Ready | Cancelled | Done | Error

EVENT_TYPES: dict[str, type] = {
    cls.type: cls  # type: ignore[attr-defined]
    for cls in (Progress, Sample, Checkpoint, Log, Caption, Ready, Cancelled, Done, Error)
}


def _finite_or_none(value: Any) -> Any:
    """`value` with every non-finite float in it, at any depth (a `done`'s stats), made None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


def event_to_json(event: Event) -> str:
    """One protocol line (no newline). Non-finite floats become null, a `done`'s stats included: JSON has no NaN, and
    json.dumps would write a bare NaN that no JSON reader takes (allow_nan=False makes sure none is left)."""
    payload = _finite_or_none({"version": PROTOCOL_VERSION, **asdict(event)})
    for optional in ("id", "facts", "fix"):
        if payload.get(optional) is None:
            payload.pop(optional, None)
    if payload.get("type") == "caption" and payload.get("error") is None:
        payload.pop("error", None)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def parse_event_line(line: str) -> Event:
    """Parses one stdout line back into its event; raises ProtocolError naming what is wrong."""
    obj = _parse_object(line)
    kind = obj.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(f"type: unknown event type {kind!r}; expected one of {sorted(EVENT_TYPES)}")
    fields = {k: v for k, v in obj.items() if k not in ("version", "type")}
    try:
        if cls is Done and isinstance(fields.get("facts"), dict):
            fields["facts"] = TrainingFacts.from_json(fields["facts"])
        event = cls(**fields)
    except (TypeError, KeyError) as error:
        raise ProtocolError(f"{kind}: {error}") from None
    if isinstance(event, Error) and event.kind not in ERROR_KINDS:
        raise ProtocolError(f"error.kind: expected one of {ERROR_KINDS}, got {event.kind!r}")
    if isinstance(event, Error) and event.fix is not None and fix_problem(event.fix):
        raise ProtocolError(f"error.fix: {fix_problem(event.fix)}")
    if isinstance(event, Log) and event.level not in LOG_LEVELS:
        raise ProtocolError(f"log.level: expected one of {LOG_LEVELS}, got {event.level!r}")
    return event


class EventWriter:
    """Writes events to stdout as protocol lines, one at a time (thread-safe, flushed)."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self._stream.write(event_to_json(event) + "\n")
            self._stream.flush()

    def log(self, message: str, level: str = "info") -> None:
        self.emit(Log(level=level, message=message))


Emit = Callable[[Event], None]


def rate_and_eta(done: int, remaining: int, started: float) -> tuple[float, float]:
    """Units per second since `started` (a perf_counter time) for `done` units, and seconds left for `remaining`."""
    elapsed = max(time.perf_counter() - started, 1e-9)
    per_s = done / elapsed
    return per_s, (remaining / per_s if per_s > 0 else 0.0)


class StepProgress:
    """Emits a `progress` event per finished unit of work that has no loss or learning rate (sampling
    steps, captioned images): `loss` and `lr` are NaN (null on the wire), it/s and ETA from the wall clock.
    With `request_id` each event carries it as `id`, so a serve-generation driver can route it to its request."""

    def __init__(self, total: int, emit: Emit, request_id: str | None = None) -> None:
        self.total, self.emit, self.request_id = max(int(total), 1), emit, request_id
        self.started = time.perf_counter()

    def __call__(self, step: int) -> None:
        it_per_s, eta_s = rate_and_eta(step, self.total - step, self.started)
        self.emit(Progress(step, self.total, math.nan, math.nan, it_per_s, eta_s, id=self.request_id))


# ---------------------------------------------------------------- requests (driver -> worker)


def _parse_object(line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"not a JSON line ({error.msg} at column {error.colno}): {line[:80]!r}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"expected a JSON object, got {type(obj).__name__}: {line[:80]!r}")
    if obj.get("version") != PROTOCOL_VERSION:
        raise ProtocolError(
            f"version: expected {PROTOCOL_VERSION}, got {obj.get('version')!r}; "
            "the TypeScript side and trainer/ are from different toonlora versions"
        )
    return obj


def parse_request_line(line: str, command: str) -> dict[str, Any]:
    """Checks the envelope of one request line for `command` and returns the object.

    The payload itself is validated by the typed parsers in config.py (TrainRequest, ...).
    Raises ProtocolError when the line is not JSON, has the wrong version, or is for another command.
    """
    obj = _parse_object(line)
    if obj.get("command") != command:
        raise ProtocolError(f"command: expected {command!r}, got {obj.get('command')!r}")
    return obj
