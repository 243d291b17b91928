"""OpenAI models through the official `openai` client: image generation (URL or base64), a vision chat
model as captioner, and text embeddings. Options: ``size``, ``response_format``, ``quality``, ``retired``.

The same models run on any server that speaks OpenAI's API (vLLM, LM Studio, llama.cpp's server, LocalAI,
OpenRouter) under the ``openai-compatible`` provider: the entry names the server's ``base_url`` and, where it
wants a key, ``api_key_env`` (the environment variable holding it); ``send_seed`` sends each turn's seed with
image requests, for servers that take one (vLLM-Omni does). An entry with ``every_listed_model = true``
offers, besides its own model, every model its server lists (``/v1/models``) in the entry's role, as
``ENTRY-ID/LISTED-ID`` with the entry's settings.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import openai
from openai.types.chat import ChatCompletionMessageParam

from engine.errors import ModelRefused, ModelUnavailable, ProviderError
from engine.protocols import (
    Availability,
    Embedder,
    GeneratedImage,
    ImageToText,
    Model,
    ModelEntry,
    ModelFacts,
    Provider,
    ServerListing,
    TextToImage,
)
from engine.providers.hosted import INSTRUCTION, image_data_url, key_availability, read_text, require_key
from engine.providers.http import (
    Retryable,
    RetryPolicy,
    ServerProbe,
    call_with_retries,
    classify_httpx_error,
    fetch_image,
    is_malformed_response,
    parse_retry_after,
    tls,
    verify_image,
)
from engine.providers.listing import MAX_SERVER_MODELS, shown_details, usable_name

KEY = "OPENAI_API_KEY"
T = TypeVar("T")
REFUSAL_CODES = {"content_policy_violation", "moderation_blocked"}
# What a keyless local server is sent as its key: the client insists on one, and the user's OpenAI key must
# never travel to another server.
NO_KEY = "none"
# What a listed model does not inherit from the entry that lists it: its own price is not the entry's.
NOT_INHERITED = {"every_listed_model", "cost", "description"}


class OpenAIProvider(Provider):
    def __init__(self, policy: RetryPolicy | None = None):
        self.policy = policy or RetryPolicy()

    def availability(self, entry: ModelEntry) -> Availability:
        return key_availability(entry, KEY)

    def create(self, entry: ModelEntry) -> Model:
        require_key(entry, KEY)
        client = openai.OpenAI(max_retries=0, timeout=self.policy.read_timeout)  # key and base URL from the env
        return build(entry, OpenAICaller(entry, self.policy, client, "on OpenAI"))

    def facts(self, entry: ModelEntry) -> ModelFacts:
        return ModelFacts("hosted", "on OpenAI's servers", _reproducible(entry))


class OpenAICompatibleProvider(Provider):
    """Any server speaking OpenAI's API, named by its catalog entry (``base_url``, optional ``api_key_env``).

    A keyless entry is a local server: availability asks it for its model list (one quick try, kept briefly).
    An entry with a key is a hosted service: availability checks only that the key is set.
    """

    def __init__(self, policy: RetryPolicy | None = None):
        self.policy = policy or RetryPolicy()
        self.probe: ServerProbe[list[Any]] = ServerProbe()

    def availability(self, entry: ModelEntry) -> Availability:
        base_url = entry.options.get("base_url")
        if not base_url:
            return Availability(False, "the catalog entry names no base_url")
        if entry.options.get("api_key_env"):
            return key_availability(entry, entry.options["api_key_env"])
        if entry.options.get("retired"):
            return Availability(False, f"retired on {entry.options['retired']}")
        if isinstance(self._listed(entry), ProviderError):
            return Availability(False, f"no server answers at {base_url}")
        return Availability(True)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        where = entry.options.get("base_url") or "its server"
        # A server that wants a key is a service of someone else's; a keyless one is the user's own.
        if entry.options.get("api_key_env"):
            return ModelFacts("hosted", f"on the service at {where}", _reproducible(entry))
        return ModelFacts("server", f"on your server at {where}", _reproducible(entry))

    def discover(self, entries: list[ModelEntry]) -> list[ServerListing]:
        return [self._listing(entry, entries) for entry in entries if entry.options.get("every_listed_model")]

    def _listing(self, lister: ModelEntry, entries: list[ModelEntry]) -> ServerListing:
        """The models ``lister``'s server lists, offered in its role with its settings."""
        base_url = str(lister.options.get("base_url") or "")
        if not base_url:
            return ServerListing("openai-compatible", lister.id, problem="the catalog entry names no base_url")
        key_name = lister.options.get("api_key_env")
        if key_name and not os.environ.get(key_name):
            return ServerListing("openai-compatible", base_url, problem=f"set {key_name} to list its models")
        listed = self._listed(lister)
        if isinstance(listed, ProviderError):
            return ServerListing("openai-compatible", base_url, problem="no server answers")
        catalogued = {(entry.options.get("base_url"), entry.ref, entry.kind) for entry in entries}
        names = [(usable_name(getattr(model, "id", None)), model) for model in listed]
        offered = [(name, model) for name, model in names if name][:MAX_SERVER_MODELS]
        settings = {key: value for key, value in lister.options.items() if key not in NOT_INHERITED}
        found = tuple(
            ModelEntry(
                f"{lister.id}/{name}",
                lister.kind,
                lister.provider,
                name,
                f"{name} ({lister.id})",
                {**settings, **shown_details({"owned_by": getattr(model, "owned_by", None)})},
            )
            for name, model in offered
            if (base_url, name, lister.kind) not in catalogued
        )
        return ServerListing("openai-compatible", base_url, found, left_out=len(listed) - len(offered))

    def _listed(self, entry: ModelEntry) -> list[Any] | ProviderError:
        """The models the entry's server lists (``/v1/models``, its first page): asked once, kept briefly."""
        client = self._client(entry, attempt_timeout=2.0)
        caller = OpenAICaller(entry, self.policy, client, f"at {entry.options['base_url']}")
        return self.probe.check(entry.options["base_url"], lambda: list(client.models.list().data), caller.classify)

    def create(self, entry: ModelEntry) -> Model:
        if not entry.options.get("base_url"):
            raise ModelUnavailable(f"{entry.name} is unavailable: the catalog entry names no base_url")
        client = self._client(entry, attempt_timeout=self.policy.read_timeout)
        return build(entry, OpenAICaller(entry, self.policy, client, f"at {entry.options['base_url']}"))

    @staticmethod
    def _client(entry: ModelEntry, attempt_timeout: float) -> openai.OpenAI:
        key_name = entry.options.get("api_key_env")
        key = require_key(entry, key_name) if key_name else NO_KEY
        return openai.OpenAI(api_key=key, base_url=entry.options["base_url"], max_retries=0, timeout=attempt_timeout)


