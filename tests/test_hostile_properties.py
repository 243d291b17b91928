"""Property-based: random damaged and malicious run folders (ids and paths that lead out, links, torn lines,
garbage, wrong types, huge values, escape sequences, pipes, devices, hard links to files outside, sparse giants,
deep nesting) through `show`, `analyze`, `export` and the app's replay.

Whatever the damage: nothing is read or written outside the run or the chosen output folder, no escape
sequence reaches the output, no traceback, and the conversation that was not touched still loads whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import load_run
from tests.fakes.server import bomb_png
from tests.hostile import ESCAPES, FILE_KINDS, SECRET, Sandbox, replace_with, watching
from tests.tui.app.helpers import make_app, settle_images, wait_until
from tui.app.screens.browser_screen import RunBrowserScreen
from tui.app.screens.replay_screen import ReplayScreen
from tui.cli.main import main

pytestmark = pytest.mark.slow  # hypothesis plays dozens of damaged runs: seconds each test

UNSHOWABLE = ("\x1b", "\x07", "\x9b", "\u202e", "\u200b", "\u200e")
INFO_FIELDS = ["id", "prompt", "prompt_id", "level", "t2i", "i2t", "embedder", "turns", "seed", "created", "status"]
TURN_FIELDS = [
    "step",
    "text",
    "t2i",
    "i2t",
    "embedder",
    "image",
    "caption",
    "t2i_seconds",
    "distance_to_prompt",
    "t2i_inputs",
]
DEEP = json.loads('{"a": ' * 200 + "1" + "}" * 200)  # parses, then exhausts the stack of what walks it
# Every path leads into the sandbox's "outside" folder (or is merely read, like /etc/passwd as an image): run
# against code with a hole, this suite must never write anywhere but a temporary folder.
PATHS = [
    "../../outside/secret.png",
    "{outside}/secret.png",
    "images/../../../outside/secret.png",
    "..",
    ".",
    "",
    "images",
    "images//turn-01.png",
    "..\\..\\outside\\secret.png",
    "journal.jsonl",
]
WRONG_TYPES = [None, 0, -1, True, 1.5, [], {}, ["a"], {"step": 1}, 10**30, -(10**30), 1e308, DEEP, "x" * 20_000]
TEXTS = st.sampled_from([*ESCAPES, "[/]", "[bold]x[/bold]", "\ud800", "x" * 5000, "{outside}"]) | st.text(max_size=20)
VALUES = TEXTS | st.sampled_from(WRONG_TYPES) | st.sampled_from(PATHS)
LINES = st.binary(max_size=40) | st.sampled_from(
    [b"{", b"[]", b"null", b'{"step": 2}', b"1" * 5000, b"[" * 50000, b'{"caption": "' + b"x" * 300_000 + b'"}']
)
# A run file replaced by another kind of file: the outside file a hard link to it shares its bytes with.
KIND_TARGETS = {
    "conversation.json": "conversation.json",
    "journal.jsonl": "journal.jsonl",
    "images/turn-01.png": "secret.png",
    "images/turn-02.png": "images/turn-01.png",
}

DAMAGE = st.one_of(
    st.tuples(st.just("info"), st.sampled_from(INFO_FIELDS), VALUES),
    st.tuples(st.just("info-missing"), st.sampled_from(INFO_FIELDS)),
    st.tuples(st.just("turn"), st.integers(0, 2), st.sampled_from(TURN_FIELDS), VALUES),
    st.tuples(st.just("turn"), st.integers(0, 2), st.just("image"), st.just("/etc/passwd")),
    st.tuples(st.just("tear"), st.integers(1, 300)),
    st.tuples(st.just("insert"), st.integers(0, 3), LINES),
    st.tuples(
        st.just("image"), st.integers(1, 3), st.sampled_from(["out", "garbage", "gone", "folder", "loop", "bomb"])
    ),
    st.tuples(st.just("link"), st.sampled_from(["conversation", "images", "journal.jsonl", "conversation.json"])),
    st.tuples(st.just("run"), st.sampled_from(["created", "analysis", "fiftyone", "bad-name", "stray-file"])),
    st.tuples(st.just("kind"), st.sampled_from(sorted(KIND_TARGETS)), st.sampled_from(FILE_KINDS)),
)


def damage(sandbox: Sandbox, kind: str, *details: Any) -> None:
    """Damage the run's first conversation (or the run around it); the second one is never touched."""
    conversation = sandbox.conversations()[0]
    info_file, journal = conversation / "conversation.json", conversation / "journal.jsonl"
    if conversation.is_symlink() or (kind != "run" and not all(_plain_file(f) for f in (info_file, journal))):
        return  # an earlier damage linked it out: editing it now would write outside

    def placed(value: Any) -> Any:
        return value.replace("{outside}", str(sandbox.outside)) if isinstance(value, str) else value

    if kind == "info":
        field, value = details
        info_file.write_text(json.dumps({**json.loads(info_file.read_text(errors="replace")), field: placed(value)}))
    elif kind == "info-missing":
        info = json.loads(info_file.read_text(errors="replace"))
        info.pop(details[0], None)
        info_file.write_text(json.dumps(info))
    elif kind == "turn":
        line, field, value = details
        lines = journal.read_text(errors="replace").splitlines()
        with contextlib.suppress(IndexError, ValueError, TypeError, RecursionError):  # that line is damaged already
            lines[line] = json.dumps({**json.loads(lines[line]), field: placed(value)})
            journal.write_text("\n".join(lines) + "\n")
    elif kind == "tear":
        data = journal.read_bytes()
        journal.write_bytes(data[: max(0, len(data) - details[0])])
    elif kind == "insert":
        position, raw = details
        lines = journal.read_bytes().splitlines()
        journal.write_bytes(b"\n".join([*lines[:position], raw, *lines[position:]]) + b"\n")
    elif kind == "image":
        step, how = details
        image = conversation / "images" / f"turn-{step:02d}.png"
        if not _plain_file(image) or image.parent.is_symlink():
            return
        image.unlink()
        if how == "out":
            image.symlink_to(sandbox.outside / "secret.png")
        elif how == "garbage":
            image.write_bytes(b"\x89PNG\r\n\x1a\n not really")
        elif how == "folder":
            image.mkdir()
        elif how == "loop":
            image.symlink_to(image)
        elif how == "bomb":
            image.write_bytes(bomb_png(100_000, 100_000))
    elif kind == "link":
        target = {"conversation": conversation, "images": conversation / "images"}.get(details[0])
        target = target or conversation / details[0]
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink(missing_ok=True)
        target.symlink_to(sandbox.outside if details[0] in ("conversation", "images") else sandbox.outside / details[0])
    elif kind == "kind":
        target, how = details
        path = conversation / target
        if _plain_file(path) and not path.parent.is_symlink():
            replace_with(path, how, sandbox.outside / KIND_TARGETS[target])
    elif kind == "run":
        what = details[0]
        if what == "created":
            run_file = sandbox.run / "run.json"
            run_file.write_text(json.dumps({**json.loads(run_file.read_text()), "created": "".join(ESCAPES)}))
        elif what in ("analysis", "fiftyone") and not (sandbox.run / what).is_symlink():
            (sandbox.run / what).symlink_to(sandbox.outside)
        elif what == "bad-name":
            (sandbox.run / "conversations" / f"..{ESCAPES[0]}").mkdir(exist_ok=True)
        elif what == "stray-file":
            (sandbox.run / "conversations" / "notes.txt").write_text("not a conversation")


