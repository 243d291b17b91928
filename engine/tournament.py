"""The tournament: every text→image × image→text pair on a set of prompts, games run concurrently under
per-provider limits, every finished turn journaled, resumable, with a result cache against paid repeats."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.budget import Budget, call_price
from engine.cache import CachedEmbedder, CachedImageToText, CachedTextToImage, Gate, ResultCache
from engine.catalog import Catalog
from engine.errors import InvalidInput, StorageError, TelephoneError
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
from engine.game import EmbeddingCache, TelephoneLine, validate_turns
from engine.prompts import LEVELS, Prompt, validate_prompt_text
from engine.protocols import Kind, Model
from engine.store import DEFAULT_RUNS_FOLDER, RunStore, conversation_id, load_run
from engine.untrusted import plain_name

# Calls in flight at once, per provider. A local Ollama server runs a few requests at a time and queues the rest.
DEFAULT_LIMITS = {"offline": 2, "replicate": 8, "openai": 8, "ollama": 2, "huggingface": 1}


def price_phrase(cost: float | None) -> str:
    """An estimate in words: the one wording of a price everywhere."""
    return f"about ${cost:.2f} (from the catalog's price hints)" if cost else "nothing (no paid models)"


@dataclass(frozen=True)
class PlanSummary:
    """A plan in display-ready words; ``rows`` in the order they are shown."""

    games: str
    calls: str
    measured_by: str
    cost: str

    @property
    def rows(self) -> list[tuple[str, str]]:
        return [
            ("games", self.games),
            ("model calls", self.calls),
            ("measured by", self.measured_by),
            ("estimated cost", self.cost),
        ]


@dataclass(frozen=True)
class TournamentPlan:
    t2i: tuple[str, ...]
    i2t: tuple[str, ...]
    embedder: str
    prompts: tuple[Prompt, ...]
    turns: int
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.t2i or not self.i2t or not self.prompts:
            raise InvalidInput("a tournament needs at least one text→image model, one image→text model and a prompt")
        validate_turns(self.turns)
        # Two games of one plan must never be the same conversation: they would share one journal.
        for what, names in (
            ("text→image model", self.t2i),
            ("image→text model", self.i2t),
            ("prompt", tuple(p.id for p in self.prompts)),
            ("prompt text", tuple(p.text for p in self.prompts)),
        ):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise InvalidInput(f"the plan names the {what} {twice[0]!r} twice; name each once")

    @property
    def models_by_kind(self) -> dict[Kind, tuple[str, ...]]:
        return {"t2i": self.t2i, "i2t": self.i2t, "embed": (self.embedder,)}

    @property
    def games(self) -> list[tuple[str, str, Prompt]]:
        return [(t2i, i2t, prompt) for t2i in self.t2i for i2t in self.i2t for prompt in self.prompts]

    def calls(self, takes_images: bool = False) -> dict[str, int]:
        """Model calls the whole plan makes: one drawing and one caption per turn, their embeddings, and one
        embedding per prompt (shared by every game that starts from it)."""
        turns = len(self.games) * self.turns
        return {"t2i": turns, "i2t": turns, "embed": turns * (2 if takes_images else 1) + len(self.prompts)}

    def cost(self, catalog: Catalog) -> float | None:
        """Estimated USD from the catalog's cost hints; None when no chosen model has one."""
        calls = self.calls(catalog.takes_images(self.embedder))
        total, known = 0.0, False
        for kind, ids in self.models_by_kind.items():
            share = calls[kind] / len(ids)
            for model_id in ids:
                cost = catalog.get(model_id).options.get("cost")
                if cost is not None:
                    total, known = total + share * float(cost), True
        return total if known else None

    def summary(self, catalog: Catalog) -> PlanSummary:
        """What the plan will do and cost, in words both front ends show as they are."""
        takes_images = catalog.takes_images(self.embedder)
        calls = self.calls(takes_images)
        return PlanSummary(
            games=f"{len(self.games)} = {len(self.t2i)} text→image × {len(self.i2t)} image→text × "
            f"{len(self.prompts)} prompts, {self.turns} turns each",
            calls=f"{sum(calls.values())}: {calls['t2i']} drawings, {calls['i2t']} captions, "
            f"{calls['embed']} embeddings",
            measured_by=f"{self.embedder} ({'texts and images' if takes_images else 'texts only'})",
            cost=price_phrase(self.cost(catalog)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "t2i": list(self.t2i),
            "i2t": list(self.i2t),
            "embedder": self.embedder,
            "turns": self.turns,
            "seed": self.seed,
            "prompts": [vars(p) for p in self.prompts],
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "tournament plan") -> TournamentPlan:
        """The plan saved in a run (which may come from anyone); StorageError says what is wrong with it."""
        if not isinstance(data, dict):
            raise StorageError(f"{source}: expected a JSON object")

        def names(key: str) -> tuple[str, ...]:
            values = data.get(key)
            if not isinstance(values, list):
                raise StorageError(f"{source}: {key} is not a list")
            return tuple(plain_name(value, f"{source}: {key}") for value in values)

        def prompt(raw: Any) -> Prompt:
            if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or raw.get("level") not in LEVELS:
                raise StorageError(f"{source}: a prompt needs an id, a level of {LEVELS} and a text")
            prompt_id = plain_name(raw.get("id"), f"{source}: prompt id")
            return Prompt(prompt_id, raw["level"], validate_prompt_text(raw["text"]))

        turns, seed, prompts = data.get("turns"), data.get("seed", 0), data.get("prompts")
        if type(turns) is not int or type(seed) is not int:  # not bool, which is an int too
            raise StorageError(f"{source}: turns and seed must be whole numbers")
        if not isinstance(prompts, list):
            raise StorageError(f"{source}: prompts is not a list")
        embedder = plain_name(data.get("embedder"), f"{source}: embedder")
        return cls(names("t2i"), names("i2t"), embedder, tuple(prompt(raw) for raw in prompts), turns, seed)


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
    """Plays a plan's games concurrently. Turns within a game are sequential; games are independent.

    ``concurrency`` games are played at once, in threads, or spread over ``processes`` processes (the
    hosted clients spend about a millisecond of Python per call: one process's GIL bounds a big tournament).
    ``budget`` caps what the run spends in all (USD, what earlier sessions spent included): no call starts
    that could pass it, and no game starts once one was refused. ``self.budget.spent`` says what is spent.
    """

    def __init__(
        self,
        plan: TournamentPlan,
        catalog: Catalog,
        store: RunStore,
        *,
        concurrency: int = 8,
        limits: dict[str, int] | None = None,
        models: Callable[[str, Kind], Model] | None = None,
        processes: int = 1,
        budget: float | Budget | None = None,
        gates: dict[str, Gate] | None = None,
    ):
        if concurrency < 1 or processes < 1:
            raise InvalidInput("a tournament needs at least one game at a time, in at least one process")
        if processes > 1 and models is not None:
            raise InvalidInput("games in other processes build their models from the catalog")
        self.plan, self.catalog, self.store = plan, catalog, store
        self.concurrency, self.processes = concurrency, processes
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        entry = catalog.get if models is not None else catalog.require_available
        self.providers = {
            (kind, model_id): entry(model_id, kind).provider
            for kind, ids in plan.models_by_kind.items()
            for model_id in ids
        }
        self.gates: dict[str, Gate] = gates or {
            provider: threading.Semaphore(self.limits.get(provider, concurrency))
            for provider in set(self.providers.values())
        }
        self.cache = ResultCache(store.cache_folder)
        if not isinstance(budget, Budget):  # a cap: what the run spent before counts against it
            budget = Budget(budget, spent=self.cache.spent(), shared=processes > 1)
        self.budget = budget
        self._build = models or catalog.create
        self._lines: tuple[dict[str, CachedTextToImage], dict[str, CachedImageToText], EmbeddingCache] | None = None
        self.progress = TournamentProgress(len(plan.games), self.place_of)
        if processes == 1:  # ready to play, as a single game is; game processes build their own
            self._models()

    def _models(self) -> tuple[dict[str, CachedTextToImage], dict[str, CachedImageToText], EmbeddingCache]:
        """The plan's models behind the result cache and their providers' gates, built and warmed up once."""
        if self._lines is None:

            def gated(model_id: str, kind: Kind) -> dict[str, Any]:
                model = self._build(model_id, kind)
                model.warm_up()
                return {
                    "model": model,
                    "ref": self.catalog.get(model_id, kind).ref,
                    "gate": self.gates[self.providers[kind, model_id]],
                    "cache": self.cache,
                    "price": call_price(self.catalog, model_id),
                    "budget": self.budget,
                }

            painters = {m: CachedTextToImage(**gated(m, "t2i")) for m in self.plan.t2i}
            readers = {m: CachedImageToText(**gated(m, "i2t")) for m in self.plan.i2t}
            embeddings = EmbeddingCache(CachedEmbedder(**gated(self.plan.embedder, "embed")))
            self._lines = painters, readers, embeddings
        return self._lines

    def place_of(self, role: Role, model_id: str) -> tuple[str, int]:
        """The provider a model call goes to, and how many calls that provider takes at once."""
        provider = self.providers[role, model_id]
        return provider, self.limits.get(provider, self.concurrency)

    def run(self, on_event: Callable[[Event], None], cancel: threading.Event | None = None) -> TournamentResult:
        """Play every game not yet finished; ``on_event`` gets every game's events (from worker threads, or
        from the game processes), after ``progress`` has counted them."""

        def counted(event: Event) -> None:
            self.progress.record(event)
            on_event(event)

        try:
            if self.processes > 1:
                from engine.processes import play_in_processes

                return play_in_processes(self, counted, cancel)
            games = iter(range(len(self.plan.games)))
            lock = threading.Lock()

            def take() -> int | None:
                with lock:
                    return next(games, None)

            return self.play_here(take, counted, cancel)
        finally:
            self.cache.close()  # the run folder settles now, not when the collector comes (it reopens if asked)

    def play_here(
        self,
        take: Callable[[], int | None],
        on_event: Callable[[Event], None],
        cancel: threading.Event | None = None,
    ) -> TournamentResult:
        """Play, in ``concurrency`` threads of this process, the games whose indices ``take`` hands out."""
        painters, readers, embeddings = self._models()
        result = TournamentResult()
        lock = threading.Lock()

        def play(t2i: str, i2t: str, prompt: Prompt) -> None:
            line = TelephoneLine(painters[t2i], readers[i2t], embeddings.embedder, embeddings)
            try:
                for event in line.play(prompt, self.plan.turns, self.store, seed=self.plan.seed, cancel=cancel):
                    on_event(event)
                    if isinstance(event, ConversationFinished):
                        with lock:
                            result.count(event)
            except (TelephoneError, OSError) as error:  # a game that cannot go on does not stop the others
                plan = self.plan
                cid = conversation_id(
                    t2i=t2i, i2t=i2t, embedder=plan.embedder, prompt=prompt.text, turns=plan.turns, seed=plan.seed
                )
                finished = ConversationFinished(cid, "failed", str(error), 0)
                with lock:
                    result.count(finished)
                on_event(finished)

        def player() -> None:
            while not self.budget.reached and (index := take()) is not None:
                play(*self.plan.games[index])

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="game") as pool:
            for future in [pool.submit(player) for _ in range(self.concurrency)]:
                future.result()
        return result
