"""A run's files are read only when they are regular files with one name (or a name the run's layout explains),
under their ceilings; nothing is written in place into a file with another name; a kept vector that cannot
be measured is asked again, and no journal ever holds a number that is not finite."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine import RunSession, StorageError, load_prompts, load_run, open_picture, start_game_run
from engine.cache import DATABASE, ResultCache
from engine.imagefiles import read_image
from engine.journal_lines import parse_json
from engine.metrics import MAX_DIMENSIONS
from engine.store import RunStore
from engine.untrusted import MAX_JSON_DEPTH, open_in_place, read_regular, write_atomically
from tests.hostile import FILE_KINDS, replace_with


@pytest.fixture
def outside(tmp_path) -> Path:
    path = tmp_path / "outside.txt"
    path.write_bytes(b"the other name's bytes")
    return path


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_only_a_regular_file_with_one_name_is_read_and_at_once(tmp_path, outside, kind):
    path = tmp_path / "journal.jsonl"
    replace_with(path, kind, outside)
    started = time.monotonic()
    with pytest.raises(StorageError, match=rf"^{path}: ") as refused:
        read_regular(path, 1 << 20)
    assert time.monotonic() - started < 1, "a pipe or a device is never waited on, a giant never read"
    assert "\n" not in str(refused.value) and outside.read_bytes() == b"the other name's bytes"


def test_a_symbolic_link_is_not_followed(tmp_path, outside):
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(StorageError, match="a symbolic link"):
        read_regular(tmp_path / "link", 1 << 20)


def test_nothing_is_written_in_place_into_a_file_with_another_name(tmp_path, outside):
    os.link(outside, tmp_path / "journal.jsonl")
    with pytest.raises(StorageError, match="has 2 names"):
        open_in_place(tmp_path / "journal.jsonl", os.O_WRONLY | os.O_APPEND)
    assert outside.read_bytes() == b"the other name's bytes"


def test_json_past_its_depth_ceiling_is_refused_before_anything_walks_it():
    assert parse_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(ValueError, match="nested more than"):
        parse_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_a_picture_past_the_pixel_ceiling_is_refused_before_decoding(tmp_path):
    from tests.fakes.server import bomb_png

    (tmp_path / "turn-01.png").write_bytes(bomb_png(7000, 7000))
    with pytest.raises(StorageError, match="pixel ceiling"):
        open_picture(tmp_path / "turn-01.png")


@pytest.fixture
def played(tmp_path, offline_line, catalog) -> Path:
    """A run of one 2-turn game played with the result cache, as the CLI plays: its turn images are hard
    links to the cache's drawings."""
    with RunSession(start_game_run(2, 0, tmp_path / "run"), catalog) as session:
        list(session.metered(offline_line).play(load_prompts()[0], 2, session.store, seed=0))
    return session.store.folder


def test_a_turn_image_linked_to_its_own_cache_drawing_is_read(played):
    (conversation,) = load_run(played).conversations
    image = conversation.image_path(conversation.turns[0])
    assert image is not None and image.stat().st_nlink == 2
    assert read_image(image).digest in {path.stem for path in (played / "cache").rglob("*.png")}


