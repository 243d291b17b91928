"""A game's filmstrip (every turn's picture in a row, with the text it was drawn from and its caption) on the
whole screen, aspect kept; any of Escape, s or q goes back."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from tui.app.typed import telephone_app
from tui.app.widgets.turn_image import TurnImage


class FilmstripScreen(Screen[None]):
    BINDINGS = [Binding("escape,s,q", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    FilmstripScreen { align: center middle; background: $background; }
    FilmstripScreen TurnImage { width: auto; height: auto; }
    """

    def __init__(self, strip: Path) -> None:
        super().__init__()
        self.strip = strip

    def compose(self) -> ComposeResult:
        yield TurnImage(telephone_app(self).pictures, id="filmstrip")

    def on_mount(self) -> None:
        self.query_one(TurnImage).show(self.strip)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(TurnImage).fit(event.size.width, event.size.height)
