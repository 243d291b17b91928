"""Auto-play, loop, pause and resume: in a replay, through several games, in the demo, and in a live game."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Label

from engine import load_run
from tests.tui.app.helpers import make_app, pause_game, saved_run, start_game, view, wait_until
from tui.app.screens.picker_screen import PickerScreen
from tui.app.screens.replay_screen import ReplayScreen


def status(app) -> str:
    return str(app.screen.query_one("#status", Label).content)


@pytest.mark.slow
async def test_replay_plays_by_itself_pauses_steps_and_loops(tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=3)
    # It starts slow, so that the first turn is still showing when first looked at on a busy machine, then
    # goes at half a second a turn.
    app = make_app(tmp_path, replay=folder, autoplay=True, delay=5.0)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and view(app).step == 1
        assert "▶ playing, 5 s a turn" in status(app)
        await pilot.press(*["plus"] * 9)
        assert "▶ playing, 0.5 s a turn" in status(app) and "loop off" in status(app)
        await wait_until(pilot, lambda: view(app).step == 2, seconds=30)
        await pilot.press("space")
        assert "paused" in status(app)
        await asyncio.sleep(1.2)
        assert view(app).step == 2, "paused: no step in 1.2 s at 0.5 s a turn"
        await pilot.press("right")
        assert view(app).step == 3, "→ still steps while paused"
        await pilot.press("space")  # at the end without loop, play starts again from the first turn
        assert view(app).step == 1 and screen.playing
        await wait_until(pilot, lambda: view(app).step == 3, seconds=30)
        await wait_until(pilot, lambda: not screen.playing, seconds=30)
        assert "paused" in status(app), "without loop it stops at the end"
        await pilot.press("l", "space")
        assert "loop on" in status(app)
        await wait_until(pilot, lambda: view(app).step == 2, seconds=30)  # 3 → 1 → 2: round again
        await pilot.press("space")  # paused, so that no turn comes between the look and the key
        if view(app).step == 1:
            await pilot.press("right")
        shown = view(app).step
        await pilot.press("left")
        assert view(app).step == shown - 1


async def test_faster_and_slower(tmp_path, offline_line):
    app = make_app(tmp_path, replay=saved_run(tmp_path, offline_line, turns=2))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert screen.delay == 3.0 and not screen.playing
        await pilot.press("minus", "minus")
        assert screen.delay == 4.0 and "4 s a turn" in status(app)
        await pilot.press(*["plus"] * 20)
        assert screen.delay == 0.5, "never faster than half a second"


async def test_the_demo_plays_the_shipped_sample_on_the_stage_without_loading_a_model(tmp_path):
    app = make_app(tmp_path, demo=True, present=True, autoplay=True, loop=True)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.presenting and screen.playing and screen.looping
        assert len(screen.conversations) == 3
        assert app._catalog is None and not app._models, "no catalog read, no model built"
        await pilot.press("space")  # paused, so that no tick of the clock moves it while the test does
        assert not screen.playing
        first = screen.conversation
        for _ in range(len(first.turns) - view(app).step + 1):
            await screen._advance()
        assert screen.conversation is not first and view(app).step == 1, "the loop goes on to the next game"
        await pilot.press("p")
        assert screen.conversation is first
        await pilot.press("escape", "escape")  # leave the stage, then the demo: the picker takes its place
        await wait_until(pilot, lambda: isinstance(app.screen, PickerScreen))


@pytest.mark.slow
async def test_a_live_game_pauses_after_the_call_in_flight_and_resumes(tmp_path):
    app = make_app(tmp_path)
    app.pace = 0.05
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await start_game(pilot, 99, played=2)
        await pause_game(pilot)
        assert "paused · space resumes" in status(app)
        held = len(view(app).turns)
        await asyncio.sleep(1.0)
        assert len(view(app).turns) == held and screen.running, "nothing new is asked for while paused"
        await pilot.press("space")
        assert not screen.paused
        await wait_until(pilot, lambda: len(view(app).turns) >= held + 2)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.running)
        assert "stopped" in status(app)


@pytest.mark.slow
async def test_quitting_a_paused_game_does_not_wait_for_it(tmp_path):
    """The worker of a paused game waits for Space; quitting must still end it (it used to wait forever)."""
    app = make_app(tmp_path)

    async def pause_then_quit() -> None:
        async with app.run_test(size=(100, 32)) as pilot:
            await start_game(pilot, 99, played=1)
            await pilot.press("space")
            await pilot.pause(0.3)

    await asyncio.wait_for(pause_then_quit(), timeout=30)
    (run,) = (tmp_path / "runs").iterdir()
    for _ in range(100):  # the worker tells the engine to stop; the engine ends the game after its call
        if load_run(run).conversations[0].info.status == "cancelled":
            break
        await asyncio.sleep(0.05)
    assert load_run(run).conversations[0].info.status == "cancelled"