def _reproducible(entry: ModelEntry) -> bool | None:
    """As the built model says: images repeat where a seed is sent; chat answers are "best effort" only."""
    return {"t2i": bool(entry.options.get("send_seed")), "i2t": False}.get(entry.kind)


def build(entry: ModelEntry, caller: OpenAICaller) -> Model:
    if entry.kind == "t2i":
        return OpenAITextToImage(entry, caller)
    if entry.kind == "i2t":
        return OpenAIImageToText(entry, caller)
    return OpenAIEmbedder(entry, caller)


class OpenAICaller:
    """One client per model, its own retries off (``max_retries=0``): our policy retries."""

    def __init__(self, entry: ModelEntry, policy: RetryPolicy, client: openai.OpenAI, where: str):
        self.entry = entry
        self.policy = policy
        self.client = client
        self.what = f"{entry.id} {where}"
        self.downloads = httpx.Client(follow_redirects=True, verify=tls())

    def call(self, operation: Callable[[], T]) -> T:
        return call_with_retries(self.policy, self.what, operation, self.classify)

    def classify(self, error: Exception) -> Exception | Retryable | None:
        what = self.what
        if isinstance(error, openai.APITimeoutError):
            return Retryable("timed out")
        if isinstance(error, openai.APIConnectionError):
            return Retryable("connection failed")
        if isinstance(error, openai.APIStatusError):
            code = getattr(error, "code", None)
            message = _message(error)
            if code in REFUSAL_CODES:
                return ModelRefused(f"{what}: refused ({code}): {message}")
            if code == "insufficient_quota":
                return ProviderError(f"{what}: out of quota: {message}")
            if error.status_code == 429 or error.status_code >= 500:
                headers = error.response.headers
                milliseconds = parse_retry_after(headers.get("retry-after-ms"))
                retry_after = (
                    milliseconds / 1000 if milliseconds is not None else parse_retry_after(headers.get("retry-after"))
                )
                return Retryable(f"HTTP {error.status_code}: {message}", retry_after)
            return ProviderError(f"{what}: HTTP {error.status_code}: {message}")
        if isinstance(error, openai.APIResponseValidationError) or is_malformed_response(error):
            return Retryable(f"malformed response ({type(error).__name__})")
        if isinstance(error, openai.OpenAIError):  # any other failure the client reports about the call
            return ProviderError(f"{what}: {type(error).__name__}: {error}")
        return classify_httpx_error(error)  # None for what is not the call's failure: a bug of ours


