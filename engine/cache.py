"""A run's result cache: every model answer kept by (model ref, exact input), so a resumed or repeated
run never pays twice for the same call.

One SQLite database per run (write-ahead log: many small writes from many threads, and processes, cost a
page append each; a commit survives a killed process), and the drawings' bytes as files named by their
hash, written once: the store links a conversation's turn image to the same file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from engine.budget import Budget
from engine.call_times import record_call
from engine.errors import StorageError
from engine.imagefiles import read_image
from engine.metrics import MAX_DIMENSIONS, as_rows, unusable
from engine.protocols import MIME_TYPES, Embedder, GeneratedImage, ImageToText, TextToImage
from engine.untrusted import (
    MAX_TEXT_CHARS,
    inside,
    sole_regular_file,
    write_atomically,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=TextToImage | ImageToText | Embedder)
S = TypeVar("S", bound=TextToImage | ImageToText)

# What a call that must be made waits under: its provider's limit on calls in flight (a semaphore, shared
# between processes when games run in several).
Gate = AbstractContextManager[Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drawings (
    key TEXT PRIMARY KEY, digest TEXT NOT NULL, suffix TEXT NOT NULL, price REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS captions (key TEXT PRIMARY KEY, caption TEXT NOT NULL, price REAL NOT NULL DEFAULT 0)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL, price REAL NOT NULL DEFAULT 0)
    WITHOUT ROWID;
"""


DATABASE = "answers.sqlite"
TURN_ANSWERS = 8  # more answers than any turn gets (a drawing, a caption, a few vectors)
_TABLES = ("drawings", "captions", "vectors")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _canonical(inputs: dict[str, Any]) -> str:
    """A model's inputs (seed included where it takes one) as part of a key: another seed, another answer."""
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False)


