"""Who plays a game: lineups of models taking turns in order, and a person ("you") as a describer.

A lineup is typed as ids joined by commas (``--t2i a,b --i2t c,d`` plays a→c→b→d→a…). Each is checked
before anything is written: an empty list, an unknown id or ``you`` as a drawer is refused in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.catalog import Catalog
from engine.errors import InvalidInput, Stopped
from engine.protocols import KIND_NAMES, ImageToText, Kind
from engine.untrusted import MAX_TEXT_CHARS, shortened

PERSON = "you"  # the id of a person in an image→text lineup

# Shows the person the picture and returns what they wrote, or None when they would rather stop.
Ask = Callable[[Path], str | None]


class Person(ImageToText):
    """A person describing the picture: ``ask`` shows it and waits for their words. A person's answers are
    never cached (nobody answers twice alike) and never priced."""

    model_id = PERSON
    reproducible = False
    by_person = True

    def __init__(self, ask: Ask):
        self.ask = ask

    def describe(self, image: Path, *, seed: int) -> str:
        """The person's description of ``image``; Stopped when they stop instead of answering."""
        answer = self.ask(image)
        if answer is None:
            raise Stopped("stopped while a person was describing the picture")
        return shortened(" ".join(answer.split()), MAX_TEXT_CHARS)

    def inputs(self, seed: int) -> dict[str, Any]:
        return {"image": "{image}", "asked": "a person, to describe the picture"}


def parse_lineup(text: str, kind: Kind, catalog: Catalog) -> tuple[str, ...]:
    """The model ids in ``text`` ("a,b"), in playing order, each known to the catalog as a ``kind`` model
    (``you`` only describes). InvalidInput or UnknownModel, in one line, before anything is written."""
    ids = tuple(part.strip() for part in text.split(","))
    if not text.strip() or not all(ids):
        raise InvalidInput(f"the {KIND_NAMES[kind]} players are a list of model ids joined by commas, not {text!r}")
    for model_id in ids:
        if model_id == PERSON:
            if kind != "i2t":
                raise InvalidInput(f"{PERSON!r} (a person) describes pictures; only models draw them")
            continue
        catalog.get(model_id, kind)
    return ids