def _message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    return str(body.get("message") or error.message)


class OpenAITextToImage(TextToImage):
    def __init__(self, entry: ModelEntry, caller: OpenAICaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller
        # OpenAI's images API takes no seed; a compatible server sent one (vLLM-Omni) draws repeatably.
        self.reproducible = bool(entry.options.get("send_seed"))

    def inputs(self, seed: int) -> dict[str, Any]:
        options = self.entry.options
        request: dict[str, Any] = {
            "model": self.entry.ref,
            "prompt": "{text}",
            "n": 1,
            "size": options.get("size", "1024x1024"),
        }
        if "response_format" in options:  # gpt-image models refuse the parameter and always answer in base64
            request["response_format"] = options["response_format"]
        if "quality" in options:
            request["quality"] = options["quality"]
        if options.get("send_seed"):
            request["seed"] = seed
        return request

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        request = {**self.inputs(seed), "prompt": text}
        if "seed" in request:  # not a parameter of OpenAI's own API: sent as an extra body field
            request["extra_body"] = {"seed": request.pop("seed")}
        response = self.caller.call(lambda: self.caller.client.images.generate(**request))
        if not response.data:
            raise ProviderError(f"{self.model_id}: no image in the response")
        image = response.data[0]
        if image.b64_json:
            try:
                data = base64.b64decode(image.b64_json, validate=True)
            except ValueError as error:
                raise ProviderError(f"{self.model_id}: bad base64 image") from error
            return verify_image(data, f"{self.model_id} image")
        if image.url:
            return fetch_image(image.url, self.caller.policy, self.caller.downloads)
        raise ProviderError(f"{self.model_id}: neither a URL nor base64 in the response")


class OpenAIImageToText(ImageToText):
    reproducible = False  # chat completions take a seed, but promise only "best effort" determinism

    def __init__(self, entry: ModelEntry, caller: OpenAICaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller

    def inputs(self, seed: int) -> dict[str, Any]:
        return {
            "model": self.entry.ref,
            "messages": _question("{image}"),
            "max_tokens": self.entry.options.get("max_tokens", 400),
            "seed": seed,
        }

    def describe(self, image: Path, *, seed: int) -> str:
        request = {**self.inputs(seed), "messages": _question(image_data_url(image))}
        response = self.caller.call(lambda: self.caller.client.chat.completions.create(**request))
        if not response.choices:
            raise ProviderError(f"{self.model_id}: no answer in the response")
        choice = response.choices[0]
        if getattr(choice.message, "refusal", None):
            raise ModelRefused(f"{self.model_id}: refused: {choice.message.refusal}")
        return read_text(choice.message.content)


def _question(image_url: str) -> list[ChatCompletionMessageParam]:
    """The captioning request: the instruction and the image (a low-detail data URL)."""
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": INSTRUCTION},
                {"type": "image_url", "image_url": {"url": image_url, "detail": "low"}},
            ],
        }
    ]


class OpenAIEmbedder(Embedder):
    def __init__(self, entry: ModelEntry, caller: OpenAICaller):
        self.model_id = entry.id
        self.entry = entry
        self.caller = caller

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        response = self.caller.call(lambda: self.caller.client.embeddings.create(model=self.entry.ref, input=texts))
        rows = sorted(response.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            raise ProviderError(f"{self.model_id}: {len(rows)} embeddings for {len(texts)} texts")
        return np.asarray([row.embedding for row in rows], dtype=np.float32)
