"""A tournament's plan: which games it plays (every text→image × image→text pair on a set of prompts), how
many calls they make and what they should cost; saved in the run, so a resume needs nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.budget import estimated_cost
from engine.catalog import Catalog
from engine.errors import InvalidInput, StorageError
from engine.game import validate_turns
from engine.prompts import LEVELS, Prompt, validate_prompt_text
from engine.protocols import Kind
from engine.untrusted import model_id_name, plain_name


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
        shares = [(m, calls[kind] / len(ids)) for kind, ids in self.models_by_kind.items() for m in ids]
        return estimated_cost(catalog, shares)

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
            return tuple(model_id_name(value, f"{source}: {key}") for value in values)

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
        embedder = model_id_name(data.get("embedder"), f"{source}: embedder")
        return cls(names("t2i"), names("i2t"), embedder, tuple(prompt(raw) for raw in prompts), turns, seed)
