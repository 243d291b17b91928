"""Presentation mode: the picture as large as the terminal allows with its aspect kept, the prompt, caption and
distance on screen at every step, nothing else; and the fixed scale every drift picture uses."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Digits, Footer, Header, Static

from tests.tui.app.helpers import long_run, make_app, saved_run, settle_images, start_game, view, wait_until
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.replay_screen import ReplayScreen
from tui.app.widgets.drift import DistanceBar, DriftLine, bar, sparkline, tick_line
from tui.app.widgets.fitted_text import FittedText, fit_words, wrap_words
from tui.app.widgets.stage import Stage
from tui.app.widgets.turn_image import fit_cells


def test_fit_keeps_the_aspect_and_uses_the_limiting_side():
    assert fit_cells(200, 50, 1.0, 2.0) == (100, 50)  # a square on half-cells: twice as many columns as rows
    assert fit_cells(60, 50, 1.0, 2.0) == (60, 30)  # too narrow: the width decides
    assert fit_cells(200, 50, 2.0, 2.0) == (200, 50)  # a wide picture
    assert fit_cells(100, 50, 0.5, 2.2) == (55, 50)  # Kitty/Sixel cells of another shape
    assert fit_cells(0, 50, 1.0, 2.0) == (0, 0)


def test_the_drift_scale_never_moves():
    assert sparkline([0.393], 10) == "▂", "a lone value is not a full bar"
    assert sparkline([0.393, 0.409], 10)[0] == sparkline([0.393, 0.409], 10)[1]
    assert sparkline([0.1, 1.0, 2.0, 3.0], 10) == "▁▅██"
    assert sparkline([0.5] * 30, 8) == "▃" * 8, "the latest turns when they do not all fit"
    filled, empty = bar(0.5, 40)
    assert len(filled) == 10 and len(filled + empty) == 40
    assert bar(2.0, 40) == ("█" * 40, "") and bar(0.0, 40) == ("", " " * 40)
    ticks = tick_line(41)
    assert ticks.startswith("0") and ticks.rstrip().endswith("2") and ticks.index("1") == 20


SIZES = [(80, 24), (120, 35), (200, 55), (300, 80)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_stage_gives_the_picture_the_room_and_keeps_the_game_on_screen(tmp_path, offline_line, size):
    folder = saved_run(tmp_path, offline_line, turns=3)
    app = make_app(tmp_path, replay=folder, present=True)
    async with app.run_test(size=size) as pilot:
        await settle_images(pilot)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        for hidden in (Header, Footer):
            assert not screen.query_one(hidden).display or screen.query_one(hidden).region.area == 0
        assert screen.query_one("#status").region.area == 0 and view(app).query_one("#turn-list").region.area == 0
        picture = screen.query_one("#stage-image")
        width, height = size
        assert picture.region.height >= 0.8 * height, "at least 80% of the terminal's height"
        assert picture.region.width == round(picture.region.height * 2), "a square picture on half-cells"
        others = [w for w in screen.query("#stage-prompt, #stage-side") if w.region.area]
        assert all(picture.region.area > other.region.area for other in others), "the largest thing on screen"
        turns = view(app).turns
        for step in range(1, len(turns) + 1):
            if step > 1:
                await pilot.press("right")
                await settle_images(pilot)
            shown = {w.id: w for w in screen.query("#stage-prompt, #stage-caption, #stage-measure")}
            for name, widget in shown.items():
                assert widget.region.area and screen.region.contains_region(widget.region), f"{name} on screen"
                assert widget.region.bottom <= height
            assert turns[step - 1].caption == screen.query_one("#stage-caption", FittedText).text
            assert turns[0].text in str(screen.query_one("#stage-prompt", Static).content)
            assert screen.query_one(DistanceBar).distance == turns[step - 1].distance_to_prompt
            assert len(screen.query_one(DriftLine).distances) == step
            if height >= 30:
                assert (
                    screen.query_one("#stage-distance-digits", Digits).value
                    == f"{turns[step - 1].distance_to_prompt:.3f}"
                )


async def test_f_toggles_the_stage_and_escape_leaves_it_before_the_replay(tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=3)
    app = make_app(tmp_path, replay=folder)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert not view(app).presenting and screen.query_one(Header).display
        await pilot.press("right", "f")
        await pilot.pause()
        assert view(app).presenting and not screen.query_one(Header).display
        assert screen.query_one("#stage-step-digits", Digits).value == "2"
        assert rendered(screen.query_one("#stage-step-text")) == ["of 3", "paused"]
        await pilot.press("escape")
        assert not view(app).presenting and app.screen is screen, "escape leaves the stage first"
        assert view(app).step == 2
        await pilot.press("escape")
        assert app.screen is not screen


async def test_a_live_game_plays_on_the_stage(tmp_path):
    from tests.tui.app.helpers import play_from_picker

    app = make_app(tmp_path, present=True)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await play_from_picker(pilot, 2)
        await settle_images(pilot)
        assert view(app).presenting and screen.query_one("#stage-image").region.height >= 28
        assert view(app).turns[-1].caption == screen.query_one("#stage-caption", FittedText).text


async def test_a_30_turn_replay_on_the_stage_at_200x55(tmp_path):
    app = make_app(tmp_path, replay=long_run(tmp_path), present=True)
    async with app.run_test(size=(200, 55)) as pilot:
        await pilot.press("end")
        await settle_images(pilot)
        assert view(app).step == 30
        assert app.screen.query_one("#stage-step-digits", Digits).value == "30"
        assert app.screen.query_one("#stage-image").region.height >= 44


def rendered(widget: Widget) -> list[str]:
    """The lines ``widget`` draws, as the terminal shows them, blank ones left out."""
    lines = [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, *widget.region.size))]
    return [line for line in lines if line]


def shows_whole_words(lines: list[str], text: str) -> bool:
    """Whether ``lines`` show ``text`` broken only between words: all of it, or its first words then "…"."""
    words, shown = text.split(), " ".join(lines).split()
    if shown == words:
        return True
    if not shown or not shown[-1].endswith("…"):
        return False
    shown[-1] = shown[-1].removesuffix("…")
    kept = len(shown)
    return shown[:-1] == words[: kept - 1] and shown[-1] == words[kept - 1].rstrip(".,;:")


@given(
    st.lists(st.text("abcdefghij.,", min_size=1, max_size=12), max_size=40),
    st.integers(min_value=13, max_value=60),
    st.integers(min_value=1, max_value=8),
)
def test_fitted_text_breaks_and_cuts_only_between_words(words, width, height):
    text = " ".join(words)
    lines = fit_words(text, width, height)
    assert len(lines) <= height and all(cell_len(line) <= width for line in lines)
    assert shows_whole_words(lines, text), lines
    if len(lines) == height and len(wrap_words(text, width)) > height:
        assert lines[-1].endswith("…"), "what does not fit is cut with a sign"


def test_a_word_wider_than_the_line_is_cut_with_a_sign_only_then():
    assert fit_words("by an-embedder-with-a-very-long-name: 0 same", 12, 4) == ["by", "an-embedder…", "0 same"]
    assert fit_words("one two", 3, 1) == ["on…"]


STAGE_SIZES = [(80, 24), (120, 40), (200, 55), (300, 80)]


@pytest.mark.parametrize("size", STAGE_SIZES, ids=[f"{w}x{h}" for w, h in STAGE_SIZES])
async def test_the_stage_never_breaks_a_word(tmp_path, size):
    """The scale's legend, "of N" and the state beside the step, the caption and the text drawn from: broken
    between words only, at every size; the legend is on screen whenever the digits are tall."""
    app = make_app(tmp_path, replay=long_run(tmp_path, turns=12), present=True)
    async with app.run_test(size=size) as pilot:
        await pilot.press("right")
        await settle_images(pilot)
        stage = app.screen.query_one(Stage)
        texts = [text for text in stage.query(FittedText) if text.display and text.region.area]
        assert {"stage-step-text", "stage-caption", "stage-drawn"} <= {text.id for text in texts}
        assert ("stage-scale" in {text.id for text in texts}) == (size[1] >= 30)
        for text in texts:
            assert shows_whole_words(rendered(text), text.text), (text.id, rendered(text))
        if size[1] >= 30:
            assert rendered(stage.query_one("#stage-scale")) == ["by minilm: 0 same meaning, 2 opposite"]


async def test_long_text_on_the_stage_ends_in_an_ellipsis_after_a_whole_word(tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=3)
    app = make_app(tmp_path, replay=folder, present=True)
    long = " ".join(f"a long sentence number {n} of the text it was drawn from." for n in range(40))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_images(pilot)
        stage = app.screen.query_one(Stage)
        turn = view(app).turns[1]
        stage.show(replace(turn, text=long, caption=long), 3, None, [])
        await pilot.pause()
        for name in ("#stage-caption", "#stage-drawn"):
            lines = rendered(stage.query_one(name))
            assert 1 < len(lines) < 12 and lines[-1].endswith("…") and shows_whole_words(lines, long), lines
        assert stage.query_one("#stage-measure").region.bottom <= 24, "the distance stays on screen"


async def test_a_paused_game_says_so_on_the_stage(tmp_path):
    app = make_app(tmp_path, present=True)
    app.pace = 600.0  # each turn stays up (nothing plays on in the background) until Space or Escape
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_game(pilot, 99, played=1)
        assert isinstance(screen, GameScreen)
        step_text = screen.query_one("#stage-step-text")
        assert rendered(step_text)[-1] == "playing"
        await pilot.press("space")  # paused after the call in flight: the stage says so at once
        assert screen.paused and rendered(step_text)[-1] == "paused"
        await pilot.press("space")
        await pilot.pause()
        assert rendered(step_text)[-1] == "playing"
        await pilot.press("escape", "escape")  # off the stage, then the game stops
        await wait_until(pilot, lambda: not screen.running)
        await pilot.press("f")
        await pilot.pause()
        assert rendered(step_text) == ["of 99"], "a game that is over is neither playing nor paused"


async def test_a_paused_replay_says_so_on_the_stage(tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=3)
    app = make_app(tmp_path, replay=folder, present=True, autoplay=True, delay=30.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step_text = app.screen.query_one("#stage-step-text")
        assert rendered(step_text) == ["1 of 3 · playing"]
        await pilot.press("space")
        await pilot.pause()
        assert rendered(step_text) == ["1 of 3 · paused"]
