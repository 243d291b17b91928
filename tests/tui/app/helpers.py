"""Driving the app in tests: build it deterministically, wait for games, make saved runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from engine import (
    Catalog,
    GeneratedImage,
    Prompt,
    RunSession,
    RunStore,
    Tournament,
    TournamentPlan,
    load_prompts,
    load_run,
    sample_run,
    start_tournament,
)
from tui.app.app import TelephoneApp
from tui.app.screens.browser_screen import RunBrowserScreen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.widgets.conversation_view import ConversationView


def make_app(tmp_path: Path, **options) -> TelephoneApp:
    """The app with half-cell images, a frozen clock and no pacing, so pictures of it are the same every run."""
    options.setdefault("runs_dir", tmp_path / "runs")
    return TelephoneApp(image_mode="halfcell", clock=lambda: 0.0, pace=0.0, **options)


async def wait_until(pilot, condition, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the app did not get there in time; {where_the_app_is(pilot.app)}")


def where_the_app_is(app) -> str:
    """What a failed wait saw: the screens, the workers, what the app told the user, and any crash (which
    the test's own failure would otherwise hide)."""
    screens = [type(screen).__name__ for screen in app.screen_stack]
    workers = [f"{worker.name}:{worker.state.name}" for worker in app.workers]
    notices = [f"{notice.title or ''} {notice.message}".strip() for notice in app._notifications]
    return f"screens {screens}, workers {workers}, notices {notices}, crash {app._exception!r}"


async def pause_game(pilot) -> None:
    """Space on a playing game, then wait until its worker holds: from then on nothing more is asked."""
    screen = pilot.app.screen
    await pilot.press("space")
    assert screen.paused and "space resumes" in str(screen.query_one("#status").content)
    await wait_until(pilot, lambda: screen.held)


def browser_ready(app) -> bool:
    """The run browser is up and has read its runs (in its worker)."""
    return isinstance(app.screen, RunBrowserScreen) and app.screen.loaded


def picker_ready(app) -> bool:
    """The picker is up and its survey of the models is back (from its worker)."""
    from tui.app.screens.picker_screen import PickerScreen

    return isinstance(app.screen, PickerScreen) and app.screen.survey is not None


def leaderboard_ready(app) -> bool:
    """A leaderboard is up and its run is read (in its worker)."""
    return isinstance(app.screen, LeaderboardScreen) and app.screen.analysis is not None


async def play_from_picker(pilot, turns: int) -> GameScreen:
    """From the picker: Tab to the turns box, type the number, Enter; wait for the game to end."""
    await pilot.press(*["tab"] * 5, "backspace", "backspace", *str(turns), "enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GameScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: not screen.running)
    return screen


async def settle_images(pilot) -> None:
    """Wait for the image decoding workers to finish, so the picture on screen is final (a game's own worker
    may go on: it is waited for elsewhere)."""
    await pilot.pause()
    decoding = [worker for worker in pilot.app.workers if worker.group == "decode"]
    if decoding:  # (an empty list would mean every worker)
        await pilot.app.workers.wait_for_complete(decoding)
    await settle_layout(pilot)


async def settle_layout(pilot) -> None:
    """Wait until every widget of the screen keeps its place over two frames: a table that fills in, or a
    scrollbar that comes, can move a picture a cell after the first frame (on a busy machine, late)."""
    previous = None
    for _ in range(100):
        await pilot.pause()
        places = [(widget, widget.region) for widget in pilot.app.screen.walk_children()]
        if places == previous:
            return
        previous = places
    raise AssertionError("the layout did not settle")


def saved_run(tmp_path: Path, line, turns: int = 4, prompt_index: int = 1) -> Path:
    """A real saved game, with its timestamps pinned so that pictures of it do not change."""
    folder = tmp_path / "saved"
    list(line.play(load_prompts()[prompt_index], turns, RunStore.create("game", {}, folder), seed=0))
    for info_file in folder.glob("conversations/*/conversation.json"):
        info = json.loads(info_file.read_text())
        info_file.write_text(json.dumps({**info, "created": "2026-01-01T12:00:00+00:00"}))
    return folder


def scenes_tournament(tmp_path: Path, catalog: Catalog) -> Path:
    """A 2-turn tournament of the offline pair on four prompts, two in a room and two in space: two attractors."""
    prompts = (
        Prompt("room-apple", "easy", "A red apple on a brown table in a beige room."),
        Prompt("room-cat", "easy", "A black cat sitting under a wooden chair in a cozy living room."),
        Prompt("space-rocket", "easy", "A silver rocket flying past a ringed planet in outer space."),
        Prompt("space-moon", "easy", "An astronaut floating in space near the moon and the stars."),
    )
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", prompts, 2)
    folder = tmp_path / "scenes"
    with RunSession(start_tournament(plan, folder), catalog) as session:
        Tournament(plan, session).run(lambda event: None)
    order = [prompt.id for prompt in prompts]
    for info_file in folder.glob("conversations/*/conversation.json"):  # pinned times: stable pictures
        info = json.loads(info_file.read_text())
        created = f"2026-01-01T12:00:0{order.index(info['prompt_id'])}+00:00"
        info_file.write_text(json.dumps({**info, "created": created}))
    return folder


def view(app) -> ConversationView:
    return app.screen.query_one(ConversationView)


def long_run(tmp_path: Path, turns: int = 30) -> Path:
    """A saved game of ``turns`` turns made in a moment from the shipped sample's pictures and captions (the
    real models would take seconds to play it)."""
    sample = load_run(sample_run()).conversations[0]
    folder = tmp_path / "long"
    store = RunStore.create("game", {}, folder)
    info = replace(sample.info, id="10ng0000000a", turns=turns, created="2026-01-01T12:00:00+00:00")
    journal = store.begin(info)
    for step in range(1, turns + 1):
        played = sample.turns[(step - 1) % len(sample.turns)]
        image = journal.save_image(step, GeneratedImage(sample.image_path(played).read_bytes(), ".png"))
        turn = replace(played, step=step, image=str(image.relative_to(journal.conversation.folder)))
        journal.append(replace(turn, distance_to_prompt=round(0.3 + step / 100, 3)))
    journal.finish("finished")
    return folder


async def start_game(pilot, turns: int, played: int) -> GameScreen:
    """From the picker: a game of ``turns`` turns, once ``played`` of them are on screen."""
    await pilot.press(*["tab"] * 5, "backspace", "backspace", *str(turns), "enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GameScreen) and len(view(pilot.app).turns) >= played)
    return pilot.app.screen
