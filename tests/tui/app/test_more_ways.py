"""The app's side of issue 21: a picture to start from (the path field and ctrl+o), turn 0 in the game, the
replay and on the stage, the person's text box, and people on the leaderboard. Snapshots of each new state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Person, RunStore, build_line, load_prompts, load_run, load_start_picture
from tests.players import ScriptedPerson, draw_picture
from tests.tui.app.helpers import leaderboard_ready, make_app, settle_images, view, wait_until
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.picker_screen import GameSettings

SIZE = (100, 32)


def _settings(tmp_path: Path, i2t: tuple[str, ...], turns: int = 2) -> GameSettings:
    picture = load_start_picture(draw_picture(tmp_path / "album.png"))
    return GameSettings(("sketch-painter",), i2t, "minilm", load_prompts()[0], turns, picture=picture)


def _pinned(folder: Path) -> Path:
    """Pictures of a saved run do not change with the time it was made."""
    for info_file in folder.glob("conversations/*/conversation.json"):
        info = json.loads(info_file.read_text())
        info_file.write_text(json.dumps({**info, "created": "2026-01-01T12:00:00+00:00"}))
    return folder


def _picture_run(tmp_path: Path, offline_line) -> Path:
    picture = load_start_picture(draw_picture(tmp_path / "album.png"))
    folder = tmp_path / "saved"
    list(offline_line.play(picture, 2, RunStore.create("game", {}, folder), seed=0))
    return _pinned(folder)


async def test_a_person_describes_in_the_text_box_and_escape_stops_at_their_turn(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.start_game(_settings(tmp_path, ("you", "sketch-reader"), turns=3))
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.asking is not None)
        screen = app.screen
        assert screen.query_one("#answer").display and view(app).in_progress[0] == 0
        await pilot.press("enter")  # nothing typed: nothing sent
        assert screen.asking is not None
        await pilot.press(*"a red sun", "enter")
        await wait_until(pilot, lambda: len(view(app).turns) == 2 and screen.asking is not None)  # turn 2 is theirs
        assert [turn.step for turn in view(app).turns] == [0, 1]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.running)
        assert not screen.query_one("#answer").display
    (game,) = load_run(next((tmp_path / "runs").iterdir())).conversations
    assert game.start is not None and game.start.person and game.start.caption == "a red sun"
    assert [(turn.i2t, turn.person) for turn in game.turns] == [("sketch-reader", False)]
    assert game.info.status == "cancelled"


async def test_a_picture_that_is_not_one_is_said_on_the_picker(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#start-picture").value = str(tmp_path / "notes.png")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not a PNG, JPEG or WebP picture" in str(app.screen.query_one("#problem").render())
        assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_picture_chooser(snap_compare, tmp_path, monkeypatch):
    draw_picture(tmp_path / "album.png")
    draw_picture(tmp_path / "holiday.jpg", fmt="JPEG")
    (tmp_path / "notes.txt").write_text("not offered")
    monkeypatch.chdir(tmp_path)
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["ctrl+o"])


@pytest.mark.slow
def test_person_asked_at_turn_0(snap_compare, tmp_path):
    app = make_app(tmp_path)

    async def ask(pilot):
        app.start_game(_settings(tmp_path, ("you",)))
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.asking is not None)
        app.screen.query_one("#answer").cursor_blink = False  # the picture is taken at any moment of a blink
        await pilot.press(*"a red sun")
        await settle_images(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


@pytest.mark.slow
@pytest.mark.parametrize("present", [False, True], ids=["replay", "stage"])
def test_replay_of_a_game_from_a_picture_at_turn_0(snap_compare, tmp_path, offline_line, present):
    app = make_app(tmp_path, replay=_picture_run(tmp_path, offline_line), present=present)
    assert snap_compare(app, terminal_size=SIZE if not present else (80, 24), run_before=settle_images)


@pytest.mark.slow
def test_leaderboard_with_a_person(snap_compare, tmp_path, catalog):
    folder = tmp_path / "run"
    prompt = load_prompts()[0]
    person = Person(ScriptedPerson("a red apple on a table", "an apple"))
    with RunStore.create("game", {}, folder) as store:
        list(build_line(catalog, "sketch-painter", "you", "minilm", person).play(prompt, 2, store))
        list(build_line(catalog, "sketch-painter", "sketch-reader", "minilm").play(prompt, 2, store))
    _pinned(folder)
    app = make_app(tmp_path)

    async def show(pilot):
        app.push_screen(LeaderboardScreen(folder))
        await wait_until(pilot, lambda: leaderboard_ready(app))

    assert snap_compare(app, terminal_size=(110, 32), run_before=show)
