"""Filmstrips are drawn once: a strip drawn from the same turns is kept, one whose game went on is drawn
again, and `redraw` draws them all; worker processes draw what this process would, and the PNG writer
loses nothing."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import numpy as np
from PIL import Image

from engine import RunStore, load_prompts, load_run
from engine.export import filmstrip
from engine.export.filmstrip import STAMP, write_filmstrips
from engine.export.png import png_bytes


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


def test_strips_drawn_by_worker_processes_are_those_drawn_here(tmp_path, offline_line, monkeypatch):
    store = RunStore.create("tournament", {}, tmp_path / "run")
    for prompt in load_prompts()[:3]:
        list(offline_line.play(prompt, 2, store, seed=0))
    conversations = load_run(tmp_path / "run").conversations
    here = write_filmstrips(conversations, tmp_path / "here")

    monkeypatch.setattr(filmstrip, "DRAWN_HERE_BELOW", 1)  # one strip a worker is enough to start them
    elsewhere = write_filmstrips(conversations, tmp_path / "workers")

    assert [path.name for path in elsewhere] == [path.name for path in here]
    for mine, theirs in zip(here, elsewhere, strict=True):
        with Image.open(mine) as a, Image.open(theirs) as b:
            assert a.size == b.size and a.tobytes() == b.tobytes()


def test_the_png_writer_keeps_every_pixel_and_the_stamp():
    rng = np.random.default_rng(7)
    for width, height in ((1, 1), (5, 3), (300, 41)):
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        with Image.open(BytesIO(png_bytes(Image.fromarray(pixels), {STAMP: "abc123"}))) as image:
            assert image.mode == "RGB" and image.info[STAMP] == "abc123"
            assert np.array_equal(np.asarray(image), pixels)
