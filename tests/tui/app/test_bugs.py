"""One test per bug found while trying the app as a new user would (issue 10), named for what was wrong."""

from __future__ import annotations

import os
import pty
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label, ListView, ProgressBar
from textual.widgets._footer import FooterKey

from engine import load_prompts, load_run
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    long_run,
    make_app,
    pause_game,
    saved_run,
    start_game,
    view,
    wait_until,
)
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.help_screen import HelpScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.picker_screen import PickerScreen
from tui.app.screens.replay_screen import ReplayScreen
from tui.app.screens.tournament_screen import TournamentScreen


def title(app) -> str:
    """The turn box's title without what it says of reproducibility."""
    return str(app.screen.query_one("#turn-detail").border_title).split(" · ")[0]


def highlighted_is_visible(app) -> bool:
    listing = app.screen.query_one(ListView)
    item = listing.highlighted_child
    return item is not None and bool(item.region.area) and listing.region.contains_region(item.region)


async def test_replay_keys_move_the_view_not_just_the_list_and_turn_1_opens_in_view(tmp_path):
    app = make_app(tmp_path, replay=long_run(tmp_path, turns=30))
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        assert view(app).step == 1 and title(app) == "Turn 1 of 30" and highlighted_is_visible(app)
        for keys, step in ((("right",) * 5, 6), (("end",), 30), (("home",), 1), (("pagedown",), 6), (("left",), 5)):
            await pilot.press(*keys)
            await pilot.pause()
            assert view(app).step == step and title(app) == f"Turn {step} of 30", keys
            assert highlighted_is_visible(app), f"turn {step} is scrolled into view"


@pytest.mark.slow
async def test_end_jumps_to_the_latest_turn_once_the_list_scrolls(tmp_path):
    app = make_app(tmp_path)
    app.pace = 0.02
    async with app.run_test(size=(100, 16)) as pilot:
        await start_game(pilot, 99, played=12)
        await pause_game(pilot)  # so that the latest turn stays the latest while we look
        await pilot.press("up", "up", "up")
        looking = view(app).step
        assert looking < len(view(app).turns) and title(app) == f"Turn {looking} of 99"
        await pilot.press("end")
        assert view(app).step == len(view(app).turns) and title(app) == f"Turn {view(app).step} of 99"
        assert highlighted_is_visible(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.running)


@pytest.mark.slow
async def test_a_stopped_tournament_says_stopped_and_its_leaderboard_says_partial(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "2", "0", "ctrl+g", "ctrl+s")
        screen = app.screen
        assert isinstance(screen, TournamentScreen)
        await wait_until(pilot, lambda: screen.tally.in_flight + screen.tally.done > 0)
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.ended, seconds=60)
        stats = str(screen.query_one("#stats", Label).content)
        counts = screen.tally
        assert stats.startswith("stopped") and f"{counts.cancelled} stopped part-way" in stats
        assert counts.cancelled > 0 and counts.done < 10
        assert screen.query_one(ProgressBar).progress == counts.done < 10, "the bar is not full"
        titles = [notice.title for notice in app._notifications]
        assert "Tournament stopped" in titles and "Tournament over" not in titles
        await pilot.press("l")
        await wait_until(pilot, lambda: leaderboard_ready(app))
        assert "games are partial" in str(app.screen.query_one("#partial", Label).content)


async def test_a_stopped_single_game_resumes_from_the_browser(tmp_path):
    app = make_app(tmp_path)
    app.pace = 3600.0  # each turn stays up until Escape: the game cannot end by itself, however slow the machine
    async with app.run_test(size=(120, 32)) as pilot:
        game = await start_game(pilot, 9, played=1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not game.running)
        played = len(view(app).turns)
        assert played == 1, "stopped while the first turn was up"
        app.pace = 0.0
        await pilot.press("escape", "ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app) and app.screen.highlighted is not None)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen is not game)
        resumed = app.screen
        await wait_until(pilot, lambda: not resumed.running)
        assert [t.step for t in view(app).turns] == list(range(1, 10)), "the saved turns, then the rest"
        (run,) = (tmp_path / "runs").iterdir()
        (conversation,) = load_run(run).conversations
        assert conversation.info.status == "finished" and len(conversation.turns) == 9 and played < 9


@pytest.mark.parametrize("width", [80, 120])
async def test_the_leaderboard_never_clips_a_column(tmp_path, tournament_run, width):
    app = make_app(tmp_path)
    async with app.run_test(size=(width, 30)) as pilot:
        app.push_screen(LeaderboardScreen(tournament_run))
        await wait_until(pilot, lambda: leaderboard_ready(app))
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.region.width >= table.virtual_size.width, "every column fits"
        assert table.scroll_offset.x == 0


async def test_the_status_says_nothing_is_being_measured_while_a_turn_is_shown(tmp_path):
    app = make_app(tmp_path)
    app.pace = 600.0  # the first turn stays up (the worker waits out its pace) until Escape, however slow the machine
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "2", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and len(view(app).turns) == 1)
        status = str(app.screen.query_one("#status", Label).content)
        assert "measuring" not in status and "with" not in status, status
        await pilot.press("escape")


