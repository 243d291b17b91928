"""Play with the room: the prompt, captions and drawn-from texts hidden until the reveal (on the rendered screen),
guesses scored by the game's embedder onto a board best first, the reveal's walk along the chain, rounds kept
beside the run, and guesses of nothing ignored."""

from __future__ import annotations

import re
import shutil

import pytest
from textual.widgets import Digits, Input

from engine import Conversation, load_rounds, sample_run
from tests.tui.app.contrast import low_contrast_text
from tests.tui.app.helpers import browser_ready, make_app, settle_images, wait_until
from tui.app.app import main
from tui.app.screens.filmstrip_screen import FilmstripScreen
from tui.app.screens.guess_screen import GuessScreen
from tui.app.screens.replay_screen import ReplayScreen
from tui.app.themes import THEMES
from tui.app.widgets.fitted_text import FittedText
from tui.app.widgets.guess_board import GuessBoard, board_rows

# Words too common to give a prompt away (the screen's own sentences use them too).
FUNCTION_WORDS = {"from", "with", "this", "that", "what", "then", "there", "their", "into", "onto", "over"}


@pytest.fixture
def run(tmp_path, template_run):
    folder = tmp_path / "run"
    shutil.copytree(template_run, folder)
    return folder


def words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]+", text.lower()) if len(word) >= 4} - FUNCTION_WORDS


def secret_words(game: Conversation) -> set[str]:
    """Every word that would give the game away: of its prompt, its id and level, each text drawn, each caption."""
    texts = [game.info.prompt, game.info.prompt_id, game.info.level]
    texts += [part for turn in game.turns for part in (turn.text, turn.caption or "")]
    return words(" ".join(texts))


def on_screen(app) -> str:
    """The screen's text as the terminal gets it."""
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


async def open_guessing(pilot) -> GuessScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GuessScreen))
    await settle_images(pilot)
    return pilot.app.screen


async def guess(pilot, screen: GuessScreen, text: str) -> None:
    """Type ``text`` into the box (as fast as a person could paste it) and wait until it is on the board."""
    made = len(screen.query_one(GuessBoard).guesses)
    screen.query_one("#guess-box", Input).value = text
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(screen.query_one(GuessBoard).guesses) > made)


@pytest.mark.parametrize("size", [(120, 35), (200, 55)], ids=["120x35", "200x55"])
async def test_nothing_gives_the_prompt_away_before_the_reveal(tmp_path, run, catalog, size):
    app = make_app(tmp_path, replay=run, guess=True, catalog=catalog)
    async with app.run_test(size=size) as pilot:
        screen = await open_guessing(pilot)
        game = screen.conversation
        hidden = secret_words(game)
        assert hidden and not hidden & words(on_screen(app))
        picture, box, board = (screen.query_one(name) for name in ("#guess-image", "#guess-box", GuessBoard))
        assert picture.region.height >= 0.75 * size[1] and picture.region.area > board.region.area
        assert box.region.y >= picture.region.bottom and box.has_focus and board.region.x >= picture.region.right
        assert screen.query_one("#guess-step-digits", Digits).value == str(game.turns[-1].step)
        assert "from the prompt to this picture" in on_screen(app)
        await guess(pilot, screen, "a sailing boat")
        await pilot.press("escape", "s")  # the filmstrip would show every caption: not yet
        assert not isinstance(app.screen, FilmstripScreen) and not hidden & words(on_screen(app))
        await pilot.press("r")  # the reveal: shown once its layout has been drawn
        revealed = words(game.info.prompt) | words(game.turns[-1].caption or "")
        await wait_until(pilot, lambda: revealed <= words(on_screen(app)))


async def test_guesses_are_scored_and_ranked_best_first_and_bad_ones_ignored(tmp_path, run, catalog):
    app = make_app(tmp_path, replay=run, guess=True, catalog=catalog)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_guessing(pilot)
        prompt = screen.conversation.info.prompt
        await guess(pilot, screen, "quarterly tax returns of a shipping company")
        await guess(pilot, screen, prompt)
        await guess(pilot, screen, "a dog in a park")
        made = {made.text: made.distance for made in screen.round.record.guesses}
        assert made[prompt] == pytest.approx(0.0, abs=1e-6)
        assert made["quarterly tax returns of a shipping company"] > 0.6
        board = screen.query_one(GuessBoard)
        assert [g.text for g in board.ranked] == sorted(made, key=made.__getitem__)
        lines = board.render().plain.splitlines()
        assert lines[0].lstrip().startswith("1 ") and "0.000" in lines[0]
        distances = [float(re.findall(r" (\d\.\d{3}) ", line)[-1]) for line in lines]
        assert distances == [round(d, 3) for d in sorted(made.values())], "three decimals, best first"
        highlighted = board.get_component_rich_style("guess-board--newest")
        rows = board.render().split("\n")
        assert [highlighted in (span.style for span in row.spans) for row in rows] == [False, True, False]
        assert "a dog in a park" in rows[1].plain, "the newest guess is highlighted"
        for nothing in ("   ", "\x1b\x07\u200b"):
            screen.query_one("#guess-box", Input).value = nothing
            await pilot.press("enter")
        await pilot.pause()
        assert len(board.guesses) == 3 and screen.query_one("#guess-box", Input).value == ""
        await guess(pilot, screen, "an " + "extraordinarily " * 400 + "long guess")
        longest = [line for line in board.render().plain.splitlines() if "extraordinarily" in line][0]
        assert "…" in longest and len(longest) <= board.content_size.width