class ResultCache:
    """Answers by key in ``folder``/answers.sqlite, drawings in ``folder``/images/; ``hits`` counts the calls
    they saved. Safe to share between threads, and between processes playing the same run.

    A run's cache may come from anyone: a database that is not one of ours is set aside and a new one begun,
    a drawing's file must lie inside the cache and hold the bytes its hash names, and an answer of the wrong
    kind is a miss (the call is made again and the entry replaced)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hits = 0
        self._lock = threading.Lock()  # what is held in memory: taken for moments, never across a query
        self._db_lock = threading.Lock()  # the connection: one statement or transaction at a time
        self._opening = threading.Lock()
        self._db: sqlite3.Connection | None = None
        # Each model's vector length: what the first vector served had, until the model's own answer says.
        # Kept vectors served before it are remembered, to forget them should the model disagree.
        self._lengths: dict[str, int] = {}
        self._unconfirmed: dict[str, list[str]] = {}
        self._confirmed: set[str] = set()
        # The keys kept since the database was opened empty, while no other process writes it: any other key
        # is a miss without a query (a fresh run asks SQLite only for what it has itself kept). None: ask.
        self._kept: set[str] | None = None
        self._alone = True
        # Answers waiting, per thread, to be written with the rest of their turn in one transaction.
        self._waiting: dict[int, list[tuple[str, tuple[object, ...]]]] = {}
        self._image_folders: dict[str, Path] = {}

    def shared_with_other_processes(self) -> None:
        """Other processes write this cache too (a tournament's game processes): every key is looked up."""
        with self._lock:
            self._alone, self._kept = False, None

    def _database(self) -> sqlite3.Connection:
        """The database, opened (or begun) on first use: a game that stops before its first call writes
        nothing here. StorageError when it cannot be written (a full disk, say)."""
        with self._opening:
            if self._db is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                path = inside(self.folder, DATABASE, str(self.folder))
                _set_aside_unless_own(path)
                try:
                    self._db = _open(path)
                except sqlite3.DatabaseError as error:  # not a database of ours: keep it aside, begin anew
                    aside = path.with_name(f"{DATABASE}.unreadable-{secrets.token_hex(4)}")
                    log.warning("%s: not a result cache (%s); kept as %s, a new one begun", path, error, aside)
                    path.rename(aside)
                    self._db = _open(path)
                empty = not any(
                    self._db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0] for table in _TABLES
                )
                self._kept = set() if empty and self._alone else None
            return self._db

    def spent(self) -> float:
        """USD paid for the answers kept here: what the run has spent on models."""
        if self._db is None and not (self.folder / DATABASE).exists():
            return 0.0  # nothing kept yet (and nothing written to find that out)
        row = self._get(
            "SELECT (SELECT TOTAL(MAX(price, 0)) FROM drawings) + (SELECT TOTAL(MAX(price, 0)) FROM captions)"
            " + (SELECT TOTAL(MAX(price, 0)) FROM vectors)"
        )
        return float(row[0]) if row is not None and isinstance(row[0], float) else 0.0

    def close(self) -> None:
        with self._lock:
            waiting = [row for rows in self._waiting.values() for row in rows]
            self._waiting.clear()
        self._write(waiting)
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _get(self, sql: str, *values: object) -> Any:
        database = self._database()
        try:
            with self._db_lock:
                return database.execute(sql, values).fetchone()
        except sqlite3.DatabaseError as error:  # a damaged database: answer from the model, not from it
            log.warning("%s: the result cache cannot be read (%s)", self.folder, error)
            return None

    def _hit(self, key: str) -> None:
        """A kept answer saved a call."""
        with self._lock:
            self.hits += 1
        log.debug("result cache hit: %s", key)

    def _may_hold(self, key: str) -> bool:
        with self._lock:
            return self._kept is None or key in self._kept

    def _keep(self, sql: str, key: str, *values: object) -> None:
        """Keep an answer under ``key`` (``sql`` inserts the key and ``values``): written with the rest of
        this thread's turn by ``write_turn``, or once a thread holds ``TURN_ANSWERS`` (a caller that plays no
        turns, the analysis, loses at most that many answers to a kill)."""
        with self._lock:
            waiting = self._waiting.setdefault(threading.get_ident(), [])
            waiting.append((sql, (key, *values)))
            full = len(waiting) >= TURN_ANSWERS
        if full:
            self.write_turn()

    def write_turn(self) -> None:
        """Write the answers this thread's game got since its last turn, in one transaction. The store calls
        it before a turn goes into its journal: a journaled turn's answers (and what they cost) are kept
        first, and a kill loses only the answers of the turns in flight."""
        with self._lock:
            rows = self._waiting.pop(threading.get_ident(), [])
        self._write(rows)

    def _write(self, rows: list[tuple[str, tuple[object, ...]]]) -> None:
        if not rows:
            return
        database = self._database()
        try:
            with self._db_lock:
                database.execute("BEGIN IMMEDIATE")
                try:
                    for sql, values in rows:
                        database.execute(sql, values)
                    database.execute("COMMIT")
                except BaseException:
                    database.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as error:  # the answers are used all the same; only keeping them failed
            log.warning("%s: %d answers could not be kept (%s)", self.folder, len(rows), error)
            return
        with self._lock:
            if self._kept is not None:
                self._kept.update(str(values[0]) for _, values in rows)

    def _put(self, sql: str, *values: object) -> None:
        database = self._database()
        try:
            with self._db_lock:
                database.execute(sql, values)
        except sqlite3.DatabaseError as error:  # the answer is used all the same; only keeping it failed
            log.warning("%s: an answer could not be kept (%s)", self.folder, error)

    def _image_file(self, digest: object, suffix: object) -> Path:
        """Where the drawing with this hash lies; StorageError for a name that is not a hash and a suffix."""
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest) or suffix not in MIME_TYPES:
            raise StorageError(f"{self.folder}: {digest!r}{suffix!r} does not name a drawing; refused")
        return self._image_folder(digest[:2]) / f"{digest}{suffix}"

    def _image_folder(self, prefix: str) -> Path:
        """The folder of the drawings whose hash starts with ``prefix``, checked to lie inside the cache once,
        not at every drawing (its files are written by replacing their names, never through a link)."""
        folder = self._image_folders.get(prefix)
        if folder is None:
            folder = self._image_folders[prefix] = inside(self.folder, f"images/{prefix}", str(self.folder))
        return folder

    def _drawing(self, digest: object, suffix: object) -> GeneratedImage | None:
        """The kept drawing with this hash, or None when it is gone or is not what its name says."""
        try:
            image = read_image(self._image_file(digest, suffix))
        except (StorageError, OSError) as error:
            log.warning("a cached drawing cannot be used (%s); drawing again", error)
            return None
        return image if image.digest == digest else None

    def image(
        self, ref: str, text: str, inputs: dict[str, Any], make: Callable[[], GeneratedImage], price: float = 0.0
    ) -> GeneratedImage:
        key = _key(ref, text, _canonical(inputs))
        row = (
            self._get("SELECT digest, suffix FROM drawings WHERE key = ? AND length(digest) = 64", key)
            if self._may_hold(key)
            else None
        )
        kept = self._drawing(*row) if row is not None else None
        if kept is not None:
            self._hit(key)
            return kept
        image = make()
        path = self._image_file(image.digest, image.suffix)
        if not path.exists():  # another model or seed may have drawn the very same bytes
            write_atomically(path, image.data)
        self._keep("INSERT OR REPLACE INTO drawings VALUES (?, ?, ?, ?)", key, image.digest, image.suffix, price)
        return image.stored_at(path)

    def caption(
        self, ref: str, image: Path, inputs: dict[str, Any], make: Callable[[], str], price: float = 0.0
    ) -> str:
        key = _key(ref, read_image(image).digest, _canonical(inputs))
        row = (
            self._get("SELECT caption FROM captions WHERE key = ? AND length(caption) <= ?", key, MAX_TEXT_CHARS)
            if self._may_hold(key)
            else None
        )
        if row is not None and isinstance(row[0], str):
            self._hit(key)
            return row[0]
        caption = make()
        self._keep("INSERT OR REPLACE INTO captions VALUES (?, ?, ?)", key, caption, price)
        return caption

    def vector(self, ref: str, what: str, make: Callable[[], np.ndarray], price: float = 0.0) -> np.ndarray:
        key = _key(ref, what)
        sql = "SELECT vector FROM vectors WHERE key = ? AND length(vector) <= ?"
        row = self._get(sql, key, 4 * MAX_DIMENSIONS) if self._may_hold(key) else None
        with self._lock:
            length = self._lengths.get(ref)
        kept = _vector(row[0], length) if row is not None else None
        if kept is not None:
            self._hit(key)
            with self._lock:
                self._lengths.setdefault(ref, kept.size)
                if ref not in self._confirmed:
                    self._unconfirmed.setdefault(ref, []).append(key)
            return kept
        vector = np.asarray(make())
        self._confirm(ref, vector.size)
        stored = _vector_bytes(vector)
        if stored is not None:  # a model's vector of zeros or NaN is used (and refused) once, never kept
            self._keep("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", key, stored, price)
        return vector

    def _confirm(self, ref: str, length: int) -> None:
        """The model answered with vectors of ``length``: kept vectors served of another length were not its
        own (a stranger's cache) and are forgotten, so that they are asked again."""
        with self._lock:
            served = self._unconfirmed.pop(ref, [])
            wrong = served if self._lengths.get(ref, length) != length else []
            self._lengths[ref] = length
            self._confirmed.add(ref)
        if wrong:
            log.warning("%s: kept vectors of another length than %s gives; forgotten", self.folder, ref)
            for key in wrong:
                self._put("DELETE FROM vectors WHERE key = ?", key)


