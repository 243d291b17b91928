"""What the game and the replay share: one conversation in the working view with the screen's chrome (header,
status line, footer), or on the stage in their place."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label

from tui.app.widgets.conversation_view import ConversationView
from tui.app.widgets.key_footer import KeyFooter

CHROME = "Header, #status, Footer"  # hidden while the stage is up

# The keys the game and the replay share. Priority: the turn list would otherwise take the arrows to scroll
# itself and leave the view behind.
BACK = Binding("left", "step(-1)", "Back", key_display="←", priority=True)
FORWARD = Binding("right", "step(1)", "Forward", key_display="→", priority=True)
PRESENT = Binding("f,f5", "present", "Present", key_display="f")


class ConversationScreen(Screen[None]):
    CSS_PATH = "conversation.tcss"

    def __init__(self, present: bool) -> None:
        super().__init__()
        self.presenting = present

    def new_view(self) -> ConversationView:
        """The view of the conversation shown, on the stage when ``self.presenting``."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        header, status, footer = Header(), Label(id="status"), KeyFooter()
        for chrome in (header, status, footer):
            chrome.display = not self.presenting
        yield header
        yield status
        yield self.new_view()
        yield footer

    def action_present(self) -> None:
        """The stage in place of the working view and the chrome, or back. The few widgets that change are shown
        or hidden one by one: a class on the screen would restyle every widget on it, which took a quarter of
        a second at 120x40."""
        self.presenting = not self.presenting
        for chrome in self.query(CHROME):
            chrome.display = not self.presenting
        self.query_one(ConversationView).presenting = self.presenting
