"""Guessing the prompt: each guess scored by the game's own embedder, rounds kept beside the run without
changing it, and read back as a stranger's file."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from engine import GuessRound, clean_guess, export_fiftyone, load_rounds, load_run, sample_run
from tui.cli.main import main


@pytest.fixture
def run(tmp_path, template_run):
    folder = tmp_path / "run"
    shutil.copytree(template_run, folder)
    return folder


def test_a_guess_is_scored_on_the_games_scale(run, offline_line):
    game = load_run(run).conversations[0]
    played = GuessRound(game, lambda: offline_line.embedder)
    exact = played.guess(game.info.prompt)
    assert exact is not None and exact.distance == pytest.approx(0.0, abs=1e-6)
    unrelated = played.guess("quarterly tax returns of a shipping company")
    assert unrelated is not None and unrelated.distance > 0.6
    assert played.guess("  \t ") is None and played.guess("\x1b\x07\u200b\x00\u202e") is None
    assert [guess.text for guess in played.record.ranked()] == [game.info.prompt, unrelated.text]


def test_a_guess_is_made_plain_and_a_long_one_cut():
    assert clean_guess("  a  red\x1b[31m apple\n") == "a red[31m apple"
    long = clean_guess("word " * 1000)
    assert long is not None and len(long) == 1000 and long.endswith("…")


def test_a_round_is_kept_beside_the_run_which_does_not_change(run, offline_line, capsys):
    before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    game = load_run(run).conversations[1]
    played = GuessRound(game, lambda: offline_line.embedder)
    played.guess("a dog in a park")
    played.save()
    played.guess(game.info.prompt)
    played.reveal()
    played.save()
    rounds, problems = load_rounds(run)
    assert problems == [] and rounds == [played.record]
    assert rounds[0].revealed is not None and len(rounds[0].guesses) == 2
    after = {path: path.read_bytes() for path in run.rglob("*") if path.is_file() and "rounds" not in path.parts}
    assert after == before

    assert main(["show", str(run)]) == 0
    shown = capsys.readouterr().out
    assert "Rounds of guessing the prompt" in shown and game.info.id in shown and "0.000" in shown
    export_fiftyone(load_run(run), run / "fiftyone")
    metadata = json.loads((run / "fiftyone" / "metadata.json").read_text())
    assert metadata["info"]["guess_rounds"] == [played.record.to_json()]


def test_the_shipped_sample_is_never_written_to(offline_line):
    game = load_run(sample_run()).conversations[0]
    played = GuessRound(game, lambda: offline_line.embedder)
    played.guess("an apple")
    assert played.save() is None and played.not_kept
    assert not (sample_run() / "rounds").exists()


def test_rounds_from_a_stranger_are_checked_one_file_at_a_time(run, offline_line, tmp_path):
    played = GuessRound(load_run(run).conversations[0], lambda: offline_line.embedder)
    played.guess("an apple")
    good = played.save()
    assert good is not None
    rounds = good.parent
    record = played.record.to_json()
    bad = {
        "torn.json": good.read_bytes()[:20],
        "version.json": json.dumps({**record, "version": 99}).encode(),
        "nan.json": json.dumps({**record, "guesses": [{"text": "x", "distance": float("nan"), "time": "t"}]}).encode(),
        "far.json": json.dumps({**record, "guesses": [{"text": "x", "distance": 7, "time": "t"}]}).encode(),
        "id.json": json.dumps({**record, "conversation": "../../etc"}).encode(),
        "text.json": json.dumps({**record, "guesses": [{"text": 5, "distance": 0.5, "time": "t"}]}).encode(),
        "many.json": json.dumps({**record, "guesses": [record["guesses"][0]] * 501}).encode(),
        "huge.json": b" " * (2 << 20),
    }
    for name, data in bad.items():
        (rounds / name).write_bytes(data)
    (tmp_path / "secret.json").write_text(json.dumps(record))
    (rounds / "link.json").symlink_to(tmp_path / "secret.json")
    os.mkfifo(rounds / "pipe.json")
    loaded, problems = load_rounds(run)
    assert loaded == [played.record]
    assert len(problems) == len(bad) + 2
    assert all(any(name in problem for problem in problems) for name in [*bad, "link.json", "pipe.json"])

    shutil.rmtree(rounds)
    (run / "rounds").symlink_to(tmp_path, target_is_directory=True)
    assert load_rounds(run)[0] == [] and "outside" in load_rounds(run)[1][0]
