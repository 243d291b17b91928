"""Hugging Face models on your own hardware (the optional ``local`` extra): text→image through ``diffusers``,
image→text through ``transformers``, and CLIP as an embedder that takes images too.

An entry's ``ref`` is a folder holding a saved model, or a Hub repository id already in the Hugging Face cache
(``HF_HOME``); nothing is ever downloaded at run time (``local_files_only``). This module imports nothing heavy:
torch, diffusers and transformers load only when a model is built, so the base install stays light.

Options: ``device`` ("cuda", "mps" or "cpu"; default the best present), and per kind ``steps``, ``guidance``,
``width``, ``height`` (text→image), ``max_new_tokens`` (image→text).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.errors import ModelUnavailable
from engine.protocols import Availability, Model, ModelEntry, ModelFacts, Provider

EXTRA = "pip install 'aitelephone[local]'"
NEEDS = {
    "t2i": ("torch", "diffusers", "transformers"),
    "i2t": ("torch", "transformers"),
    "embed": ("torch", "transformers"),
}
# The file that marks a saved model of each kind (a diffusers pipeline, or a transformers model).
MARKER = {"t2i": "model_index.json", "i2t": "config.json", "embed": "config.json"}


def model_source(entry: ModelEntry) -> Path | str:
    """Where the weights are: a folder (``ref`` is a path, or names a folder that exists), else a Hub
    repository id to find in the cache."""
    folder = Path(entry.ref).expanduser()
    return folder if folder.is_dir() or entry.ref.startswith(("/", "~", ".")) else entry.ref


def weights_present(entry: ModelEntry) -> bool:
    """True when the saved model is on disk: in its folder, or in the Hugging Face cache (no network)."""
    source = model_source(entry)
    if isinstance(source, Path):
        return (source / MARKER[entry.kind]).is_file()
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        return isinstance(try_to_load_from_cache(source, MARKER[entry.kind]), str)
    except HFValidationError:
        return False


class HuggingFaceProvider(Provider):
    """Builds local Hugging Face models; available when the extra is installed and the weights are on disk."""

    def takes_images(self, entry: ModelEntry) -> bool:
        return entry.kind == "embed"  # the embedders here are CLIP models: texts and images in one space

    def availability(self, entry: ModelEntry) -> Availability:
        missing = [name for name in NEEDS[entry.kind] if importlib.util.find_spec(name) is None]
        if missing:
            return Availability(False, f"needs {', '.join(missing)}: {EXTRA}")
        if not weights_present(entry):
            if isinstance(model_source(entry), Path):
                return Availability(False, f"no saved model in {entry.ref}")
            return Availability(False, f"not in the Hugging Face cache (`hf download {entry.ref}`)")
        return Availability(True)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        source = model_source(entry)
        weights = f"in {source}" if isinstance(source, Path) else f"in the Hugging Face cache as {entry.ref}"
        # Diffusion draws from the seed on a CPU generator; the captioners decode greedily.
        return ModelFacts("here", weights, True if entry.kind != "embed" else None)

    def create(self, entry: ModelEntry) -> Model:
        status = self.availability(entry)
        if not status.ok:
            raise ModelUnavailable(f"{entry.name} is unavailable: {status.reason}")
        if entry.kind == "t2i":
            from engine.providers.huggingface.diffusion import DiffusersTextToImage

            return DiffusersTextToImage(entry, model_source(entry))
        if entry.kind == "i2t":
            from engine.providers.huggingface.captioner import TransformersImageToText

            return TransformersImageToText(entry, model_source(entry))
        from engine.providers.huggingface.clip import ClipEmbedder

        return ClipEmbedder(entry, model_source(entry))
