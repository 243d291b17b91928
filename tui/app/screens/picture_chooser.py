"""Ctrl+O on the picker: a picture file of the folder the app was started in, to start a game from."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from engine import pictures_in


class PictureChooser(ModalScreen[Path | None]):
    """The PNG, JPEG and WebP files of ``folder``; Enter chooses one (it is checked when the game starts)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    PictureChooser { align: center middle; }
    #chooser { width: 70; max-width: 95%; height: auto; max-height: 80%; border: round $accent;
               background: $surface; padding: 0 1; }
    #pictures { height: auto; max-height: 20; border: none; }
    """

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.pictures = pictures_in(folder)

    def compose(self) -> ComposeResult:
        folder = self.folder.name or self.folder
        with Vertical(id="chooser") as chooser:
            chooser.border_title = "Start from a picture"
            if self.pictures:
                yield Label(Text(f"in {folder}/: Enter chooses, Escape closes"))
                options = [Option(Text(path.name), id=str(index)) for index, path in enumerate(self.pictures)]
                yield OptionList(*options, id="pictures")
            else:
                yield Label(Text(f"no PNG, JPEG or WebP picture in {folder}/; type a path instead (Escape)"))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.pictures[event.option_index])
