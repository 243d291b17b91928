"""Presentation mode, for a room: the prompt across the top, the picture as large as the terminal allows with
its aspect kept, and beside it the step, the caption, the text it was drawn from and the distance to the prompt
on a fixed scale. No chrome: everything on screen is the game."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from engine import Turn, shortened
from tui.app.widgets.drift import DistanceBar, DriftLine
from tui.app.widgets.turn_image import TurnImage

SIDE_MIN_WIDTH = 30  # the text beside the picture never gets narrower than this
# Below this height the step and the distance are written in plain letters; above it the numbers are drawn
# three rows tall so the back of the room can read them.
TALL_NUMBERS_FROM_HEIGHT = 30


class StageBody(Horizontal):
    """The picture and the text beside it; sizes the picture whenever the space changes."""

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        self.query_one(TurnImage).fit(max(width - SIDE_MIN_WIDTH - 2, 1), height)


class Stage(Vertical):
    def __init__(self, prompt: str, embedder: str, image_mode: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.prompt = shortened(prompt)
        self.embedder = embedder
        self.image_mode = image_mode
        self.numbers = (0, 0, False, "–")  # step, total, whether it is still playing, distance as shown

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("PROMPT  ", "bold"), self.prompt), id="stage-prompt")
        with StageBody(id="stage-body"):
            yield TurnImage(self.image_mode, id="stage-image")
            with Vertical(id="stage-side"):
                with Horizontal(id="stage-step"):
                    yield Static("TURN", classes="stage-label")
                    yield Digits("", id="stage-step-digits")
                    yield Static("", id="stage-step-text")
                yield Static("CAPTION", classes="stage-label")
                yield Static(id="stage-caption")
                yield Static("DRAWN FROM", classes="stage-label", id="stage-drawn-label")
                yield Static(id="stage-drawn")
                with Vertical(id="stage-measure"):
                    with Horizontal(id="stage-distance"):
                        yield Static("DISTANCE TO PROMPT", classes="stage-label")
                        yield Digits("", id="stage-distance-digits")
                        yield Static("", id="stage-distance-text")
                    yield DistanceBar()
                    yield DriftLine()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= TALL_NUMBERS_FROM_HEIGHT, "-tall")
        self._show_numbers()

    def _show_numbers(self) -> None:
        """The step and the distance: in tall digits when the terminal is tall (with "of N" and the scale in
        words beside them), in one line of text when it is short."""
        step, total, playing, distance = self.numbers
        tall = self.has_class("-tall")
        self.query_one("#stage-step-digits", Digits).update(str(step))
        of = f"of {total}" + (" (playing)" if playing else "")
        self.query_one("#stage-step-text", Static).update(of if tall else f"{step} {of}")
        self.query_one("#stage-distance-digits", Digits).update(distance if distance != "–" else "")
        scale = f"by {self.embedder}: 0 same meaning, 2 opposite"
        self.query_one("#stage-distance-text", Static).update(scale if tall else distance)

    def show(self, turn: Turn, total: int, image: Path | None, distances: list[float]) -> None:
        """Show ``turn`` (of ``total``), its picture, and the distances up to it."""
        self.query_one("#stage-image", TurnImage).show(image)
        if turn.error:
            self.query_one("#stage-caption", Static).update(Text(shortened(f"{turn.failure}: {turn.error}")))
        else:
            self.query_one("#stage-caption", Static).update(Text(shortened(turn.caption or "")))
        first = turn.step == 1
        self.query_one("#stage-drawn", Static).update(Text("the prompt above" if first else shortened(turn.text)))
        self.query_one(DistanceBar).distance = turn.distance_to_prompt
        self.query_one(DriftLine).distances = tuple(distances)
        value = "–" if turn.distance_to_prompt is None else f"{turn.distance_to_prompt:.3f}"
        self.numbers = (turn.step, total, False, value)
        self._show_numbers()

    def show_progress(self, step: int, total: int, text: str, image: Path | None) -> None:
        """A turn still being played: what is being drawn, then its picture before the caption comes back."""
        self.numbers = (step, total, True, self.numbers[3])
        self._show_numbers()
        self.query_one("#stage-drawn", Static).update(Text("the prompt above" if step == 1 else shortened(text)))
        self.query_one("#stage-caption", Static).update(Text("…"))
        if image is not None:
            self.query_one("#stage-image", TurnImage).show(image)
