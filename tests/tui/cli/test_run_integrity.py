"""The issue's losses, through the command line: two writers at once, plans with repeats or another plan,
seeds that did not count, torn journals, runs with nothing readable, OS errors, dry runs without keys. Each
ends in one line (exit 2) or in a warning and a non-zero exit, never a traceback, and loses no saved turn."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import load_run, start_game_run
from tui.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2  # from linux/prctl.h, linux/capability.h


def one_line_error(capsys, expected: str) -> None:
    captured = capsys.readouterr()
    assert expected in captured.err and len(captured.err.strip().splitlines()) == 1, captured.err
    assert "Traceback" not in captured.out + captured.err


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() if p.is_file() else b"" for p in sorted(folder.rglob("*"))}


def test_a_second_play_into_a_run_in_use_is_refused_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "run"
    with start_game_run(2, 0, folder):
        before = tree(folder)
        assert main(["play", "--turns", "2", "--out", str(folder)]) == 2
        one_line_error(capsys, "another game or tournament is writing this run")
        assert tree(folder) == before


@pytest.mark.slow
def test_two_plays_at_once_into_one_folder_one_plays_and_one_is_refused(tmp_path):
    command = [sys.executable, "-m", "tui.cli.main", "play", "--turns", "8", "--out", str(tmp_path / "run")]
    plays = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = sorted((play.wait(120), play.stderr.read().decode()) for play in plays if play.stderr)
    assert [code for code, _ in results] == [0, 2]
    assert "another game or tournament is writing this run" in results[1][1]
    (conversation,) = load_run(tmp_path / "run").conversations
    assert [turn.step for turn in conversation.turns] == list(range(1, 9)) and conversation.damage is None


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--prompts", "apple,apple"], "the plan names the prompt 'apple' twice"),
        (["--t2i", "sketch-painter,sketch-painter"], "the plan names the text→image model 'sketch-painter' twice"),
        (["--limit", "nosuch=3"], "--limit names no provider 'nosuch'; choose one of:"),
        (["--resume", "{out}", "--out", "{out}/other"], "--resume DIR goes on in DIR; it takes no --out"),
    ],
)
def test_tournament_refuses_plans_that_cannot_be_kept_apart(tmp_path, capsys, arguments, message):
    out = tmp_path / "run"
    arguments = [part.format(out=out) for part in arguments]
    assert main(["tournament", "--turns", "1", "--out", str(out), "--yes", *arguments]) == 2
    one_line_error(capsys, message)
    assert not out.exists()


def test_tournament_into_a_folder_with_another_plan_is_refused(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["tournament", "--prompts", "apple", "--turns", "1", "--out", out, "--yes"]) == 0
    capsys.readouterr()
    before = tree(tmp_path / "run")
    assert main(["tournament", "--prompts", "apple", "--turns", "2", "--out", out, "--yes"]) == 2
    one_line_error(capsys, "holds another tournament (a different plan); resume it with --resume")
    assert tree(tmp_path / "run") == before
    assert main(["tournament", "--resume", out, "--yes"]) == 0, "resuming the same plan is fine"


def test_a_game_with_another_seed_is_another_conversation(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["play", "--turns", "1", "--seed", "0", "--out", out]) == 0
    assert main(["play", "--turns", "1", "--seed", "3", "--out", out]) == 0
    seeds = sorted(c.info.seed for c in load_run(tmp_path / "run").conversations)
    assert seeds == [0, 3] and "1 turns saved" in capsys.readouterr().out


def test_a_torn_journal_shows_its_good_turns_marked_damaged(tmp_path, capsys, caplog):
    out = tmp_path / "run"
    assert main(["play", "--turns", "3", "--out", str(out)]) == 0
    (journal,) = out.glob("conversations/*/journal.jsonl")
    journal.write_bytes(journal.read_bytes()[:-25])
    capsys.readouterr()
    assert main(["show", str(out)]) == 1
    shown = capsys.readouterr()
    assert f"not read: {journal}:3: not valid JSON" in shown.err, "what was left out goes to stderr"
    assert "damaged: only its first 2 turns can be read" in shown.out
    assert main(["analyze", str(out), "--no-pictures"]) == 1
    assert f"not read: {journal}:3" in capsys.readouterr().err
    assert main(["export", "fiftyone", str(out), "--out", str(tmp_path / "fo")]) == 1
    exported = capsys.readouterr()
    assert f"not exported: {journal}:3" in exported.err and "2 samples written" in exported.out
    assert main(["play", "--turns", "3", "--out", str(out)]) == 0, "the game goes on"
    assert "cut off, the game goes on from turn 3" in caplog.text
    assert [turn.step for turn in load_run(out).conversations[0].turns] == [1, 2, 3]


def test_export_of_a_run_with_nothing_readable_is_an_error(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["play", "--turns", "1", "--out", str(out)]) == 0
    (info,) = out.glob("conversations/*/conversation.json")
    info.write_text("{")
    capsys.readouterr()
    assert main(["export", "fiftyone", str(out), "--out", str(tmp_path / "fo")]) == 2
    captured = capsys.readouterr()
    assert "holds no turn that can be read; nothing exported" in captured.err and "not read:" in captured.err
    assert not (tmp_path / "fo").exists()


def test_out_under_a_file_and_export_into_a_file_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["play", "--turns", "1", "--out", str(tmp_path / "file" / "run")]) == 2
    one_line_error(capsys, f"{tmp_path / 'file'}")
    assert main(["play", "--turns", "1", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["export", "fiftyone", str(tmp_path / "run"), "--out", str(tmp_path / "file")]) == 2
    one_line_error(capsys, f"{tmp_path / 'file'}")
    assert (tmp_path / "file").read_text() == "x"


def test_a_dry_run_plans_and_prices_a_hosted_line_up_without_keys(tmp_path, capsys):
    line_up = ["--t2i", "stable-diffusion,sdxl", "--i2t", "blip,gpt-4o-mini", "--embedder", "imagebind"]
    assert main(["tournament", *line_up, "--turns", "2", "--dry-run", "--out", str(tmp_path / "run")]) == 0
    plan = capsys.readouterr().out
    assert "40 = 2 text→image × 2 image→text × 10 prompts" in plan and "about $" in plan
    assert "stable-diffusion: set REPLICATE_API_TOKEN" in plan and "gpt-4o-mini: set OPENAI_API_KEY" in plan
    assert not (tmp_path / "run").exists()
    assert main(["tournament", *line_up, "--turns", "2", "--yes", "--out", str(tmp_path / "run")]) == 2
    one_line_error(capsys, "set REPLICATE_API_TOKEN")


def _cli(arguments: list[str], limits: dict[str, object]) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process under ``limits`` (a file size cap, another user) — what a full disk or a
    folder one may not write looks like to it."""

    def limit() -> None:
        if "file_size" in limits:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails (EFBIG) instead of killing
            resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["file_size"]),) * 2)
        if limits.get("obey_permissions"):  # root ignores file modes: give up that power for the child's life
            libc = ctypes.CDLL(None, use_errno=True)
            for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl")

    environment = {**os.environ, "AITELEPHONE_CONFIG_DIR": "/nonexistent"}
    command = [sys.executable, "-m", "tui.cli.main", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, preexec_fn=limit)


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_journal_stays_valid(tmp_path):
    out = tmp_path / "run"
    played = _cli(["play", "--turns", "3", "--out", str(out)], {"file_size": 2000})
    # The first write to fail says so: the result cache's database (SQLite names no cause), or an image.
    failed_on = ("File too large", "the result cache cannot be written (disk I/O error)")
    assert played.returncode == 2 and any(cause in played.stderr for cause in failed_on), played.stderr
    assert len(played.stderr.strip().splitlines()) == 1 and "Traceback" not in played.stderr
    (conversation,) = load_run(out).conversations
    assert conversation.damage is None and conversation.info.status == "playing"
    again = _cli(["play", "--turns", "3", "--out", str(out)], {})
    assert again.returncode == 0, again.stderr
    assert [turn.step for turn in load_run(out).conversations[0].turns] == [1, 2, 3]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="drops root's power over file modes with Linux's prctl")
def test_a_folder_one_may_not_write_is_one_line(tmp_path):
    (tmp_path / "read-only").mkdir(mode=0o555)
    played = _cli(["play", "--turns", "1", "--out", str(tmp_path / "read-only" / "run")], {"obey_permissions": True})
    assert played.returncode == 2 and "Permission denied" in played.stderr, played.stderr
    assert len(played.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "read-only" / "run").exists()
