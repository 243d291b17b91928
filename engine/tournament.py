"""The tournament: a plan (``engine/plan.py``) played through a run session (``engine/session.py``) by a
scheduler (games in threads, ``engine/scheduler.py``, or in processes, ``engine/processes.py``): every
finished turn journaled, resumable, with a result cache against paid repeats."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.budget import Budget
from engine.errors import InvalidInput
from engine.events import (
    CallStarted,
    CaptionReady,
    ConversationFinished,
    DistancesReady,
    Event,
    ImageReady,
    Role,
    TurnFailed,
)
from engine.plan import TournamentPlan
from engine.processes import play_in_processes
from engine.scheduler import play_games
from engine.session import RunSession
from engine.store import DEFAULT_RUNS_FOLDER, RunStore, load_run


class TournamentProgress:
    """Games done, stopped and failed, and model calls in flight and waiting, read from a tournament's event
    stream (thread-safe), so every front end counts the same way, whether the games play in threads or in
    other processes.

    ``place_of`` names the provider of a model call and how many calls it takes at once: calls asked of one
    provider beyond that number wait for a place, so they are counted as waiting, not in flight."""

    def __init__(self, games: int, place_of: Callable[[Role, str], tuple[str, int]] | None = None):
        self.games = games
        self.done = 0  # games that ended: finished, failed or refused (not stopped part-way)
        self.failed = 0
        self.cancelled = 0  # games stopped part-way; a resume finishes them
        self.capped = 0  # games the budget stopped; a resume with a larger one finishes them
        self._asked: dict[str, tuple[str, int]] = {}  # conversation → the place its unanswered call waits on
        self._place_of = place_of
        self._lock = threading.Lock()

    def record(self, event: Event) -> bool:
        """Count one event; True when it ended a game (the progress bar moves)."""
        with self._lock:
            if isinstance(event, CallStarted):
                place = self._place_of(event.role, event.model_id) if self._place_of else (event.model_id, 0)
                self._asked[event.conversation_id] = place
            elif isinstance(event, ImageReady | CaptionReady | DistancesReady | TurnFailed):
                self._asked.pop(event.conversation_id, None)
            elif isinstance(event, ConversationFinished):
                self._asked.pop(event.conversation_id, None)
                if event.status in ("cancelled", "capped"):
                    self.cancelled += event.status == "cancelled"
                    self.capped += event.status == "capped"
                    return False
                self.done += 1
                self.failed += event.failed
                return True
            return False

    @property
    def calls_in_flight(self) -> int:
        """Calls being made now: per provider, those asked up to its limit (a limit of 0: none known)."""
        with self._lock:
            asked = Counter(self._asked.values())
        return sum(min(count, limit) if limit else count for (_, limit), count in asked.items())

    @property
    def calls_waiting(self) -> int:
        """Calls asked for that wait for a place under their provider's limit."""
        with self._lock:
            asked = len(self._asked)
        return asked - self.calls_in_flight

    @property
    def stopped(self) -> bool:
        return self.cancelled + self.capped > 0


@dataclass
class TournamentResult:
    finished: int = 0
    failed: list[str] = field(default_factory=list)  # "conversation id: detail"
    cancelled: int = 0
    capped: int = 0  # games stopped by the budget, to resume with a larger one

    def count(self, event: ConversationFinished) -> None:
        if event.status == "finished":
            self.finished += 1
        elif event.status == "cancelled":
            self.cancelled += 1
        elif event.status == "capped":
            self.capped += 1
        else:
            self.failed.append(f"{event.conversation_id}: {event.detail}")


def start_tournament(plan: TournamentPlan, folder: Path | None = None, runs_folder: Path | None = None) -> RunStore:
    """A run holding the plan (so `--resume` needs nothing else): in ``folder``, or a new one under
    ``runs_folder`` (the default runs folder when not given)."""
    return RunStore.create("tournament", {"tournament": plan.to_json()}, folder, runs_folder or DEFAULT_RUNS_FOLDER)


def resume_plan(folder: Path) -> TournamentPlan:
    run = load_run(folder)
    if "tournament" not in run.meta:
        raise InvalidInput(f"{folder} is a run, but not a tournament")
    return TournamentPlan.from_json(run.meta["tournament"], f"{folder}: tournament plan")


class Tournament:
    """A plan's games played through a run session: ``concurrency`` games at once, in threads, or spread
    over ``processes`` processes (the hosted clients spend about a millisecond of Python per call: one
    process's GIL bounds a big tournament). Turns within a game are sequential; games are independent.

    The session's budget caps what the run spends: no call starts that could pass it, and no game starts
    once one was refused. ``budget.spent`` says what is spent."""

    def __init__(self, plan: TournamentPlan, session: RunSession, *, concurrency: int = 8, processes: int = 1):
        if concurrency < 1 or processes < 1:
            raise InvalidInput("a tournament needs at least one game at a time, in at least one process")
        if processes > 1 and not session.builds_from_catalog:
            raise InvalidInput("games in other processes build their models from the catalog")
        self.plan, self.session = plan, session
        self.concurrency, self.processes = concurrency, processes
        self._providers = {  # every model checked before any game starts
            (kind, model_id): session.provider(model_id, kind)
            for kind, ids in plan.models_by_kind.items()
            for model_id in ids
        }
        self.progress = TournamentProgress(len(plan.games), self.place_of)

    @property
    def store(self) -> RunStore:
        return self.session.store

    @property
    def budget(self) -> Budget:
        return self.session.budget

    def place_of(self, role: Role, model_id: str) -> tuple[str, int]:
        """The provider a model call goes to, and how many calls that provider takes at once."""
        provider = self._providers[role, model_id]
        return provider, self.session.limit(provider)

    def run(self, on_event: Callable[[Event], None], cancel: threading.Event | None = None) -> TournamentResult:
        """Play every game not yet finished; ``on_event`` gets every game's events (from worker threads, or
        from the game processes), after ``progress`` and the result have counted them."""
        result = TournamentResult()
        lock = threading.Lock()

        def counted(event: Event) -> None:
            self.progress.record(event)
            if isinstance(event, ConversationFinished):
                with lock:
                    result.count(event)
            on_event(event)

        if self.processes > 1:
            problems = play_in_processes(self.session, self.plan, self.concurrency, self.processes, counted, cancel)
            result.failed += problems
        else:
            games = iter(range(len(self.plan.games)))

            def take() -> int | None:
                with lock:
                    return next(games, None)

            play_games(self.session, self.plan, take, self.concurrency, counted, cancel)
        return result
