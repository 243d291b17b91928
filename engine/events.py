"""What a game reports while it plays: plain frozen dataclasses, consumed alike by the CLI, the TUI and tests.

Image paths in events name the stored file as the run folder was given (relative when it was), so a front end
opens them as they are and never has to know how a run lays out its files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.records import FAILURES, Status, Turn

Role = Literal["t2i", "i2t", "embed"]
ROLE_WORDS: dict[Role, str] = {"t2i": "drawing with", "i2t": "describing with", "embed": "measuring with"}


@dataclass(frozen=True)
class ConversationStarted:
    conversation_id: str
    prompt: str
    turns: int
    first_step: int  # 1, or later when a saved conversation resumes


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
    role: Role
    model_id: str

    @property
    def summary(self) -> str:
        """The call in a few words, e.g. "drawing with sketch-painter…"."""
        return f"{ROLE_WORDS[self.role]} {self.model_id}…"


@dataclass(frozen=True)
class RetryScheduled:
    """A model call failed in a way worth another try; the next attempt starts after ``seconds``."""

    conversation_id: str
    step: int
    role: Role
    model_id: str
    reason: str  # e.g. "HTTP 429"
    seconds: float
    attempt: int  # the attempt that failed, 1-based

    @property
    def summary(self) -> str:
        """The wait in a few words, e.g. "HTTP 429 — retrying in 10 s"."""
        return f"{self.reason} — retrying in {self.seconds:.0f} s"


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
    image: Path | None  # the turn's stored image


@dataclass(frozen=True)
class TurnFailed:
    """A model refused or failed; the turn is journaled with its reason and the conversation ends."""

    conversation_id: str
    turn: Turn
    image: Path | None  # the image, when the drawing was made before the failure


@dataclass(frozen=True)
class BudgetReached:
    """The next call could pass the run's budget: it was not made, and the conversation stops ("capped"),
    to be resumed with a larger budget."""

    conversation_id: str
    step: int
    spent: float  # USD spent by the run so far
    cap: float
    price: float  # the call that was not made

    @property
    def summary(self) -> str:
        return f"budget reached: ${self.spent:.2f} of ${self.cap:.2f} spent"


@dataclass(frozen=True)
class ConversationFinished:
    conversation_id: str
    status: Status  # never "playing"
    detail: str  # e.g. "refused at turn 3: ..." ; "" when finished
    turns_played: int

    @property
    def failed(self) -> bool:
        """A model refused or failed (not finished, not cancelled)."""
        return self.status in FAILURES


Event = (
    ConversationStarted
    | TurnStarted
    | CallStarted
    | RetryScheduled
    | ImageReady
    | CaptionReady
    | DistancesReady
    | TurnFailed
    | BudgetReached
    | ConversationFinished
)


_EVENT_TYPES: dict[str, type[Event]] = {
    kind.__name__: kind
    for kind in (
        ConversationStarted,
        TurnStarted,
        CallStarted,
        RetryScheduled,
        ImageReady,
        CaptionReady,
        DistancesReady,
        TurnFailed,
        BudgetReached,
        ConversationFinished,
    )
}


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as plain JSON values (for events that cross from one process to another)."""
    data: dict[str, Any] = {"event": type(event).__name__}
    for name, value in vars(event).items():
        data[name] = value.to_json() if isinstance(value, Turn) else str(value) if isinstance(value, Path) else value
    return data


def event_from_json(data: dict[str, Any]) -> Event:
    """The event ``event_to_json`` made ``data`` from."""
    kind = _EVENT_TYPES[data["event"]]
    values = {name: value for name, value in data.items() if name != "event"}
    if "turn" in values:
        values["turn"] = Turn.from_json(values["turn"])
    if values.get("image") is not None:
        values["image"] = Path(values["image"])
    return kind(**values)
