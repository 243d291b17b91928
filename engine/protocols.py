"""The three model protocols every provider implements, and the plugin interface that builds them.

A provider is found through the ``aitelephone.providers`` entry point group; the engine never names a
concrete backend outside the catalog data. Optional abilities are members of the protocols, with defaults:
implementations subclass their protocol and override what they have.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from engine.errors import ModelUnavailable

Kind = Literal["t2i", "i2t", "embed"]
KINDS: tuple[Kind, ...] = ("t2i", "i2t", "embed")
KIND_NAMES: dict[Kind, str] = {"t2i": "text → image", "i2t": "image → text", "embed": "embedder"}
# Where a model runs: in this process, on a server of the user's own (Ollama, vLLM, LM Studio), or at a
# hosted service that bills per call.
Location = Literal["here", "server", "hosted"]
LOCATIONS: tuple[Location, ...] = ("here", "server", "hosted")
LOCATION_NAMES: dict[Location, str] = {"here": "on this machine", "server": "your servers", "hosted": "hosted"}


@dataclass(frozen=True)
class ModelEntry:
    """One catalog entry. ``options`` holds the provider-specific keys (input fields, output reading, ...)."""

    id: str
    kind: Kind
    provider: str
    ref: str
    name: str
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


MIME_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}


@dataclass(frozen=True)
class GeneratedImage:
    """Encoded image bytes as a text→image model produced them, verified to decode. The hash and the data
    URL are computed once, however many times the cache, captioners and embedders ask for them."""

    data: bytes
    suffix: str  # ".png", ".jpg", ".webp": the format the bytes are in
    # Where these exact bytes already lie on disk (the result cache's copy): the store links the file
    # instead of writing the bytes a second time.
    file: Path | None = field(default=None, compare=False)

    def stored_at(self, file: Path) -> GeneratedImage:
        """The same image, known to lie at ``file``; its hash and data URL, if computed, come along."""
        moved = GeneratedImage(self.data, self.suffix, file)
        moved.__dict__.update({name: self.__dict__[name] for name in ("digest", "data_url") if name in self.__dict__})
        return moved

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the bytes, hex: the image's name in the result cache."""
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def data_url(self) -> str:
        mime = MIME_TYPES.get(self.suffix.lower(), "image/png")
        return f"data:{mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@runtime_checkable
class TextToImage(Protocol):
    """Draws a picture from text."""

    model_id: str
    reproducible: bool = False  # the same inputs draw the same picture (the seed included, where it is sent)

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        """Draw ``text``. ``seed`` is sent where the model takes one, so the drawing can be repeated.

        Raises ModelRefused when the model declines the text, ProviderError when the call fails.
        """
        ...

    def inputs(self, seed: int) -> dict[str, Any]:
        """What ``generate`` sends the model with ``seed``, the text shown as "{text}": kept in the journal,
        so that a replay can tell what each turn was given."""
        ...

    def warm_up(self) -> None:
        """Load weights now rather than on the first call (nothing to do for most models)."""
        return None


@runtime_checkable
class ImageToText(Protocol):
    """Describes a picture in words."""

    model_id: str
    reproducible: bool = False  # the same inputs give the same caption (no sampling, or sampling from a sent seed)
    by_person: bool = False  # a person answers, not a model: never cached, never priced, recorded as a person's

    def describe(self, image: Path, *, seed: int) -> str:
        """Describe the stored image file at ``image``. ``seed`` is sent where the model takes one.

        Raises ModelRefused when the model declines the image, ProviderError when the call fails.
        """
        ...

    def inputs(self, seed: int) -> dict[str, Any]:
        """What ``describe`` sends the model with ``seed``, the image shown as "{image}" (never its data)."""
        ...

    def warm_up(self) -> None:
        """Load weights now rather than on the first call (nothing to do for most models)."""
        return None


@runtime_checkable
class Embedder(Protocol):
    """Maps texts (and, where ``takes_images``, images) into one vector space for cosine distances."""

    model_id: str
    takes_images: bool = False

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """One row per text, each measuring the whole text (no silent truncation)."""
        ...

    def embed_images(self, images: list[Path]) -> np.ndarray:
        """One row per image file. Only called when ``takes_images`` is true."""
        raise ModelUnavailable(f"{self.model_id} embeds texts only")

    def warm_up(self) -> None:
        """Load weights now rather than on the first call (nothing to do for most models)."""
        return None


Model = TextToImage | ImageToText | Embedder


@dataclass(frozen=True)
class Availability:
    """Whether a catalog entry can run here, and if not, why (shown in the picker and `models`)."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class ModelFacts:
    """What a provider can say about an entry without building it: where it runs, where its weights live,
    and whether the same inputs give the same answer (None: not known before it is built)."""

    location: Location
    weights: str
    reproducible: bool | None = None


@dataclass(frozen=True)
class ServerListing:
    """What one server said it holds: the models found there beyond the catalog's own entries, or why none
    could be listed (``problem``). ``left_out`` counts the models it listed that are not offered: past the
    ceiling on one server's models, or with a name that is not a usable model id."""

    provider: str
    address: str
    entries: tuple[ModelEntry, ...] = ()
    problem: str = ""
    left_out: int = 0


class Provider(Protocol):
    """A plugin that builds models from catalog entries. Registered as an ``aitelephone.providers`` entry point."""

    def availability(self, entry: ModelEntry) -> Availability:
        """Cheap check: can ``entry`` run here? No model call and no remote service is asked; a provider of
        local servers (Ollama, an OpenAI-compatible server) may ask the server once, briefly, and reuse the answer."""
        ...

    def takes_images(self, entry: ModelEntry) -> bool:
        """Whether the embedder ``entry`` builds embeds images too (cheap: no network, no key needed)."""
        return False

    def create(self, entry: ModelEntry) -> Model:
        """Build the model for ``entry``. Raises ModelUnavailable when it cannot run here."""
        ...

    def facts(self, entry: ModelEntry) -> ModelFacts:
        """Where ``entry`` runs and whether it repeats itself (cheap: no network, no key needed)."""
        return ModelFacts("hosted", "on the provider's servers")

    def discover(self, entries: list[ModelEntry]) -> list[ServerListing]:
        """The models this provider's servers hold beyond ``entries`` (its catalog entries), one listing per
        server asked. Slow where a server is slow: ask it from a worker, never from a screen's event loop.
        Answers are kept briefly, so asking again soon asks no server."""
        return []