def _vector(value: object, length: int | None) -> np.ndarray | None:
    """A kept vector (float32 bytes) when ``value`` is one that can be measured (and of ``length``, when it
    is known), else None: a miss, asked again and replaced."""
    if not isinstance(value, bytes) or not value or len(value) % 4:
        return None
    vector = np.frombuffer(value, dtype="<f4")
    return vector if unusable(vector, length) is None else None


def _vector_bytes(vector: np.ndarray) -> bytes | None:
    """A vector as it is kept (float32 bytes), or None when it cannot be measured as float32 (not flat, not
    finite, all zeros): such an answer is never kept."""
    array = np.asarray(vector, dtype="<f4")
    return array.tobytes() if unusable(array) is None else None


SQLITE_FILES = ("", "-wal", "-shm", "-journal")  # the database and the files SQLite keeps beside it


def _set_aside_unless_own(path: Path) -> None:
    """SQLite writes the database and its side files in place. Where one of them is not a regular file with
    a single name (a link, a pipe, a file shared with another run by `cp -al`), the set is renamed aside,
    which changes nothing of the other name, and a new cache begins: its answers are asked again."""
    found = [path.with_name(path.name + side) for side in SQLITE_FILES if os.path.lexists(f"{path}{side}")]
    if all(sole_regular_file(file) for file in found):
        return
    mark = secrets.token_hex(4)
    for file in found:
        os.rename(file, file.with_name(f"{file.name}.set-aside-{mark}"))
    log.warning("%s: not the run's own file (a link or a file with another name); set aside, a new one begun", path)


