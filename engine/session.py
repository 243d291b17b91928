"""One run session: what every game of a run shares, opened together on the run and closed together.

A session owns the run's store (and its writer lock), the result cache, the budget, one gate per provider
(how many calls it takes at once) and the models: each built once, from the catalog or a given factory,
warmed up, and put behind the cache, the budget and its provider's gate. A single game and a tournament
play through the same session; a game process rebuilds its own from ``spec()``.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from engine.budget import Budget, call_price
from engine.cache import CachedEmbedder, CachedImageToText, CachedTextToImage, Gate, ResultCache
from engine.call_times import save_call_times
from engine.catalog import Catalog
from engine.errors import InvalidInput
from engine.game import EmbeddingCache, TelephoneLine
from engine.metrics import prepare_distances
from engine.players import PERSON
from engine.protocols import Embedder, ImageToText, Kind, Model, TextToImage
from engine.providers.http import share_rate_limits
from engine.store import RunStore

# Calls in flight at once, per provider. A local Ollama server runs a few requests at a time and queues the rest.
DEFAULT_LIMITS = {"offline": 2, "replicate": 8, "openai": 8, "ollama": 2, "huggingface": 1}
OTHER_PROVIDERS_LIMIT = 8  # a provider a plugin adds, with no limit of its own

ModelFactory = Callable[[str, Kind], Model]


@dataclass(frozen=True)
class SharedParts:
    """What the sessions of a run's game processes share with the session that started them: the budget (its
    numbers in shared memory) and the providers' gates (semaphores across processes)."""

    budget: Budget
    gates: dict[str, Gate]


