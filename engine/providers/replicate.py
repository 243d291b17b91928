"""Replicate models through the official `replicate` client, described entirely by catalog entries.

An entry's options: ``input`` (field → value; "{text}", "{image}", "{instruction}", "{seed}" are filled
in), ``reproducible`` (the same inputs give the same answer), ``output`` (the answer's shape, see
``output_shape``), ``strip_prefix``, and for embedders ``text_input``, ``image_input`` and ``clip_context``
(the CLIP tokens the model reads; longer texts are measured in windows).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from replicate.client import Client
from replicate.exceptions import ModelError, ReplicateError
from replicate.prediction import Prediction

from engine.errors import ModelRefused, ProviderError
from engine.metrics import as_rows
from engine.protocols import (
    Availability,
    Embedder,
    GeneratedImage,
    ImageToText,
    Model,
    ModelEntry,
    ModelFacts,
    Provider,
    TextToImage,
)
from engine.providers.clip_tokens import clip_tokenizer, clip_windows
from engine.providers.hosted import (
    INSTRUCTION,
    fill_template,
    first_url,
    image_data_url,
    key_availability,
    read_text,
    require_key,
)
from engine.providers.http import (
    Retryable,
    RetryPolicy,
    call_with_retries,
    classify_httpx_error,
    fetch_image,
    parse_retry_after,
    rate_limit,
    tls,
)
from engine.providers.windows import pool_windows

TOKEN = "REPLICATE_API_TOKEN"
# How models and the platform say no on policy grounds (cog-stable-diffusion, cog-sdxl, flux, the platform).
REFUSALS = re.compile(r"nsfw|flagged as sensitive|safety", re.IGNORECASE)
DONE = ("succeeded", "failed", "canceled", "aborted")
# The shapes a model's answer comes in, by kind, as an entry's `output` declares them (the first is assumed).
OUTPUT_SHAPES: dict[str, tuple[str, ...]] = {"t2i": ("urls", "url"), "i2t": ("string", "stream"), "embed": ("floats",)}


def output_shape(entry: ModelEntry) -> str:
    """The shape of ``entry``'s answer: one image URL ("url") or a list ("urls"), one string ("string") or
    streamed pieces ("stream"), a list of floats ("floats"). Both shapes of a kind are read either way."""
    return str(entry.options.get("output", OUTPUT_SHAPES[entry.kind][0]))


class ReplicateProvider(Provider):
    def __init__(self, policy: RetryPolicy | None = None):
        self.policy = policy or RetryPolicy()

    def availability(self, entry: ModelEntry) -> Availability:
        shapes = OUTPUT_SHAPES[entry.kind]
        if output_shape(entry) not in shapes:
            return Availability(False, f"output {output_shape(entry)!r} is not one of {', '.join(shapes)}")
        return key_availability(entry, TOKEN)

    def takes_images(self, entry: ModelEntry) -> bool:
        return embeds_images(entry)

    def facts(self, entry: ModelEntry) -> ModelFacts:
        reproducible = bool(entry.options.get("reproducible", False)) if entry.kind != "embed" else None
        return ModelFacts("hosted", "on Replicate's servers", reproducible)

    def create(self, entry: ModelEntry) -> Model:
        runner = PredictionRunner(entry, require_key(entry, TOKEN), self.policy)
        if entry.kind == "t2i":
            return ReplicateTextToImage(entry, runner)
        if entry.kind == "i2t":
            return ReplicateImageToText(entry, runner)
        return ReplicateEmbedder(entry, runner)


class PredictionRunner:
    """Creates a prediction, waits for it (held request, then polling, under a deadline), returns its output."""

    def __init__(self, entry: ModelEntry, token: str, policy: RetryPolicy):
        self.entry = entry
        self.policy = policy
        self.client = Client(
            api_token=token,
            base_url=os.environ.get("REPLICATE_BASE_URL") or None,
            timeout=policy.timeout(),
            transport=httpx.HTTPTransport(verify=tls()),
        )
        # The client wraps its transport in a RetryTransport (10 tries on GET); ours is the only retry policy.
        self.client._client._transport.max_attempts = 1  # type: ignore[attr-defined]
        self.downloads = httpx.Client(follow_redirects=True, verify=tls())
        owner_name, _, version = entry.ref.partition(":")
        self.owner, _, self.name = owner_name.partition("/")
        self.version = version or None
        self.rate = rate_limit("replicate", entry.options.get("requests_per_minute"))

    def run(self, model_input: dict[str, Any]) -> Any:
        what = f"{self.entry.id} on Replicate"
        prediction = call_with_retries(self.policy, what, lambda: self._create(model_input), self.classify)
        deadline = time.monotonic() + self.policy.deadline
        while prediction.status not in DONE:
            if time.monotonic() > deadline:
                raise ProviderError(f"{what}: still {prediction.status} after {self.policy.deadline:.0f} s")
            time.sleep(self.policy.poll_interval)
            call_with_retries(self.policy, what, prediction.reload, self.classify)
        if prediction.status == "failed":
            message = str(prediction.error or "the prediction failed")
            raise (ModelRefused if REFUSALS.search(message) else ProviderError)(f"{what}: {message}")
        if prediction.status != "succeeded":
            raise ProviderError(f"{what}: prediction {prediction.status}")
        return prediction.output

    def _create(self, model_input: dict[str, Any]) -> Prediction:
        if self.rate is not None:  # the documented limit counts prediction creates, retries included
            self.rate.acquire()
        if self.version:
            return self.client.predictions.create(version=self.version, input=model_input, wait=self.policy.prefer_wait)
        return self.client.models.predictions.create(
            model=(self.owner, self.name), input=model_input, wait=self.policy.prefer_wait
        )

    def classify(self, error: Exception) -> Exception | Retryable | None:
        if isinstance(error, ModelError):
            message = str(error)
            return (ModelRefused if REFUSALS.search(message) else ProviderError)(f"{self.entry.id}: {message}")
        if isinstance(error, ReplicateError):
            status = error.status or 0
            detail = error.detail or error.title or "error"
            if status == 429 or status >= 500:
                return Retryable(f"HTTP {status}: {detail}", _retry_after(detail))
            return ProviderError(f"{self.entry.id} on Replicate: HTTP {status}: {detail}")
        return classify_httpx_error(error)

    def fetch(self, url: str) -> GeneratedImage:
        return fetch_image(url, self.policy, self.downloads)


def embeds_images(entry: ModelEntry) -> bool:
    """A Replicate embedder takes images when its entry says how to send one."""
    return "image_input" in entry.options


def _retry_after(detail: str) -> float | None:
    """Replicate says when to come back in the 429 detail ("… available in 1 second", "resets in ~30s")."""
    match = re.search(r"in ~?(\d+(?:\.\d+)?) ?s", detail or "")
    return parse_retry_after(match.group(1)) if match else None


class ReplicateTextToImage(TextToImage):
    def __init__(self, entry: ModelEntry, runner: PredictionRunner):
        self.model_id = entry.id
        self.entry = entry
        self.runner = runner
        self.reproducible = bool(entry.options.get("reproducible", False))

    def inputs(self, seed: int) -> dict[str, Any]:
        return fill_template(self.entry.options.get("input", {"prompt": "{text}"}), seed=seed)

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        model_input = fill_template(self.inputs(seed), text=text)
        return self.runner.fetch(first_url(self.runner.run(model_input)))


class ReplicateImageToText(ImageToText):
    def __init__(self, entry: ModelEntry, runner: PredictionRunner):
        self.model_id = entry.id
        self.entry = entry
        self.runner = runner
        self.reproducible = bool(entry.options.get("reproducible", False))

    def inputs(self, seed: int) -> dict[str, Any]:
        return fill_template(self.entry.options.get("input", {"image": "{image}"}), instruction=INSTRUCTION, seed=seed)

    def describe(self, image: Path, *, seed: int) -> str:
        model_input = fill_template(self.inputs(seed), image=image_data_url(image))
        return read_text(self.runner.run(model_input), self.entry.options.get("strip_prefix", ""))


class ReplicateEmbedder(Embedder):
    def __init__(self, entry: ModelEntry, runner: PredictionRunner):
        self.model_id = entry.id
        self.entry = entry
        self.runner = runner
        self.takes_images = embeds_images(entry)

    def warm_up(self) -> None:
        """Build CLIP's tokenizer now (a third of a second) where texts are cut into windows of its tokens."""
        if self.entry.options.get("clip_context"):
            clip_tokenizer()

    def _vector(self, model_input: dict[str, Any]) -> np.ndarray:
        output = self.runner.run(model_input)
        try:
            vector = np.asarray(output, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise ProviderError(f"{self.model_id}: expected a list of numbers") from error
        if vector.ndim != 1 or not vector.size or not np.isfinite(vector).all():
            raise ProviderError(f"{self.model_id}: expected a list of numbers")
        return vector

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return as_rows([self._embed_text(text) for text in texts])

    def _embed_text(self, text: str) -> np.ndarray:
        """The whole text: one call, its vector as the model gave it, or where the model reads only
        ``clip_context`` CLIP tokens and the text is longer, one call per window, pooled."""
        template = self.entry.options.get("text_input", {"text_input": "{text}", "modality": "text"})
        context = self.entry.options.get("clip_context")
        windows = clip_windows(text, context) if context else [(text, 1)]
        if len(windows) == 1:  # nothing to pool (a cosine distance does not see a vector's length)
            return self._vector(fill_template(template, text=text))
        vectors = np.stack([self._vector(fill_template(template, text=piece)) for piece, _ in windows])
        return pool_windows(vectors, [count for _, count in windows])

    def embed_images(self, images: list[Path]) -> np.ndarray:
        if not self.takes_images:
            return super().embed_images(images)
        template = self.entry.options["image_input"]
        return as_rows([self._vector(fill_template(template, image=image_data_url(path))) for path in images])
