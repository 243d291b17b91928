"""A tournament's plan: which games it plays (every text→image × image→text pair on a set of prompts, and
any chains of several models asked for), how many calls they make and what they should cost; saved in the run,
so a resume needs nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.budget import estimated_cost
from engine.catalog import Catalog
from engine.errors import InvalidInput, StorageError
from engine.game import validate_turns
from engine.players import PERSON
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


# A lineup of several models per role, taking turns in order: (drawers, describers).
Chain = tuple[tuple[str, ...], tuple[str, ...]]


def parse_chain(text: str) -> Chain:
    """A chain as typed: text→image ids and image→text ids, each joined by commas, the two lists split by a
    slash ("a,b/c,d"). InvalidInput says what is wrong with it."""
    drawers, slash, describers = text.partition("/")
    chain = tuple(tuple(part.strip() for part in side.split(",")) for side in (drawers, describers))
    if not slash or not all(all(side) for side in chain):
        raise InvalidInput(f"a chain is text→image ids and image→text ids split by a slash, like a,b/c,d; not {text!r}")
    return chain[0], chain[1]


@dataclass(frozen=True)
class TournamentPlan:
    """Every text→image × image→text pair on every prompt, and each of ``chains`` (lineups of several models
    taking turns) on every prompt too."""

    t2i: tuple[str, ...]
    i2t: tuple[str, ...]
    embedder: str
    prompts: tuple[Prompt, ...]
    turns: int
    seed: int = 0
    chains: tuple[Chain, ...] = ()

    def __post_init__(self) -> None:
        if not self.t2i or not self.i2t or not self.prompts:
            raise InvalidInput("a tournament needs at least one text→image model, one image→text model and a prompt")
        validate_turns(self.turns)
        if PERSON in self.i2t or any(PERSON in describers for _, describers in self.chains):
            raise InvalidInput(f"a tournament is played by models; {PERSON!r} (a person) plays single games")
        if len(set(self.chains)) < len(self.chains) or any(
            len(drawers) == len(describers) == 1 for drawers, describers in self.chains
        ):
            raise InvalidInput("each chain names more than one model and is named once; pairs come from --t2i × --i2t")
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
        """Every model the plan plays, once each, by kind."""
        t2i = dict.fromkeys([*self.t2i, *(model for drawers, _ in self.chains for model in drawers)])
        i2t = dict.fromkeys([*self.i2t, *(model for _, describers in self.chains for model in describers)])
        return {"t2i": tuple(t2i), "i2t": tuple(i2t), "embed": (self.embedder,)}

    @property
    def lineups(self) -> list[Chain]:
        """Every pair, then every chain."""
        return [((t2i,), (i2t,)) for t2i in self.t2i for i2t in self.i2t] + list(self.chains)

    @property
    def games(self) -> list[tuple[tuple[str, ...], tuple[str, ...], Prompt]]:
        return [(drawers, describers, prompt) for drawers, describers in self.lineups for prompt in self.prompts]

    def calls(self, takes_images: bool = False) -> dict[str, int]:
        """Model calls the whole plan makes: one drawing and one caption per turn, their embeddings, and one
        embedding per prompt (shared by every game that starts from it)."""
        turns = len(self.games) * self.turns
        return {"t2i": turns, "i2t": turns, "embed": turns * (2 if takes_images else 1) + len(self.prompts)}

    def cost(self, catalog: Catalog) -> float | None:
        """Estimated USD from the catalog's cost hints; None when no chosen model has one."""
        calls = self.calls(catalog.takes_images(self.embedder))
        games = len(self.prompts)
        shares = [(self.embedder, float(calls["embed"]))]
        for drawers, describers in self.lineups:  # each player of a lineup takes its share of the turns
            shares += [(model, games * self.turns / len(drawers)) for model in drawers]
            shares += [(model, games * self.turns / len(describers)) for model in describers]
        return estimated_cost(catalog, shares)

    def summary(self, catalog: Catalog) -> PlanSummary:
        """What the plan will do and cost, in words both front ends show as they are."""
        takes_images = catalog.takes_images(self.embedder)
        calls = self.calls(takes_images)
        lineups = f"{len(self.t2i)} text→image × {len(self.i2t)} image→text"
        if self.chains:
            lineups = f"({lineups} + {len(self.chains)} chains)"
        return PlanSummary(
            games=f"{len(self.games)} = {lineups} × {len(self.prompts)} prompts, {self.turns} turns each",
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
            # Only where there are some: a plan of pairs stays as it was saved before chains (`--out` compares).
            **(
                {"chains": [[list(drawers), list(describers)] for drawers, describers in self.chains]}
                if self.chains
                else {}
            ),
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

        def chain(raw: Any) -> Chain:
            if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(side, list) and side for side in raw)):
                raise StorageError(f"{source}: a chain is two lists of model ids")
            drawers, describers = (tuple(model_id_name(value, f"{source}: chains") for value in side) for side in raw)
            return drawers, describers

        chains = data.get("chains", [])
        if not isinstance(chains, list):
            raise StorageError(f"{source}: chains is not a list")
        embedder = model_id_name(data.get("embedder"), f"{source}: embedder")
        plan = (names("t2i"), names("i2t"), embedder, tuple(prompt(raw) for raw in prompts), turns, seed)
        return cls(*plan, chains=tuple(chain(raw) for raw in chains))
