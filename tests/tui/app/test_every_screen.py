"""Every screen state at 80x24, 120x35 and 200x55, in both themes, keeps the rules of screen_rules.py and
contrast.py: nothing cut, nothing past its container's edge, no sideways scrolling, quit, help and the main
action in the footer in a stable order, every empty list explained, every text colour at 4.5:1 or more.

One app per state, brought to it once, then resized and re-themed in place: the rules read what is drawn, so
a new screen joins by adding its state to STATES."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine import Prompt, RunSession, Tournament, TournamentPlan, start_tournament
from tests.tui.app.contrast import low_contrast_text
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    play_from_picker,
    saved_run,
    scenes_tournament,
    settle_images,
    view,
    wait_until,
)
from tests.tui.app.screen_rules import cut_text, footer_keys, missing_keys, unexplained_empty
from tui.app.app import TelephoneApp
from tui.app.messages import Tally, TournamentEnded
from tui.app.screens.attractor_screen import AttractorScreen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.tournament_screen import TournamentScreen
from tui.app.themes import THEMES

SIZES = ((80, 24), (120, 35), (200, 55))
OFFLINE = {"t2i": "sketch-painter", "i2t": "sketch-reader", "embed": "minilm"}


@dataclass(frozen=True)
class Runs:
    """Saved runs the states open, made once for the module."""

    game: Path  # one finished 2-turn game
    tournament: Path  # a finished tournament: three prompts, two turns
    scenes: Path  # a tournament whose games fall into two attractors
    apart: Path  # a tournament of two games that end far apart: no attractor


@pytest.fixture(scope="module")
def runs(tmp_path_factory, offline_line, catalog, tournament_run) -> Runs:
    folder = tmp_path_factory.mktemp("every-screen")
    prompts = (
        Prompt("room-apple", "easy", "A red apple on a brown table in a beige room."),
        Prompt("space-rocket", "easy", "A silver rocket flying past a ringed planet in outer space."),
    )
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", prompts, 2)
    with RunSession(start_tournament(plan, folder / "apart"), catalog) as session:
        Tournament(plan, session).run(lambda event: None)
    game = saved_run(folder, offline_line, turns=2)
    return Runs(game, tournament_run, scenes_tournament(folder, catalog), folder / "apart")


Reach = Callable[[Pilot[None], Runs, Path], Awaitable[None]]


@dataclass(frozen=True)
class State:
    name: str
    reach: Reach  # from a fresh app at the picker to the state


async def picker(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.pause()


async def help_screen(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("question_mark")


async def finished_game(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await play_from_picker(pilot, 2)


async def paused_game(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    app = pilot.app
    app.pace = 600.0  # the first turn stays up, the worker waiting in its pace, until Space has paused it
    await pilot.press(*["tab"] * 5, "backspace", "backspace", "5", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and len(view(app).turns) == 1)
    await pilot.press("space")


async def stage(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """The stage of a finished game; the footer's order is the same after the stage is left."""
    await play_from_picker(pilot, 2)
    before = footer_keys(pilot.app)
    await pilot.press("f", "escape", "f")  # a screen refocuses when the stage goes: its keys stay in order
    await pilot.press("escape")
    assert footer_keys(pilot.app) == before, (before, footer_keys(pilot.app))
    await pilot.press("f")


async def replay(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.open_replay(runs.game)
    await pilot.press("right")


async def browser(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.runs_dir = tmp_path / "runs"
    shutil.copytree(runs.game, pilot.app.runs_dir / runs.game.name)
    shutil.copytree(runs.tournament, pilot.app.runs_dir / "tournament-20260101-120000")
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: browser_ready(pilot.app))


async def browser_empty(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: browser_ready(pilot.app))


async def _tournament(pilot: Pilot[None], folder: Path | None = None) -> TournamentScreen:
    pilot.app.start_tournament(dict(OFFLINE), 2, folder)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TournamentScreen))
    return pilot.app.screen


async def tournament_running(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """Its look while games play: the counts as the games' threads send them (none is played here)."""
    screen = await _tournament(pilot)
    screen.phase = "playing"
    screen.tally = Tally(games=10, done=3, in_flight=8, waiting=2, failed=1)


async def tournament_stopped(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    screen = await _tournament(pilot)
    screen.phase = "stopping"
    screen.tally = Tally(games=10, done=3, cancelled=7)
    screen.post_message(TournamentEnded())
    await wait_until(pilot, lambda: screen.ended)


async def tournament_finished(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """A finished tournament resumed: nothing is left to play, so it ends at once, as any finished one does."""
    folder = tmp_path / "tournament"
    shutil.copytree(runs.tournament, folder)
    screen = await _tournament(pilot, folder)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: screen.ended)


async def tournament_error(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """No text→image model ticked: the reason beside the plan, and as an error toast when Start is pressed."""
    await _tournament(pilot)
    await pilot.press("space", "ctrl+s")


async def leaderboard(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.push_screen(LeaderboardScreen(runs.tournament))
    await wait_until(pilot, lambda: leaderboard_ready(pilot.app))


async def _attractors(pilot: Pilot[None], folder: Path) -> None:
    pilot.app.push_screen(AttractorScreen(folder))
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None)


async def attractors(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await _attractors(pilot, runs.scenes)


async def no_attractors(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await _attractors(pilot, runs.apart)


async def game_error(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await play_from_picker(pilot, 2)
    pilot.app.notify("the model refused the picture", title="Game ended", severity="error")


STATES = (
    State("picker", picker),
    State("help", help_screen),
    State("game", finished_game),
    State("paused game", paused_game),
    State("stage", stage),
    State("replay", replay),
    State("browser", browser),
    State("browser, empty", browser_empty),
    State("tournament running", tournament_running),
    State("tournament stopped", tournament_stopped),
    State("tournament finished", tournament_finished),
    State("tournament error", tournament_error),
    State("leaderboard", leaderboard),
    State("attractors", attractors),
    State("attractors, none", no_attractors),
    State("game error", game_error),
)


async def broken_rules(app: TelephoneApp, pilot: Pilot[None]) -> dict[str, list[str]]:
    """Every rule broken at every size and theme, by "size theme"."""
    broken = {}
    for width, height in SIZES:
        await pilot.resize_terminal(width, height)
        for theme in THEMES:
            app.theme = theme.name
            await settle_images(pilot)
            problems = [*cut_text(app), *unexplained_empty(app), *low_contrast_text(app)]
            if width == SIZES[0][0]:
                problems += [f"the footer lacks {action}" for action in missing_keys(app)]
            if problems:
                broken[f"{width}x{height} {theme.name}"] = problems
    return broken


@pytest.mark.parametrize("state", STATES, ids=[state.name for state in STATES])
async def test_every_screen_keeps_the_rules_at_every_size_in_both_themes(tmp_path, runs, state):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZES[0]) as pilot:
        await state.reach(pilot, runs, tmp_path)
        await settle_images(pilot)
        footers = []
        broken = await broken_rules(app, pilot)
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            footers.append(footer_keys(app))
    assert broken == {}
    widest = footers[-1]
    for shown in footers:  # narrower footers leave keys out, never reorder them
        assert shown == [action for action in widest if action in shown]
