"""A turn's image as terminal graphics (Kitty, Sixel, half cells or Unicode blocks, as the terminal answered
at start: see ``terminal_probe.py``), decoded and scaled in a thread so the event loop never waits on Pillow.

Every mode lays the picture out in the same cells: what a Sixel or Kitty terminal shows differs from a
half-cell run only inside the picture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from textual import work
from textual.app import ComposeResult
from textual.containers import Center
from textual.widget import Widget
from textual_image.renderable.tgp import Image as TGPRenderable
from textual_image.widget import HalfcellImage, TGPImage, UnicodeImage

from engine import StorageError, open_picture
from tui.app.terminal_probe import PictureSetup
from tui.app.widgets.sixel_picture import SixelPicture

# Character cells hold at most two pixels each: a small thumbnail is plenty and keeps rendering cheap.
# Kitty and Sixel draw real pixels, so they get a larger one.
CELL_THUMBNAIL = 320
GRAPHICS_THUMBNAIL = 1024
HALF_CELL_RATIO = 2.0  # a cell is about twice as tall as wide; every mode takes the cells half cells would


def fit_cells(width: int, height: int, aspect: float, ratio: float = HALF_CELL_RATIO) -> tuple[int, int]:
    """The largest size in cells, within ``width`` × ``height``, of a picture ``aspect`` times wider than tall,
    on cells ``ratio`` times taller than wide: the aspect is kept, nothing is cropped."""
    if width <= 0 or height <= 0 or aspect <= 0:
        return 0, 0
    columns = round(height * ratio * aspect)
    if columns <= width:
        return max(columns, 1), height
    return width, max(round(width / (ratio * aspect)), 1)


def letterbox(picture: PILImage.Image, box: tuple[int, int], background: tuple[int, int, int]) -> PILImage.Image:
    """``picture`` centred on a ``box``-shaped (pixel aspect) canvas of ``background``: Kitty stretches a
    picture over the cells it is given."""
    box_aspect = box[0] / box[1]
    width, height = picture.size
    if abs(width / height - box_aspect) < 0.01:
        return picture
    size = (max(width, round(height * box_aspect)), max(height, round(width / box_aspect)))
    canvas = PILImage.new("RGB", size, background)
    canvas.paste(picture, ((size[0] - width) // 2, (size[1] - height) // 2))
    return canvas


class KittyPicture(TGPImage, Renderable=TGPRenderable):
    def on_unmount(self) -> None:
        """The terminal keeps a picture until told to delete it: a long replay must not grow its memory."""
        if self._renderable is not None:
            self._renderable.cleanup()


def picture_widget(setup: PictureSetup) -> Widget:
    """A new picture widget for ``setup``'s mode."""
    if setup.mode == "sixel":
        return SixelPicture(setup)
    if setup.mode == "kitty":
        return KittyPicture()
    return HalfcellImage() if setup.mode == "halfcell" else UnicodeImage()


class TurnImage(Center):
    """Shows one stored image file; ``show(None)`` clears it. ``fit(width, height)`` makes it the largest it can
    be in that many cells (presentation mode); otherwise it fits whatever space the layout gives it."""

    def __init__(self, setup: PictureSetup, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.setup = setup
        self._picture: Any = picture_widget(setup)  # a textual-image widget (untyped) or ours
        self._original: PILImage.Image | None = None
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
            self._original = None
            self._picture.image = None
            return
        self._decode(path)

    def on_show(self) -> None:
        """Laid out again when shown: a picture that arrived while this was hidden (on the stage, say) was
        measured as no picture at all."""
        self._picture.refresh(layout=True)

    def fit(self, width: int, height: int) -> None:
        """Fill at most ``width`` × ``height`` cells, aspect kept."""
        self.area = (width, height)
        self._apply_fit()

    def _apply_fit(self) -> None:
        if self.area is None:
            return
        columns, rows = fit_cells(*self.area, self.aspect)
        self.styles.width = columns
        self.styles.height = rows
        picture = self._picture
        picture.styles.width = columns
        picture.styles.height = rows
        if self.setup.mode == "kitty" and self._original is not None:
            self._show_letterboxed(columns, rows)

    def _show_letterboxed(self, columns: int, rows: int) -> None:
        cell_width, cell_height = self.setup.cell
        background = self.background_colors[1].rgb
        box = (max(columns, 1) * cell_width, max(rows, 1) * cell_height)
        assert self._original is not None
        self._picture.image = letterbox(self._original, box, background)

    @work(thread=True, exclusive=True, group="decode")
    def _decode(self, path: Path) -> None:
        size = GRAPHICS_THUMBNAIL if self.setup.draws_pixels else CELL_THUMBNAIL
        picture: PILImage.Image | None
        try:
            picture = open_picture(path)  # a regular file under the size and pixel ceilings, or refused
            picture.thumbnail((size, size))
        except StorageError:
            picture = None  # a missing or damaged file in a saved run: the turn is shown without its image
        self.app.call_from_thread(self._set_picture, path, picture)

    def _set_picture(self, path: Path, picture: PILImage.Image | None) -> None:
        if path != self.shown:
            return  # a newer image was asked for meanwhile
        self._original = picture
        if picture is not None:
            self.aspect = picture.width / picture.height
        self._picture.image = picture
        self._apply_fit()
