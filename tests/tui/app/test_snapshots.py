"""SVG snapshots of every screen and state, with half-cell images and a frozen clock so they are stable.

Update after an intended change with: python -m pytest tests/tui/app/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from engine import RunSession, Tournament, TournamentPlan, load_prompts, start_tournament
from tests.engine.test_hosted import TOKEN
from tests.fakes.server import FakeServer
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    pause_game,
    picker_ready,
    play_from_picker,
    saved_run,
    scenes_tournament,
    settle_images,
    view,
    wait_until,
)
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.guess_screen import GuessScreen
from tui.app.screens.tournament_screen import TournamentScreen
from tui.app.widgets.guess_board import GuessBoard

SIZE = (100, 32)
OFFLINE = {"t2i": "sketch-painter", "i2t": "sketch-reader", "embed": "minilm"}

pytestmark = pytest.mark.slow


async def surveyed(pilot):
    await wait_until(pilot, lambda: picker_ready(pilot.app))


@pytest.mark.parametrize("size", [(80, 24), (100, 32), (200, 55)], ids=["80x24", "100x32", "200x55"])
def test_picker(snap_compare, tmp_path, size):
    """Grouped by where models run, usable ones first, the others folded per provider."""
    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=surveyed)


def test_picker_filtered(snap_compare, tmp_path):
    async def filtered(pilot):
        await surveyed(pilot)
        await pilot.press("tab", *"llava")

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=filtered)


def test_picker_details_of_an_unfolded_provider(snap_compare, tmp_path):
    async def unfolded(pilot):
        await surveyed(pilot)
        models = pilot.app.screen.query_one("#models-t2i")
        models.highlighted = models.get_option_index("fold:replicate")
        await pilot.press("enter")

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=unfolded)


def test_help(snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["question_mark"])


def test_finished_game(snap_compare, tmp_path):
    async def play(pilot):
        await play_from_picker(pilot, 3)
        await settle_images(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=play)


def test_paused_game(snap_compare, tmp_path):
    app = make_app(tmp_path)
    app.pace = 600.0  # the first turn stays up, the worker waiting in its pace, until Space has paused it

    async def pause(pilot):
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "5", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and len(view(app).turns) == 1)
        await pause_game(pilot)
        await settle_images(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=pause)


def test_replay(snap_compare, tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=4)

    async def step(pilot):
        await pilot.press("right", "right")
        await settle_images(pilot)

    assert snap_compare(make_app(tmp_path, replay=folder), terminal_size=SIZE, run_before=step)


@pytest.mark.parametrize("size", [(80, 24), (200, 55)], ids=["80x24", "200x55"])
def test_presentation(snap_compare, tmp_path, offline_line, size):
    folder = saved_run(tmp_path, offline_line, turns=4)

    async def step(pilot):
        await pilot.press("right", "right")
        await settle_images(pilot)

    assert snap_compare(make_app(tmp_path, replay=folder, present=True), terminal_size=size, run_before=step)


async def open_browser(pilot):
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: browser_ready(pilot.app))


def test_browser_empty(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the browser names its folder: "runs", not a temporary path
    assert snap_compare(make_app(tmp_path, runs_dir=Path("runs")), terminal_size=SIZE, run_before=open_browser)


def test_browser_full(snap_compare, tmp_path, offline_line, catalog, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "runs"
    tournament = runs / "tournament-20260101-120000"
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", tuple(load_prompts()[:3]), 2)
    with RunSession(start_tournament(plan, tournament), catalog) as session:
        Tournament(plan, session).run(lambda event: None)
    for info_file in tournament.glob("conversations/*/conversation.json"):
        info = json.loads(info_file.read_text())
        info_file.write_text(json.dumps({**info, "created": "2026-01-01T12:00:00+00:00"}))
    saved_run(runs, offline_line, turns=2, prompt_index=6)
    assert snap_compare(make_app(tmp_path, runs_dir=Path("runs")), terminal_size=(120, 32), run_before=open_browser)


def _tournament_app(tmp_path, chosen=OFFLINE, turns=2):
    """The app with a tournament of ``chosen`` on every catalog prompt, in a run folder whose name is fixed
    (a new one would be named for the time), opened as the app opens a tournament to resume."""
    plan = TournamentPlan((chosen["t2i"],), (chosen["i2t"],), chosen["embed"], tuple(load_prompts()), turns)
    folder = start_tournament(plan, tmp_path / "runs" / "tournament-20260101-120000").folder
    app = make_app(tmp_path)

    async def open_tournament(pilot):
        app.start_tournament(dict(chosen), turns, folder)
        await wait_until(pilot, lambda: isinstance(app.screen, TournamentScreen))

    return app, open_tournament


@pytest.mark.parametrize("leaderboard", [False, True], ids=["tournament_finished", "leaderboard"])
def test_tournament_finished_then_its_leaderboard(snap_compare, tmp_path, leaderboard):
    app, open_tournament = _tournament_app(tmp_path)

    async def play(pilot):
        await open_tournament(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.ended, seconds=120)
        if leaderboard:
            await pilot.press("l")
            await wait_until(pilot, lambda: leaderboard_ready(app))
            await pilot.press("right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(110, 32), run_before=play)


def test_tournament_stopped(snap_compare, tmp_path):
    app, open_tournament = _tournament_app(tmp_path, turns=20)

    async def stop(pilot):
        await open_tournament(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.tally.in_flight > 0)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.ended, seconds=60)

    assert snap_compare(app, terminal_size=(110, 32), run_before=stop)


def test_tournament_running(snap_compare, tmp_path, monkeypatch):
    """Drawings on a (fake) Replicate that take seconds: eight calls in flight, the limit, and none done."""
    with FakeServer(latency={"t2i": 5.0}) as server:
        monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
        monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
        app, open_tournament = _tournament_app(tmp_path, {**OFFLINE, "t2i": "stable-diffusion"})

        async def start(pilot):
            await open_tournament(pilot)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.screen.tally.in_flight == 8)
            await pilot.pause(0.2)

        assert snap_compare(app, terminal_size=(110, 32), run_before=start)


def test_an_error_toast(snap_compare, tmp_path):
    """A tournament with no text→image model ticked cannot start: the reason comes as an error toast."""
    app = make_app(tmp_path)

    async def refuse(pilot):
        app.start_tournament(dict(OFFLINE), 2)
        await wait_until(pilot, lambda: isinstance(app.screen, TournamentScreen))
        await pilot.press("space", "ctrl+s")  # untick the only text→image model, then try to start
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=refuse)


def test_attractors(snap_compare, tmp_path, catalog):
    folder = scenes_tournament(tmp_path, catalog)

    async def open_attractors(pilot):
        await pilot.press("ctrl+l", "a")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None)
        await settle_images(pilot)

    assert snap_compare(make_app(tmp_path, replay=folder), terminal_size=SIZE, run_before=open_attractors)


@pytest.mark.parametrize("revealed", [False, True], ids=["guessing", "revealed"])
def test_guess_the_prompt(snap_compare, tmp_path, offline_line, revealed):
    folder = saved_run(tmp_path, offline_line, turns=3)

    async def guess(pilot):
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, GuessScreen))
        board = pilot.app.screen.query_one(GuessBoard)
        for made, text in enumerate(("a dog on a beach", "a white dog and a frisbee", "a cat in the snow"), 1):
            pilot.app.screen.query_one("#guess-box", Input).value = text
            await pilot.press("enter")
            await wait_until(pilot, lambda made=made: len(board.guesses) == made)
        if revealed:
            await pilot.press("escape", "r", "left")
        await settle_images(pilot)

    app = make_app(tmp_path, replay=folder, guess=True)
    assert snap_compare(app, terminal_size=(120, 35), run_before=guess)