def _plain_file(path: Path) -> bool:
    """A file an earlier damage left for the next to edit: not a link of either kind, not a sparse giant."""
    return path.is_file() and not path.is_symlink() and path.stat().st_nlink == 1 and path.stat().st_size < 1 << 20


def check_command(sandbox: Sandbox, *arguments: str) -> str:
    """Run one command as a person would; it must end with an exit code, leave nothing outside, print
    nothing raw; returns what it printed."""
    before = sandbox.outside_state()
    printed, errors = io.StringIO(), io.StringIO()
    with (
        watching() as watch,
        contextlib.chdir(sandbox.root),
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(errors),
    ):
        code = main(list(arguments))
    output = printed.getvalue() + errors.getvalue()
    assert code in (0, 1, 2), output
    assert watch.violations(sandbox) == [], output
    assert sandbox.outside_state() == before
    assert not any(c in output for c in UNSHOWABLE) and SECRET not in output, output
    for folder in (sandbox.out, sandbox.run / "fiftyone"):
        for path in folder.rglob("*") if folder.is_dir() and not folder.is_symlink() else []:
            assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path
    return output


def check_untouched_conversation_loads(sandbox: Sandbox, template: Path, output: str) -> None:
    if (sandbox.run / "run.json").is_symlink():
        return
    good = sorted((template / "conversations").iterdir())[1]
    loaded = {c.folder.name: c for c in load_run(sandbox.run).conversations}
    assert good.name in loaded and len(loaded[good.name].turns) == 3
    assert good.name in output, "show lists it"


