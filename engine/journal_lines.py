"""Reading a conversation's journal line by line: the turns of its good prefix, what is damaged after them,
and cutting off a torn last line (what a crash or a full disk leaves) so that a game can go on.

A journal is appended one whole line per turn, so damage is most often a last line cut short. Damage
anywhere hides only what follows it: every turn before it still loads.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import StorageError
from engine.records import Turn
from engine.untrusted import (
    MAX_JOURNAL_BYTES,
    MAX_JSON_DEPTH,
    MAX_LINE_BYTES,
    inside,
    json_depth,
    open_in_place,
    read_regular,
)

log = logging.getLogger(__name__)


def parse_json(text: str | bytes) -> Any:
    """JSON from a file that may come from anyone; ValueError for anything that is not plain JSON (a syntax
    error, an integer too long to convert, nesting past MAX_JSON_DEPTH, which would exhaust the stack of
    whatever walks it later)."""
    try:
        data = json.loads(text)
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} deep")
    return data


@dataclass(frozen=True)
class JournalContents:
    """The turns of a journal's good prefix; ``damage`` says what could not be read after them (None when
    nothing), ``good_length`` is where the good prefix ends (bytes), ``torn_end`` whether only the last
    line is bad."""

    turns: list[Turn]
    damage: str | None
    good_length: int
    torn_end: bool


def read_journal(path: Path) -> JournalContents:
    """The journal at ``path``, read up to its first bad line. A failed turn followed by another try at the
    same step (a re-run after a provider failure) stays on disk; only the try that came after it loads."""
    data = read_regular(path, MAX_JOURNAL_BYTES)
    turns: list[Turn] = []
    lines = data.splitlines(keepends=True)
    offset = 0
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            try:
                turn = _turn(path, number, raw, turns)
            except StorageError as error:
                later = sum(1 for line in lines[number:] if line.strip())
                damage = f"{error}" + (f" ({later} later lines not read)" if later else "")
                return JournalContents(turns, damage, offset, torn_end=not later)
            if turns and turns[-1].error is not None and turn.step == turns[-1].step:
                turns.pop()  # the failed try this one replaces
            turns.append(turn)
        offset += len(raw)
    return JournalContents(turns, None, offset, torn_end=False)


def _turn(path: Path, number: int, raw: bytes, before: list[Turn]) -> Turn:
    where = f"{path}:{number}"
    if len(raw) > MAX_LINE_BYTES:
        raise StorageError(f"{where}: {len(raw):,} bytes, over the {MAX_LINE_BYTES:,}-byte ceiling of a line")
    try:
        data = parse_json(raw.rstrip(b"\r\n").decode("utf-8"))
    except UnicodeDecodeError as error:
        raise StorageError(f"{where}: not UTF-8 text") from error
    except ValueError as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else error
        raise StorageError(f"{where}: not valid JSON ({reason})") from error
    turn = Turn.from_json(data, where)
    retry = bool(before) and before[-1].error is not None and turn.step == before[-1].step
    # The first line is step 1, or step 0 in a game started from a picture; each later one the next step.
    expected = (before[-1].step + 1,) if before else (0, 1)
    if turn.step not in expected and not retry:
        raise StorageError(f"{where}: step {turn.step} where step {expected[-1]} was expected")
    if turn.image is not None:
        inside(path.parent, turn.image, f"{where}: image")
    return turn


def repair_torn_end(path: Path, contents: JournalContents) -> None:
    """Before a writer goes on: cut a torn last line off (with a warning), and end the good prefix with a
    newline. Damage before the last line is not guessed at: StorageError says where it is."""
    if contents.damage is not None and not contents.torn_end:
        raise StorageError(f"{contents.damage}; mend or remove that line to go on with this game")
    with os.fdopen(open_in_place(path, os.O_RDWR), "r+b") as journal:
        changed = False
        if contents.damage is not None:
            log.warning("%s; cut off, the game goes on from turn %d", contents.damage, len(contents.turns) + 1)
            journal.truncate(contents.good_length)
            changed = True
        if contents.good_length:
            journal.seek(contents.good_length - 1)
            if journal.read(1) != b"\n":  # a whole last line whose newline was never written
                journal.seek(contents.good_length)
                journal.write(b"\n")
                changed = True
        if changed:
            journal.flush()
            os.fsync(journal.fileno())
