"""Money: a price for every model call (the catalog's ``cost`` hints), what a run has spent, and a cap.

What a run has spent is what its result cache holds: every answer paid for is kept there with its price
(``engine/cache.py``), so a run stopped by its budget and resumed with a larger one pays for nothing twice
and counts nothing twice. The cap is checked before each call that must be paid for: the call starts only
when what is spent, what the calls in flight may cost and its own price stay within the cap. Otherwise
nothing starts, and the game ends with the status "capped" (a BudgetReached event says so) until it is
resumed with a larger budget.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from engine.catalog import Catalog
from engine.errors import InvalidInput, TelephoneError
from engine.players import PERSON

_SPENT, _COMMITTED, _REACHED = range(3)  # the shared numbers, by index
_ROUNDING = 1e-9  # dollars: sums of prices like 0.0003 are not exact in binary


class OverBudget(TelephoneError):
    """The next call could take the run past its budget, so it was not made."""

    def __init__(self, spent: float, cap: float, price: float):
        super().__init__(f"${spent:.2f} of the ${cap:.2f} budget spent; the next call (${price:.4f}) could pass it")
        self.spent, self.cap, self.price = spent, cap, price


def call_price(catalog: Catalog, model_id: str) -> float:
    """USD per call of ``model_id`` from the catalog's hint; 0 for a model without one (offline, local)."""
    return float(catalog.get(model_id).options.get("cost", 0.0))


def estimated_cost(catalog: Catalog, calls: Iterable[tuple[str, float]]) -> float | None:
    """Estimated USD of ``calls`` (model id, number of calls) from the catalog's hints; None when no model
    called has one."""
    hinted = [(model_id, count) for model_id, count in calls if "cost" in catalog.get(model_id).options]
    return sum(count * call_price(catalog, model_id) for model_id, count in hinted) if hinted else None


def game_cost(catalog: Catalog, t2i: str | Sequence[str], i2t: str | Sequence[str], embedder: str, turns: int) -> float:
    """Estimated USD of one game: each turn's drawing, caption and embeddings (the image's too where the
    embedder takes images), and the prompt's embedding. ``t2i`` and ``i2t`` are one id or a lineup taking
    turns; a person's captions cost nothing."""
    embeddings = turns * (2 if catalog.takes_images(embedder) else 1) + 1
    calls = [(embedder, float(embeddings))]
    for lineup in (t2i, i2t):
        players = (lineup,) if isinstance(lineup, str) else tuple(lineup)
        calls += [(model_id, turns / len(players)) for model_id in players if model_id != PERSON]
    return estimated_cost(catalog, calls) or 0.0


def parse_budget(text: str) -> float:
    """A budget as typed, in USD ("2", "0.50", "$1.25"); InvalidInput says what is wrong with it."""
    try:
        cap = float(text.strip().removeprefix("$"))
    except ValueError:
        raise InvalidInput(f"a budget is an amount in USD, like 2 or 0.50, not {text!r}") from None
    if not cap >= 0 or cap == float("inf"):
        raise InvalidInput(f"a budget is an amount in USD, like 2 or 0.50, not {text!r}")
    return cap


class _Numbers:
    """The budget's numbers for the threads of one process, with the lock a shared-memory array has."""

    def __init__(self, values: list[float]):
        self._values = values
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock

    def __getitem__(self, index: int) -> float:
        return self._values[index]

    def __setitem__(self, index: int, value: float) -> None:
        self._values[index] = value


class Budget:
    """What a run has spent and its cap (None: no cap, spending is only counted). One budget is shared by
    every game of a run: by threads, and, once ``share``d, by game processes (its numbers then live in shared
    memory)."""

    def __init__(self, cap: float | None = None, spent: float = 0.0):
        if cap is not None and not cap >= 0:
            raise InvalidInput(f"a budget cannot be {cap}")
        self.cap = cap
        self._numbers: Any = _Numbers([spent, 0.0, 0.0])

    def share(self) -> None:
        """Move the numbers to shared memory (once), so that game processes given this budget spend from it."""
        with self._numbers.get_lock():
            if isinstance(self._numbers, _Numbers):
                values = [self._numbers[index] for index in (_SPENT, _COMMITTED, _REACHED)]
                self._numbers = multiprocessing.get_context("spawn").Array("d", values)

    @property
    def spent(self) -> float:
        """USD paid for so far, this run's earlier sessions included."""
        with self._numbers.get_lock():
            return float(self._numbers[_SPENT])

    @property
    def reached(self) -> bool:
        """A call has been refused: no more games should start."""
        return bool(self._numbers[_REACHED])

    def summary(self) -> str:
        """What is spent, in words: "$0.42 spent" or "$0.42 of $1.00 spent"."""
        return f"${self.spent:.2f} spent" if self.cap is None else f"${self.spent:.2f} of ${self.cap:.2f} spent"

    @contextmanager
    def paying(self, price: float) -> Iterator[None]:
        """Around one call that costs ``price``: OverBudget before it starts when it could pass the cap;
        counted as spent when it returns (a call that fails is not counted)."""
        numbers = self._numbers
        with numbers.get_lock():
            spent, committed = numbers[_SPENT], numbers[_COMMITTED]
            if price > 0 and self.cap is not None and spent + committed + price > self.cap + _ROUNDING:
                numbers[_REACHED] = 1.0
                raise OverBudget(spent, self.cap, price)
            numbers[_COMMITTED] = committed + price
        paid = False
        try:
            yield
            paid = True
        finally:
            with numbers.get_lock():
                numbers[_COMMITTED] -= price
                if paid:
                    numbers[_SPENT] += price
