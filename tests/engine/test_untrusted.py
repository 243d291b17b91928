"""What comes from outside: text made terminal-safe, plain names, paths kept inside their folder; prompts of
nothing visible refused; retries only for failures of the call; file modes from the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import openai
import pytest

from engine import (
    ConversationInfo,
    InvalidInput,
    StorageError,
    Turn,
    load_prompts,
    load_run,
    start_game_run,
    terminal_safe,
)
from engine.prompts import validate_prompt_text
from engine.providers.hosted import read_text
from engine.providers.http import Retryable, RetryPolicy, call_with_retries, classify_httpx_error
from engine.providers.ollama import classify_ollama_error
from engine.providers.openai import OpenAICaller
from engine.providers.replicate import PredictionRunner
from engine.untrusted import inside, plain_name, write_atomically
from tests.hostile import ESCAPES


@pytest.mark.parametrize("escape", ESCAPES)
def test_terminal_safe_removes_every_escape_and_invisible_format_character(escape):
    cleaned = terminal_safe(f"A red{escape} apple.")
    assert cleaned == "A red" + escape.lstrip("\x1b\x9b\u202e\u200b\u200e").rstrip("\x07") + " apple."
    assert not any(c in cleaned for c in "\x1b\x07\x9b\u202e\u200b\u200e")


def test_terminal_safe_keeps_what_people_write():
    text = "Café « naïve » 東京 🍎\tand\na new line, a\u00a0no-break space"
    assert terminal_safe(text) == text
    assert terminal_safe("lone \ud800 surrogate") == "lone  surrogate"


@pytest.mark.parametrize("text", ["\x01\x02", "\u200b\u200e\u202e", " \x1b \t\n", "\ufeff"])
def test_a_prompt_of_nothing_visible_is_refused(text):
    with pytest.raises(InvalidInput, match="the prompt is empty"):
        validate_prompt_text(text)


def test_a_prompt_is_played_without_its_control_characters():
    assert validate_prompt_text("A red\x1b[2J apple\u202e.") == "A red[2J apple."


@pytest.mark.parametrize("name", ["sketch-painter", "gpt-4o-mini", "0a1b2c3d4e5f", "turn-01.png", "v1.2_b"])
def test_plain_names(name):
    assert plain_name(name, "id") == name


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "/etc", "..\\x", ".hidden", "a\x1b", "x" * 101, 3, None])
def test_names_that_are_not_plain_are_refused_with_what_they_were(name):
    with pytest.raises(StorageError, match=r"^run/conversation.json: id: .* is not a plain name; refused$"):
        plain_name(name, "run/conversation.json: id")


def test_inside_follows_links_and_refuses_what_leads_out(tmp_path):
    root = tmp_path / "run"
    (root / "images").mkdir(parents=True)
    (tmp_path / "secret").write_text("x")
    (root / "images" / "in.png").write_text("x")
    (root / "images" / "alias.png").symlink_to(root / "images" / "in.png")
    (root / "images" / "out.png").symlink_to(tmp_path / "secret")
    (root / "linked").symlink_to(tmp_path)
    (root / "images" / "loop.png").symlink_to(root / "images" / "loop.png")
    assert inside(root, "images/in.png", "journal:1") == root / "images" / "in.png"
    assert inside(root, "images/alias.png", "journal:1") == root / "images" / "alias.png"
    assert inside(root, "images/new.png", "journal:1") == root / "images" / "new.png"
    for hostile in ["../secret", "/etc/passwd", "images/../../secret", "images/out.png", "linked/secret"]:
        with pytest.raises(StorageError, match=r"^journal:1: .* refused$"):
            inside(root, hostile, "journal:1")
    with pytest.raises(StorageError, match="cannot be resolved|leads outside"):
        inside(root, "images/loop.png", "journal:1")


def test_a_folder_found_once_is_still_checked_when_it_moves_or_the_working_folder_does(tmp_path, monkeypatch):
    """Where a run's folder really is is found once per process; the paths under it are resolved every time."""
    real, elsewhere = tmp_path / "real", tmp_path / "elsewhere"
    for folder in (real, elsewhere):
        (folder / "run").mkdir(parents=True)
    (tmp_path / "current").symlink_to(real)
    root = tmp_path / "current" / "run"
    assert inside(root, "journal.jsonl", "run") == root / "journal.jsonl"
    (tmp_path / "current").unlink()
    (tmp_path / "current").symlink_to(elsewhere)  # the same name now leads to another folder
    with pytest.raises(StorageError, match="leads outside"):
        inside(root, "journal.jsonl", "run")

    for folder in (real, elsewhere):  # a relative name means another folder once the working folder changes
        monkeypatch.chdir(folder)
        assert inside(Path("run"), "journal.jsonl", "run") == Path("run") / "journal.jsonl"


