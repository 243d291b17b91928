"""What a game reports while it plays: plain frozen dataclasses, consumed alike by the CLI, the TUI and tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.records import Turn


@dataclass(frozen=True)
class GameStarted:
    conversation_id: str
    prompt: str
    turns: int
    first_step: int  # 1, or later when a saved game resumes


@dataclass(frozen=True)
class TurnStarted:
    conversation_id: str
    step: int
    text: str  # what will be drawn


@dataclass(frozen=True)
class CallStarted:
    """A model call is in flight (for status lines)."""

    conversation_id: str
    step: int
    role: str  # "t2i", "i2t" or "embed"
    model_id: str


@dataclass(frozen=True)
class ImageReady:
    conversation_id: str
    step: int
    image: Path  # already stored in the run folder
    seconds: float


@dataclass(frozen=True)
class CaptionReady:
    conversation_id: str
    step: int
    caption: str
    seconds: float


@dataclass(frozen=True)
class DistancesReady:
    """The turn is measured and already in the journal."""

    conversation_id: str
    turn: Turn


@dataclass(frozen=True)
class TurnFailed:
    """A model refused or failed; the turn is journaled with its reason and the game ends."""

    conversation_id: str
    turn: Turn


@dataclass(frozen=True)
class GameFinished:
    conversation_id: str
    status: str  # "finished", "refused", "failed" or "cancelled"
    detail: str  # e.g. "refused at turn 3: ..." ; "" when finished
    turns_played: int


Event = GameStarted | TurnStarted | CallStarted | ImageReady | CaptionReady | DistancesReady | TurnFailed | GameFinished
