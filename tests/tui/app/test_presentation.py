"""Presentation mode: the picture as large as the terminal allows with its aspect kept, the prompt, caption and
distance on screen at every step, nothing else; and the fixed scale every drift picture uses."""

from __future__ import annotations

import pytest
from textual.widgets import Digits, Footer, Header, Static

from tests.tui.app.helpers import long_run, make_app, saved_run, settle_images, view
from tui.app.screens.replay_screen import ReplayScreen
from tui.app.widgets.drift import DistanceBar, DriftLine, bar, sparkline, tick_line
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
            assert turns[step - 1].caption in str(screen.query_one("#stage-caption", Static).content)
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
        assert view(app).presenting and not screen.query_one(Header).display
        assert screen.query_one("#stage-step-digits", Digits).value == "2"
        assert str(screen.query_one("#stage-step-text", Static).content) == "of 3"
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
        assert view(app).turns[-1].caption in str(screen.query_one("#stage-caption", Static).content)


async def test_a_30_turn_replay_on_the_stage_at_200x55(tmp_path):
    app = make_app(tmp_path, replay=long_run(tmp_path), present=True)
    async with app.run_test(size=(200, 55)) as pilot:
        await pilot.press("end")
        await settle_images(pilot)
        assert view(app).step == 30
        assert app.screen.query_one("#stage-step-digits", Digits).value == "30"
        assert app.screen.query_one("#stage-image").region.height >= 44