async def test_the_footer_shows_the_stepping_keys_and_help_writes_keys_as_they_are_on_the_keyboard(
    tmp_path, offline_line
):
    app = make_app(tmp_path, replay=saved_run(tmp_path, offline_line, turns=2))
    async with app.run_test(size=(160, 32)) as pilot:
        await pilot.pause()
        shown = {key.description: key.key_display for key in app.screen.query(FooterKey)}
        assert shown.get("Back") == "←" and shown.get("Forward") == "→" and shown.get("Play/pause") == "space"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {description: keys for keys, description in app.screen.key_rows()}
        assert keys["Help"] == "? / f1" and keys["Forward"] == "→" and keys["Present"] == "f / f5"
        assert not any("question_mark" in written or "_" in written for written in keys.values())


async def test_the_empty_browser_names_keys_that_work(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app))
        hint = str(app.screen.query_one("#status", Label).content)
        assert "no saved games" in hint and "Escape, then Enter on the picker" in hint and "(n " not in hint
        await pilot.press("escape")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, GameScreen), "Enter on the picker does play"
        await pilot.press("escape")


@pytest.mark.parametrize("inside", ["conversation", "journal.jsonl", "conversation.json", "run.json", "image"])
async def test_replay_opens_from_any_path_into_a_run(tmp_path, offline_line, inside):
    folder = saved_run(tmp_path, offline_line, turns=2)
    (conversation,) = (folder / "conversations").iterdir()
    path = {
        "conversation": conversation,
        "journal.jsonl": conversation / "journal.jsonl",
        "conversation.json": conversation / "conversation.json",
        "run.json": folder / "run.json",
        "image": conversation / "images" / "turn-01.png",
    }[inside]
    app = make_app(tmp_path, replay=path)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen) and len(view(app).turns) == 2


def test_replay_of_a_path_that_is_no_run_is_one_line_and_exit_2(tmp_path, capsys):
    from tui.app.app import main

    (tmp_path / "notes.txt").write_text("not a run")
    with pytest.raises(SystemExit) as stopped:
        main(["--replay", str(tmp_path / "notes.txt")])
    assert stopped.value.code == 2
    assert "is not a saved run" in capsys.readouterr().err


async def test_the_browser_groups_runs_shows_whole_prompts_and_filters_by_typing(tmp_path, tournament_run):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(tournament_run, runs / "tournament-1")
    saved_run(runs, offline_line_for_browser(), turns=1, prompt_index=6)  # the long banquet prompt
    app = make_app(tmp_path)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app))
        screen = app.screen
        table = screen.query_one(DataTable)
        first_column = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
        assert first_column[0] == "Tournament" and str(table.get_row_at(0)[5]).startswith("tournament-1 · 3 games")
        assert "Single games" in first_column[4] and table.row_count == 6
        prompts = [str(table.get_row_at(row)[5]).replace("\n", " ") for row in range(table.row_count)]
        assert load_prompts()[0].text in prompts and load_prompts()[6].text in prompts, "whole prompts, wrapped"
        await pilot.press(*"banquet")
        assert screen.query_one(Input).value == "banquet"
        assert table.row_count == 2 and "1 of 4 games" in str(screen.query_one("#status", Label).content)
        await pilot.press("enter")
        assert isinstance(app.screen, ReplayScreen) and "banquet" in app.screen.conversation.info.prompt
        await pilot.press("escape", "escape")
        assert screen.query_one(Input).value == "" and table.row_count == 6, "Escape clears the filter first"


def offline_line_for_browser():
    from engine import Catalog, build_line

    return build_line(Catalog.load(), "sketch-painter", "sketch-reader", "minilm")


@pytest.mark.slow
def test_a_terminal_that_reports_no_size_does_not_crash_the_app(tmp_path):
    """A pty nobody sized reports 0x0; textual-image divided by it at import. The demo must start and quit."""
    leader, follower = pty.openpty()
    import fcntl
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color"}
    app = subprocess.Popen(
        [sys.executable, "-m", "tui.app.app", "--demo"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=Path(__file__).resolve().parents[3],
        env=environment,
        start_new_session=True,
    )
    os.close(follower)
    output = b""
    started = time.monotonic()
    try:
        while time.monotonic() - started < 20 and b"PROMPT" not in output:
            assert app.poll() is None, output.decode(errors="replace")[-2000:]
            if select.select([leader], [], [], 0.2)[0]:
                output += os.read(leader, 65536)
        assert b"PROMPT" in output, "the stage was drawn"
        os.write(leader, b"\x11")  # ctrl+q
        while app.poll() is None and time.monotonic() - started < 40:  # keep reading: a full pty blocks the app
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    output += os.read(leader, 65536)
                except OSError:  # the app closed its end
                    break
        assert app.wait(timeout=10) == 0
    finally:
        if app.poll() is None:
            app.kill()
        os.close(leader)
    assert b"Traceback" not in output and b"ZeroDivisionError" not in output
