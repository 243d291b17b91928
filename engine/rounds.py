"""A round of guessing the prompt (``aitelephone-tui --guess``): the guesses a room made at one game's last
picture, each with its distance to the prompt and the time it was made. Rounds are kept beside their run
(where: ``store.py``); playing one is ``guesses.py``.

``from_json`` is how a round comes back from a run folder, which may come from anyone: the format and version,
every field's type, ids as plain names, texts under the ceiling and distances finite and on the scale are all
checked before a record is built, so a damaged or crafted file is refused with one line naming it."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from engine.errors import StorageError
from engine.untrusted import MAX_TEXT_CHARS, model_id_name, plain_name

ROUND_FORMAT = "aitelephone-round"
ROUND_VERSION = 1
MAX_GUESSES = 500  # a talk's room makes dozens; at most this many whole guesses stay under the file ceiling
MAX_DISTANCE = 2.0  # cosine distance: 0 same meaning, 2 opposite


@dataclass(frozen=True)
class Guess:
    """One guess at the prompt: what was typed (made plain), its cosine distance to the prompt, and when."""

    text: str
    distance: float
    time: str


@dataclass(frozen=True)
class Round:
    """The guesses made at one conversation's last picture, in the order they were made. ``id`` names the
    round among its run's rounds; ``revealed`` is when the prompt was shown (None while the room guesses)."""

    id: str
    conversation: str
    embedder: str
    started: str
    guesses: tuple[Guess, ...] = ()
    revealed: str | None = None

    def ranked(self) -> list[Guess]:
        """The guesses best first; of two at the same distance the earlier."""
        return sorted(self.guesses, key=lambda guess: guess.distance)

    @property
    def best(self) -> Guess | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None

    def adding(self, guess: Guess) -> Round:
        return replace(self, guesses=(*self.guesses, guess))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ROUND_FORMAT,
            "version": ROUND_VERSION,
            "conversation": self.conversation,
            "embedder": self.embedder,
            "started": self.started,
            "revealed": self.revealed,
            "guesses": [{"text": g.text, "distance": g.distance, "time": g.time} for g in self.guesses],
        }

    @classmethod
    def from_json(cls, data: Any, round_id: str, source: str) -> Round:
        """The round in ``data``; StorageError, naming ``source``, for anything missing, unknown or wrong."""
        if not isinstance(data, dict) or data.get("format") != ROUND_FORMAT:
            raise StorageError(f"{source}: not a round of guesses")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= ROUND_VERSION:
            raise StorageError(
                f"{source}: round format version {version!r}; this aitelephone reads up to {ROUND_VERSION}"
            )
        guesses = data.get("guesses")
        if not isinstance(guesses, list) or len(guesses) > MAX_GUESSES:
            raise StorageError(f"{source}: guesses must be a list of at most {MAX_GUESSES:,}")
        revealed = data.get("revealed")
        return cls(
            id=plain_name(round_id, source),
            conversation=plain_name(data.get("conversation"), f"{source}: conversation"),
            embedder=model_id_name(data.get("embedder"), f"{source}: embedder"),
            started=_text(data.get("started"), f"{source}: started"),
            guesses=tuple(_guess(guess, f"{source}: guess {number}") for number, guess in enumerate(guesses, 1)),
            revealed=None if revealed is None else _text(revealed, f"{source}: revealed"),
        )


def _text(value: Any, source: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise StorageError(f"{source}: not a text of at most {MAX_TEXT_CHARS:,} characters")
    try:
        value.encode("utf-8")  # a lone surrogate (JSON allows "\ud800") can be neither printed nor saved
    except UnicodeEncodeError:
        raise StorageError(f"{source}: not a text that can be printed") from None
    return value


def _guess(data: Any, source: str) -> Guess:
    if not isinstance(data, dict):
        raise StorageError(f"{source}: expected a JSON object")
    distance = data.get("distance")
    if isinstance(distance, bool) or not isinstance(distance, int | float):
        raise StorageError(f"{source}: distance is not a number")
    try:
        distance = float(distance)
    except OverflowError:  # an integer beyond any float
        raise StorageError(f"{source}: distance is not a finite number") from None
    if not math.isfinite(distance) or not 0.0 <= distance <= MAX_DISTANCE:
        raise StorageError(f"{source}: distance {distance!r} is not on the scale from 0 to {MAX_DISTANCE:g}")
    return Guess(_text(data.get("text"), f"{source}: text"), distance, _text(data.get("time"), f"{source}: time"))
