"""What the terminal can draw, asked once before the first frame.

The app sends one batch of queries (the terminal's name and version, Kitty graphics, Sixel's colour registers
and largest graphic, the cell size in pixels) followed by Primary Device Attributes, which every terminal
answers: its reply ends the wait. Whatever is missing, late or garbled counts as "cannot": the choice falls back
to half cells, which every terminal with colours draws. The answers are parsed from bytes a terminal sent, so
they are untrusted like any input: only numbers of sane size and printable names are kept.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import sys
import termios
import time
import tty
from dataclasses import dataclass
from typing import Literal

PictureMode = Literal["kitty", "sixel", "halfcell", "unicode"]
_MODES: dict[str, PictureMode] = {"kitty": "kitty", "sixel": "sixel", "halfcell": "halfcell", "unicode": "unicode"}
IMAGE_CHOICES = ("auto", *_MODES)
PROBE_SECONDS = 0.5
_PROBE_ID = 31  # the Kitty graphics query's image id; a reply names it
_QUERIES = (
    b"\x1b[>0q"  # XTVERSION: name(version)
    + b"\x1b_Gi=%d,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" % _PROBE_ID  # Kitty graphics: does it answer OK?
    + b"\x1b[?1;1;0S"  # XTSMGRAPHICS: how many Sixel colour registers
    + b"\x1b[?2;1;0S"  # XTSMGRAPHICS: the largest Sixel graphic, in pixels
    + b"\x1b[16t"  # the cell size in pixels (many terminals refuse window reports; the ioctl may know)
    + b"\x1b[c"  # Primary Device Attributes: answered by every terminal, and last
)
_MAX_ANSWER = 4096  # bytes read at most: a terminal that floods is not believed
_DEVICE_ATTRIBUTES = re.compile(rb"\x1b\[\?([0-9;]{1,80})c")
_VERSION = re.compile(rb"\x1bP>\|([ -~]{1,60}?)\x1b\\")
_KITTY = re.compile(rb"\x1b_Gi=%d;([ -~]{0,60}?)\x1b\\" % _PROBE_ID)
_GRAPHICS = re.compile(rb"\x1b\[\?([12]);(\d{1,2});(\d{1,6})(?:;(\d{1,6}))?S")
_CELL = re.compile(rb"\x1b\[6;(\d{1,4});(\d{1,4})t")
_KITTY_VERSION = re.compile(r"kitty\((\d+)\.(\d+)")
# Terminals whose Kitty graphics include the Unicode placeholders the picture widget places (kitty has them
# since 0.28; the others never shipped the protocol without them).
_PLACEHOLDER_TERMINALS = ("ghostty", "wezterm")
KITTY_PLACEHOLDERS_SINCE = (0, 28)
# When a Sixel terminal does not say: xterm's defaults (the most conservative common terminal).
DEFAULT_SIXEL_LIMIT = (1000, 1000)
DEFAULT_COLOUR_REGISTERS = 256
DEFAULT_CELL = (10, 20)
_CELL_RANGE = range(2, 200)  # pixels a side of one cell that are believable


@dataclass(frozen=True)
class TerminalAnswers:
    """What a terminal said about itself; ``None`` where it said nothing (or nothing believable)."""

    answered: bool = False  # the Device Attributes reply came: the terminal listens
    version: str | None = None
    sixel: bool = False
    kitty_graphics: bool = False
    cell: tuple[int, int] | None = None  # width, height in pixels
    sixel_limit: tuple[int, int] | None = None
    colour_registers: int | None = None


@dataclass(frozen=True)
class PictureSetup:
    """How pictures are drawn, and why: shown on the help screen and with ``-v``."""

    mode: PictureMode
    reason: str
    cell: tuple[int, int] = DEFAULT_CELL
    sixel_limit: tuple[int, int] = DEFAULT_SIXEL_LIMIT
    colour_registers: int = DEFAULT_COLOUR_REGISTERS

    @property
    def draws_pixels(self) -> bool:
        return self.mode in ("kitty", "sixel")

    def describe(self) -> str:
        return f"pictures: {self.mode} ({self.reason})"


def parse_answers(reply: bytes, window_pixels: tuple[int, int, int, int] | None = None) -> TerminalAnswers:
    """The answers in ``reply`` (everything the terminal sent back). ``window_pixels`` is the ioctl's
    (rows, columns, width, height), which gives the cell size when the terminal will not report it."""
    attributes = _DEVICE_ATTRIBUTES.search(reply)
    if attributes is None:
        return TerminalAnswers()
    codes = {part for part in attributes.group(1).split(b";") if part}
    version = _VERSION.search(reply)
    kitty = _KITTY.search(reply)
    registers: int | None = None
    limit: tuple[int, int] | None = None
    for item, status, first, second in _GRAPHICS.findall(reply):
        if status != b"0":
            continue  # the terminal refused that item
        if item == b"1" and 2 <= int(first) <= 65536:
            registers = int(first)
        elif item == b"2" and second and 0 < int(first) <= 100_000 and 0 < int(second) <= 100_000:
            limit = (int(first), int(second))
    reported = _CELL.search(reply)
    if reported is not None:
        cell = _believable((int(reported.group(2)), int(reported.group(1))))
    else:
        cell = _cell_of(window_pixels)
    return TerminalAnswers(
        answered=True,
        version=version.group(1).decode("ascii") if version else None,
        sixel=b"4" in codes,
        kitty_graphics=kitty is not None and kitty.group(1) == b"OK",
        cell=cell,
        sixel_limit=limit,
        colour_registers=registers,
    )


def _has_placeholders(version: str | None) -> bool:
    if version is None:
        return False
    kitty = _KITTY_VERSION.match(version)
    if kitty is not None:
        return (int(kitty.group(1)), int(kitty.group(2))) >= KITTY_PLACEHOLDERS_SINCE
    return version.lower().startswith(_PLACEHOLDER_TERMINALS)


def choose_pictures(requested: str, answers: TerminalAnswers) -> PictureSetup:
    """How to draw pictures: ``requested`` unless it is ``auto``, then from what the terminal answered."""
    cell = answers.cell or DEFAULT_CELL
    limit = answers.sixel_limit or DEFAULT_SIXEL_LIMIT
    registers = min(answers.colour_registers or DEFAULT_COLOUR_REGISTERS, 256)
    name = answers.version or "the terminal"

    def setup(mode: PictureMode, reason: str) -> PictureSetup:
        return PictureSetup(mode, reason, cell, limit, registers)

    forced = _MODES.get(requested)
    if forced is not None:
        return setup(forced, "chosen with --images")
    if not answers.answered:
        return setup("halfcell", "the terminal did not answer")
    if answers.kitty_graphics and _has_placeholders(answers.version):
        return setup("kitty", f"{name} draws Kitty graphics with Unicode placeholders")
    if answers.sixel and answers.cell is not None:
        detail = f"{registers} colours, cells {cell[0]}x{cell[1]} px, largest {limit[0]}x{limit[1]}"
        return setup("sixel", f"{name} draws Sixel: {detail}")
    if answers.kitty_graphics:
        return setup("halfcell", f"{name} draws Kitty graphics without Unicode placeholders (kitty 0.28+)")
    if answers.sixel:
        return setup("halfcell", f"{name} draws Sixel but did not say its cell size")
    return setup("halfcell", f"{name} draws no pictures")


def _believable(cell: tuple[int, int]) -> tuple[int, int] | None:
    return cell if cell[0] in _CELL_RANGE and cell[1] in _CELL_RANGE else None


def _cell_of(window_pixels: tuple[int, int, int, int] | None) -> tuple[int, int] | None:
    """The cell size from the ioctl's (rows, columns, width, height), where the terminal fills it in."""
    if window_pixels is None:
        return None
    rows, columns, width, height = window_pixels
    return _believable((width // columns, height // rows)) if rows > 0 and columns > 0 else None


def _window_pixels(fd: int) -> tuple[int, int, int, int] | None:
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None
    rows, columns, width, height = struct.unpack("HHHH", packed)
    return rows, columns, width, height


def ask_terminal(input_fd: int, output_fd: int, timeout: float = PROBE_SECONDS) -> TerminalAnswers:
    """Send the queries to the terminal on ``output_fd`` and read its replies from ``input_fd`` until it has
    answered Device Attributes or ``timeout`` seconds have passed. The terminal is put in non-canonical,
    no-echo mode meanwhile and given back as it was."""
    saved = termios.tcgetattr(input_fd)
    reply = b""
    try:
        tty.setcbreak(input_fd, termios.TCSANOW)
        os.write(output_fd, _QUERIES)
        deadline = time.monotonic() + timeout
        while len(reply) < _MAX_ANSWER and not _DEVICE_ATTRIBUTES.search(reply):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            readable, _, _ = select.select([input_fd], [], [], left)
            if not readable:
                break
            chunk = os.read(input_fd, 1024)
            if not chunk:
                break
            reply += chunk
    except OSError:
        return TerminalAnswers()
    finally:
        termios.tcsetattr(input_fd, termios.TCSANOW, saved)
    return parse_answers(reply, _window_pixels(output_fd))


def detect_pictures(requested: str) -> PictureSetup:
    """The picture setup for this process's terminal, asked when stdin and stdout are one."""
    stdin, stdout = sys.__stdin__, sys.__stdout__
    if stdout is None or not stdout.isatty():
        if requested == "auto":
            setup = PictureSetup("unicode", "not a terminal")
        else:
            setup = choose_pictures(requested, TerminalAnswers())
    elif requested in ("halfcell", "unicode") or stdin is None or not stdin.isatty():
        # Nothing to ask; the cell's shape, where the window says it, still sizes half-cell pictures.
        setup = choose_pictures(requested, TerminalAnswers(cell=_cell_of(_window_pixels(stdout.fileno()))))
    else:
        stdout.flush()
        setup = choose_pictures(requested, ask_terminal(stdin.fileno(), stdout.fileno()))
    tell_textual_image(setup.cell)
    return setup


def import_textual_image_quietly() -> None:
    """textual-image asks the terminal what it draws and its cell size when it is imported, and eats a key when
    the terminal stays silent. The app asks once, itself (``detect_pictures``): textual-image is imported as if
    no terminal were there, and told the cell size the answers gave."""
    if "textual_image.renderable" in sys.modules:
        return
    stdout, sys.__stdout__ = sys.__stdout__, None  # type: ignore[misc]  # read by its import-time probes only
    try:
        import textual_image.renderable  # noqa: F401
    finally:
        sys.__stdout__ = stdout  # type: ignore[misc]
    tell_textual_image(DEFAULT_CELL)


def tell_textual_image(cell: tuple[int, int]) -> None:
    from textual_image import _terminal

    _terminal.get_cell_size._result = _terminal.CellSize(*cell)  # type: ignore[attr-defined]  # its cache
