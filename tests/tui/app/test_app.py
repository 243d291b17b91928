"""The app driven with Pilot: play, cancel, replay, refuse what cannot run, help and commands."""

from __future__ import annotations

import gc

import pytest
from textual.widgets import Input, Label, Static
from textual.widgets._footer import FooterKey
from textual.widgets.option_list import OptionDoesNotExist

from engine import load_run
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    picker_ready,
    play_from_picker,
    saved_run,
    view,
    wait_until,
)
from tui.app.app import GC_YOUNG_THRESHOLD
from tui.app.screens.browser_screen import RunBrowserScreen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.help_screen import HelpScreen
from tui.app.screens.picker_screen import PickerScreen
from tui.app.screens.replay_screen import ReplayScreen
from tui.app.widgets.drift import DriftLine
from tui.app.widgets.model_list import ModelDetails, ModelList


@pytest.mark.slow
async def test_enter_plays_the_offline_trio_to_the_end(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, PickerScreen)
        screen = await play_from_picker(pilot, 3)
        shown = view(app)
        assert [turn.step for turn in shown.turns] == [1, 2, 3]
        assert len(shown.query("TurnItem")) == 3
        assert len(shown.query_one(DriftLine).distances) == 3
        assert shown.query_one("#caption", Static).content.plain == shown.turns[-1].caption
        assert shown.query_one("#drawn", Static).content.plain == shown.turns[-1].text
        status = screen.query_one("#status", Label).content
        assert "turn 3/3" in str(status) and "finished" in str(status)
        (run_folder,) = (tmp_path / "runs").iterdir()
        assert [t.caption for t in load_run(run_folder).conversations[0].turns] == [t.caption for t in shown.turns]


@pytest.mark.slow
async def test_escape_cancels_mid_game_and_keeps_finished_turns(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "5", "0", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and len(view(app).turns) >= 2)
        screen = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.running)
        assert "stopped" in str(screen.query_one("#status", Label).content)
        played = len(view(app).turns)
        assert 2 <= played < 50
        (run_folder,) = (tmp_path / "runs").iterdir()
        conversation = load_run(run_folder).conversations[0]
        assert len(conversation.turns) == played and conversation.info.status == "cancelled"
        await pilot.press("escape")
        assert isinstance(app.screen, PickerScreen)


@pytest.mark.slow
async def test_turn_list_scrolls_back_while_the_view_keeps_its_place(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await play_from_picker(pilot, 4)
        shown = view(app)
        shown.query_one("#turn-list").focus()
        await pilot.press("up", "up")
        assert shown.step == 2
        assert len(shown.query_one(DriftLine).distances) == 2
        await pilot.press("end")
        assert shown.step == 4


@pytest.mark.slow
async def test_replay_steps_turn_by_turn(tmp_path, offline_line):
    folder = saved_run(tmp_path, offline_line, turns=4)
    app = make_app(tmp_path, replay=folder)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen)
        shown = view(app)
        turns = load_run(folder).conversations[0].turns
        assert shown.step == 1 and len(shown.query_one(DriftLine).distances) == 1
        await pilot.press("right", "right")
        assert shown.step == 3 and len(shown.query_one(DriftLine).distances) == 3
        assert shown.query_one("#caption", Static).content.plain == turns[2].caption
        assert shown.query_one("#turn-detail").border_title == "Turn 3 of 4 · reproducible"
        await pilot.press("end")
        assert shown.step == 4
        await pilot.press("home")
        assert shown.step == 1
        await pilot.press("left")
        assert shown.step == 1
        assert "turn 1/4" in str(app.screen.query_one("#status", Label).content)


async def test_browser_lists_saved_games_and_opens_one(tmp_path, offline_line):
    saved_run(tmp_path, offline_line, turns=2, prompt_index=0)
    saved_run(tmp_path / "other", offline_line, turns=3, prompt_index=2)
    app = make_app(tmp_path, replay=tmp_path)
    (tmp_path / "other" / "saved").rename(tmp_path / "saved-2")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: browser_ready(app))
        assert app.screen.query_one("DataTable").row_count == 3  # a heading and the two games
        await pilot.press("enter")
        assert isinstance(app.screen, ReplayScreen)


async def test_models_that_cannot_play_are_folded_per_provider_with_the_reason_once(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: picker_ready(app))
        models = app.screen.query_one("#models-t2i", ModelList)
        fold = models.get_option("fold:replicate")
        assert "set REPLICATE_API_TOKEN for 6 models" in str(fold.prompt)
        with pytest.raises(OptionDoesNotExist):
            models.get_option("stable-diffusion")
        models.highlighted = models.get_option_index("fold:replicate")
        await pilot.press("enter")
        assert isinstance(app.screen, PickerScreen), "Enter on a folded line unfolds it, it starts nothing"
        option = models.get_option("stable-diffusion")
        assert option.disabled and "set REPLICATE_API_TOKEN" in str(option.prompt)
        await pilot.press("home", "end")
        assert models.highlighted_option.id.startswith("fold:"), "a model that cannot run cannot be chosen"
        await pilot.press("home")
        assert models.chosen == "sketch-painter"