def test_a_cp_al_snapshot_is_refused_with_one_line_and_its_original_never_changes(played, tmp_path):
    """`cp -al` shares every file of the run with the snapshot: reading or resuming it would read or write the
    original's files through the snapshot's names."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(played, snapshot, copy_function=os.link)
    before = {path: path.read_bytes() for path in played.rglob("*") if path.is_file()}
    for attempt in (load_run, RunStore.reopen):
        with pytest.raises(StorageError, match=r"run.json: has 2 names"):
            attempt(snapshot)
    assert {path: path.read_bytes() for path in played.rglob("*") if path.is_file()} == before


def test_a_shared_lock_and_result_cache_are_replaced_never_written_through(played, tmp_path, offline_line, catalog):
    copy = tmp_path / "copy"
    shutil.copytree(played, copy)
    for name in ("writer.lock", f"cache/{DATABASE}"):
        (copy / name).unlink()
        os.link(played / name, copy / name)
    before = {path: path.read_bytes() for path in played.rglob("*") if path.is_file()}
    with RunSession(RunStore.reopen(copy), catalog) as session:
        line = session.metered(offline_line)
        assert list(line.play(load_prompts()[1], 2, session.store, seed=0))[-1].status == "finished"
    assert {path: path.read_bytes() for path in played.rglob("*") if path.is_file()} == before
    assert list((copy / "cache").glob(f"{DATABASE}.set-aside-*")) and (copy / "writer.lock").stat().st_nlink == 1


@pytest.mark.parametrize(
    "poison",
    [np.zeros(8, "<f4").tobytes(), np.full(8, np.nan, "<f4").tobytes(), np.ones(3, "<f4").tobytes(), b"abc"]
    + [np.ones(MAX_DIMENSIONS + 1, "<f4").tobytes()],
    ids=["zeros", "nan", "another length", "not float32", "too long"],
)
def test_a_kept_vector_that_cannot_be_measured_is_asked_again_and_replaced(tmp_path, poison):
    cache = ResultCache(tmp_path / "cache")
    good = np.arange(1, 9, dtype=np.float32)
    cache.vector("ref", "text:first", lambda: good)  # the model's vectors have 8 numbers
    cache.vector("ref", "text:an apple", lambda: good)
    cache.close()
    with sqlite3.connect(tmp_path / "cache" / DATABASE) as database:
        database.execute("UPDATE vectors SET vector = ?", (poison,))
    again = ResultCache(tmp_path / "cache")
    again.vector("ref", "text:never kept", lambda: good)  # the model says 8
    asked = []
    vector = again.vector("ref", "text:an apple", lambda: asked.append(1) or good)
    assert asked == [1] and np.array_equal(vector, good)
    again.close()
    assert np.array_equal(ResultCache(tmp_path / "cache").vector("ref", "text:an apple", lambda: good * 0), good)


def test_a_model_answer_of_another_length_forgets_the_kept_vectors_served_before(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.vector("ref", "text:prompt", lambda: np.ones(3, dtype=np.float32))  # a stranger's 3 numbers
    cache.close()
    again = ResultCache(tmp_path / "cache")
    assert again.vector("ref", "text:prompt", lambda: np.ones(8, dtype=np.float32)).size == 3
    assert again.vector("ref", "text:caption", lambda: np.ones(8, dtype=np.float32)).size == 8
    assert again.vector("ref", "text:prompt", lambda: np.full(8, 2, dtype=np.float32)).size == 8, "asked again"


@pytest.mark.parametrize("poison", ["zeros", "nan", "another length"])
def test_a_poisoned_cache_never_puts_a_nan_in_the_users_own_game(played, offline_line, catalog, poison):
    database = played / "cache" / DATABASE
    with sqlite3.connect(database) as connection:
        for key, blob in connection.execute("SELECT key, vector FROM vectors").fetchall():
            bad = {"zeros": np.zeros(len(blob) // 4), "nan": np.full(len(blob) // 4, np.nan), "another length": [1.0]}
            connection.execute(
                "UPDATE vectors SET vector = ? WHERE key = ?", (np.asarray(bad[poison], "<f4").tobytes(), key)
            )
    for _ in range(2):  # a vector of another length fails a turn once; playing on finishes the game
        with RunSession(RunStore.reopen(played), catalog) as session:
            events = list(session.metered(offline_line).play(load_prompts()[0], 3, session.store, seed=0))
    assert events[-1].status == "finished"
    run = load_run(played)
    assert run.problems == []
    for journal in played.rglob("journal.jsonl"):
        assert b"NaN" not in journal.read_bytes() and b"Infinity" not in journal.read_bytes()
    distances = [turn.distance_to_prompt for c in run.conversations for turn in c.turns if turn.error is None]
    assert all(d is not None and np.isfinite(d) for d in distances)
    assert json.loads((played / "run.json").read_text())["format"] == "aitelephone-run"


def test_a_full_disk_is_reported_with_the_file_it_could_not_write(tmp_path, monkeypatch):
    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as raised:
        write_atomically(tmp_path / "run.json", b"{}")
    assert raised.value.filename == str(tmp_path / "run.json") and not list(tmp_path.iterdir()), "nothing left"


def test_kept_vectors_the_models_answer_shows_wrong_are_asked_again_within_one_call(tmp_path, offline_line):
    """The analysis embeds a game's captions in one call: a stranger's kept vector served first, then the
    model's answer of another length, would not stack."""
    from engine.cache import CachedEmbedder

    ResultCache(tmp_path / "cache").vector("minilm", "text:a red apple", lambda: np.ones(3, dtype=np.float32))
    cache = ResultCache(tmp_path / "cache")
    embedder = CachedEmbedder(offline_line.embedder, "minilm", threading.Semaphore(1), cache)
    assert embedder.embed_texts(["a red apple", "a blue bus"]).shape == (2, 384)
