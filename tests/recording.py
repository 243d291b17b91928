"""A transparent wrapper that records which methods of a real model were called, and with what."""

from __future__ import annotations

from typing import Any


class Recording:
    """Passes every call through to the real ``model`` and remembers (method, first argument)."""

    def __init__(self, model: Any):
        self._model = model
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._model, name)
        if not callable(attribute):
            return attribute

        def recorded(*args, **kwargs):
            self.calls.append((name, args[0] if args else None))
            return attribute(*args, **kwargs)

        return recorded

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)