class RunSession:
    """Everything a run's games share. ``store`` is the session's from now on: closing the session closes it
    (and lets another writer have the run), with the result cache.

    ``budget`` caps what the run spends in all (USD, what earlier sessions spent included; None: counted, not
    capped). ``limits`` are calls in flight at once per provider, over ``DEFAULT_LIMITS``. ``models`` builds a
    model from its id and kind (default: the catalog). ``person`` answers for "you" in an image→text lineup
    (a front end that can ask someone gives one); a person is never cached, priced or gated."""

    def __init__(
        self,
        store: RunStore,
        catalog: Catalog,
        budget: float | None = None,
        *,
        limits: Mapping[str, int] | None = None,
        models: ModelFactory | None = None,
        person: ImageToText | None = None,
    ):
        self.store, self.catalog = store, catalog
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.cache = ResultCache(store.cache_folder)
        store.before_journal_writes(self.cache.write_turn)
        try:
            self.budget = Budget(budget, spent=self.cache.spent())
        except BaseException:  # a cache that cannot be read: the run is let go at once
            self.close()
            raise
        self.builds_from_catalog = models is None
        # How long the models' calls took is kept for the picker (in the user's cache folder) by sessions that
        # play games; the analysis beside a run writes nowhere but the run.
        self.keeps_call_times = True
        self._build: ModelFactory = models or catalog.create
        self.person = person
        self._gates: dict[str, Gate] = {}
        self._models: dict[tuple[str, Kind], Model] = {}
        self._embeddings: dict[str, EmbeddingCache] = {}
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close what the session opened: the result cache, then the store (its writer lock); keep how long
        the models' calls took, where it plays games."""
        self.cache.close()
        self.store.close()
        if self.keeps_call_times:
            save_call_times()

    def __enter__(self) -> RunSession:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    @classmethod
    def beside_writer(cls, folder: Path, catalog: Catalog) -> RunSession:
        """A session over the run in ``folder`` that takes no writer lock (a game may be playing there): for
        the analysis, which only adds answers to the run's result cache."""
        session = cls(RunStore(folder), catalog)
        session.keeps_call_times = False
        return session

    def spec(self) -> dict[str, Any]:
        """What a game process rebuilds this session from, as plain data (``from_spec``)."""
        return {"folder": str(self.store.folder), "limits": self.limits}

    @classmethod
    def from_spec(cls, spec: dict[str, Any], shared: SharedParts, rate_share: float) -> RunSession:
        """The session of a game process: the same run (whose writer lock the starting process holds), the
        catalog loaded here, spending ``shared``'s budget, waiting at its gates, and keeping ``rate_share`` of
        each provider's request rate."""
        share_rate_limits(rate_share)
        session = cls(RunStore(Path(spec["folder"])), Catalog.load(), limits=spec["limits"])
        session.budget, session._gates = shared.budget, dict(shared.gates)
        session.cache.shared_with_other_processes()
        return session

    def shared(self, providers: set[str]) -> SharedParts:
        """This session's budget and the gates of ``providers``, made shareable with game processes (the
        budget's numbers move to shared memory, so what they spend shows here)."""
        context = multiprocessing.get_context("spawn")
        with self._lock:
            self.budget.share()
            self._gates.update({provider: context.BoundedSemaphore(self.limit(provider)) for provider in providers})
            return SharedParts(self.budget, {provider: self._gates[provider] for provider in providers})

    def limit(self, provider: str) -> int:
        """How many calls ``provider`` takes at once."""
        return self.limits.get(provider, OTHER_PROVIDERS_LIMIT)

    def provider(self, model_id: str, kind: Kind) -> str:
        """The provider that runs ``model_id``: UnknownModel, or (when models come from the catalog)
        ModelUnavailable, before any game starts. A person is refused where nobody can be asked."""
        if model_id == PERSON and kind == "i2t":
            if self.person is None:
                raise InvalidInput(f"{PERSON!r} (a person) plays only where someone can be asked: `play`, or the app")
            return PERSON
        entry = self.catalog.require_available if self.builds_from_catalog else self.catalog.get
        return entry(model_id, kind).provider

    def _gate(self, provider: str) -> Gate:
        with self._lock:
            return self._gates.setdefault(provider, threading.BoundedSemaphore(self.limit(provider)))

    def model(self, model_id: str, kind: Kind) -> Model:
        """``model_id`` ready to play: built once, warmed up, behind the result cache, the budget and its
        provider's gate."""
        if model_id == PERSON and kind == "i2t":
            self.provider(model_id, kind)  # refused without someone to ask
            assert self.person is not None
            return self.person
        with self._lock:
            if (model_id, kind) not in self._models:
                model = self._build(model_id, kind)
                model.warm_up()
                if kind == "embed":
                    prepare_distances()
                self._models[model_id, kind] = self._metered(model, kind)
            return self._models[model_id, kind]

    def line(self, t2i: str | Sequence[str], i2t: str | Sequence[str], embedder: str) -> TelephoneLine:
        """A telephone line of the session's models (one id per role, or lineups taking turns in order); its
        embeddings are shared with every other line measured by ``embedder`` (a prompt is embedded once, not
        once per game)."""
        drawers = [self.model(model_id, "t2i") for model_id in _ids(t2i)]
        describers = [self.model(model_id, "i2t") for model_id in _ids(i2t)]
        measure = self.model(embedder, "embed")
        assert all(isinstance(model, TextToImage) for model in drawers)
        assert all(isinstance(model, ImageToText) for model in describers) and isinstance(measure, Embedder)
        with self._lock:
            embeddings = self._embeddings.setdefault(embedder, EmbeddingCache(measure))
        return TelephoneLine(cast(list[TextToImage], drawers), cast(list[ImageToText], describers), measure, embeddings)

    def metered(self, line: TelephoneLine) -> TelephoneLine:
        """``line``'s own models behind the session's result cache, budget and gates (a person as they are)."""
        drawers = [self._metered(model, "t2i") for model in line.drawers]
        describers = [model if model.by_person else self._metered(model, "i2t") for model in line.describers]
        measure = self._metered(line.embedder, "embed")
        assert isinstance(measure, Embedder)
        return TelephoneLine(cast(list[TextToImage], drawers), cast(list[ImageToText], describers), measure)

    def _metered(self, model: Model, kind: Kind) -> Model:
        entry = self.catalog.get(model.model_id, kind)
        parts = (entry.ref, self._gate(entry.provider), self.cache, call_price(self.catalog, model.model_id))
        if kind == "t2i" and isinstance(model, TextToImage):
            return CachedTextToImage(model, *parts, budget=self.budget)
        if kind == "i2t" and isinstance(model, ImageToText):
            return CachedImageToText(model, *parts, budget=self.budget)
        assert isinstance(model, Embedder), f"{model.model_id} is not a {kind} model"
        return CachedEmbedder(model, *parts, budget=self.budget)


def _ids(lineup: str | Sequence[str]) -> tuple[str, ...]:
    return (lineup,) if isinstance(lineup, str) else tuple(lineup)