def sandbox_for(template: Path, base: Path, damages: list[tuple]) -> Sandbox:
    sandbox = Sandbox.make(Path(tempfile.mkdtemp(dir=base)), template)
    for kind, *details in damages:
        damage(sandbox, kind, *details)
    return sandbox


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damages=st.lists(DAMAGE, min_size=1, max_size=4))
def test_show_and_export_survive_any_damaged_run(template_run, tmp_path_factory, damages):
    sandbox = sandbox_for(template_run, tmp_path_factory.getbasetemp(), damages)
    try:
        shown = check_command(sandbox, "show", str(sandbox.run))
        check_untouched_conversation_loads(sandbox, template_run, shown)
        check_command(sandbox, "analyze", "--no-pictures", str(sandbox.run))
        check_command(sandbox, "export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out))
        check_command(sandbox, "export", "fiftyone", str(sandbox.run))
    finally:
        shutil.rmtree(sandbox.root)


JOURNAL_DAMAGE = st.one_of(
    st.tuples(st.just("tear"), st.integers(1, 300)), st.tuples(st.just("insert"), st.integers(0, 3), LINES)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal_damage=JOURNAL_DAMAGE)
def test_every_turn_before_the_damage_still_loads(template_run, tmp_path_factory, journal_damage):
    sandbox = sandbox_for(template_run, tmp_path_factory.getbasetemp(), [journal_damage])
    try:
        damaged = sandbox.conversations()[0]
        original = (template_run / "conversations" / damaged.name / "journal.jsonl").read_bytes()
        if journal_damage[0] == "tear":
            intact = original[: len(original) - journal_damage[1]].count(b"\n")
        else:
            intact = journal_damage[1]
        (conversation,) = [c for c in load_run(sandbox.run).conversations if c.folder.name == damaged.name]
        template = load_run(template_run)
        (whole,) = [c for c in template.conversations if c.folder.name == damaged.name]
        assert conversation.turns[:intact] == whole.turns[:intact] and len(conversation.turns) >= min(intact, 3)
        check_command(sandbox, "show", str(sandbox.run))
    finally:
        shutil.rmtree(sandbox.root)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damages=st.lists(DAMAGE, min_size=1, max_size=4))
def test_analyze_pictures_and_the_app_replay_survive_any_damaged_run(template_run, tmp_path_factory, damages):
    sandbox = sandbox_for(template_run, tmp_path_factory.getbasetemp(), damages)
    try:
        check_command(sandbox, "analyze", str(sandbox.run))
        before = sandbox.outside_state()
        with watching() as watch:
            asyncio.run(replay_every_turn(sandbox))
        assert watch.violations(sandbox) == [] and sandbox.outside_state() == before
    finally:
        shutil.rmtree(sandbox.root)


async def replay_every_turn(sandbox: Sandbox) -> None:
    """Open the run in the app and step through every turn of the first conversation listed."""
    app = make_app(sandbox.root, replay=sandbox.run)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: not isinstance(app.screen, RunBrowserScreen) or app.screen.loaded)
        if isinstance(app.screen, RunBrowserScreen) and app.screen.conversations:
            await pilot.press("enter")
            await pilot.pause()
        for _ in range(4):
            await settle_images(pilot)
            screenshot = app.export_screenshot()
            assert not any(c in screenshot for c in UNSHOWABLE) and SECRET not in screenshot
            if not isinstance(app.screen, ReplayScreen):
                break
            await pilot.press("right")
