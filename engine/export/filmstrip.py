"""A conversation as one picture, like the article's figures: each turn's image in a row, the text it was
drawn from in red and the caption it produced in green beneath, the models on the strip.

Drawing a run's strips is most of `analyze`, so they are drawn in worker processes, each image is decoded
and scaled once (the store links a drawing made again to the same file: a game's first drawing is shared by
every describer, settled games repeat theirs), each text line is rasterised once (a caption is also the next
turn's text), each strip is encoded by our own PNG writer (`png.py`), and a strip already drawn from the same
turns is kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import textwrap
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from engine.errors import StorageError
from engine.export.png import png_bytes
from engine.imagefiles import open_picture
from engine.records import Turn
from engine.store import Conversation
from engine.untrusted import MAX_IMAGE_BYTES, file_safe, inside, read_regular, shortened, write_atomically

CELL = 256
TEXT_LINES = 9
LINE_HEIGHT = 15
MARGIN = 8
RED, GREEN, INK, PAPER = (200, 30, 40), (20, 130, 50), (30, 30, 30), (250, 250, 247)
STAMP = "aitelephone-turns"  # a PNG text field: the hash of what the strip was drawn from
KEPT_CELLS = 256  # scaled images kept for reuse: about 50 MB
DRAWN_HERE_BELOW = 16  # strips a worker must have to be worth starting (a start costs about 6 strips)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=8192)
def _line_mask(text: str, size: int) -> Image.Image:
    """``text`` rasterised once as a coverage mask, pasted in any colour wherever it recurs."""
    font = _font(size)
    _, _, right, bottom = font.getbbox(text) if text else (0, 0, 1, 1)
    mask = Image.new("L", (max(int(right), 1), max(int(bottom), 1)))
    ImageDraw.Draw(mask).text((0, 0), text, fill=255, font=font)
    return mask


def _write(strip: Image.Image, xy: tuple[int, int], text: str, colour: tuple[int, int, int], size: int) -> None:
    strip.paste(colour, xy, _line_mask(text, size))


def _lines(text: str, width: int = 40) -> list[str]:
    lines = textwrap.wrap(shortened(text), width) or [""]
    return lines if len(lines) <= TEXT_LINES else [*lines[: TEXT_LINES - 1], lines[TEXT_LINES - 1][: width - 1] + "…"]


class _Cells:
    """Turn images scaled to a cell, the latest ``KEPT_CELLS`` kept by file identity (device, inode, size,
    modification time): a file linked from many turns is decoded once. One for each portion of strips."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[int, int, int, int], Image.Image | None] = OrderedDict()

    def get(self, conversation: Conversation, turn: Turn) -> Image.Image | None:
        """The turn's image as a cell, or None where it is missing or is not a readable image."""
        try:
            path = conversation.image_path(turn)
            if path is None:
                return None
            status = path.stat()
        except (StorageError, OSError):
            return None
        identity = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        if identity in self._kept:
            self._kept.move_to_end(identity)
            return self._kept[identity]
        cell = self._kept[identity] = _scaled(path)
        if len(self._kept) > KEPT_CELLS:
            self._kept.popitem(last=False)
        return cell


def _scaled(path: Path) -> Image.Image | None:
    try:
        image = open_picture(path)
    except StorageError:
        return None
    if image.size == (2 * CELL, 2 * CELL):  # the sketch painter's size: halving is cheaper than resampling
        return image.reduce(2)
    return image.resize((CELL, CELL))