def _open(path: Path) -> sqlite3.Connection:
    """The cache database at ``path``, made or checked: WAL, and exactly our three tables (a database that
    holds anything else, triggers or views say, is not one of ours: DatabaseError). StorageError when it
    cannot be written at all."""
    try:
        return _connect(path)
    except sqlite3.OperationalError as error:  # a full disk, a folder one may not write
        raise StorageError(f"{path}: the result cache cannot be written ({error})") from error


def _connect(path: Path) -> sqlite3.Connection:
    database = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        database.execute("PRAGMA trusted_schema = OFF")  # a stranger's schema runs no functions of its own
        database.execute("PRAGMA busy_timeout = 10000")  # other processes of the same run write too
        database.execute("PRAGMA journal_mode = WAL")
        # NORMAL: a commit is in the log before the call returns, so kill -9 loses nothing; only a power cut
        # can lose the last answers, and the journal (fsynced) still has every finished turn.
        database.execute("PRAGMA synchronous = NORMAL")
        database.executescript(_SCHEMA)
        found = {(kind, name) for kind, name in database.execute("SELECT type, name FROM sqlite_master")}
        if found != {("table", name) for name in _TABLES}:
            raise sqlite3.DatabaseError(f"it holds {sorted(found)}")
    except BaseException:
        database.close()
        raise
    return database


class _Cached(Generic[M]):
    """A model behind the result cache: a call that must be made is allowed by the run's budget, then waits
    for a place under its provider's ``gate``; its answer is kept with its ``price``."""

    def __init__(
        self, model: M, ref: str, gate: Gate, cache: ResultCache, price: float = 0.0, budget: Budget | None = None
    ):
        self.model: M = model
        self.model_id = model.model_id
        self.ref, self.gate, self.cache, self.price, self.budget = ref, gate, cache, price, budget

    def _paid(self, call: Callable[..., T], *args: Any, **options: Any) -> T:
        with self.budget.paying(self.price) if self.budget is not None else nullcontext(), self.gate:
            started = time.perf_counter()
            answer = call(*args, **options)
            record_call(self.model_id, time.perf_counter() - started)  # a call made, not one answered from here
            return answer


class _CachedSeeded(_Cached[S]):
    """The drawing and describing models: what they send, and whether they repeat, are their model's."""

    def __init__(
        self, model: S, ref: str, gate: Gate, cache: ResultCache, price: float = 0.0, budget: Budget | None = None
    ):
        super().__init__(model, ref, gate, cache, price, budget)
        self.reproducible = model.reproducible

    def inputs(self, seed: int) -> dict[str, Any]:
        return self.model.inputs(seed)


class CachedTextToImage(_CachedSeeded[TextToImage], TextToImage):
    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        make = partial(self._paid, self.model.generate, text, seed=seed)
        return self.cache.image(self.ref, text, self.inputs(seed), make, self.price)


class CachedImageToText(_CachedSeeded[ImageToText], ImageToText):
    def describe(self, image: Path, *, seed: int) -> str:
        make = partial(self._paid, self.model.describe, image, seed=seed)
        return self.cache.caption(self.ref, image, self.inputs(seed), make, self.price)


class CachedEmbedder(_Cached[Embedder], Embedder):
    """One cached vector per text or image."""

    def __init__(
        self,
        model: Embedder,
        ref: str,
        gate: Gate,
        cache: ResultCache,
        price: float = 0.0,
        budget: Budget | None = None,
    ):
        super().__init__(model, ref, gate, cache, price, budget)
        self.takes_images = model.takes_images

    def _text(self, text: str) -> np.ndarray:
        return np.asarray(self._paid(self.model.embed_texts, [text])[0])

    def _image(self, image: Path) -> np.ndarray:
        return np.asarray(self._paid(self.model.embed_images, [image])[0])

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._vectors([(f"text:{text}", partial(self._text, text)) for text in texts])

    def embed_images(self, images: list[Path]) -> np.ndarray:
        return self._vectors([(f"image:{read_image(path).digest}", partial(self._image, path)) for path in images])

    def _vectors(self, asked: list[tuple[str, Callable[[], np.ndarray]]]) -> np.ndarray:
        vectors = [self.cache.vector(self.ref, what, make, self.price) for what, make in asked]
        if len({vector.size for vector in vectors}) > 1:  # kept ones the model's answer showed wrong: asked again
            vectors = [self.cache.vector(self.ref, what, make, self.price) for what, make in asked]
        return as_rows(vectors)
