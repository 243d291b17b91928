"""The model catalog: which model ids exist, what kind each is, and which provider plugin runs it.

The catalog is data (``catalog.toml`` in the package, plus an optional user file); providers are plugins
found through the ``aitelephone.providers`` entry point group.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any, cast

from engine.config import read_toml, user_config_dir
from engine.errors import ModelUnavailable, StorageError, UnknownModel
from engine.keys import remember_key_variable
from engine.protocols import (
    KIND_NAMES,
    KINDS,
    Availability,
    Embedder,
    ImageToText,
    Kind,
    Model,
    ModelEntry,
    ModelFacts,
    Provider,
    ServerListing,
    TextToImage,
)
from engine.untrusted import plain_name

PROVIDER_GROUP = "aitelephone.providers"
DEFAULT_MODELS: dict[Kind, str] = {"t2i": "sketch-painter", "i2t": "sketch-reader", "embed": "minilm"}
SHIPPED_CATALOG = "catalog.toml"
_ENTRY_KEYS = {"id", "kind", "provider", "ref", "name"}
_PROTOCOLS: dict[Kind, type] = {"t2i": TextToImage, "i2t": ImageToText, "embed": Embedder}


def user_catalog_path() -> Path:
    """Where a user's own catalog file lives (``$AITELEPHONE_CONFIG_DIR`` or ``~/.config/aitelephone``)."""
    return user_config_dir() / "models.toml"


def shipped_catalog_path() -> str:
    """Where the catalog shipped in the package is (for `models --paths`; inside a wheel too)."""
    return str(resources.files("engine").joinpath(SHIPPED_CATALOG))


def _parse(text: str, source: str) -> tuple[list[ModelEntry], dict[str, dict[str, Any]]]:
    """A catalog file's model entries, and its settings per provider (``[provider.NAME]`` tables)."""
    data = read_toml(text, source)
    providers = data.get("provider", {})
    if not isinstance(providers, dict) or not all(isinstance(table, dict) for table in providers.values()):
        raise StorageError(f"{source}: [provider.NAME] tables hold a provider's settings")
    return _parse_entries(data, source), providers


def _parse_entries(data: dict[str, Any], source: str) -> list[ModelEntry]:
    entries = []
    for index, raw in enumerate(data.get("model", []), start=1):
        missing = sorted(_ENTRY_KEYS - raw.keys())
        if missing:
            raise StorageError(f"{source}: model #{index} lacks {', '.join(missing)}")
        if raw["kind"] not in KINDS:
            raise StorageError(f"{source}: model {raw['id']!r} has kind {raw['kind']!r}; use one of {KINDS}")
        plain_name(raw["id"], f"{source}: model #{index} id")  # ids name files in runs
        options = {key: value for key, value in raw.items() if key not in _ENTRY_KEYS}
        if isinstance(options.get("api_key_env"), str):
            remember_key_variable(options["api_key_env"])  # masked wherever it could appear, used or not
        entries.append(ModelEntry(raw["id"], raw["kind"], raw["provider"], raw["ref"], raw["name"], options))
    return entries