async def test_typing_filters_space_picks_several_in_order_and_details_follow(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: picker_ready(app))
        await pilot.press("tab")
        captioners = app.screen.query_one("#models-i2t", ModelList)
        await pilot.press(*"llava")
        assert captioners.border_subtitle == "filter: llava"
        shown = [option.id for option in captioners.options if option.id]
        assert shown == ["ollama-llava", "llava-13b", "llava-13b-80537f9e"], "unusable matches shown one by one"
        await pilot.press("escape")
        assert captioners.filter_text == "" and captioners.highlighted_option.id == "sketch-reader"
        details = app.screen.query_one(ModelDetails)
        assert "weights: in the aitelephone package" in str(details.content)
        await pilot.press("space")
        assert captioners.chosen_ids == ["sketch-reader"] and str(captioners.highlighted_option.prompt).startswith("1 ")
        await pilot.press("space")
        assert captioners.picked == [] and captioners.chosen_ids == ["sketch-reader"], "Space again unpicks"
        assert app.screen.chosen_ids() == {"t2i": ["sketch-painter"], "i2t": ["sketch-reader"], "embed": ["minilm"]}


async def test_help_and_command_palette(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        footer_keys = list(app.screen.query(FooterKey))
        await pilot.press("question_mark")
        picker_help = app.screen
        assert isinstance(picker_help, HelpScreen) and picker_help.below is PickerScreen
        await pilot.press("escape")
        assert isinstance(app.screen, PickerScreen)
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == footer_keys, "the same keys: the footer was not made again"
        await pilot.press("question_mark")
        assert app.screen is picker_help, "made once, kept for the next ?"
        await pilot.press("escape", "ctrl+p")
        await pilot.press(*"Open replay")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunBrowserScreen))
        await pilot.press("f1")  # ? would go into the filter box, which has the focus
        assert isinstance(app.screen, HelpScreen) and app.screen is not picker_help
        assert "Resume" in " ".join(description for _, description in app.screen.key_rows()), "the browser's keys"
        await pilot.press("escape")
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme


async def test_bad_turns_are_refused_with_a_reason(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "0")
        assert app.screen.query_one("#turns", Input).value == "", "0 is refused as it is typed"
        await pilot.press("enter")
        assert isinstance(app.screen, PickerScreen)
        assert "from 1 to 100, not ''" in str(app.screen.query_one("#problem", Label).content)
        # A tournament is refused the same way, not quietly given 10 turns.
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, PickerScreen)
        assert "from 1 to 100, not ''" in str(app.screen.query_one("#problem", Label).content)


@pytest.mark.slow
async def test_tournament_from_the_picker_then_its_leaderboard(tmp_path):
    from textual.widgets import DataTable, ProgressBar

    from tui.app.screens.leaderboard_screen import LeaderboardScreen
    from tui.app.screens.tournament_screen import TournamentScreen

    app = make_app(tmp_path)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press(*["tab"] * 5, "backspace", "backspace", "2", "ctrl+g")
        assert isinstance(app.screen, TournamentScreen)
        screen = app.screen
        assert "games: 10 = 1 text→image × 1 image→text × 10 prompts" in str(
            screen.query_one("#plan-text", Label).content
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.tally.done == 10 and screen.ended, seconds=120)
        assert screen.query_one(ProgressBar).progress == 10 and screen.tally.failed == 0
        await pilot.press("l")
        await wait_until(pilot, lambda: leaderboard_ready(app))
        board = app.screen
        assert isinstance(board, LeaderboardScreen)
        assert board.level == "easy" and board.query_one(DataTable).row_count == 1
        await pilot.press("right")
        assert board.level == "medium"
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, PickerScreen)
        (run,) = (tmp_path / "runs").glob("tournament-*")
        assert sorted(len(c.turns) for c in load_run(run).conversations) == [2] * 10


async def test_the_app_in_its_own_process_freezes_its_start_and_collects_less_often(tmp_path):
    app = make_app(tmp_path, own_process=True)
    thresholds = gc.get_threshold()
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_until(pilot, lambda: ("sketch-painter", "t2i") in app._models)  # warmed up after the first frame
            assert gc.get_freeze_count() > 100_000, "the modules, the catalog and the default models"
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    finally:  # a test process runs many apps: what one froze must not outlive it
        gc.unfreeze()
        gc.set_threshold(*thresholds)
