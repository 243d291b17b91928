"""Where meaning ends up: the recurring end states (attractors) of a run's games.

Method. A finished game's end state is its last caption, cleaned as for distances and embedded by the run's
embedder, together with its last image where the embedder takes images (and every game has its images). The
distance between two end states is the cosine distance of their captions, averaged with that of their images
when images are measured. Games are
grouped by agglomerative clustering with average linkage (UPGMA, ``scipy.cluster.hierarchy``), cut at
``threshold``: two groups join while the mean distance between their members is at most the threshold (0.4 by
default, about where MiniLM separates "a grassy park" from "a room" and "outer space" but keeps a dog and a
bench in the same park). A group of at least two games is an attractor; a game alone is a unique end state.

Per attractor: its share of the games, the prompts and pairs that fall into it, the step at which each game
arrives (the first step from which every caption stays within the threshold of the attractor's centre, the
normalised mean of its members' end states) and an exemplar, the member closest to the centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import InvalidInput
from engine.metrics import clean_caption
from engine.protocols import Embedder
from engine.records import Turn
from engine.session import RunSession
from engine.store import Conversation, Run

ATTRACTOR_THRESHOLD = 0.4
METHOD = "average"  # UPGMA: groups join on the mean distance between their members


@dataclass(frozen=True)
class Arrival:
    """One game in an attractor: where it started, who played it, and the step from which it stayed."""

    conversation: str
    prompt_id: str
    prompt: str
    t2i: str
    i2t: str
    step: int
    turns: int


@dataclass(frozen=True)
class Attractor:
    number: int  # 1 is the attractor most games fall into
    games: tuple[Arrival, ...]
    share: float  # of the run's finished games
    exemplar_caption: str
    exemplar_image: Path | None
    spread: float  # mean distance of the members' end states from the centre

    @property
    def prompts(self) -> list[str]:
        return sorted({game.prompt_id for game in self.games})

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return sorted({(game.t2i, game.i2t) for game in self.games})

    @property
    def mean_arrival(self) -> float:
        return float(np.mean([game.step for game in self.games]))


@dataclass(frozen=True)
class AttractorReport:
    threshold: float
    games: int  # finished games clustered
    with_images: bool  # whether image distances took part
    attractors: list[Attractor]
    unique: list[Arrival]  # games whose end state no other game shares
    tree: np.ndarray  # scipy's linkage matrix, for a dendrogram
    end_states: list[Arrival]  # every clustered game, in the order the tree numbers them

    @property
    def method(self) -> str:
        """How the attractors were found, in one sentence for people."""
        what = "captions and images" if self.with_images else "captions"
        return (
            f"{self.games} finished games; end states ({what}) grouped by average-linkage clustering of cosine "
            f"distances, cut at {self.threshold:g}; a game arrives at the first step from which it stays within "
            f"{self.threshold:g} of its attractor's centre"
        )


def run_embedder(session: RunSession, run: Run, model_id: str | None = None) -> Embedder:
    """The embedder the run's games were measured with (or ``model_id``), answering from the session's result
    cache first, so captions a tournament already embedded cost nothing again. Raises UnknownModel,
    ModelUnavailable, or InvalidInput when the games were measured by several embedders and none is named."""
    if model_id is None:
        used = sorted({conversation.info.embedder for conversation in run.conversations})
        if len(used) != 1:
            raise InvalidInput(f"the games were measured by {', '.join(used) or 'no embedder'}; name one")
        model_id = used[0]
    embedder = session.model(model_id, "embed")
    assert isinstance(embedder, Embedder)
    return embedder


class _Game:
    """One finished game, step by step, as unit vectors: each step's caption, joined by its image when images
    are measured. Halves of length 1/√2 make the cosine distance of two joined vectors the mean of the caption
    distance and the image distance."""

    def __init__(self, conversation: Conversation, embedder: Embedder, with_images: bool):
        self.conversation = conversation
        self.turns = [turn for turn in conversation.turns if turn.caption is not None]
        states = _unit(embedder.embed_texts([clean_caption(turn.caption or "") for turn in self.turns]))
        if with_images:
            images = _unit(embedder.embed_images([_image(conversation, turn) for turn in self.turns]))
            states = np.hstack([states, images]) / np.sqrt(2)
        self.states = states

    def arrival(self, step: int) -> Arrival:
        info = self.conversation.info
        return Arrival(info.id, info.prompt_id, info.prompt, info.t2i, info.i2t, step, len(self.turns))


def _image(conversation: Conversation, turn: Turn) -> Path:
    path = conversation.image_path(turn)
    if path is None or not path.is_file():
        raise InvalidInput(f"{conversation.folder}: turn {turn.step} has no image file")
    return path


def _has_images(conversation: Conversation) -> bool:
    return all((path := conversation.image_path(t)) is not None and path.is_file() for t in conversation.turns)


def _unit(vectors: np.ndarray) -> np.ndarray:
    rows: np.ndarray = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    units: np.ndarray = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return units


def find_attractors(run: Run, embedder: Embedder, threshold: float = ATTRACTOR_THRESHOLD) -> AttractorReport:
    """Cluster the end states of ``run``'s finished games. Raises InvalidInput when there is nothing to group."""
    if not 0.0 < threshold < 2.0:
        raise InvalidInput(f"the attractor threshold is a cosine distance between 0 and 2, not {threshold}")
    finished = [c for c in run.conversations if c.info.status == "finished" and c.turns]
    if len(finished) < 2:
        raise InvalidInput(f"{run.folder} has {len(finished)} finished games; attractors need at least two")
    with_images = embedder.takes_images and all(_has_images(conversation) for conversation in finished)
    games = [_Game(conversation, embedder, with_images) for conversation in finished]
    if len({game.states.shape[1] for game in games}) > 1:
        # A run's kept vectors of another length than the model gives were served before its first answer
        # showed them wrong; they are forgotten now (engine/cache.py), and asked again.
        games = [_Game(conversation, embedder, with_images) for conversation in finished]
    ends = np.stack([game.states[-1] for game in games])
    distances = np.clip(1.0 - ends @ ends.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    # scipy's clustering takes most of a second to import: only `analyze` and the attractor screen pay for it.
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    tree = linkage(squareform((distances + distances.T) / 2, checks=False), method=METHOD)
    labels = fcluster(tree, t=threshold, criterion="distance")

    groups = sorted((np.flatnonzero(labels == label) for label in set(labels)), key=lambda g: (-len(g), g[0]))
    attractors: list[Attractor] = []
    unique: list[Arrival] = []
    for members in groups:
        if len(members) == 1:
            game = games[members[0]]
            unique.append(game.arrival(len(game.turns)))
            continue
        attractors.append(_attractor(len(attractors) + 1, [games[i] for i in members], len(games), threshold))
    end_states = [game.arrival(len(game.turns)) for game in games]
    return AttractorReport(threshold, len(games), with_images, attractors, unique, tree, end_states)


def _attractor(number: int, members: list[_Game], total: int, threshold: float) -> Attractor:
    centre = _unit(np.mean([game.states[-1] for game in members], axis=0))[0]
    arrivals, finals = [], []
    for game in members:
        from_centre = 1.0 - game.states @ centre
        outside = np.flatnonzero(from_centre > threshold)
        # The step after the last one outside the threshold (the last step if even that one is outside).
        arrival = min(int(outside[-1]) + 2, len(from_centre)) if len(outside) else 1
        arrivals.append(game.arrival(arrival))
        finals.append(float(from_centre[-1]))
    exemplar = members[int(np.argmin(finals))]
    last = exemplar.turns[-1]
    return Attractor(
        number=number,
        games=tuple(arrivals),
        share=len(members) / total,
        exemplar_caption=last.caption or "",
        exemplar_image=exemplar.conversation.image_path(last),
        spread=float(np.mean(finals)),
    )
