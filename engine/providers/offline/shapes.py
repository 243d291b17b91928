"""What the sketch reader knows of shapes: silhouettes of the painter's vocabulary, rendered and segmented
the way the reader sees any picture (its training set).

Learning them takes over a second, so it is done once: the package ships them (``data/reader-shapes.npz``,
written by ``python -m engine.providers.offline.shapes``), and when the code that draws or segments them
has changed since, they are learnt again and kept in the user's cache folder. Both files are checked
against a hash of that code before they are used.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from engine.config import user_cache_dir
from engine.providers.offline.glyphs import GLYPHS, Glyph
from engine.providers.offline.painter import CANVAS, Placement, _draw
from engine.providers.offline.palette import COLOURS
from engine.providers.offline.scene import Thing
from engine.providers.offline.silhouettes import SIDE, find_regions, silhouette_features
from engine.untrusted import write_atomically

log = logging.getLogger(__name__)

SHIPPED = "reader-shapes.npz"
# The code whose every change can change what is learnt: the vocabulary, the drawing, the segmentation.
SOURCES = ("glyphs.py", "palette.py", "scene.py", "painter.py", "silhouettes.py", "shapes.py")
SCALES = (0.75, 1.0, 1.35)
SIZE_WEIGHT = 0.15
LOOK_ALIKE_GAP = 0.9  # a second label this close to the best is a shape the reader may take it for
# Plain backgrounds the training pictures are drawn on; each glyph gets the one it stands out from most.
REFERENCE_BACKDROPS = ((236, 234, 226), (70, 110, 170), (60, 140, 60))


class ShapeMemory:
    """Known silhouettes: a label, a feature vector, the area drawn (fraction of the picture) and the scale
    it was drawn at (against the glyph's usual size), one row per rendering."""

    def __init__(self, labels: list[str], features: np.ndarray, areas: np.ndarray, scales: np.ndarray):
        self.labels, self.matrix, self.areas, self.scales = labels, features, areas, scales
        usual = areas / scales**2
        self.usual_area = {name: float(usual[[label == name for label in labels]].mean()) for name in set(labels)}

    def classify(self, shape: np.ndarray) -> tuple[str, float, str | None]:
        """The nearest known shape's label, its distance, and a look-alike: the nearest other label when it is
        nearly as close. Things far from their usual size count as further away (a big circle in the sky is
        more likely a planet than a ball)."""
        area = shape.sum() / (SIDE * SIDE)
        distances = np.linalg.norm(self.matrix - silhouette_features(shape), axis=1)
        distances += SIZE_WEIGHT * np.abs(np.log(area / self.areas))
        order = np.argsort(distances)
        best = self.labels[order[0]]
        runner_up = next((index for index in order if self.labels[index] != best), None)
        look_alike = None
        if runner_up is not None and distances[runner_up] - distances[order[0]] < LOOK_ALIKE_GAP:
            look_alike = self.labels[runner_up]
        return best, float(distances[order[0]]), look_alike

    def to_bytes(self, code: str) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            code=np.array(code),
            labels=np.array(self.labels),
            features=self.matrix,
            areas=self.areas,
            scales=self.scales,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, code: str) -> ShapeMemory | None:
        """The memory in ``data``; None when it was learnt by other code, or is not a shape file at all."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                if str(arrays["code"]) != code:
                    return None
                return cls(
                    [str(label) for label in arrays["labels"]], arrays["features"], arrays["areas"], arrays["scales"]
                )
        except (OSError, ValueError, KeyError) as error:
            log.warning("a learnt-shapes file that cannot be read (%s); learning them again", error)
            return None


def _contrast(backdrop: tuple[int, int, int], glyph: Glyph) -> float:
    """How well every part of ``glyph`` stands out from ``backdrop`` (its least visible part decides)."""
    colours = [
        COLOURS[glyph.colour if part[-1] in ("main", "shade") else part[-1]]
        for part in glyph.parts
        if part[0] != "erase"
    ]
    return min(float(np.abs(np.subtract(backdrop, colour)).sum()) for colour in colours)


def learn() -> ShapeMemory:
    """Render every glyph at a few sizes, both ways round, and remember the silhouette the reader sees."""
    labels, features, areas, scales = [], [], [], []
    for glyph in GLYPHS:
        backdrop = max(REFERENCE_BACKDROPS, key=lambda rgb: _contrast(rgb, glyph))
        for scale in SCALES:
            for mirrored in (False, True):
                width = int(min(glyph.size[0] * scale, 0.9) * CANVAS)
                height = int(min(glyph.size[1] * scale, 0.9) * CANVAS)
                # Twice as wide as the glyph, so that every row is mostly backdrop.
                canvas = Image.new("RGBA", (2 * width + 24, height + 24), (*backdrop, 255))
                thing = Thing(glyph, glyph.colour)
                _draw(canvas, Placement(thing, width // 2 + 12, 12, width, height, 0.0, mirrored), (1.0, 1.0, 1.0))
                regions, _, _ = find_regions(np.asarray(canvas.convert("RGB"), dtype=np.int16))
                if not regions:
                    continue
                shape = max(regions, key=lambda r: r[0].sum())[0]
                labels.append(glyph.name)
                features.append(silhouette_features(shape))
                areas.append(shape.sum() / (CANVAS * CANVAS))
                scales.append(scale)
    return ShapeMemory(labels, np.stack(features), np.array(areas), np.array(scales))


def code_hash() -> str:
    """SHA-256 over the sources that decide what is learnt."""
    digest = hashlib.sha256()
    package = resources.files("engine.providers.offline")
    for name in SOURCES:
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()


def _cached_file(code: str) -> Path:
    return user_cache_dir() / f"reader-shapes-{code[:16]}.npz"


def _load_or_learn() -> ShapeMemory:
    code = code_hash()
    shipped = resources.files("engine.providers.offline").joinpath("data", SHIPPED)
    for source in (shipped, _cached_file(code)):
        try:
            data = source.read_bytes()
        except OSError:
            continue
        memory = ShapeMemory.from_bytes(data, code)
        if memory is not None:
            return memory
    memory = learn()
    try:
        write_atomically(_cached_file(code), memory.to_bytes(code))
    except OSError as error:  # a read-only home: learn again next time
        log.warning("cannot keep the learnt shapes in %s: %s", _cached_file(code), error)
    return memory


_memory: ShapeMemory | None = None
_memory_lock = threading.Lock()


def shape_memory() -> ShapeMemory:
    """The reader's shapes, loaded (or learnt) on first use."""
    global _memory
    with _memory_lock:
        if _memory is None:
            _memory = _load_or_learn()
    return _memory


def main() -> None:
    """Learn the shapes and write the file the package ships."""
    path = Path(__file__).parent / "data" / SHIPPED
    write_atomically(path, learn().to_bytes(code_hash()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
