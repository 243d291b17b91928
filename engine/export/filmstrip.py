"""A conversation as one picture, like the article's figures: each turn's image in a row, the text it was
drawn from in red and the caption it produced in green beneath, the models on the strip.

Drawing a run's strips is most of `analyze`, so they are drawn in parallel (Pillow decodes, scales and
encodes without the GIL), each text line is rasterised once (a caption is also the next turn's text, and
settled games repeat theirs), and a strip already drawn from the same turns is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from engine.errors import StorageError
from engine.records import Turn
from engine.store import Conversation, write_atomically
from engine.untrusted import inside

CELL = 256
TEXT_LINES = 9
LINE_HEIGHT = 15
MARGIN = 8
RED, GREEN, INK, PAPER = (200, 30, 40), (20, 130, 50), (30, 30, 30), (250, 250, 247)
STAMP = "aitelephone-turns"  # a PNG text field: the hash of what the strip was drawn from


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
    lines = textwrap.wrap(text, width) or [""]
    return lines if len(lines) <= TEXT_LINES else [*lines[: TEXT_LINES - 1], lines[TEXT_LINES - 1][: width - 1] + "…"]


def _cell(conversation: Conversation, turn: Turn) -> Image.Image | None:
    """The turn's image as a cell, or None where it is missing or is not a readable image."""
    try:
        path = conversation.image_path(turn)
        if path is None or not path.is_file():
            return None
        with Image.open(path) as stored:
            image = stored.convert("RGB")
    except (StorageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if image.size == (2 * CELL, 2 * CELL):  # the sketch painter's size: halving is cheaper than resampling
        return image.reduce(2)
    return image.resize((CELL, CELL))


def filmstrip(conversation: Conversation) -> Image.Image:
    info = conversation.info
    turns = conversation.turns
    text_height = 2 * TEXT_LINES * LINE_HEIGHT + 3 * MARGIN
    width = max(len(turns), 1) * (CELL + MARGIN) + MARGIN
    height = 40 + CELL + text_height
    strip = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(strip)
    heading = f"drawn by {info.t2i}, described by {info.i2t}  ·  {info.level}  ·  {info.prompt_id}"
    draw.text((MARGIN, 10), heading, fill=INK, font=_font(18))
    for index, turn in enumerate(turns):
        x = MARGIN + index * (CELL + MARGIN)
        cell = _cell(conversation, turn)
        if cell is not None:
            strip.paste(cell, (x, 40))
        else:
            draw.rectangle((x, 40, x + CELL, 40 + CELL), outline=INK)
        _write(strip, (x + 4, 44), f"{turn.step}", INK, 14)
        y = 40 + CELL + MARGIN
        for line in _lines(turn.text):
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
    drawn = [conversation.info.to_json(), [turn.to_json() for turn in conversation.turns]]
    return hashlib.sha256(json.dumps(drawn, sort_keys=True).encode("utf-8")).hexdigest()


def _is_current(path: Path, stamp: str) -> bool:
    try:
        with Image.open(path) as strip:  # the stamp is read with the header, before any pixel
            return strip.info.get(STAMP) == stamp
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def _draw(conversation: Conversation, path: Path, stamp: str) -> None:
    metadata = PngImagePlugin.PngInfo()
    metadata.add_text(STAMP, stamp)
    buffer = BytesIO()
    # Level 1: a third of the time of the default for files half again as big; strips are mostly flat.
    filmstrip(conversation).save(buffer, format="PNG", compress_level=1, pnginfo=metadata)
    write_atomically(path, buffer.getvalue())


def write_filmstrips(conversations: list[Conversation], folder: Path, redraw: bool = False) -> list[Path]:
    """One PNG per conversation, named by its pair, prompt and id; a strip drawn from the same turns before
    is kept unless ``redraw``. Returns every conversation's strip."""
    strips, work = [], []
    for conversation in conversations:
        if not conversation.turns:
            continue
        info = conversation.info
        path = inside(folder, f"{info.t2i}__{info.i2t}__{info.prompt_id}__{info.id}.png", str(folder))
        strips.append(path)
        stamp = _stamp(conversation)
        if redraw or not _is_current(path, stamp):
            work.append((conversation, path, stamp))
    if work:
        folder.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for future in [pool.submit(_draw, *job) for job in work]:
                future.result()
    return strips
