"""App-wide messages: engine events travelling from worker threads up to the screens."""

from __future__ import annotations

from textual.message import Message

from engine.events import Event


class EngineEvent(Message):
    """One event from a game running in a worker thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class GameError(Message):
    """A game could not start or stopped with an error meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
