"""The records a run is made of: a conversation's settings and one line per turn.

``from_json`` is how a record comes back from a run folder, which may come from anyone: every field is
checked for its type (and ids for being plain names) before a record is built, so a damaged or crafted
file is refused with a message naming the field, never half-loaded into something that fails later.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal, get_args

from engine.errors import StorageError
from engine.untrusted import MAX_TEXT_CHARS, model_id_name, plain_name

# "capped": stopped before a call that could have passed the run's budget; resumed with a larger one.
Status = Literal["playing", "finished", "refused", "failed", "cancelled", "capped"]
# A conversation with one of these statuses is over: re-playing it does nothing. A failed one (a provider
# that kept failing) is not: playing it again retries the turn that failed.
ENDED: tuple[Status, ...] = ("finished", "refused")
# A model said no (refused) or could not answer (failed).
FAILURES: tuple[Status, ...] = ("refused", "failed")


@dataclass(frozen=True)
class Turn:
    """One turn as written to the journal. A failed turn has ``error`` set and no caption or distances.

    Step 0 is a game's start picture (only a game started from one has it): nothing drawn (``text`` and
    ``t2i`` are empty), its ``image`` the picture given and its ``caption`` the first description, which the
    later turns are measured against."""

    step: int
    text: str  # what was drawn
    t2i: str  # the model that drew it ("" at step 0)
    i2t: str  # the model (or "you", a person) that described it
    embedder: str
    image: str | None = None  # path relative to the conversation folder
    caption: str | None = None  # as the model returned it; the next turn draws this
    t2i_seconds: float | None = None
    i2t_seconds: float | None = None
    distance_to_prompt: float | None = None  # cleaned caption ↔ prompt, cosine distance in [0, 2]
    distance_to_previous: float | None = None  # cleaned caption ↔ previous caption (the prompt at step 1)
    image_to_prompt: float | None = None  # only where the embedder takes images
    image_to_previous_image: float | None = None
    error: str | None = None
    refused: bool = False
    # What each model was sent (the text as "{text}", the image as "{image}"), and whether both give the same
    # answer again for those inputs; None in journals written before they were recorded.
    t2i_inputs: dict[str, Any] | None = None
    i2t_inputs: dict[str, Any] | None = None
    reproducible: bool | None = None
    person: bool = False  # a person described it: never cached, never priced
    image_to_start_image: float | None = None  # a game from a picture: image ↔ the start picture

    @property
    def reproducibility(self) -> str:
        """Whether playing this turn again with the same seed gives the same answers, in a few words."""
        if self.reproducible is None:
            return "reproducibility not recorded"
        return "reproducible" if self.reproducible else "not reproducible (a model samples)"

    @property
    def failure(self) -> Status | None:
        """ "refused" or "failed" for a turn a model did not finish, None for a finished one."""
        if self.error is None:
            return None
        return "refused" if self.refused else "failed"

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))  # the fields, in order; their values are JSON already (asdict would copy them)

    @classmethod
    def from_json(cls, data: Any, source: str = "turn") -> Turn:
        """The turn in ``data``; StorageError, naming ``source``, when a field is missing or of the wrong kind."""
        return cls(**_checked(cls, data, source))


@dataclass(frozen=True)
class ConversationInfo:
    """One game's settings and outcome, stored as ``conversation.json``. ``t2i`` and ``i2t`` are lineups:
    one model id, or several joined by commas, taking turns in that order. A game started from a picture
    names it by ``start_picture`` (its SHA-256) and its ``prompt`` says which file it was."""

    id: str
    prompt: str
    prompt_id: str
    level: str
    t2i: str
    i2t: str
    embedder: str
    turns: int
    seed: int
    created: str
    status: Status = "playing"
    detail: str = ""
    start_picture: str | None = None

    @property
    def drawers(self) -> tuple[str, ...]:
        return players(self.t2i)

    @property
    def describers(self) -> tuple[str, ...]:
        return players(self.i2t)

    @property
    def pair(self) -> str:
        """The lineup in a few words, e.g. "sketch-painter ⇄ sketch-reader" or "a,b ⇄ you,c"."""
        return f"{self.t2i} ⇄ {self.i2t}"

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))  # the fields, in order; their values are JSON already (asdict would copy them)

    @classmethod
    def from_json(cls, data: Any, source: str = "conversation") -> ConversationInfo:
        """The settings in ``data``; StorageError, naming ``source``, when a field is missing or wrong."""
        return cls(**_checked(cls, data, source))


def players(lineup: str) -> tuple[str, ...]:
    """The model ids of a lineup as a run stores it ("a,b"), in playing order."""
    return tuple(lineup.split(","))


def lineup(ids: tuple[str, ...] | list[str]) -> str:
    """A lineup as a run stores it: the ids in playing order, joined by commas."""
    return ",".join(ids)


def _text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")  # a lone surrogate (JSON allows "\ud800") can be neither printed nor saved
    except UnicodeEncodeError:
        return False
    return True


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    if not (_whole(value) or isinstance(value, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond any float
        return False


# What each annotated field type accepts; ids are checked apart, as plain names.
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "str": _text,
    "str | None": lambda value: value is None or _text(value),
    "int": _whole,
    "float | None": lambda value: value is None or _number(value),
    "bool": lambda value: isinstance(value, bool),
    "bool | None": lambda value: value is None or isinstance(value, bool),
    "dict[str, Any] | None": lambda value: value is None or isinstance(value, dict),
    "Status": lambda value: value in get_args(Status),
}
_NAMES = {"id", "prompt_id"}
_MODEL_IDS = {"embedder"}
_LINEUPS = {"t2i", "i2t"}  # a model id, or several joined by commas; a turn's t2i is "" at step 0
_POSITIVE = {"turns"}
_NATURAL = {"step"}


def _checked(cls: type, data: Any, source: str) -> dict[str, Any]:
    """The known fields of ``data`` for ``cls``, each checked; StorageError names the first bad one."""
    if not isinstance(data, dict):
        raise StorageError(f"{source}: expected a JSON object")
    values = {}
    for field in fields(cls):
        if field.name not in data:
            if field.default is MISSING:
                raise StorageError(f"{source}: lacks {field.name}")
            continue
        value = data[field.name]
        if field.name in _NAMES:
            plain_name(value, f"{source}: {field.name}")
        elif field.name in _MODEL_IDS:
            model_id_name(value, f"{source}: {field.name}")
        elif field.name in _LINEUPS:
            if not (value == "" and cls is Turn and data.get("step") == 0):
                for name in value.split(",") if isinstance(value, str) else [value]:
                    model_id_name(name, f"{source}: {field.name}")
        elif isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise StorageError(
                f"{source}: {field.name} is {len(value):,} characters, over the {MAX_TEXT_CHARS:,} ceiling"
            )
        elif (
            not _ACCEPTS[str(field.type)](value)
            or (field.name in _POSITIVE and value < 1)
            or (field.name in _NATURAL and value < 0)
        ):
            raise StorageError(f"{source}: {field.name} is {_shown(value)}, not a valid {field.type}")
        values[field.name] = float(value) if field.type == "float | None" and value is not None else value
    return values


def _shown(value: Any) -> str:
    """A bad value for an error message: its repr, cut short (a crafted file can hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