class Catalog:
    """Model entries by id, with the providers that run them, and the models found on the user's servers
    (``discover``) beside them."""

    def __init__(
        self,
        entries: list[ModelEntry],
        providers: Mapping[str, Provider],
        settings: Mapping[str, dict[str, Any]] | None = None,
    ):
        self._entries = {entry.id: entry for entry in entries}
        self._providers = providers
        self._settings = dict(settings or {})  # per provider: options its discovered models take too
        self._discovered: dict[tuple[str, Kind], ModelEntry] = {}
        self._listings: tuple[ServerListing, ...] = ()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, user_file: Path | None = None) -> Catalog:
        """The shipped catalog, overlaid by the user file (entries with the same id are replaced)."""
        shipped = resources.files("engine").joinpath(SHIPPED_CATALOG).read_text(encoding="utf-8")
        entries, settings = _parse(shipped, "engine/catalog.toml")
        path = user_file if user_file is not None else user_catalog_path()
        if path.is_file():
            more_entries, more_settings = _parse(path.read_text(encoding="utf-8"), str(path))
            entries += more_entries
            for provider, table in more_settings.items():
                settings[provider] = {**settings.get(provider, {}), **table}
        # A provider's settings (its request rate) reach its models as options they may override.
        entries = [_with_settings(entry, settings) for entry in entries]
        return cls(entries, installed_providers(), settings)

    @property
    def providers(self) -> tuple[str, ...]:
        """The names of the installed provider plugins."""
        return tuple(sorted(self._providers))

    def entries(self, kind: Kind | None = None) -> list[ModelEntry]:
        """The catalog's entries, then the models ``discover`` found, of ``kind`` when given."""
        with self._lock:
            found = list(self._discovered.values())
        return [entry for entry in [*self._entries.values(), *found] if kind is None or entry.kind == kind]

    @property
    def listings(self) -> tuple[ServerListing, ...]:
        """What each server said when ``discover`` last asked (empty before)."""
        with self._lock:
            return self._listings

    def discover(self) -> tuple[ServerListing, ...]:
        """Ask every provider which models its servers hold beyond the catalog's entries, and add them. It
        may wait on slow servers (a second or two each): call it from a worker, not a screen's event loop.
        Providers keep their answers briefly, so calling it again soon asks no server."""
        listings: list[ServerListing] = []
        for name in self.providers:
            own = [entry for entry in self._entries.values() if entry.provider == name]
            listings += self._providers[name].discover(own)
        found = {
            (entry.id, entry.kind): _with_settings(entry, self._settings)
            for listing in listings
            for entry in listing.entries
            if entry.id not in self._entries  # a catalog entry is never shadowed by a server's model
        }
        with self._lock:
            self._discovered, self._listings = found, tuple(listings)
        return self._listings

    def _find(self, model_id: str, kind: Kind | None) -> ModelEntry | None:
        entry = self._entries.get(model_id)
        if entry is not None:
            return entry if kind is None or entry.kind == kind else None
        with self._lock:
            kinds = (kind,) if kind is not None else KINDS
            return next((self._discovered[model_id, k] for k in kinds if (model_id, k) in self._discovered), None)

    def get(self, model_id: str, kind: Kind | None = None) -> ModelEntry:
        """The entry for ``model_id``; UnknownModel lists the valid ids (of ``kind`` when given). An id the
        catalog does not hold that names a server's model ("ollama/gemma3:4b") has the servers asked first."""
        entry = self._find(model_id, kind)
        if entry is None and "/" in model_id:
            self.discover()
            entry = self._find(model_id, kind)
        if entry is None:
            valid = ", ".join(sorted(e.id for e in self.entries(kind)))
            what = f"{KIND_NAMES[kind]} model" if kind else "model"
            raise UnknownModel(f"unknown {what} {model_id!r}; choose one of: {valid}")
        return entry

    def availability(self, entry: ModelEntry) -> Availability:
        provider = self._providers.get(entry.provider)
        if provider is None:
            return Availability(False, f"provider {entry.provider!r} is not installed")
        return provider.availability(entry)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        """Where ``entry`` runs, where its weights live and whether it repeats itself (cheap)."""
        provider = self._providers.get(entry.provider)
        if provider is None:
            return ModelFacts("hosted", f"wherever provider {entry.provider!r} runs it")
        return provider.facts(entry)

    def require_available(self, model_id: str, kind: Kind) -> ModelEntry:
        """The entry for ``model_id``; raises UnknownModel, or ModelUnavailable saying why it cannot run here."""
        entry = self.get(model_id, kind)
        status = self.availability(entry)
        if not status.ok:
            raise ModelUnavailable(f"{entry.name} ({entry.id}) is unavailable: {status.reason}")
        return entry

    def takes_images(self, model_id: str) -> bool:
        """Whether the embedder ``model_id`` embeds images too, as its provider declares (no key needed)."""
        entry = self.get(model_id, "embed")
        provider = self._providers.get(entry.provider)
        return provider is not None and provider.takes_images(entry)

    def create(self, model_id: str, kind: Kind) -> Model:
        """Build a ready model for ``model_id``; raises UnknownModel or ModelUnavailable."""
        entry = self.require_available(model_id, kind)
        model = self._providers[entry.provider].create(entry)
        expected = _PROTOCOLS[kind]
        if not isinstance(model, expected):
            raise ModelUnavailable(
                f"provider {entry.provider!r} built {type(model).__name__}, not a {expected.__name__}"
            )
        return model

    def text_to_image(self, model_id: str) -> TextToImage:
        return cast(TextToImage, self.create(model_id, "t2i"))

    def image_to_text(self, model_id: str) -> ImageToText:
        return cast(ImageToText, self.create(model_id, "i2t"))

    def embedder(self, model_id: str) -> Embedder:
        return cast(Embedder, self.create(model_id, "embed"))


def _with_settings(entry: ModelEntry, settings: Mapping[str, dict[str, Any]]) -> ModelEntry:
    """``entry`` with its provider's settings (its request rate) as options it may override."""
    return replace(entry, options={**settings.get(entry.provider, {}), **entry.options})


class _InstalledProviders(Mapping[str, Provider]):
    """The plugins of the entry point group, each imported when first asked for: the hosted clients take
    most of a second to import, and a game of offline models never needs them."""

    def __init__(self) -> None:
        self._points = {point.name: point for point in metadata.entry_points(group=PROVIDER_GROUP)}
        self._loaded: dict[str, Provider] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Provider:
        point = self._points[name]
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = point.load()()
            return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)


@cache
def installed_providers() -> Mapping[str, Provider]:
    """Every provider plugin registered in the ``aitelephone.providers`` entry point group."""
    return _InstalledProviders()
