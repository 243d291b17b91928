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
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from engine.budget import Budget
from engine.imagefiles import read_image
from engine.protocols import Embedder, GeneratedImage, ImageToText, TextToImage
from engine.store import write_atomically

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


def _key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _canonical(inputs: dict[str, Any]) -> str:
    """A model's inputs (seed included where it takes one) as part of a key: another seed, another answer."""
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False)


class ResultCache:
    """Answers by key in ``folder``/answers.sqlite, drawings in ``folder``/images/; ``hits`` counts the calls
    they saved. Safe to share between threads, and between processes playing the same run."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hits = 0
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "answers.sqlite", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")  # other processes of the same run write too
        self._db.execute("PRAGMA journal_mode = WAL")
        # NORMAL: a commit is in the log before the call returns, so kill -9 loses nothing; only a power cut
        # can lose the last answers, and the journal (fsynced) still has every finished turn.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._take_in_legacy_files()

    def _take_in_legacy_files(self) -> None:
        """Move a cache written by an earlier version (a file per answer under t2i/, i2t/, embed/) into the
        database, so that resuming an old run does not pay again either."""
        for path in sorted(self.folder.glob("t2i/*.*")):
            image = GeneratedImage(path.read_bytes(), path.suffix)
            blob = self._image_file(image.digest, image.suffix)
            if not blob.exists():
                write_atomically(blob, image.data)
            self._put("INSERT OR IGNORE INTO drawings VALUES (?, ?, ?, 0)", path.stem, image.digest, image.suffix)
            path.unlink()
        for kind, table, field in (("i2t", "captions", "caption"), ("embed", "vectors", "vector")):
            for path in sorted(self.folder.glob(f"{kind}/*.json")):
                try:
                    value = json.loads(path.read_text(encoding="utf-8"))[field]
                    if table == "vectors":
                        value = np.asarray(value, dtype="<f4").tobytes()
                except (ValueError, KeyError, TypeError) as error:
                    log.warning("%s: not a cached answer (%s); left alone", path, error)
                    continue
                self._put(f"INSERT OR IGNORE INTO {table} VALUES (?, ?, 0)", path.stem, value)
                path.unlink()

    def spent(self) -> float:
        """USD paid for the answers kept here: what the run has spent on models."""
        with self._lock:
            row = self._db.execute(
                "SELECT (SELECT TOTAL(price) FROM drawings) + (SELECT TOTAL(price) FROM captions)"
                " + (SELECT TOTAL(price) FROM vectors)"
            ).fetchone()
        return float(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _get(self, sql: str, key: str) -> Any:
        with self._lock:
            row = self._db.execute(sql, (key,)).fetchone()
            self.hits += row is not None
        if row is not None:
            log.debug("result cache hit: %s", key)
        return row

    def _put(self, sql: str, *values: object) -> None:
        with self._lock:
            self._db.execute(sql, values)

    def _image_file(self, digest: str, suffix: str) -> Path:
        return self.folder / "images" / digest[:2] / f"{digest}{suffix}"

    def image(
        self, ref: str, text: str, inputs: dict[str, Any], make: Callable[[], GeneratedImage], price: float = 0.0
    ) -> GeneratedImage:
        key = _key(ref, text, _canonical(inputs))
        row = self._get("SELECT digest, suffix FROM drawings WHERE key = ?", key)
        if row is not None:
            path = self._image_file(*row)
            try:
                return read_image(path)
            except FileNotFoundError:
                log.warning("the cached drawing %s is gone; drawing again", path)
        image = make()
        path = self._image_file(image.digest, image.suffix)
        if not path.exists():  # another model or seed may have drawn the very same bytes
            write_atomically(path, image.data)
        self._put("INSERT OR REPLACE INTO drawings VALUES (?, ?, ?, ?)", key, image.digest, image.suffix, price)
        return image.stored_at(path)

    def caption(
        self, ref: str, image: Path, inputs: dict[str, Any], make: Callable[[], str], price: float = 0.0
    ) -> str:
        key = _key(ref, read_image(image).digest, _canonical(inputs))
        row = self._get("SELECT caption FROM captions WHERE key = ?", key)
        if row is not None:
            return str(row[0])
        caption = make()
        self._put("INSERT OR REPLACE INTO captions VALUES (?, ?, ?)", key, caption, price)
        return caption

    def vector(self, ref: str, what: str, make: Callable[[], np.ndarray], price: float = 0.0) -> np.ndarray:
        key = _key(ref, what)
        row = self._get("SELECT vector FROM vectors WHERE key = ?", key)
        if row is not None:
            return np.frombuffer(row[0], dtype="<f4")
        vector = make()
        self._put(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", key, np.asarray(vector, dtype="<f4").tobytes(), price
        )
        return vector


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
            return call(*args, **options)


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
        return np.stack(
            [self.cache.vector(self.ref, f"text:{text}", partial(self._text, text), self.price) for text in texts]
        )

    def embed_images(self, images: list[Path]) -> np.ndarray:
        return np.stack(
            [
                self.cache.vector(self.ref, f"image:{read_image(path).digest}", partial(self._image, path), self.price)
                for path in images
            ]
        )
