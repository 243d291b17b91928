"""`aitelephone-tui`: the Textual app."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class TelephoneApp(App):
    TITLE = "AI Telephone"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("The model picker arrives with the TUI issue. Use `aitelephone play` meanwhile.")
        yield Footer()


def main() -> None:
    TelephoneApp().run()
