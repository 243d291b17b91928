"""The embedded offline default: a sketch painter, a sketch reader and MiniLM, with no key and no network."""

from __future__ import annotations

from engine.errors import ModelUnavailable
from engine.protocols import Availability, Model, ModelEntry, ModelFacts, Provider


class OfflineProvider(Provider):
    """Builds the offline models; always available (everything they need ships with the package)."""

    def availability(self, entry: ModelEntry) -> Availability:
        if entry.ref not in _BUILDERS:
            return Availability(False, f"the offline provider has no model {entry.ref!r}")
        return Availability(True)

    def create(self, entry: ModelEntry) -> Model:
        builder = _BUILDERS.get(entry.ref)
        if builder is None:
            raise ModelUnavailable(f"the offline provider has no model {entry.ref!r}")
        return builder(entry.id)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        # The painter draws from the seed and the reader and MiniLM do not sample.
        return ModelFacts("here", "in the aitelephone package", True if entry.kind != "embed" else None)


def _painter(model_id: str) -> Model:
    from engine.providers.offline.painter import SketchPainter

    return SketchPainter(model_id)


def _reader(model_id: str) -> Model:
    from engine.providers.offline.reader import SketchReader

    return SketchReader(model_id)


def _minilm(model_id: str) -> Model:
    from engine.providers.offline.minilm import MiniLMEmbedder

    return MiniLMEmbedder(model_id)


_BUILDERS = {"sketch-painter": _painter, "sketch-reader": _reader, "all-MiniLM-L6-v2-int8": _minilm}
