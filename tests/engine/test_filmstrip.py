"""Filmstrips are drawn once: a strip drawn from the same turns is kept, one whose game went on is drawn
again, and `redraw` draws them all."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image

from engine import RunStore, load_prompts, load_run
from engine.export.filmstrip import write_filmstrips


def test_a_strip_is_drawn_when_missing_or_out_of_date_or_asked_for(tmp_path, offline_line):
    store = RunStore.create("game", {}, tmp_path / "run")
    list(offline_line.play(load_prompts()[0], 1, store, seed=0))
    (strip,) = write_filmstrips(load_run(tmp_path / "run").conversations, tmp_path / "strips")
    drawn = strip.stat().st_mtime_ns

    assert write_filmstrips(load_run(tmp_path / "run").conversations, tmp_path / "strips") == [strip]
    assert strip.stat().st_mtime_ns == drawn, "up to date: kept"

    write_filmstrips(load_run(tmp_path / "run").conversations, tmp_path / "strips", redraw=True)
    assert strip.stat().st_mtime_ns != drawn
    with Image.open(strip) as image:
        one_turn = image.width

    (conversation,) = load_run(tmp_path / "run").conversations
    conversation.turns.append(replace(conversation.turns[0], step=2))  # the game went on
    write_filmstrips([conversation], tmp_path / "strips")
    with Image.open(strip) as image:
        assert image.width > one_turn, "drawn again, with both turns"
