"""App-wide messages from worker threads up to the screens."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from engine import Event, TournamentProgress


class GameError(Message):
    """A game could not start or stopped with an error meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class GameEvent(Message):
    """One event of the game playing in a worker, in the order the engine reported them, with what the game
    has spent by then (in words)."""

    def __init__(self, event: Event, spent: str) -> None:
        super().__init__()
        self.event = event
        self.spent = spent


class GameHeld(Message):
    """A paused game's worker has stopped asking the engine for anything: nothing is in flight until Space."""


class PersonAsked(Message):
    """The game waits for the person at the keyboard to describe ``image``: their words (or None, to stop)
    go into ``answer``, which the game's worker waits on."""

    def __init__(self, image: Path, answer: Future[str | None]) -> None:
        super().__init__()
        self.image = image
        self.answer = answer


@dataclass(frozen=True)
class Tally:
    """A tournament's counts at one moment, taken in the thread that played the event (the counter itself
    stays with the threads)."""

    games: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0  # stopped part-way by Escape
    capped: int = 0  # stopped by the budget
    in_flight: int = 0
    waiting: int = 0
    spent: str = ""

    @classmethod
    def of(cls, progress: TournamentProgress, spent: str) -> Tally:
        return cls(
            progress.games,
            progress.done,
            progress.failed,
            progress.cancelled,
            progress.capped,
            progress.calls_in_flight,
            progress.calls_waiting,
            spent,
        )

    @property
    def stopped(self) -> bool:
        return self.cancelled + self.capped > 0


class TournamentOpened(Message):
    """The tournament's run folder exists (a new tournament names it only once it starts)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder


class TournamentProgressed(Message):
    """The counts after one more event of a tournament."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally


class TournamentEnded(Message):
    """The tournament has ended: played out, stopped, or failed (its error came as a notice)."""