def filmstrip(conversation: Conversation, cells: _Cells) -> Image.Image:
    info = conversation.info
    turns = conversation.shown_turns  # a game from a picture starts with it: turn 0
    text_height = 2 * TEXT_LINES * LINE_HEIGHT + 3 * MARGIN
    width = max(len(turns), 1) * (CELL + MARGIN) + MARGIN
    height = 40 + CELL + text_height
    strip = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(strip)
    heading = f"drawn by {info.t2i}, described by {info.i2t}  ·  {info.level}  ·  {info.prompt_id}"
    draw.text((MARGIN, 10), heading, fill=INK, font=_font(18))
    for index, turn in enumerate(turns):
        x = MARGIN + index * (CELL + MARGIN)
        cell = cells.get(conversation, turn)
        if cell is not None:
            strip.paste(cell, (x, 40))
        else:
            draw.rectangle((x, 40, x + CELL, 40 + CELL), outline=INK)
        _write(strip, (x + 4, 44), f"{turn.step}", INK, 14)
        y = 40 + CELL + MARGIN
        for line in _lines(turn.text if turn.step else "(the picture the game started from)"):
            _write(strip, (x, y), line, RED, 12)
            y += LINE_HEIGHT
        y = 40 + CELL + 2 * MARGIN + TEXT_LINES * LINE_HEIGHT
        outcome = turn.failure
        answer = turn.caption if turn.caption is not None else f"{outcome}: {turn.error}"
        for line in _lines(answer):
            _write(strip, (x, y), line, GREEN if turn.caption else RED, 12)
            y += LINE_HEIGHT
    return strip


def _stamp(conversation: Conversation) -> str:
    """What a strip shows, hashed: its conversation's settings and turns."""
    drawn = [conversation.info.to_json(), [turn.to_json() for turn in conversation.shown_turns]]
    return hashlib.sha256(json.dumps(drawn, sort_keys=True).encode("utf-8")).hexdigest()


def _is_current(path: Path, stamp: str) -> bool:
    try:
        with Image.open(io.BytesIO(read_regular(path, MAX_IMAGE_BYTES))) as strip:  # the stamp is in the header
            return strip.info.get(STAMP) == stamp
    except (StorageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def _draw(jobs: list[tuple[Conversation, Path, str]]) -> None:
    """Draw and write these strips (in a worker process, or here when there are few)."""
    cells = _Cells()
    for conversation, path, stamp in jobs:
        write_atomically(path, png_bytes(filmstrip(conversation, cells), {STAMP: stamp}))


class Filmstrips:
    """A run's strips being drawn: one PNG per conversation, named by its pair, prompt and id; a strip drawn
    from the same turns before is kept unless ``redraw``. Many strips are drawn in worker processes (the
    text and pasting hold the GIL, so threads used barely more than one core), a few here.
    ``result()`` waits for them and returns every conversation's strip; leaving a ``with`` block without it
    cancels what has not begun."""

    def __init__(self, conversations: list[Conversation], folder: Path, redraw: bool = False):
        self.paths: list[Path] = []
        work = []
        for conversation in conversations:
            if not conversation.turns:
                continue
            info = conversation.info
            path = inside(
                folder, f"{file_safe(info.t2i)}__{file_safe(info.i2t)}__{info.prompt_id}__{info.id}.png", str(folder)
            )
            self.paths.append(path)
            stamp = _stamp(conversation)
            if redraw or not _is_current(path, stamp):
                work.append((conversation, path, stamp))
        self._pool: ProcessPoolExecutor | None = None
        self._drawing: list[Future[None]] = []
        if not work:
            return
        folder.mkdir(parents=True, exist_ok=True)
        workers = min(os.cpu_count() or 1, len(work) // DRAWN_HERE_BELOW)
        if workers < 1:
            _draw(work)
            return
        # Games sharing a first drawing (one prompt, one painter) side by side, so one worker decodes it once.
        work.sort(key=lambda job: (job[0].info.t2i, job[0].info.prompt_id))
        share = -(-len(work) // (2 * workers))  # two portions a worker: one finishing early takes another
        # spawn, never fork: the caller may have threads
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self._drawing = [self._pool.submit(_draw, work[start : start + share]) for start in range(0, len(work), share)]

    def result(self) -> list[Path]:
        if self._pool is not None:
            with self._pool:
                for portion in self._drawing:
                    portion.result()
            self._pool = None
        return self.paths

    def __enter__(self) -> Filmstrips:
        return self

    def __exit__(self, *exception: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def write_filmstrips(conversations: list[Conversation], folder: Path, redraw: bool = False) -> list[Path]:
    """The strips of ``conversations`` in ``folder`` (see ``Filmstrips``), drawn before this returns."""
    with Filmstrips(conversations, folder, redraw) as strips:
        return strips.result()
