"""What a run says: drift per pair, level and step; when captions stop moving; who keeps meaning best.

Convergence step: the first step after which the caption stops moving — the first step s whose caption
and the next two are each within CONVERGED_BELOW (cosine distance) of the caption before them. None when
the game never settles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.pictures import PICTURE_LEVEL
from engine.players import PERSON
from engine.prompts import LEVELS
from engine.records import Turn
from engine.store import Conversation, Run

CONVERGED_BELOW = 0.02
CONVERGED_FOR = 3
CONVERGENCE_LEGEND = (
    f"settles at: the first step after which the caption moves less than {CONVERGED_BELOW} (cosine) "
    f"for {CONVERGED_FOR} turns in a row"
)


def convergence_step(turns: list[Turn]) -> int | None:
    moves = [t.distance_to_previous for t in turns if t.distance_to_previous is not None]
    for start in range(len(moves) - CONVERGED_FOR + 1):
        if all(move < CONVERGED_BELOW for move in moves[start : start + CONVERGED_FOR]):
            return start  # the caption of step `start` is where it settled (step 0: the prompt itself)
    return None


@dataclass(frozen=True)
class Cell:
    """Mean and spread of one metric over the games of one pair, level and step."""

    mean: float
    std: float
    games: int


@dataclass(frozen=True)
class PairSummary:
    t2i: str
    i2t: str
    level: str
    games: int
    partial: int  # games that ended before their last turn
    final_mean: float | None  # mean distance to the prompt at the last step reached
    final_std: float | None
    convergence_mean: float | None  # mean convergence step of the games that settled
    settled: int  # games that settled

    @property
    def pair(self) -> str:
        return f"{self.t2i} ⇄ {self.i2t}"


@dataclass(frozen=True)
class LeaderboardRow:
    """One ranked pair in display-ready words (see CONVERGENCE_LEGEND for "settles")."""

    rank: str
    pair: str
    games: str
    final: str  # mean final distance to the prompt
    spread: str
    settles: str  # "4.3 (3/4)": mean step the settled games settled at, and how many settled; or "never"

    HEADINGS: ClassVar[tuple[str, ...]] = ("#", "pair", "games", "final", "±", "settles at")

    @property
    def cells(self) -> tuple[str, str, str, str, str, str]:
        return (self.rank, self.pair, self.games, self.final, self.spread, self.settles)


@dataclass(frozen=True)
class PlayerRow:
    """One player's turns in mixed games against the other players' turns of the same games (see
    ``Analysis.players``): mean distance a turn moved the caption."""

    player: str
    role: str  # "draws" or "describes"
    games: int
    turns: int
    own: float | None
    others: float | None

    HEADINGS: ClassVar[tuple[str, ...]] = ("player", "role", "games", "turns", "moves", "others move")

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.player, self.role, str(self.games), str(self.turns), _number(self.own), _number(self.others))


def _mean(values: list[float | None]) -> float | None:
    numbers = [value for value in values if value is not None]
    return float(np.mean(numbers)) if numbers else None


def _mean_final(games: list[Conversation]) -> float | None:
    return _mean([c.turns[-1].distance_to_prompt for c in games if c.turns])


def _played(conversation: Conversation) -> int:
    return sum(turn.error is None for turn in conversation.turns)


def _number(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "–"


class Analysis:
    def __init__(self, run: Run):
        self.run = run
        self.conversations = [c for c in run.conversations if c.turns]

    @property
    def partial(self) -> list[Conversation]:
        """Games that ended before their last turn (stopped, failed or refused): they rank on the turns they
        played, which the leaderboard says."""
        return [c for c in self.conversations if _played(c) < c.info.turns]

    @property
    def partial_note(self) -> str:
        """One line on the partial games, or "" when every game played all its turns."""
        partial = self.partial
        if not partial:
            return ""
        stopped = sum(c.info.status in ("cancelled", "playing") for c in partial)
        capped = sum(c.info.status == "capped" for c in partial)
        ended = len(partial) - stopped - capped
        causes = [
            f"{stopped} stopped part-way" if stopped else "",
            f"{capped} stopped by the budget" if capped else "",
            f"{ended} failed or refused" if ended else "",
        ]
        resume = "; resume the tournament" + (" with a larger budget" if capped else "") + " to finish them"
        return (
            f"{len(partial)} of {len(self.conversations)} games are partial ({', '.join(c for c in causes if c)}): "
            "they rank on the turns they played" + (resume if stopped or capped else "")
        )

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return sorted({(c.info.t2i, c.info.i2t) for c in self.conversations})

    @property
    def levels(self) -> list[str]:
        present = {c.info.level for c in self.conversations}
        return [level for level in (*LEVELS, "custom", PICTURE_LEVEL) if level in present]

    def people_note(self, level: str | None) -> str:
        """How the games a person played in (``you`` among the describers) keep meaning against the games of
        models alone on the same prompts, in one line; "" when no person played at this level."""
        games = [c for c in self.conversations if level is None or c.info.level == level]
        people = [c for c in games if PERSON in c.info.describers]
        prompts = {c.info.prompt for c in people}
        models = [c for c in games if PERSON not in c.info.describers and c.info.prompt in prompts]
        people_final, models_final = _mean_final(people), _mean_final(models)
        if people_final is None:
            return ""
        against = (
            f"models alone {models_final:.3f} in {len(models)} games on the same prompts"
            if models_final is not None
            else "no game of models alone on the same prompts yet"
        )
        return f"with a person: final distance {people_final:.3f} in {len(people)} games; {against}"

    def players(self) -> list[PlayerRow]:
        """Each player of the mixed games (more than one player in its role, a person among models
        included) against the other players of those games: the mean distance its own turns moved the caption
        (from the caption before), and the others' mean there."""
        rows = []
        for role in ("draws", "describes"):

            def lineup_of(game: Conversation) -> tuple[str, ...]:
                return game.info.drawers if role == "draws" else game.info.describers  # noqa: B023 - used at once

            def played_by(turn: Turn) -> str:
                return turn.t2i if role == "draws" else turn.i2t  # noqa: B023 - used at once

            mixed = [c for c in self.conversations if len(set(lineup_of(c))) > 1]
            for player in sorted({player for c in mixed for player in lineup_of(c)}):
                games = [c for c in mixed if player in lineup_of(c)]
                turns = [t for c in games for t in c.turns if t.distance_to_previous is not None]
                own = [t.distance_to_previous for t in turns if played_by(t) == player]
                others = [t.distance_to_previous for t in turns if played_by(t) != player]
                if own:
                    rows.append(PlayerRow(player, role, len(games), len(own), _mean(own), _mean(others)))
        return rows

    def _games(self, pair: tuple[str, str], level: str | None) -> list[Conversation]:
        return [
            c
            for c in self.conversations
            if (c.info.t2i, c.info.i2t) == pair and (level is None or c.info.level == level)
        ]

    def by_step(self, pair: tuple[str, str], level: str | None, metric: str = "distance_to_prompt") -> list[Cell]:
        """One cell per step: the metric's mean and spread over the pair's games at that level."""
        games = self._games(pair, level)
        steps = max((len(c.turns) for c in games), default=0)
        cells = []
        for step in range(steps):
            values = [getattr(c.turns[step], metric) for c in games if len(c.turns) > step]
            values = [v for v in values if v is not None]
            if values:
                cells.append(Cell(float(np.mean(values)), float(np.std(values)), len(values)))
        return cells

    def summary(self, pair: tuple[str, str], level: str | None) -> PairSummary:
        games = self._games(pair, level)
        finals = [t.distance_to_prompt for c in games for t in [c.turns[-1]] if t.distance_to_prompt is not None]
        settled = [s for c in games if (s := convergence_step(c.turns)) is not None]
        return PairSummary(
            pair[0],
            pair[1],
            level or "all",
            len(games),
            sum(_played(c) < c.info.turns for c in games),
            float(np.mean(finals)) if finals else None,
            float(np.std(finals)) if finals else None,
            float(np.mean(settled)) if settled else None,
            len(settled),
        )

    def leaderboard(self, level: str | None) -> list[PairSummary]:
        """Pairs ranked by mean final distance to the prompt (lower keeps meaning better)."""
        rows = [self.summary(pair, level) for pair in self.pairs]
        rows = [row for row in rows if row.games]
        return sorted(rows, key=lambda row: (row.final_mean is None, row.final_mean or 0.0))

    def leaderboard_rows(self, level: str | None) -> list[LeaderboardRow]:
        """The leaderboard of ``level`` ready to show, best pair first."""
        return [
            LeaderboardRow(
                str(rank),
                row.pair,
                f"{row.games} ({row.partial} partial)" if row.partial else str(row.games),
                _number(row.final_mean),
                _number(row.final_std),
                f"{_number(row.convergence_mean, 1)} ({row.settled}/{row.games})" if row.settled else "never",
            )
            for rank, row in enumerate(self.leaderboard(level), start=1)
        ]
