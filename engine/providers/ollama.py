"""Ollama models through the official `ollama` client: image generation (`/api/generate` with an image model),
vision models as captioners (`/api/chat` with the image), and embedders (`/api/embed`), all on the server at
``OLLAMA_HOST`` (default http://127.0.0.1:11434), so a whole game runs on one machine with no network.

Options: ``width``, ``height``, ``steps`` (image models), ``parameters`` (Ollama model options such as
``temperature``), ``text_prefix`` (embedders: a task prefix such as nomic-embed-text's "clustering: ").

Availability asks the server which models are pulled (``/api/tags``) through a ServerProbe: one try with a
one-second timeout, the answer kept 15 seconds per host, so listing the catalog costs at most one quick local
request however many Ollama entries it holds, and a server that is down is reported, not waited for.

Discovery offers every pulled model as a catalog model ``ollama/NAME``, in the roles the server says it can
play (``/api/show`` capabilities: ``image`` draws, ``vision`` describes, ``embedding`` embeds; nothing is
guessed from a name). A model's capabilities are asked once per digest: a pulled model never changes.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import ollama

from engine.errors import ProviderError
from engine.imagefiles import read_image
from engine.protocols import (
    Availability,
    Embedder,
    GeneratedImage,
    ImageToText,
    Kind,
    Model,
    ModelEntry,
    ModelFacts,
    Provider,
    ServerListing,
    TextToImage,
)
from engine.providers.hosted import INSTRUCTION, read_text
from engine.providers.http import (
    PROBE_POLICY,
    Retryable,
    RetryPolicy,
    ServerProbe,
    call_with_retries,
    classify_httpx_error,
    verify_image,
)
from engine.providers.listing import MAX_SERVER_MODELS, shown_details, usable_name

T = TypeVar("T")
DEFAULT_HOST = "http://127.0.0.1:11434"
# A local model may load its weights (tens of seconds) and draw on a CPU (minutes) within one call.
LOCAL_POLICY = RetryPolicy(read_timeout=600.0, deadline=1800.0)
# The capabilities (``/api/show``) that make a model a player of each role.
ROLES: dict[str, Kind] = {"image": "t2i", "vision": "i2t", "embedding": "embed"}
SHOWS_AT_ONCE = 8  # /api/show requests in flight while listing a server's models


def ollama_host() -> str:
    return os.environ.get("OLLAMA_HOST") or DEFAULT_HOST


def full_name(name: str) -> str:
    """An Ollama model name with its tag: "llava" is "llava:latest" on the server."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


@dataclass(frozen=True)
class PulledModel:
    """One model of the server's list (``/api/tags``): its name, digest and the details it gave."""

    name: str
    digest: str
    details: dict[str, Any]


