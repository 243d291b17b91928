"""The screens that work in workers (issue 20): a game's events come as messages, in order, and the status line
follows them; the browser reads runs in a worker and filters without remaking its columns; the leaderboard
loads in a worker behind a loading indicator; a resumed tournament keeps both model lists; what the budget
stopped is called so."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from textual.widgets import DataTable, Label, SelectionList

from engine import (
    Budget,
    CallStarted,
    ConversationFinished,
    DistancesReady,
    ImageReady,
    TournamentPlan,
    TournamentProgress,
    TurnStarted,
    load_prompts,
    start_tournament,
)
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    saved_run,
    start_game,
    view,
    wait_until,
)
from tui.app.messages import GameEvent
from tui.app.screens import browser_screen, leaderboard_screen, tournament_screen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.tournament_screen import TournamentScreen

OFFLINE = {"t2i": "sketch-painter", "i2t": "sketch-reader", "embed": "minilm"}


def status(app) -> str:
    return str(app.screen.query_one("#status", Label).content)


async def test_a_games_events_arrive_in_order_and_the_status_line_follows_them(tmp_path, monkeypatch):
    seen: list[tuple[object, str]] = []  # each event as the screen handled it, and the status line then
    handle = GameScreen.on_game_event

    def recording(screen: GameScreen, message: GameEvent) -> None:
        handle(screen, message)
        seen.append((message.event, str(screen.query_one("#status", Label).content)))

    monkeypatch.setattr(GameScreen, "on_game_event", recording)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await start_game(pilot, 3, played=0)
        await wait_until(pilot, lambda: not screen.running)
        events = [event for event, _ in seen]
        steps = [event.step for event in events if isinstance(event, TurnStarted)]
        assert steps == [1, 2, 3] and isinstance(events[-1], ConversationFinished)
        for step in steps:  # each turn: started, drawn, measured, before the next one starts
            order = [
                index
                for index, event in enumerate(events)
                if getattr(event, "step", getattr(getattr(event, "turn", None), "step", None)) == step
                and isinstance(event, TurnStarted | ImageReady | DistancesReady)
            ]
            kinds = [type(events[index]) for index in order]
            assert kinds == [TurnStarted, ImageReady, DistancesReady] and order == sorted(order)
        for event, line in seen:
            if isinstance(event, TurnStarted):
                assert line.startswith(f"turn {event.step}/3"), line
            elif isinstance(event, CallStarted):
                assert event.summary in line, line
        assert seen[-1][1].startswith("turn 3/3") and seen[-1][1].endswith("finished")
        assert [turn.step for turn in view(app).turns] == [1, 2, 3]


async def test_space_pauses_the_status_line_and_the_stage_at_once(tmp_path):
    app = make_app(tmp_path)
    app.pace = 600.0  # the first turn stays up while the worker waits out its pace
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await start_game(pilot, 5, played=1)
        await pilot.press("space")
        assert screen.paused and "space resumes" in status(app)
        assert screen.stage_state == "paused"
        await wait_until(pilot, lambda: screen.held)
        assert "paused · space resumes" in status(app), "the turn's pace ends once paused: no call is in flight"
        await pilot.press("space")
        assert not screen.paused and "paused" not in status(app) and screen.stage_state == "playing"
        await pilot.press("space", "escape")  # stopping a paused game lets the worker go at once
        await wait_until(pilot, lambda: not screen.running)
        assert status(app).endswith("stopped") and screen.stage_state == ""


async def test_the_browser_reads_in_a_worker_and_filtering_keeps_the_columns(
    tmp_path, tournament_run, offline_line, monkeypatch
):
    threads: list[threading.Thread] = []
    load_runs = browser_screen.load_runs

    def reading(path: Path):
        threads.append(threading.current_thread())
        return load_runs(path)

    monkeypatch.setattr(browser_screen, "load_runs", reading)
    runs = tmp_path / "runs"
    shutil.copytree(tournament_run, runs / "tournament-1")
    saved_run(runs, offline_line, turns=1, prompt_index=6)  # the long banquet prompt
    app = make_app(tmp_path)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app))
        assert threads and threading.main_thread() not in threads, "the runs are read off the event loop"
        table = app.screen.query_one(DataTable)
        columns = list(table.columns.values())
        assert [str(column.label) for column in columns] == ["date", "final", "level", "turns", "pair", "prompt"]
        assert table.row_count == 6
        await pilot.press(*"banquet")
        assert [column is before for column, before in zip(table.columns.values(), columns, strict=True)] == [
            True
        ] * 6, "the same columns, not new ones"
        assert table.row_count == 2 and "banquet" in str(table.get_row_at(1)[5])
        await pilot.press("escape")
        assert table.row_count == 6 and all(a is b for a, b in zip(table.columns.values(), columns, strict=True))


async def test_the_leaderboard_shows_loading_until_its_run_is_read(tmp_path, tournament_run, monkeypatch):
    may_read = threading.Event()
    load_run = leaderboard_screen.load_run

    def held(folder: Path):
        may_read.wait(30)
        return load_run(folder)

    monkeypatch.setattr(leaderboard_screen, "load_run", held)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        app.push_screen(LeaderboardScreen(tournament_run))
        await wait_until(pilot, lambda: isinstance(app.screen, LeaderboardScreen) and app.screen.is_mounted)
        board = app.screen.query_one("#board")
        assert board.loading and app.screen.query_one(DataTable).row_count == 0
        assert "reading run" in status(app)
        may_read.set()
        await wait_until(pilot, lambda: leaderboard_ready(app))
        assert not board.loading and app.screen.query_one(DataTable).row_count == 1
        assert status(app).startswith("3 games")


async def test_a_resumed_tournament_keeps_both_model_lists_as_the_run_has_them(tmp_path):
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", tuple(load_prompts()[:2]), 2)
    folder = start_tournament(plan, tmp_path / "runs" / "tournament-1").folder
    app = make_app(tmp_path)
    async with app.run_test(size=(110, 32)) as pilot:
        app.start_tournament(dict(OFFLINE), 2, folder)
        await wait_until(pilot, lambda: isinstance(app.screen, TournamentScreen))
        lists = list(app.screen.query(SelectionList))
        assert len(lists) == 2 and all(selection.disabled for selection in lists)
        assert app.focused is app.screen.query_one("#start"), "Enter starts the resumed tournament"


class CappedTournament:
    """A tournament whose every game the budget stops before its first call."""

    def __init__(self, plan: TournamentPlan, session) -> None:
        self.plan = plan
        self.progress = TournamentProgress(len(plan.games))
        self.budget = Budget(0.01)

    def run(self, on_event, cancel=None) -> None:
        for index in range(len(self.plan.games)):
            event = ConversationFinished(f"game{index}", "capped", "the budget is spent", 0)
            self.progress.record(event)
            on_event(event)


async def test_games_the_budget_stopped_are_said_to_be_stopped_by_the_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(tournament_screen, "Tournament", CappedTournament)
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 32)) as pilot:
        app.start_tournament(dict(OFFLINE), 2)
        await wait_until(pilot, lambda: isinstance(app.screen, TournamentScreen))
        screen = app.screen
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.ended)
        stats = str(screen.query_one("#stats", Label).content)
        assert stats.startswith("stopped · 0 of 10 games played to the end · 10 stopped by the budget · 0 failed")
        assert "part-way" not in stats
        (notice,) = [notice for notice in app._notifications if notice.title == "Tournament stopped"]
        assert notice.message.startswith("10 games stopped by the budget;") and "part-way" not in notice.message


async def test_the_games_clock_stands_still_while_it_is_paused(tmp_path):
    now = [0.0]
    app = make_app(tmp_path)
    app.clock = lambda: now[0]
    app.pace = 600.0  # the first turn stays up while the clock is moved by hand
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await start_game(pilot, 5, played=1)
        now[0] = 65.0
        screen._tick()
        assert screen.elapsed == 65 and "1:05" in status(app)
        await pilot.press("space")
        now[0] = 500.0
        screen._tick()
        assert screen.elapsed == 65, "paused: the clock stands"
        await pilot.press("space")
        now[0] = 503.0
        screen._tick()
        assert screen.elapsed == 68
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.running)
