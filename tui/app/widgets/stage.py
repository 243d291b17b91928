"""Presentation mode, for a room: the prompt across the top, the picture as large as the terminal allows with
its aspect kept, and beside it the step (and whether the game plays or is paused), the caption, the text it was
drawn from and the distance to the prompt on a fixed scale. No chrome: everything on screen is the game. Text
too long for its place ends in "…" after a whole word (see ``fitted_text.py``)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Digits, Static

from engine import Turn, shortened
from tui.app.terminal_probe import PictureSetup
from tui.app.widgets.drift import DistanceBar, DriftLine
from tui.app.widgets.fitted_text import FittedText
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
    state: reactive[str] = reactive("", init=False)
    """Shown beside the step: "playing" or "paused" (set by the screen), or nothing once the game is over."""

    def __init__(self, prompt: str, embedder: str, pictures: PictureSetup, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.prompt = shortened(prompt)
        self.embedder = embedder
        self.pictures = pictures
        self.numbers = (0, 0, "–")  # step, total, distance as shown

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("PROMPT  ", "bold"), self.prompt), id="stage-prompt")
        with StageBody(id="stage-body"):
            yield TurnImage(self.pictures, id="stage-image")
            with Vertical(id="stage-side"):
                with Horizontal(id="stage-step"):
                    yield Static("TURN", classes="stage-label")
                    yield Digits("", id="stage-step-digits")
                    yield FittedText(id="stage-step-text")
                yield Static("CAPTION", classes="stage-label")
                yield FittedText(id="stage-caption")
                yield Static("DRAWN FROM", classes="stage-label", id="stage-drawn-label")
                yield FittedText(id="stage-drawn")
                with Vertical(id="stage-measure"):
                    with Horizontal(id="stage-distance"):
                        yield Static("DISTANCE TO PROMPT", classes="stage-label")
                        yield Digits("", id="stage-distance-digits")
                        yield FittedText(id="stage-distance-text")
                    yield DistanceBar()
                    # Under the scale's ticks, where the whole width is free: beside the digits it had a few cells.
                    yield FittedText(f"by {self.embedder}: 0 same meaning, 2 opposite", id="stage-scale")
                    yield DriftLine()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= TALL_NUMBERS_FROM_HEIGHT, "-tall")
        self._show_numbers()

    def watch_state(self) -> None:
        self._show_numbers()

    def _show_numbers(self) -> None:
        """The step and the distance: in tall digits when the terminal is tall (with "of N" and the state on
        lines of their own beside the step), in one line of text each when it is short."""
        step, total, distance = self.numbers
        tall = self.has_class("-tall")
        self.query_one("#stage-step-digits", Digits).update(str(step))
        if tall:
            text = "\n".join(part for part in (f"of {total}", self.state) if part)
        else:
            text = " · ".join(part for part in (f"{step} of {total}", self.state) if part)
        self.query_one("#stage-step-text", FittedText).text = text
        self.query_one("#stage-distance-digits", Digits).update(distance if distance != "–" else "")
        self.query_one("#stage-distance-text", FittedText).text = distance

    def show(self, turn: Turn, total: int, image: Path | None, distances: list[float]) -> None:
        """Show ``turn`` (of ``total``), its picture, and the distances up to it."""
        self.query_one("#stage-image", TurnImage).show(image)
        caption = f"{turn.failure}: {turn.error}" if turn.error else turn.caption or ""
        self.query_one("#stage-caption", FittedText).text = shortened(caption)
        self.query_one("#stage-drawn", FittedText).text = self._drawn_from(turn.step, turn.text)
        self.query_one(DistanceBar).distance = turn.distance_to_prompt
        self.query_one(DriftLine).distances = tuple(distances)
        value = "–" if turn.distance_to_prompt is None else f"{turn.distance_to_prompt:.3f}"
        self.numbers = (turn.step, total, value)
        self._show_numbers()

    def _drawn_from(self, step: int, text: str) -> str:
        """What turn ``step`` drew: the prompt (said so, it is above), the caption before, or, at turn 0 of a
        game from a picture, nothing: the picture was given."""
        if step == 0:
            return "nothing: the picture the game started from"
        return "the prompt above" if shortened(text) == self.prompt else shortened(text)

    def show_progress(self, step: int, total: int, text: str, image: Path | None) -> None:
        """A turn still being played: what is being drawn, then its picture before the caption comes back."""
        self.numbers = (step, total, self.numbers[2])
        self._show_numbers()
        self.query_one("#stage-drawn", FittedText).text = self._drawn_from(step, text)
        self.query_one("#stage-caption", FittedText).text = "…"
        if image is not None:
            self.query_one("#stage-image", TurnImage).show(image)
