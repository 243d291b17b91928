"""What the providers of servers (Ollama, OpenAI-compatible) share when they list a server's models: a
server's answer is untrusted input like any run file, so names are checked before they become model ids,
its details are made safe to show, and one server offers at most ``MAX_SERVER_MODELS`` models."""

from __future__ import annotations

import math
from typing import Any

from engine.untrusted import MAX_MODEL_ID_CHARS, MODEL_ID, shortened, terminal_safe

MAX_SERVER_MODELS = 200  # models offered from one server; past these, the listing says how many were left out
MAX_DETAIL_CHARS = 60  # a detail a server gives of a model (family, quantisation), as shown
# Room left in a model id for what comes before the server's name: "ollama/", or an entry's id (plain, ≤ 100) and "/".
MAX_LISTED_NAME_CHARS = MAX_MODEL_ID_CHARS - 101


def usable_name(name: object) -> str | None:
    """A server's name for a model when it can be part of a model id (letters, digits, ``._:+-`` in parts
    joined by ``/``; nothing path-like, no control character, not too long); None otherwise."""
    if isinstance(name, str) and len(name) <= MAX_LISTED_NAME_CHARS and MODEL_ID.fullmatch(name):
        return name
    return None


def shown_detail(value: Any) -> str | int | None:
    """A detail a server gave (a text or a whole number) made safe to keep and show; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str) and value.strip():
        return shortened(" ".join(terminal_safe(value).split()), MAX_DETAIL_CHARS)
    return None


def shown_details(details: dict[str, Any]) -> dict[str, str | int]:
    """The details of ``details`` that survive ``shown_detail``."""
    kept = {name: shown_detail(value) for name, value in details.items()}
    return {name: value for name, value in kept.items() if value is not None}
