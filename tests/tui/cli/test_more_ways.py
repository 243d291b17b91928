"""`play --from-image`, lineups (`--t2i a,b`), a person on the terminal (`--i2t you`), `tournament --chain`:
real offline games of a few turns, and bad input as one line, exit 2, nothing written."""

from __future__ import annotations

import io

import pytest

from tests.players import add_second_models, draw_picture
from tui.cli.main import main


def test_play_from_a_picture_with_a_person_and_show_it(tmp_path, capsys, monkeypatch):
    picture = draw_picture(tmp_path / "album.png")
    monkeypatch.setattr("sys.stdin", io.StringIO("\na blue sky over a green field with a red sun\na green hill\n"))
    run = tmp_path / "run"
    assert (
        main(["play", "--from-image", str(picture), "--i2t", "you,sketch-reader", "--turns", "2", "--out", str(run)])
        == 0
    )
    output = capsys.readouterr().out
    assert "describe the picture in" in output and "turn-00.png" in output
    assert "turn 0 · the picture, described by you" in output and "sketch-painter → sketch-reader" in output
    assert main(["show", str(run)]) == 0
    shown = capsys.readouterr().out
    assert "picture album.png" in shown and "person)" in shown and "a blue sky" in shown
    assert main(["analyze", str(run), "--no-pictures"]) == 0
    analyzed = capsys.readouterr().out
    assert "picture" in analyzed and "Players in mixed games" in analyzed and "with a person" in analyzed


def test_a_person_who_ends_the_input_stops_the_game_with_its_turns_kept(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a dog\n"))
    arguments = ["play", "--i2t", "sketch-reader,you", "--turns", "4", "--out", str(tmp_path / "run")]
    assert main(arguments) == 1
    assert "cancelled: 3 turns saved" in capsys.readouterr().out


def test_a_lineup_and_a_chain_tournament(tmp_path, capsys):
    add_second_models()
    lineup = ["--t2i", "sketch-painter,sketch-painter-b", "--i2t", "sketch-reader,sketch-reader-b"]
    assert main(["play", *lineup, "--turns", "2", "--out", str(tmp_path / "run")]) == 0
    assert "sketch-painter-b → sketch-reader-b" in capsys.readouterr().out
    chain = "sketch-painter,sketch-painter-b/sketch-reader-b,sketch-reader"
    arguments = ["tournament", "--prompts", "dog-frisbee", "--turns", "2", "--chain", chain, "--yes"]
    assert main([*arguments, "--out", str(tmp_path / "t")]) == 0
    output = capsys.readouterr().out
    assert "2 = (1 text→image × 1 image→text + 1 chains) × 1 prompts" in output and "2 games finished" in output


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--t2i", ""], "players are a list of model ids"),
        (["--i2t", "sketch-reader,"], "players are a list of model ids"),
        (["--i2t", "sketch-reader,nope"], "unknown image → text model 'nope'"),
        (["--t2i", "you"], "only models draw them"),
        (["--from-image", "{tmp}/notes.txt"], "not a PNG, JPEG or WebP picture"),
        (["--from-image", "{tmp}/missing.png"], "missing"),
        (["--from-image", "{tmp}"], "a folder, not a regular file"),
    ],
)
def test_bad_lineups_and_pictures_are_one_line_exit_2_and_write_nothing(tmp_path, capsys, arguments, message):
    (tmp_path / "notes.txt").write_text("not a picture")
    draw_picture(tmp_path / "album.png")
    out = tmp_path / "run"
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    assert main(["play", *arguments, "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert message in printed.err and len(printed.err.strip().splitlines()) == 1
    assert "Traceback" not in printed.err + printed.out
    assert not out.exists()


def test_a_tournament_refuses_a_person_and_a_bad_chain(tmp_path, capsys):
    for arguments, message in [
        (["--i2t", "sketch-reader,you"], "a person"),
        (["--chain", "sketch-painter"], "split by a slash"),
        (["--chain", "sketch-painter,nope/sketch-reader"], "unknown text → image model 'nope'"),
    ]:
        assert main(["tournament", *arguments, "--yes", "--out", str(tmp_path / "t")]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "t").exists()
