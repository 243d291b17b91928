"""The app over crafted runs: escape sequences and markup in prompts, captions and file names are drawn as
plain text, never sent to the terminal; damaged images are shown as missing, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hostile import ESCAPES, Sandbox, replace_with
from tests.tui.app.helpers import browser_ready, make_app, settle_images, view, wait_until
from tests.tui.app.pseudo_terminal import quit_app, read_for, read_until, start_in_pty
from tests.tui.cli.test_hostile_runs import edit_json, edit_turn
from tui.app.screens.replay_screen import ReplayScreen

HOSTILE = "".join(ESCAPES)


def crafted(sandbox: Sandbox, keep: int = 2) -> Path:
    """The sandbox run with escapes and markup in every text of its first conversation."""
    for extra in sandbox.conversations()[keep:]:
        extra.rename(sandbox.root / extra.name)
    conversation = sandbox.conversations()[0]
    edit_json(conversation / "conversation.json", prompt=f"[/]pwned{HOSTILE}", detail=HOSTILE, status="failed")
    edit_turn(conversation / "journal.jsonl", 0, caption=f"caption{HOSTILE}[/red]", text=f"drawn{HOSTILE}")
    edit_turn(conversation / "journal.jsonl", 1, error=HOSTILE, caption=None, refused=True)
    (conversation / "images" / "turn-03.png").write_bytes(b"\x89PNG garbage")
    return sandbox.run


@pytest.fixture
def sandbox(tmp_path, template_run) -> Sandbox:
    return Sandbox.make(tmp_path, template_run)


async def test_a_crafted_replay_draws_its_text_plain(tmp_path, sandbox):
    crafted(sandbox, keep=1)
    app = make_app(tmp_path, replay=sandbox.run)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        for _ in range(3):
            await settle_images(pilot)
            screenshot = app.export_screenshot()
            assert not any(c in screenshot for c in "\x1b\x07\x9b\u202e\u200b")
            await pilot.press("right")
        assert [turn.step for turn in view(app).turns] == [1, 2, 3]
        assert "pwned" in app.export_screenshot()


async def test_the_browser_lists_crafted_conversations_plainly(tmp_path, sandbox):
    crafted(sandbox)
    (sandbox.run / "conversations" / f"bad{ESCAPES[0]}").mkdir()
    app = make_app(tmp_path, replay=sandbox.run)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: browser_ready(app))
        screenshot = app.export_screenshot()
        assert "1 unreadable" in screenshot.replace("&#160;", " ")
        assert not any(c in screenshot for c in "\x1b\x07\x9b\u202e\u200b")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen))


@pytest.mark.slow
def test_no_escape_sequence_from_a_run_reaches_a_real_terminal(sandbox):
    """The app in a pseudo-terminal, as a person would run it: the raw bytes it writes hold none of the
    run's sequences (a window title, a clipboard write, a screen wipe)."""
    run = crafted(sandbox, keep=1)
    for name in ("prompt", "detail"):
        edit_json(sandbox.conversations()[0] / "conversation.json", **{name: "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"})
    written, code = _in_a_terminal(run, b"pwned")
    assert b"pwned" in written, "the prompt is on screen"
    assert b"\x1b]0;pwned" not in written and b"\x1b]52;" not in written
    assert code == 0, "ctrl+q quits cleanly"


@pytest.mark.slow
def test_a_run_of_pipes_is_replayed_and_the_app_quits(sandbox):
    """A pipe in place of a journal, a conversation file and an image once left a thread stuck in `open`:
    the app showed nothing and could not be quit. The readable conversation is shown, and ctrl+q quits."""
    first, second = sandbox.conversations()[:2]
    for path in (first / "journal.jsonl", second / "images" / "turn-01.png"):
        replace_with(path, "fifo", sandbox.outside / "secret.png")
    for extra in sandbox.conversations()[2:]:
        shutil.rmtree(extra)
    prompt = json.loads((second / "conversation.json").read_text())["prompt"]
    shown = max(prompt.split(), key=len).encode()
    written, code = _in_a_terminal(sandbox.run, shown)
    assert shown in written and code == 0


def _in_a_terminal(run: Path, until: bytes) -> tuple[bytes, int | None]:
    """What the app replaying ``run`` in a 120×40 pseudo-terminal wrote until ``until`` appeared (20 s at
    most) and it was asked to quit with ctrl+q, and its exit code (None when it had not quit 10 s later)."""
    app, leader = start_in_pty(["--replay", str(run), "--images", "halfcell"])
    written = b""
    try:
        written = read_until(leader, until, seconds=20) + read_for(leader, 1.0)
    finally:
        written += quit_app(app, leader)
    return written, app.returncode
