"""Text updated in place: laid out again exactly when its size changes."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tui.app.widgets.fitted_text import FittedText
from tui.app.widgets.in_place import size_may_change, update_in_place


class Texts(App[None]):
    CSS = "#words { width: 20; height: auto; } #value { width: auto; } #hidden { display: none; }"

    def compose(self) -> ComposeResult:
        yield Static("one line", id="words")
        yield Label("0.5", id="value")
        with Vertical(id="hidden"):
            yield FittedText("unseen", id="unseen")


async def test_a_label_grows_and_shrinks_with_its_text_and_keeps_its_place_otherwise():
    app = Texts()
    async with app.run_test(size=(40, 12)) as pilot:
        words, value = app.query_one("#words", Static), app.query_one("#value", Label)
        update_in_place(words, "still one line")
        assert not size_may_change(words), "the same height: repainted only"
        update_in_place(words, "now it is long enough to take three lines")
        await pilot.pause()
        assert words.size.height == 3
        update_in_place(words, "short")
        await pilot.pause()
        assert words.size.height == 1
        update_in_place(value, "0.25 to prompt")
        await pilot.pause()
        assert value.size.width == len("0.25 to prompt"), "an auto width follows its text"
        unseen = app.query_one("#unseen", FittedText)
        unseen.text = "a text that would take many more lines than it has"
        assert not size_may_change(unseen), "nothing to lay out while hidden: showing it lays it out"
        app.query_one("#hidden").display = True
        await pilot.pause()
        assert unseen.size.height > 1
