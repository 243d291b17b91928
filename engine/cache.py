"""A run's result cache: every model answer stored by (model ref, exact input), so a resumed or repeated
run never pays twice for the same call. Files under RUN/cache/, written atomically."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from engine.protocols import Embedder, GeneratedImage, ImageToText, TextToImage
from engine.store import write_atomically
from engine.untrusted import inside

log = logging.getLogger(__name__)


def _key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _canonical(inputs: dict[str, Any]) -> str:
    """A model's inputs (seed included where it takes one) as part of a key: another seed, another answer."""
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ResultCache:
    """Answers on disk by (model ref, exact input); ``hits`` counts the calls they saved.

    A run's cache may come from anyone: every file goes through ``inside`` (an entry that leads out of the
    cache is refused), and one that does not hold the right kind of answer is a miss (the call is made
    again and the entry replaced)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hits = 0

    def _path(self, kind: str, name: str) -> Path:
        return inside(self.folder, f"{kind}/{name}", str(self.folder))

    def _hit(self, kind: str, key: str) -> None:
        self.hits += 1
        log.debug("result cache hit: %s %s", kind, key)

    def _read_json(self, kind: str, key: str, field: str) -> Any:
        path = self._path(kind, f"{key}.json")
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))[field]
        except (ValueError, UnicodeDecodeError, TypeError, KeyError, IndexError, RecursionError):
            log.warning("%s: not a cached answer; asking the model again", path)
            return None

    def _write_json(self, kind: str, key: str, value: Any) -> None:
        write_atomically(self._path(kind, f"{key}.json"), json.dumps(value).encode("utf-8"))

    def image(self, ref: str, text: str, inputs: dict[str, Any], make: Callable[[], GeneratedImage]) -> GeneratedImage:
        key = _key(ref, text, _canonical(inputs))
        folder = inside(self.folder, "t2i", str(self.folder))
        for found in folder.glob(f"{key}.*") if folder.is_dir() else []:
            path = self._path("t2i", found.name)
            if path.is_file():
                self._hit("t2i", key)
                return GeneratedImage(path.read_bytes(), path.suffix)
        image = make()
        write_atomically(self._path("t2i", f"{key}{image.suffix}"), image.data)
        return image

    def caption(self, ref: str, image: Path, inputs: dict[str, Any], make: Callable[[], str]) -> str:
        key = _key(ref, _file_digest(image), _canonical(inputs))
        cached = self._read_json("i2t", key, "caption")
        if isinstance(cached, str):
            self._hit("i2t", key)
            return cached
        caption = make()
        self._write_json("i2t", key, {"caption": caption})
        return caption

    def vector(self, ref: str, what: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        key = _key(ref, what)
        cached = _finite_vector(self._read_json("embed", key, "vector"))
        if cached is not None:
            self._hit("embed", key)
            return cached
        vector = make()
        self._write_json("embed", key, {"vector": [float(x) for x in vector]})
        return vector


def _finite_vector(value: Any) -> np.ndarray | None:
    """``value`` as a vector of finite numbers, or None."""
    if not isinstance(value, list) or not value:
        return None
    try:
        vector = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        return None
    return vector if vector.ndim == 1 and bool(np.isfinite(vector).all()) else None


class Gate:
    """At most ``limit`` calls to one provider at once; ``active`` counts the calls inside it now (the calls
    truly in flight: a call waiting for a place is not one)."""

    def __init__(self, limit: int):
        self._places = threading.Semaphore(limit)
        self._lock = threading.Lock()
        self.active = 0

    def __enter__(self) -> Gate:
        self._places.acquire()
        with self._lock:
            self.active += 1
        return self

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.active -= 1
        self._places.release()


class CachedTextToImage(TextToImage):
    """A text→image model behind the result cache; a call that must be made waits for a place under ``gate``."""

    def __init__(self, model: TextToImage, ref: str, gate: Gate, cache: ResultCache):
        self.model, self.ref, self.cache, self.gate, self.model_id = model, ref, cache, gate, model.model_id
        self.reproducible = model.reproducible

    def inputs(self, seed: int) -> dict[str, Any]:
        return self.model.inputs(seed)

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        def make() -> GeneratedImage:
            with self.gate:
                return self.model.generate(text, seed=seed)

        return self.cache.image(self.ref, text, self.inputs(seed), make)


class CachedImageToText(ImageToText):
    """An image→text model behind the result cache and its provider's gate."""

    def __init__(self, model: ImageToText, ref: str, gate: Gate, cache: ResultCache):
        self.model, self.ref, self.cache, self.gate, self.model_id = model, ref, cache, gate, model.model_id
        self.reproducible = model.reproducible

    def inputs(self, seed: int) -> dict[str, Any]:
        return self.model.inputs(seed)

    def describe(self, image: Path, *, seed: int) -> str:
        def make() -> str:
            with self.gate:
                return self.model.describe(image, seed=seed)

        return self.cache.caption(self.ref, image, self.inputs(seed), make)


class CachedEmbedder(Embedder):
    """An embedder behind the result cache and its provider's gate; one cached vector per text or image."""

    def __init__(self, model: Embedder, ref: str, gate: Gate, cache: ResultCache):
        self.model, self.ref, self.cache, self.gate, self.model_id = model, ref, cache, gate, model.model_id
        self.takes_images = model.takes_images

    def _text(self, text: str) -> np.ndarray:
        with self.gate:
            return np.asarray(self.model.embed_texts([text])[0])

    def _image(self, image: Path) -> np.ndarray:
        with self.gate:
            return np.asarray(self.model.embed_images([image])[0])

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.cache.vector(self.ref, f"text:{text}", partial(self._text, text)) for text in texts])

    def embed_images(self, images: list[Path]) -> np.ndarray:
        return np.stack(
            [self.cache.vector(self.ref, f"image:{_file_digest(path)}", partial(self._image, path)) for path in images]
        )
