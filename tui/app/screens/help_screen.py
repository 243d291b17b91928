"""`?`: what the keys of the current screen do, and what the game is."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.app.typed import telephone_app

ABOUT = (
    "AI Telephone: a text-to-image model draws the prompt, an image-to-text model describes the drawing, "
    "the description is drawn again, and so on. The drift line shows how far each description has moved "
    "from the prompt, always on one scale: cosine distance, 0 same meaning, 2 opposite. f shows a game or a "
    "replay on the stage (presentation mode); space plays and pauses."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 76; max-width: 95%; height: auto; max-height: 90%; border: round $accent;
            background: $surface; padding: 1 2; }
    """

    def __init__(self, below: type[Screen[object]]) -> None:
        super().__init__()
        self.below = below  # the kind of screen it explains: one help screen serves every screen of that kind

    def key_rows(self) -> list[tuple[str, str]]:
        """(keys as they are written on a keyboard, what they do) for the screen below and the whole app."""
        rows: dict[str, list[str]] = {}
        for binding in Binding.make_bindings([*self.below.BINDINGS, *self.app.BINDINGS]):
            if not binding.description:
                continue
            shown = rows.setdefault(binding.description, [])
            for key in binding.key.split(","):
                display = self.app.get_key_display(Binding(key.strip(), binding.action))
                if display not in shown:
                    shown.append(display)
        rows.setdefault("command palette", ["^p"])
        return [(" / ".join(keys), description) for description, keys in rows.items()]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for keys, description in self.key_rows():
            table.add_row(keys, description)
        with VerticalScroll(id="help") as help_box:
            help_box.border_subtitle = "esc closes"
            yield Static(Text(ABOUT))
            yield Static("")
            yield Static(table)
            yield Static("")
            yield Static(Text(telephone_app(self).pictures.describe()), id="help-pictures")

    def on_resize(self) -> None:
        self.call_after_refresh(self._hint_scrolling)

    def on_screen_resume(self) -> None:
        self.query_one("#help", VerticalScroll).scroll_home(animate=False)  # opened again: from the top

    def _hint_scrolling(self) -> None:
        """Where the keys run past the bottom, the border says so: a scroll bar alone is easy to miss."""
        help_box = self.query_one("#help", VerticalScroll)
        more = help_box.max_scroll_y > 0
        help_box.border_subtitle = "↑↓ scroll for more · esc closes" if more else "esc closes"
