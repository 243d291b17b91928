"""Write SVG screenshots of the app's main screens into screenshots/, from the real app playing a real game.

python -m tui.app.screenshots [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from engine import find_runs, load_prompts, load_run, load_start_picture, sample_run
from tui.app.app import TelephoneApp
from tui.app.screens.attractor_screen import AttractorScreen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.guess_screen import GuessScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.picker_screen import GameSettings, PickerScreen
from tui.app.screens.tournament_screen import TournamentScreen
from tui.app.widgets.guess_board import GuessBoard

SIZE = (110, 34)
STAGE_SIZE = (140, 40)
GUESS_SIZE = (120, 35)


async def _wait(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    while not condition():
        await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _guess(pilot: Pilot[None], board: GuessBoard, text: str) -> None:
    """Type a guess as the speaker would, and wait until it is scored onto the board."""
    made = len(board.guesses) + 1
    await pilot.press(*text, "enter")
    await _wait(pilot, lambda: len(board.guesses) >= made)


async def capture(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as runs:
        app = TelephoneApp(runs_dir=Path(runs), image_mode="halfcell", pace=0.0)
        async with app.run_test(size=SIZE) as pilot:
            await _wait(pilot, lambda: isinstance(app.screen, PickerScreen) and app.screen.survey is not None)
            written.append(Path(app.save_screenshot("picker.svg", str(out))))
            # Tab to the prompt list and go down to the first medium prompt (the city street at evening).
            await pilot.press("tab", "tab", "tab", "down", "down", "down", "enter")
            await _wait(pilot, lambda: isinstance(app.screen, GameScreen) and not app.screen.running)
            written.append(Path(app.save_screenshot("game.svg", str(out))))
        (run,) = [folder for folder in find_runs(Path(runs)) if load_run(folder).kind == "game"]
        app = TelephoneApp(runs_dir=Path(runs), image_mode="halfcell", replay=run)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("right", "right", "right")
            await _wait(pilot, lambda: True)
            written.append(Path(app.save_screenshot("replay.svg", str(out))))
        # The same replay on the stage, in a terminal the size of a projected one.
        app = TelephoneApp(runs_dir=Path(runs), image_mode="halfcell", replay=run, present=True)
        async with app.run_test(size=STAGE_SIZE) as pilot:
            await pilot.press("right", "right", "right")
            await _wait(pilot, lambda: True)
            written.append(Path(app.save_screenshot("presentation.svg", str(out))))
        # Guessing its prompt, as a room would at a talk: three guesses on the board, then the reveal.
        app = TelephoneApp(runs_dir=Path(runs), image_mode="halfcell", replay=run, guess=True)
        async with app.run_test(size=GUESS_SIZE) as pilot:
            await _wait(pilot, lambda: isinstance(app.screen, GuessScreen))
            board = app.screen.query_one(GuessBoard)
            for guess in ("cars on a road at night", "a street with a red bus", "a city at dusk"):
                await _guess(pilot, board, guess)
            written.append(Path(app.save_screenshot("guess.svg", str(out))))
            await pilot.press("escape", "r", "left")
            await _wait(pilot, lambda: True)
            written.append(Path(app.save_screenshot("guess-revealed.svg", str(out))))
        app = TelephoneApp(runs_dir=Path(runs), image_mode="halfcell", pace=0.0)
        async with app.run_test(size=SIZE) as pilot:
            # A 4-turn tournament of the offline pair on every catalog prompt, then its leaderboard.
            await pilot.press(*["tab"] * 5, "backspace", "backspace", "4", "ctrl+g", "ctrl+s")
            await _wait(
                pilot,
                lambda: isinstance(app.screen, TournamentScreen) and app.screen.tally.done == 10 and app.screen.ended,
            )
            written.append(Path(app.save_screenshot("tournament.svg", str(out))))
            await pilot.press("l")
            await _wait(pilot, lambda: isinstance(app.screen, LeaderboardScreen) and app.screen.analysis is not None)
            await pilot.press("right")
            await _wait(pilot, lambda: True)
            written.append(Path(app.save_screenshot("leaderboard.svg", str(out))))
            await pilot.press("a")
            await _wait(pilot, lambda: isinstance(app.screen, AttractorScreen) and app.screen.report is not None)
            written.append(Path(app.save_screenshot("attractors.svg", str(out))))
        written += await _people_and_pictures(Path(runs), out)
    return written


async def _people_and_pictures(runs: Path, out: Path) -> list[Path]:
    """A game started from a picture (the shipped sample's first drawing) with you among the describers: the
    text box at your turn, then the finished game back at its turn 0."""
    sample = next(c for c in load_run(sample_run()).conversations if c.turns)
    picture = load_start_picture(sample.image_path(sample.turns[0]) or Path())
    settings = GameSettings(
        ("sketch-painter",), ("you", "sketch-reader"), "minilm", load_prompts()[0], 3, picture=picture
    )
    app = TelephoneApp(runs_dir=runs, image_mode="halfcell", pace=0.0)
    written: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:
        app.start_game(settings)
        for answer in ("a red apple on a wooden table by a window", "a round red fruit on brown wood"):
            while not (isinstance(app.screen, GameScreen) and app.screen.asking is not None):
                await pilot.pause(0.05)  # the game's worker waits for the answer: only the pictures are waited for
            await pilot.press(*answer)
            decoding = [worker for worker in app.workers if worker.group == "decode"]
            if decoding:  # (an empty list would mean every worker)
                await app.workers.wait_for_complete(decoding)
            await pilot.pause()
            if not written:
                written.append(Path(app.save_screenshot("person.svg", str(out))))
            await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, GameScreen) and not app.screen.running)
        await pilot.press("home")
        await _wait(pilot, lambda: True)
        written.append(Path(app.save_screenshot("from-picture.svg", str(out))))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    for path in asyncio.run(capture(parser.parse_args().out)):
        print(path)


if __name__ == "__main__":
    main()
