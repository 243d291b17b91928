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
from textual.widgets import Label

from engine import Prompt, RunSession, Tournament, TournamentPlan, start_tournament
from tests.tui.app.contrast import low_contrast_text
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    pause_game,
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
from tui.app.screens.guess_screen import GuessScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.tournament_screen import TournamentScreen
from tui.app.themes import THEMES
from tui.app.widgets.bounded_number import WholeNumberInput

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


Step = Callable[[Pilot[None], Runs, Path], Awaitable[None]]


@dataclass(frozen=True)
class State:
    name: str
    reach: Step  # from the state before it in its journey (the first: from a fresh app at the picker)


@dataclass(frozen=True)
class Journey:
    """States one app goes through, each checked at every size and theme: one app start for several states."""

    name: str
    states: tuple[State, ...]


async def picker(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.pause()


async def help_screen(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("question_mark")


async def paused_game(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    app = pilot.app
    app.pace = 600.0  # the first turn stays up, the worker waiting in its pace, until Space has paused it
    await pilot.press(*["tab"] * 5, "backspace", "backspace", "5", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and len(view(app).turns) == 1)
    await pause_game(pilot)


async def stage(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """The game on the stage; the footer's order is the same once the stage is left."""
    before = footer_keys(pilot.app)
    await pilot.press("f", "escape")  # the screen refocuses when the stage goes: its keys stay in order
    assert footer_keys(pilot.app) == before, (before, footer_keys(pilot.app))
    await pilot.press("f")


async def stopped_game(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    screen = pilot.app.screen
    await pilot.press("escape", "escape")  # off the stage, then stop the game
    await wait_until(pilot, lambda: not screen.running)


async def game_error(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.notify("the model refused the picture", title="Game ended", severity="error")


async def replay(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.open_replay(runs.game)
    await pilot.press("right")


async def browser(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.runs_dir = tmp_path / "runs"
    shutil.copytree(runs.game, pilot.app.runs_dir / runs.game.name)
    shutil.copytree(runs.tournament, pilot.app.runs_dir / "tournament-20260101-120000")
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: browser_ready(pilot.app))


async def nothing_matches(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press(*"zebra")


async def browser_empty(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: browser_ready(pilot.app))


async def _tournament(pilot: Pilot[None], folder: Path | None = None) -> TournamentScreen:
    pilot.app.start_tournament(dict(OFFLINE), 2, folder)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TournamentScreen) and pilot.app.screen.is_mounted)
    return pilot.app.screen


async def tournament_running(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """Its look while games play: the counts as the games' threads send them (none is played here)."""
    screen = await _tournament(pilot)
    screen.phase = "playing"
    screen.tally = Tally(games=10, done=3, in_flight=8, waiting=2, failed=1)


async def tournament_stopped(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    screen = pilot.app.screen
    screen.phase = "stopping"
    screen.tally = Tally(games=10, done=3, cancelled=7)
    screen.post_message(TournamentEnded())
    await wait_until(pilot, lambda: screen.ended)


async def tournament_error(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """No text→image model ticked: the reason beside the plan, and as an error toast when Start is pressed."""
    await _tournament(pilot)
    await pilot.press("space", "ctrl+s")


async def tournament_finished(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """A finished tournament resumed: nothing is left to play, so it ends at once, as any finished one does."""
    folder = tmp_path / "tournament"
    shutil.copytree(runs.tournament, folder)
    screen = await _tournament(pilot, folder)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: screen.ended)


async def leaderboard(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.push_screen(LeaderboardScreen(runs.scenes))
    await wait_until(pilot, lambda: leaderboard_ready(pilot.app))


async def attractors(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("a")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None)


async def no_attractors(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    pilot.app.push_screen(AttractorScreen(runs.apart))
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None)


async def guessing(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    """A round of guessing on the saved game, with one guess on the board."""
    pilot.app.guess_from(runs.game)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GuessScreen))
    await pilot.press(*"a red apple", "enter")
    await wait_until(pilot, lambda: bool(pilot.app.screen.round.record.guesses))


async def revealed(pilot: Pilot[None], runs: Runs, tmp_path: Path) -> None:
    await pilot.press("escape", "r", "left")


JOURNEYS = (
    Journey("picker", (State("picker", picker), State("help", help_screen))),
    Journey(
        "game",
        (
            State("paused game", paused_game),
            State("stage", stage),
            State("stopped game", stopped_game),
            State("game error", game_error),
        ),
    ),
    Journey("replay", (State("replay", replay),)),
    Journey("guess", (State("guessing", guessing), State("guess revealed", revealed))),
    Journey("browser", (State("browser", browser), State("browser, nothing matches", nothing_matches))),
    Journey("browser, empty", (State("browser, empty", browser_empty),)),
    Journey(
        "tournament",
        (
            State("tournament running", tournament_running),
            State("tournament stopped", tournament_stopped),
            State("tournament error", tournament_error),
            State("tournament finished", tournament_finished),
        ),
    ),
    Journey(
        "analysis",
        (
            State("leaderboard", leaderboard),
            State("attractors", attractors),
            State("attractors, none", no_attractors),
        ),
    ),
)


async def check_every_size_and_theme(
    app: TelephoneApp, pilot: Pilot[None]
) -> tuple[dict[str, list[str]], list[list[str]]]:
    """Every rule broken at every size and theme, by "size theme", and the footer's keys at each size. The sizes go
    up in the theme the app has, then down in the other: one theme switch (the dearest change) a state. Layout
    does not depend on the theme, so the layout rules are read in the first; colours are read in both."""
    broken, footers = {}, []
    first, second = sorted(THEMES, key=lambda theme: theme.name != app.theme)
    for theme, sizes in ((first, SIZES), (second, SIZES[::-1])):
        app.theme = theme.name
        for width, height in sizes:
            await pilot.resize_terminal(width, height)
            await settle_images(pilot)
            problems = low_contrast_text(app)
            if theme is first:
                problems += [*cut_text(app), *unexplained_empty(app)]
                footers.append(footer_keys(app))
                if (width, height) == SIZES[0]:
                    problems += [f"the footer lacks {action}" for action in missing_keys(app)]
            if problems:
                broken[f"{width}x{height} {theme.name}"] = problems
    return broken, footers


@pytest.mark.parametrize("journey", JOURNEYS, ids=[journey.name for journey in JOURNEYS])
async def test_every_screen_keeps_the_rules_at_every_size_in_both_themes(tmp_path, runs, journey):
    app = make_app(tmp_path)
    broken: dict[str, dict[str, list[str]]] = {}
    reordered: dict[str, list[list[str]]] = {}
    async with app.run_test(size=SIZES[0]) as pilot:
        for state in journey.states:
            await state.reach(pilot, runs, tmp_path)  # (each state is reached at 80x24: the last size checked)
            await settle_images(pilot)
            problems, footers = await check_every_size_and_theme(app, pilot)
            if problems:
                broken[state.name] = problems
            # Narrower footers leave keys out, never reorder them.
            if any(shown != [action for action in footers[-1] if action in shown] for shown in footers):
                reordered[state.name] = footers
    assert broken == {}
    assert reordered == {}


async def test_every_number_field_refuses_an_out_of_range_value_as_it_is_typed_and_says_why_beside_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZES[0]) as pilot:
        fields = list(app.screen.query(WholeNumberInput))
        assert fields, "the picker has its turns field"
        for field in fields:
            field.focus()
            field.value = ""
            await pilot.press(*str(field.maximum * 4 + 7))  # "407" where 100 is the most: the 7 is refused
            assert int(field.value) <= field.maximum and field.reason == f"at most {field.maximum}"
            reason = field.parent.query_one(Label)
            assert str(reason.render()) == field.reason and reason.display
            field_region, reason_region = field.region, reason.region
            assert reason_region.x == field_region.right and reason_region.y < field_region.bottom, "beside it"
            await pilot.press("backspace")
            assert not field.reason and not reason.display, "the reason goes with the next key taken"
            await pilot.press("end", *["backspace"] * 3, "0")
            assert field.value == "" and field.reason == f"at least {field.minimum}"