class OllamaProvider(Provider):
    """Builds Ollama models; a model is available when the server answers and has it pulled."""

    def __init__(self, policy: RetryPolicy | None = None):
        self.policy = policy or LOCAL_POLICY
        self.probe: ServerProbe[dict[str, PulledModel]] = ServerProbe()
        self._capabilities: dict[tuple[str, str, str], tuple[str, ...]] = {}  # by host, name and digest
        self._capabilities_lock = threading.Lock()

    def availability(self, entry: ModelEntry) -> Availability:
        if entry.options.get("retired"):
            return Availability(False, f"retired on {entry.options['retired']}")
        host = ollama_host()
        pulled = self.probe.check(host, lambda: _pulled_models(host), classify_ollama_error)
        if isinstance(pulled, ProviderError):
            return Availability(False, f"no Ollama server at {host} (`ollama serve`, or set OLLAMA_HOST)")
        if full_name(entry.ref) not in pulled:
            return Availability(False, f"not pulled on {host} (`ollama pull {entry.ref}`)")
        return Availability(True)

    def create(self, entry: ModelEntry) -> Model:
        caller = OllamaCaller(entry, self.policy)
        if entry.kind == "t2i":
            return OllamaTextToImage(entry, caller)
        if entry.kind == "i2t":
            return OllamaImageToText(entry, caller)
        return OllamaEmbedder(entry, caller)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        # Ollama documents its `seed` option for text; whether its image runner honours it is not documented.
        reproducible = {"t2i": bool(entry.options.get("reproducible", False)), "i2t": True}.get(entry.kind)
        return ModelFacts("server", f"on the Ollama server at {ollama_host()}", reproducible)

    def discover(self, entries: list[ModelEntry]) -> list[ServerListing]:
        host = ollama_host()
        pulled = self.probe.check(host, lambda: _pulled_models(host), classify_ollama_error)
        if isinstance(pulled, ProviderError):
            return [ServerListing("ollama", host, problem="no server answers")]
        names = [name for name in pulled if usable_name(name)]
        offered = names[:MAX_SERVER_MODELS]
        client = ollama.Client(host=host, timeout=PROBE_POLICY.timeout())
        with client, ThreadPoolExecutor(SHOWS_AT_ONCE) as pool:
            capabilities = list(pool.map(lambda name: self._capabilities_of(client, host, pulled[name]), offered))
        catalogued = {(full_name(entry.ref), entry.kind) for entry in entries}
        found = []
        for name, abilities in zip(offered, capabilities, strict=True):
            for kind in dict.fromkeys(ROLES[ability] for ability in abilities or () if ability in ROLES):
                if (name, kind) not in catalogued:  # a catalog entry keeps its name, price and settings
                    found.append(_discovered(host, pulled[name], kind, abilities or ()))
        unread = sum(1 for abilities in capabilities if abilities is None)
        problem = f"stopped answering while listing: {unread} of {len(offered)} models not read" if unread else ""
        return [ServerListing("ollama", host, tuple(found), problem, len(pulled) - len(offered) + unread)]

    def _capabilities_of(self, client: ollama.Client, host: str, model: PulledModel) -> tuple[str, ...] | None:
        """What the server says ``model`` can do (its ``/api/show`` capabilities); None when it did not say."""
        key = (host, model.name, model.digest)
        with self._capabilities_lock:
            if key in self._capabilities:
                return self._capabilities[key]
        try:
            shown = call_with_retries(
                PROBE_POLICY,
                f"{model.name} on Ollama at {host}",
                lambda: client.show(model.name),
                classify_ollama_error,
            )
        except ProviderError:
            return None
        abilities = tuple(str(ability) for ability in shown.capabilities or () if isinstance(ability, str))
        with self._capabilities_lock:
            self._capabilities[key] = abilities
        return abilities


def _pulled_models(host: str) -> dict[str, PulledModel]:
    with ollama.Client(host=host, timeout=PROBE_POLICY.timeout()) as client:
        listed = client.list().models
    pulled = {}
    for model in listed:
        name = full_name(model.model or "")
        details = model.details.model_dump() if model.details is not None else {}
        pulled[name] = PulledModel(name, str(model.digest or ""), {**details, "size": model.size})
    return pulled


def _discovered(host: str, model: PulledModel, kind: Kind, abilities: tuple[str, ...]) -> ModelEntry:
    """The catalog entry of a model found on the server (its name checked by ``usable_name``)."""
    told = {key: model.details.get(key) for key in ("family", "parameter_size", "quantization_level", "size")}
    options = {"server": host, **shown_details({**told, "capabilities": ", ".join(abilities)})}
    return ModelEntry(f"ollama/{model.name}", kind, "ollama", model.name, f"{model.name} (Ollama)", options)


class OllamaCaller:
    """One client per model, its timeout from our policy; the client itself never retries."""

    def __init__(self, entry: ModelEntry, policy: RetryPolicy):
        self.entry = entry
        self.policy = policy
        self.host = ollama_host()
        self.client = ollama.Client(host=self.host, timeout=policy.timeout())
        self.what = f"{entry.id} on Ollama at {self.host}"

    def call(self, operation: Callable[[], T]) -> T:
        return call_with_retries(self.policy, self.what, operation, self.classify)

    def classify(self, error: Exception) -> Exception | Retryable | None:
        if isinstance(error, ollama.ResponseError) and error.status_code == 404:
            return ProviderError(f"{self.what}: {error.error}; run `ollama pull {self.entry.ref}`")
        decision = classify_ollama_error(error)
        if isinstance(decision, ProviderError) and decision is not error:
            return ProviderError(f"{self.what}: {decision}")
        return decision


