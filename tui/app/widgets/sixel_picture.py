"""A picture drawn as Sixel graphics that never makes the terminal scroll or leaves pixels behind.

Textual knows nothing of Sixel: the widget paints its cells blank, as any widget would (which also wipes what an
earlier, larger picture left there), and then, after its last line, moves the cursor to the picture's top-left
cell, writes the Sixel image and puts the cursor back where Textual expects it. The picture is scaled to a
whole number of 6-pixel bands inside its cells, never reaches the screen's last row (a terminal scrolls when the
cursor would go below a picture there), and never exceeds the largest graphic the terminal said it draws.
Encoding takes a fraction of a second, so it runs in a thread; the cells stay blank until it is ready.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image
from rich.control import Control
from rich.segment import ControlType, Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.worker import get_current_worker
from textual_image.widget._base import Image as SizedPicture

from tui.app.sixel import BAND, encode_sixel
from tui.app.terminal_probe import PictureSetup

# A control code that does nothing, so that Rich and Textual pass the Sixel text through untouched.
_PASS_THROUGH = ((ControlType.CURSOR_FORWARD, 0),)


@dataclass(frozen=True)
class Placement:
    """Where a picture goes: its top-left cell on the screen and its size in pixels."""

    column: int
    row: int
    width: int
    height: int


@dataclass(frozen=True, eq=False)
class _Wanted:
    """A picture to draw in an area of the screen."""

    picture: Image.Image
    area: Region
    screen_rows: int
    background: tuple[int, int, int]

    def same(self, other: _Wanted) -> bool:
        same_place = (self.area, self.screen_rows, self.background) == (other.area, other.screen_rows, other.background)
        return self.picture is other.picture and same_place


@dataclass(frozen=True)
class _Drawn:
    wanted: _Wanted
    placement: Placement
    sixels: str


def place_picture(
    picture_size: tuple[int, int], area: Region, screen_rows: int, setup: PictureSetup
) -> Placement | None:
    """Where a picture of ``picture_size`` pixels is drawn in ``area`` (screen cells), and how large: the aspect
    kept, a whole number of bands, centred on whole cells, off the screen's last row, within the terminal's
    largest graphic. ``None`` when nothing fits."""
    cell_width, cell_height = setup.cell
    rows = area.height - (1 if area.bottom >= screen_rows else 0)
    if rows <= 0 or area.width <= 0:
        return None
    limit_width, limit_height = setup.sixel_limit
    width, height = picture_size
    scale = min(area.width * cell_width, limit_width) / width
    scale = min(scale, min(rows * cell_height, limit_height) / height)
    scaled_width = max(int(width * scale), 1)
    scaled_height = int(height * scale) // BAND * BAND
    if scaled_height == 0:
        return None
    column = area.x + (area.width - math.ceil(scaled_width / cell_width)) // 2
    row = area.y + (rows - math.ceil(scaled_height / cell_height)) // 2
    return Placement(column, row, scaled_width, scaled_height)


class _NothingToRender:
    """The renderable textual-image's base asks for; never drawn, as ``render_lines`` draws the picture."""

    def __init__(self, *_: object) -> None:
        pass

    def cleanup(self) -> None:
        pass


class SixelPicture(SizedPicture, Renderable=_NothingToRender):
    """Sized exactly as textual-image sizes its half-cell pictures, so both take the same cells."""

    def __init__(self, setup: PictureSetup, *, id: str | None = None) -> None:
        self.setup = setup
        self._drawn: _Drawn | None = None
        self._encoding: _Wanted | None = None
        super().__init__(id=id)

    @property
    def _picture(self) -> Image.Image | None:
        picture = self.image
        return picture if isinstance(picture, Image.Image) else None

    def render_lines(self, crop: Region) -> list[Strip]:
        style = self.rich_style
        blank = Strip([Segment(" " * crop.width, style)], crop.width)
        lines = [blank] * crop.height
        picture = self._picture
        if picture is None or crop.area == 0 or not self.screen.is_active:
            return lines
        area = self.region
        visible = Region(area.x + crop.x, area.y + crop.y, crop.width, crop.height)
        wanted = _Wanted(picture, visible, self.screen.size.height, self.background_colors[1].rgb)
        if self._drawn is None or not self._drawn.wanted.same(wanted):
            self._encode(wanted)
            return lines
        placement = self._drawn.placement
        draw = (
            Control.move_to(placement.column, placement.row).segment.text
            + self._drawn.sixels
            + Control.move_to(visible.right, visible.bottom - 1).segment.text
        )
        lines[-1] = Strip([Segment(" " * crop.width, style), Segment(draw, None, _PASS_THROUGH)], crop.width)
        return lines

    def _encode(self, wanted: _Wanted) -> None:
        if self._encoding is not None and self._encoding.same(wanted):
            return  # already under way
        self._encoding = wanted
        self.run_worker(lambda: self._encode_in_thread(wanted), thread=True, exclusive=True)

    def _encode_in_thread(self, wanted: _Wanted) -> None:
        placement = place_picture(wanted.picture.size, wanted.area, wanted.screen_rows, self.setup)
        if placement is None:
            return
        scaled = wanted.picture.resize((placement.width, placement.height), Image.Resampling.LANCZOS)
        sixels = encode_sixel(scaled, self.setup.colour_registers, wanted.background)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._encoded_now, _Drawn(wanted, placement, sixels))

    def _encoded_now(self, drawn: _Drawn) -> None:
        if self._encoding is not None and self._encoding.same(drawn.wanted):
            self._encoding = None
        if drawn.wanted.picture is self._picture:
            self._drawn = drawn
            self.refresh()
