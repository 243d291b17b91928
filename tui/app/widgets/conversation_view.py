"""The view of one conversation, live or replayed: a turn list, the chosen turn's image beside the text it
was drawn from and the caption it produced, and the drift so far on a fixed scale. In presentation mode the
same turns show on the stage instead (see ``stage.py``)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, ListItem, ListView, Static

from engine import Turn, shortened
from tui.app.terminal_probe import PictureSetup
from tui.app.widgets.drift import DriftLine
from tui.app.widgets.in_place import update_in_place
from tui.app.widgets.stage import Stage
from tui.app.widgets.turn_image import TurnImage

PICTURE_GIVEN = "(the picture the game started from)"  # what turn 0 drew from: nothing, it was given


class TurnItem(ListItem):
    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        said: str
        if turn.error:
            said = turn.failure or ""
        elif turn.step == 0:
            said = "picture"
        else:
            said = f"{turn.distance_to_prompt:.3f}" if turn.distance_to_prompt is not None else "–"
        label = Text.assemble((f"{turn.step:>2} ", "bold"), said, " ✎" if turn.person else "")
        super().__init__(Label(label), classes="-failed" if turn.error else "")


class ConversationView(Vertical):
    """Shows turns as they are added; ``select(step)`` chooses which one is shown; ``presenting`` switches
    between the working view and the stage."""

    class StepChosen(Message):
        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    presenting: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        prompt: str,
        embedder: str,
        total: int,
        pictures: PictureSetup,
        presenting: bool = False,
        mixed: bool = False,
    ) -> None:
        super().__init__()
        self.mixed = mixed  # players take turns: each turn says who played it
        self.set_reactive(ConversationView.presenting, presenting)
        self.prompt = shortened(prompt)
        self.embedder = embedder
        self.total = total  # the turns the game is meant to have
        self.pictures = pictures
        self.turns: list[Turn] = []
        self.images: list[Path | None] = []  # each turn's stored image
        self.step = 0  # the turn shown; 0 = none yet
        self.in_progress: tuple[int, str, Path | None] | None = None  # (step, text being drawn, image)

    def compose(self) -> ComposeResult:
        with Horizontal(id="conversation") as working:
            yield ListView(id="turn-list")
            with Horizontal(id="turn-detail"):
                yield TurnImage(self.pictures, id="turn-image")
                with VerticalScroll(id="turn-text"):
                    yield Static(Text(self.prompt), id="drawn", classes="drawn")
                    yield Static(id="caption", classes="caption")
        with Horizontal(id="drift") as drift:
            yield Label("drift 0", id="drift-title")
            yield DriftLine(id="drift-line")
            yield Label("2", id="drift-end")
            yield Label("", id="drift-value")
        stage = Stage(self.prompt, self.embedder, self.pictures, id="stage")
        yield stage
        # Shown or hidden from the start: switching after mounting would cost a frame.
        self._switch(working, drift, stage)

    def _switch(self, working: Widget, drift: Widget, stage: Widget) -> None:
        """The stage, or the working view, as ``presenting`` says. Each is shown or hidden by itself: a class on
        the view would restyle every widget under it, which is slow enough to see."""
        working.display = drift.display = not self.presenting
        stage.display = self.presenting

    def on_mount(self) -> None:
        self.query_one("#turn-list").border_title = "Turns"
        self.query_one("#turn-detail").border_title = "Turn"
        self._show_drift()

    def watch_presenting(self) -> None:
        # Both views always show the same turn (see ``select``): switching is one repaint, nothing to decode.
        self._switch(self.query_one("#conversation"), self.query_one("#drift"), self.query_one(Stage))

    @property
    def distances(self) -> list[float]:
        """The distance to the prompt of each measured turn up to the one shown."""
        return [t.distance_to_prompt for t in self.turns[: self.step] if t.distance_to_prompt is not None]

    def add_turns(self, turns: list[tuple[Turn, Path | None]], follow: bool = True) -> None:
        """Append finished (or failed) turns and their images; the view follows the newest (when ``follow``)
        unless the user is looking further back."""
        following = follow and self.step == len(self.turns)
        for turn, image in turns:
            self.turns.append(turn)
            self.images.append(image)
        self.in_progress = None
        self.query_one(ListView).extend(TurnItem(turn) for turn, _ in turns)
        if following:
            self.select(len(self.turns))
        else:
            self._show_drift()

    def add_turn(self, turn: Turn, image: Path | None) -> None:
        self.add_turns([(turn, image)])

    def preview(self, step: int, text: str, image: Path | None = None) -> None:
        """Show a turn still in progress: the text being drawn, then its image before the caption arrives.
        The previous image stays up until the new one is ready, which saves a repaint."""
        self.in_progress = (step, text, image)
        if self.step != len(self.turns):
            return  # the user is reading an earlier turn: do not pull them away
        self.query_one(Stage).show_progress(step, self.total, text, image)
        self.query_one("#turn-detail").border_title = f"Turn {step} of {self.total} (in progress)"
        update_in_place(self.query_one("#drawn", Static), Text(text if step else PICTURE_GIVEN))
        update_in_place(self.query_one("#caption", Static), Text("…"))
        if image is not None:
            self.query_one("#turn-image", TurnImage).show(image)

    def select(self, step: int) -> None:
        """Show turn ``step`` in the working view and on the stage alike, whichever is up, so that f and Escape
        only switch between them."""
        if not self.turns:
            return
        self.step = max(1, min(step, len(self.turns)))
        turn = self.turns[self.step - 1]
        listing = self.query_one(ListView)
        if listing.index != self.step - 1:
            listing.index = self.step - 1
        image = self.images[self.step - 1]
        self.query_one(Stage).show(turn, self.total, image, self.distances)
        players = f"{turn.t2i} → {turn.i2t} · " if self.mixed and turn.step else ""
        if turn.step == 0:
            players = f"the picture, described by {turn.i2t} · "
        said = "a person's words" if turn.person else turn.reproducibility
        self.query_one("#turn-detail").border_title = f"Turn {turn.step} of {self.total} · {players}{said}"
        update_in_place(self.query_one("#drawn", Static), Text(shortened(turn.text) if turn.step else PICTURE_GIVEN))
        caption = self.query_one("#caption", Static)
        if turn.error:
            update_in_place(caption, Text(shortened(f"{(turn.failure or '').capitalize()}: {turn.error}")))
        else:
            update_in_place(caption, Text(shortened(turn.caption or "")))
        caption.set_class(bool(turn.error), "-failed")
        self.query_one("#turn-image", TurnImage).show(image)
        self._show_drift()
        self.post_message(self.StepChosen(self.step))

    @property
    def shown_step(self) -> int:
        """The step of the turn shown (0: a start picture), or 0 before any turn."""
        return self.turns[self.step - 1].step if self.turns and self.step else 0

    def _show_drift(self) -> None:
        """The drift line holds the distances up to the shown turn, with that turn's value and the embedder."""
        measured = self.distances
        self.query_one(DriftLine).distances = tuple(measured)
        value = f"{measured[-1]:.3f}" if measured else "–"
        update_in_place(self.query_one("#drift-value", Label), Text(f"{value} to prompt · {self.embedder}"))

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        # Read the list's current index, not the event's item: events from earlier moves may still be queued.
        index = event.list_view.index
        if index is not None and index + 1 != self.step:
            self.select(index + 1)
