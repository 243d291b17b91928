"""How long each model's last call took on this machine, kept in the user's cache folder (``call-times.json``)
for the picker's details: what the next game's turns will cost in time. Calls answered from a run's result
cache are not calls and are not counted.

The file is small (one number per model, at most ``MAX_MODELS``) and is read as untrusted input: an unreadable
or odd file is an empty record, never an error.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading

from engine.config import user_cache_dir
from engine.errors import StorageError
from engine.untrusted import MAX_JSON_BYTES, read_regular, write_atomically

FILE_NAME = "call-times.json"
MAX_MODELS = 1000  # models remembered; the longest unused are forgotten first

_recent: dict[str, float] = {}  # this process's calls since they were last saved
_lock = threading.Lock()


def record_call(model_id: str, seconds: float) -> None:
    """``model_id``'s call just took ``seconds`` (kept in memory until ``save_call_times``)."""
    with _lock:
        _recent.pop(model_id, None)  # re-inserted last: the newest at the end
        _recent[model_id] = round(seconds, 3)


def _read() -> dict[str, float]:
    try:
        data = json.loads(read_regular(user_cache_dir() / FILE_NAME, MAX_JSON_BYTES))
    except (StorageError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(key): float(value)
        for key, value in data.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    }


def save_call_times() -> None:
    """Add this process's calls to the file (best effort: a cache folder that cannot be written loses them)."""
    with _lock:
        if not _recent:
            return
        recent = dict(_recent)
        _recent.clear()
    kept = {key: value for key, value in _read().items() if key not in recent} | recent
    newest = dict(list(kept.items())[-MAX_MODELS:])
    # A read-only or full cache folder loses them: the times are a convenience, the game is what matters.
    with contextlib.suppress(OSError):
        write_atomically(user_cache_dir() / FILE_NAME, json.dumps(newest, indent=0).encode())


def last_call_seconds(model_id: str) -> float | None:
    """How long ``model_id``'s last call took on this machine, in seconds; None when it was never called here."""
    with _lock:
        if model_id in _recent:
            return _recent[model_id]
    return _read().get(model_id)
