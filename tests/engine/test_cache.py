"""The result cache: answers survive a reopen, drawings are stored once (the turn image is the same file),
vectors are float32 and many threads share it."""

from __future__ import annotations

import os
import sqlite3
import threading

import numpy as np
import pytest

from engine.cache import DATABASE, CachedTextToImage, ResultCache, _canonical, _key
from engine.events import DistancesReady
from engine.imagefiles import MAX_IMAGES, read_image
from engine.prompts import load_prompts
from engine.protocols import GeneratedImage
from engine.providers.offline.painter import SketchPainter
from engine.records import ConversationInfo
from engine.session import RunSession
from engine.store import RunStore, now_iso, start_game_run


class Counting:
    """Counts calls to ``make`` so a test can tell a hit from a paid call."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_answers_survive_a_reopen_and_are_not_asked_for_again(tmp_path):
    image = SketchPainter("sketch-painter").generate("a red apple", seed=1)
    cache = ResultCache(tmp_path / "cache")
    draw, describe, embed = Counting(image), Counting("an apple"), Counting(np.arange(8, dtype=np.float32) / 7)
    cache.image("ref", "a red apple", {"seed": 1}, draw)
    picture = tmp_path / "picture.png"
    picture.write_bytes(image.data)
    cache.caption("ref", picture, {}, describe)
    cache.vector("ref", "text:an apple", embed)
    cache.close()

    again = ResultCache(tmp_path / "cache")
    assert again.image("ref", "a red apple", {"seed": 1}, draw).data == image.data
    assert again.caption("ref", picture, {}, describe) == "an apple"
    vector = again.vector("ref", "text:an apple", embed)
    assert vector.dtype == np.float32 and np.array_equal(vector, embed.value)
    assert (draw.calls, describe.calls, embed.calls) == (1, 1, 1) and again.hits == 3
    again.image("ref", "a red apple", {"seed": 2}, draw)
    assert draw.calls == 2, "another seed is another call"


def test_a_turns_answers_are_written_in_one_transaction_before_its_journal_line(tmp_path, catalog, offline_line):
    """Another process of the run (or a resume after kill -9) finds every answer of a journaled turn, kept in
    one transaction per turn (the prompt's vector goes with the first)."""
    with RunSession(start_game_run(2, 0, tmp_path / "run"), catalog) as session:
        statements: list[str] = []
        session.cache._database().set_trace_callback(statements.append)
        kept_by_turn = []
        for event in session.metered(offline_line).play(load_prompts()[0], 2, session.store, seed=0):
            if isinstance(event, DistancesReady):
                with sqlite3.connect(session.store.cache_folder / DATABASE) as other:
                    tables = ("drawings", "captions", "vectors")
                    kept_by_turn.append([other.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables])
    assert kept_by_turn == [[1, 1, 2], [2, 2, 3]]
    assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 2


def test_a_drawing_is_stored_once_and_the_turn_image_is_that_file(tmp_path):
    store = RunStore.create("game", {}, tmp_path / "run")
    cache = ResultCache(store.cache_folder)
    painter = CachedTextToImage(SketchPainter("sketch-painter"), "sketch-painter", threading.Semaphore(), cache)
    journal = store.begin(
        ConversationInfo("c1", "a dog", "", "easy", "sketch-painter", "sketch-reader", "minilm", 1, 0, now_iso())
    )
    saved = journal.save_image(1, painter.generate("a dog in a park", seed=3))
    blobs = list(store.cache_folder.rglob("*.png"))
    assert len(blobs) == 1 and os.path.samefile(blobs[0], saved)
    assert not any(store.cache_folder.glob("t2i")), "no file per answer"
    assert read_image(saved).digest == blobs[0].stem


def test_many_threads_share_one_cache(tmp_path):
    cache = ResultCache(tmp_path / "cache")

    def work(worker: int) -> None:
        for index in range(25):
            value = np.full(4, worker * 100 + index + 1, dtype=np.float32)  # never all zeros: those are not kept
            cache.vector("ref", f"text:{worker}:{index}", lambda v=value: v)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache.close()  # what each thread kept since its last turn is written then
    again = ResultCache(tmp_path / "cache")
    never = Counting(np.zeros(4, dtype=np.float32))
    assert all(again.vector("ref", f"text:{w}:{i}", never)[0] == w * 100 + i + 1 for w in range(8) for i in range(25))
    assert never.calls == 0


def test_a_cached_drawing_whose_file_is_gone_is_drawn_again(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    image = GeneratedImage(SketchPainter("p").generate("a cat", seed=0).data, ".png")
    draw = Counting(image)
    cache.image("ref", "a cat", {}, draw).file.unlink()
    assert cache.image("ref", "a cat", {}, draw).data == image.data and draw.calls == 2


def test_a_stored_image_is_read_once_and_again_when_it_changes(tmp_path):
    path = tmp_path / "turn-01.png"
    path.write_bytes(b"first")
    first = read_image(path)
    assert read_image(path) is first and first.digest == read_image(path).digest
    path.write_bytes(b"second version")
    assert read_image(path).data == b"second version"
    assert read_image(path).data_url.startswith("data:image/png;base64,")


def test_the_images_kept_in_memory_are_bounded(tmp_path):
    first = tmp_path / "0.png"
    first.write_bytes(b"0")
    kept = read_image(first)
    for index in range(1, MAX_IMAGES + 1):
        (tmp_path / f"{index}.png").write_bytes(str(index).encode())
        read_image(tmp_path / f"{index}.png")
    assert read_image(first) is not kept and read_image(first).data == b"0", "the oldest is read again"


def test_a_strangers_cache_is_checked_before_it_is_believed(tmp_path):
    """A run folder may come from anyone: an answer of the wrong kind, a drawing whose name leads elsewhere or
    whose bytes are not what its hash says, are misses; the call is made again."""
    folder = tmp_path / "cache"
    cache = ResultCache(folder)
    assert cache.vector("ref", "text:a", lambda: np.ones(1, dtype=np.float32)).tolist() == [1.0]
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"not yours")
    image = SketchPainter("sketch-painter").generate("a cat", seed=0)
    database = sqlite3.connect(folder / "answers.sqlite")
    hostile = [
        ("drawings", (_key("ref", "a", _canonical({})), "../../secret", ".png", 0)),
        ("drawings", (_key("ref", "b", _canonical({})), image.digest, ".png", 0)),  # no such file kept
        ("captions", (_key("ref", image.digest, _canonical({})), b"\xff\xfe", 0)),  # bytes, not text
        ("vectors", (_key("ref", "text:x"), b"\x00\x00\xc0\x7f", 0)),  # a NaN
        ("vectors", (_key("ref", "text:y"), "not bytes", 0)),
    ]
    for table, row in hostile:
        database.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
    database.commit()
    database.close()
    (folder / "images" / image.digest[:2]).mkdir(parents=True)
    (folder / "images" / image.digest[:2] / f"{image.digest}.png").write_bytes(b"other bytes")

    draw = Counting(image)
    assert cache.image("ref", "a", {}, draw).data == image.data
    assert cache.image("ref", "b", {}, draw).data == image.data and draw.calls == 2
    picture = tmp_path / "picture.png"
    picture.write_bytes(image.data)
    assert cache.caption("ref", picture, {}, Counting("a cat")) == "a cat"
    embed = Counting(np.ones(2, dtype=np.float32))
    assert cache.vector("ref", "text:x", embed).tolist() == [1.0, 1.0]
    assert cache.vector("ref", "text:y", embed).tolist() == [1.0, 1.0] and embed.calls == 2
    assert cache.hits == 0 and outside.read_bytes() == b"not yours"


@pytest.mark.parametrize("content", [b"this is not a database", None])
def test_a_database_that_is_not_ours_is_set_aside(tmp_path, content):
    folder = tmp_path / "cache"
    folder.mkdir()
    if content is None:  # a real database, with a trigger that would run on our inserts
        database = sqlite3.connect(folder / "answers.sqlite")
        database.executescript(
            "CREATE TABLE captions (key TEXT PRIMARY KEY, caption TEXT, price REAL);"
            "CREATE TABLE log (line TEXT);"
            "CREATE TRIGGER spy AFTER INSERT ON captions BEGIN INSERT INTO log VALUES (new.caption); END;"
        )
        database.close()
    else:
        (folder / "answers.sqlite").write_bytes(content)
    cache = ResultCache(folder)
    assert cache.vector("ref", "text:a", lambda: np.ones(3, dtype=np.float32)).tolist() == [1.0] * 3
    assert [path.name.startswith("answers.sqlite.unreadable-") for path in folder.iterdir()].count(True) == 1
    cache.close()
    assert ResultCache(folder).vector("ref", "text:a", lambda: np.zeros(3, dtype=np.float32)).tolist() == [1.0] * 3


def test_a_fresh_cache_asks_sqlite_only_for_what_it_kept_unless_other_processes_write_it(tmp_path):
    ones = np.ones(3, dtype=np.float32)
    fresh, other = ResultCache(tmp_path / "cache"), ResultCache(tmp_path / "cache")
    assert fresh.vector("ref", "text:a", lambda: ones).tolist() == [1.0] * 3  # opened empty
    fresh.write_turn()
    assert fresh.vector("ref", "text:a", lambda: ones * 0).tolist() == [1.0] * 3 and fresh.hits == 1
    other.vector("ref", "text:b", lambda: ones * 2)  # as another process of the run would
    other.write_turn()
    assert fresh.vector("ref", "text:b", lambda: ones * 3).tolist() == [3.0] * 3, "not looked up: a miss"
    shared = ResultCache(tmp_path / "shared")
    shared.shared_with_other_processes()
    shared.vector("ref", "text:a", lambda: ones)
    writer = ResultCache(tmp_path / "shared")
    writer.vector("ref", "text:b", lambda: ones * 2)
    writer.write_turn()
    assert shared.vector("ref", "text:b", lambda: ones * 3).tolist() == [2.0] * 3, "looked up: a hit"