def test_new_files_of_a_run_follow_the_umask(tmp_path, offline_line):
    for umask, expected in ((0o022, 0o644), (0o002, 0o664)):
        previous = os.umask(umask)
        try:
            folder = tmp_path / f"run-{umask:o}"
            list(offline_line.play(load_prompts()[0], 1, start_game_run(1, 0, folder), seed=0))
            write_atomically(folder / "extra.json", b"{}")
        finally:
            os.umask(previous)
        files = [path for path in folder.rglob("*") if path.is_file()]
        assert len(files) >= 5  # run.json, conversation.json, journal.jsonl, the image, extra.json
        assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {p.name: expected for p in files}
        folders = [path for path in folder.rglob("*") if path.is_dir()]
        assert {stat.S_IMODE(path.stat().st_mode) for path in folders} == {0o777 & ~umask}


def _classifiers(catalog):
    policy = RetryPolicy()
    client = openai.OpenAI(api_key="test-key", max_retries=0)
    return {
        "http": classify_httpx_error,
        "replicate": PredictionRunner(catalog.get("blip"), "test-key", policy).classify,
        "openai": OpenAICaller(catalog.get("gpt-4o-mini"), policy, client, "on OpenAI").classify,
        "ollama": classify_ollama_error,
    }


PROVIDERS = ["http", "replicate", "openai", "ollama"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("bug", [TypeError("unsupported operand"), ValueError("invalid literal"), KeyError("x")])
def test_a_bug_in_our_code_is_raised_at_once_not_retried_nor_blamed_on_the_model(catalog, provider, bug):
    classify = _classifiers(catalog)[provider]
    calls = []

    def operation():
        calls.append(1)
        raise bug

    with pytest.raises(type(bug)) as raised:
        call_with_retries(RetryPolicy(attempts=4), "model", operation, classify, sleep=lambda _: None)
    assert raised.value is bug and len(calls) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_transport_failures_are_still_retried(catalog, provider):
    classify = _classifiers(catalog)[provider]
    request = httpx.Request("GET", "http://127.0.0.1/")
    assert isinstance(classify(httpx.ConnectError("refused", request=request)), Retryable)
    assert isinstance(classify(httpx.ReadTimeout("slow", request=request)), Retryable)


def test_a_caption_that_cannot_be_written_as_utf8_is_mended(tmp_path):
    """A JSON answer may hold a lone surrogate; the journal is UTF-8, so the caption keeps a U+FFFD there."""
    caption = read_text(["A red ", "apple\ud800 on a table."])
    assert caption == "A red apple\ufffd on a table."
    turn = Turn(step=1, text="A red apple.", t2i="a", i2t="b", embedder="c", caption=caption)
    with start_game_run(1, 0, tmp_path / "run") as store:
        info = ConversationInfo("x1", "A red apple.", "custom", "custom", "a", "b", "c", 1, 0, "now")
        store.begin(info).append(turn)
    assert load_run(tmp_path / "run").conversations[0].turns == [turn]
