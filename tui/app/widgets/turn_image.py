"""A turn's image as terminal graphics (Kitty, Sixel or half cells, chosen by textual-image), decoded and
scaled in a thread so the event loop never waits on Pillow."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image as PILImage
from textual import work
from textual.app import ComposeResult
from textual.containers import Center

from engine import StorageError, open_picture


def _survive_a_sizeless_terminal() -> None:
    """textual-image divides the terminal's size in pixels by its size in cells when it is imported; a terminal
    that reports 0x0 cells (a pty nobody sized) made that a ZeroDivisionError before the app could start. Give
    it the usual cell size instead, as it does itself when the terminal cannot say."""
    try:
        columns, rows = os.get_terminal_size(sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        return
    if columns == 0 or rows == 0:
        from textual_image import _terminal  # its cache is the only way to answer before it asks

        _terminal.get_cell_size._result = _terminal.CellSize(10, 20)  # type: ignore[attr-defined]


_survive_a_sizeless_terminal()

from textual_image._terminal import get_cell_size  # noqa: E402 - after the size check above
from textual_image.renderable import Image as DetectedRenderable  # noqa: E402
from textual_image.renderable.halfcell import Image as HalfcellRenderable  # noqa: E402
from textual_image.renderable.unicode import Image as UnicodeRenderable  # noqa: E402
from textual_image.widget import HalfcellImage, UnicodeImage  # noqa: E402
from textual_image.widget import Image as AutoImage  # noqa: E402
from textual_image.widget._base import Image as PictureWidget  # noqa: E402 - the base every picture widget shares

IMAGE_MODES: dict[str, type[PictureWidget]] = {"auto": AutoImage, "halfcell": HalfcellImage, "unicode": UnicodeImage}
# Character cells hold at most two pixels each: a small thumbnail is plenty and keeps rendering cheap.
# Kitty and Sixel draw real pixels, so they get a larger one.
CELL_THUMBNAIL = 320
GRAPHICS_THUMBNAIL = 1024


def uses_character_cells(mode: str) -> bool:
    """Whether ``mode`` draws with characters (two square pixels per cell) rather than terminal graphics."""
    return mode != "auto" or DetectedRenderable in (HalfcellRenderable, UnicodeRenderable)


def cell_ratio(mode: str) -> float:
    """How many times taller than wide one cell's picture area is."""
    if uses_character_cells(mode):
        return 2.0
    cell = get_cell_size()
    return cell.height / cell.width


def fit_cells(width: int, height: int, aspect: float, ratio: float) -> tuple[int, int]:
    """The largest size in cells, within ``width`` × ``height``, of a picture ``aspect`` times wider than tall,
    on cells ``ratio`` times taller than wide: the aspect is kept, nothing is cropped."""
    if width <= 0 or height <= 0 or aspect <= 0:
        return 0, 0
    columns = round(height * ratio * aspect)
    if columns <= width:
        return max(columns, 1), height
    return width, max(round(width / (ratio * aspect)), 1)


class TurnImage(Center):
    """Shows one stored image file; ``show(None)`` clears it. ``fit(width, height)`` makes it the largest it can
    be in that many cells (presentation mode); otherwise it fits whatever space the layout gives it."""

    def __init__(self, mode: str = "auto", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self._picture: PictureWidget = IMAGE_MODES[mode]()
        self.shown: Path | None = None
        self.aspect = 1.0  # width over height of the picture shown
        self.area: tuple[int, int] | None = None  # the cells to fill, when fitting

    def compose(self) -> ComposeResult:
        yield self._picture

    def show(self, path: Path | None) -> None:
        if path == self.shown:
            return  # already shown (a turn's image arrives before its caption, then again with it)
        self.shown = path
        if path is None:
            self._picture.image = None
            return
        self._decode(path)

    def fit(self, width: int, height: int) -> None:
        """Fill at most ``width`` × ``height`` cells, aspect kept."""
        self.area = (width, height)
        self._apply_fit()

    def _apply_fit(self) -> None:
        if self.area is None:
            return
        columns, rows = fit_cells(*self.area, self.aspect, cell_ratio(self.mode))
        self.styles.width = columns
        self.styles.height = rows
        self._picture.styles.width = columns
        self._picture.styles.height = rows

    @work(thread=True, exclusive=True, group="decode")
    def _decode(self, path: Path) -> None:
        size = CELL_THUMBNAIL if uses_character_cells(self.mode) else GRAPHICS_THUMBNAIL
        picture: PILImage.Image | None
        try:
            picture = open_picture(path)  # a regular file under the size and pixel ceilings, or refused
            picture.thumbnail((size, size))
        except StorageError:
            picture = None  # a missing or damaged file in a saved run: the turn is shown without its image
        self.app.call_from_thread(self._set_picture, path, picture)

    def _set_picture(self, path: Path, picture: PILImage.Image | None) -> None:
        if path == self.shown:  # a newer image may have been asked for meanwhile
            if picture is not None:
                self.aspect = picture.width / picture.height
                self._apply_fit()
            self._picture.image = picture