def test_the_newest_guess_stays_on_a_short_board():
    from engine import Guess

    made = [Guess(f"g{number}", number / 10, "t") for number in range(6)]
    assert board_rows(made, made[1], 3) == [(1, made[0]), (2, made[1]), (3, made[2])]
    assert board_rows(made, made[5], 3) == [(1, made[0]), (2, made[1]), (6, made[5])]


async def test_the_reveal_walks_the_chain_and_the_round_is_kept(tmp_path, run, catalog):
    app = make_app(tmp_path, replay=run, guess=True, catalog=catalog)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_guessing(pilot)
        game, turns = screen.conversation, screen.conversation.turns
        await guess(pilot, screen, "an apple")
        await pilot.press("escape", "r")

        def shown() -> tuple[int, str, str]:
            texts = (screen.query_one(name, FittedText).text for name in ("#guess-caption", "#guess-drawn"))
            return (screen.step, *texts)

        assert shown() == (3, turns[2].caption, turns[2].text)
        await wait_until(pilot, lambda: "an apple" in on_screen(app) and "from the prompt" in on_screen(app))
        await pilot.press("left")
        assert shown() == (2, turns[1].caption, turns[1].text)
        await pilot.press("left", "left", "left")
        assert shown() == (1, turns[0].caption, "the prompt")
        await pilot.press("right")
        assert shown()[0] == 2
        await wait_until(pilot, lambda: any(kept.revealed for kept in load_rounds(run)[0]))
        (kept,) = load_rounds(run)[0]
        assert kept.conversation == game.info.id and [g.text for g in kept.guesses] == ["an apple"]

        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, FilmstripScreen))
        assert app.screen.strip.is_file() and app.screen.strip.is_relative_to(run)
        await pilot.press("escape", "g")
        assert app.screen is screen and not screen.revealed and screen.conversation is not game
        assert screen.query_one("#guess-box", Input).has_focus and not screen.query_one(GuessBoard).guesses


async def test_the_demo_guesses_on_the_sample_and_the_browser_and_palette_open_guessing(tmp_path, run, catalog):
    app = make_app(tmp_path, demo=True, guess=True, catalog=catalog)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_guessing(pilot)
        first = screen.conversation
        await guess(pilot, screen, "an apple")
        await pilot.press("escape", "n")
        assert screen.conversation is not first and not (sample_run() / "rounds").exists()

    shutil.copytree(run, tmp_path / "runs" / "run")
    app = make_app(tmp_path, catalog=catalog)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app))
        await pilot.press("down", "ctrl+g")
        screen = await open_guessing(pilot)
        assert screen.conversation is app.screen_stack[-2].highlighted.conversation
        await pilot.press("escape", "escape", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        app.action_guess()  # "Guess the prompt" in the command palette
        screen = await open_guessing(pilot)
        assert screen.conversation.info.id == app.screen_stack[-2].conversation.info.id


def test_guessing_with_no_game_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--guess", "--runs", str(tmp_path)])
    assert exited.value.code == 2 and "no saved game with a picture to guess from" in capsys.readouterr().err


async def test_guess_mode_draws_its_text_at_4_5_or_more(tmp_path, run, catalog):
    app = make_app(tmp_path, replay=run, guess=True, catalog=catalog)
    seen: dict[str, list[str]] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_guessing(pilot)
        await guess(pilot, screen, "an apple")
        await guess(pilot, screen, "a dog")
        for theme in THEMES:
            app.theme = theme.name
            await pilot.pause()
            seen[f"{theme.name} guessing"] = low_contrast_text(app)
        await pilot.press("escape", "r")
        for theme in THEMES:
            app.theme = theme.name
            await settle_images(pilot)
            seen[f"{theme.name} revealed"] = low_contrast_text(app)
    assert {state: found for state, found in seen.items() if found} == {}