def classify_ollama_error(error: Exception) -> Exception | Retryable | None:
    """Retry a server that does not answer, timeouts, 429 and 5xx, malformed answers; fail on the client's
    other errors; None (a bug of ours, raised as it is) for anything else."""
    if isinstance(error, ConnectionError):  # the client's word for httpx.ConnectError
        return Retryable("no server answers")
    if isinstance(error, ollama.ResponseError):
        if error.status_code == 429 or error.status_code >= 500:
            return Retryable(f"HTTP {error.status_code}: {error.error}")
        return ProviderError(f"HTTP {error.status_code}: {error.error}")
    if isinstance(error, ollama.RequestError):
        return ProviderError(f"{type(error).__name__}: {error}")
    return classify_httpx_error(error)  # timeouts, transport failures, malformed bodies, ProviderError


def _parameters(entry: ModelEntry, **extra: Any) -> dict[str, Any]:
    return {**entry.options.get("parameters", {}), **extra}


class OllamaTextToImage(TextToImage):
    def __init__(self, entry: ModelEntry, caller: OllamaCaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller
        # The seed is sent, but whether Ollama's experimental image runner honours it is not documented.
        self.reproducible = bool(entry.options.get("reproducible", False))

    def inputs(self, seed: int) -> dict[str, Any]:
        sizes: dict[str, Any] = {
            name: self.entry.options[name] for name in ("width", "height", "steps") if name in self.entry.options
        }
        return {"model": self.entry.ref, "prompt": "{text}", **sizes, "options": _parameters(self.entry, seed=seed)}

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        request = {**self.inputs(seed), "prompt": text}
        response = self.caller.call(lambda: self.caller.client.generate(**request, stream=False))
        if not response.image:
            raise ProviderError(f"{self.model_id}: the answer holds no image; is {self.entry.ref} an image model?")
        try:
            data = base64.b64decode(response.image, validate=True)
        except binascii.Error as error:
            raise ProviderError(f"{self.model_id}: bad base64 image") from error
        return verify_image(data, f"{self.model_id} image")


class OllamaImageToText(ImageToText):
    # Ollama documents its `seed` option: the same seed and prompt give the same text.
    reproducible = True

    def __init__(self, entry: ModelEntry, caller: OllamaCaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller

    def inputs(self, seed: int) -> dict[str, Any]:
        message = {"role": "user", "content": INSTRUCTION, "images": ["{image}"]}
        return {"model": self.entry.ref, "messages": [message], "options": _parameters(self.entry, seed=seed)}

    def describe(self, image: Path, *, seed: int) -> str:
        request = self.inputs(seed)
        request["messages"][0]["images"] = [read_image(image).data]  # read as every file of a run is
        response = self.caller.call(lambda: self.caller.client.chat(**request, stream=False))
        return read_text(response.message.content)


class OllamaEmbedder(Embedder):
    def __init__(self, entry: ModelEntry, caller: OllamaCaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller
        self.prefix = str(entry.options.get("text_prefix", ""))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        inputs = [self.prefix + text for text in texts]
        # truncate=False: a text longer than the model's context is an error, never silently cut.
        response = self.caller.call(
            lambda: self.caller.client.embed(
                model=self.entry.ref, input=inputs, truncate=False, options=_parameters(self.entry)
            )
        )
        if len(response.embeddings) != len(texts):
            raise ProviderError(f"{self.model_id}: {len(response.embeddings)} embeddings for {len(texts)} texts")
        return np.asarray(response.embeddings, dtype=np.float32)
