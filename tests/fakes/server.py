"""A loopback fake of the Replicate and OpenAI HTTP APIs, for the official clients pointed at it by base URL.

It answers with protocol-correct bodies: real PNGs (drawn by the offline painter from the prompt), captions
read from the image it was sent (by the offline reader), and embedding vectors (a hashed bag of words, so
texts and images share one space), each Replicate model's in the shape its catalog entry declares
(``output``: one URL or a list, one string or streamed pieces, a list of floats). Faults are injected per
call with ``inject(route, Fault(...))``. Usable from tests and benchmarks: ``with FakeServer() as fake: ...``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import re
import struct
import threading
import time
import zlib
from collections import defaultdict
from typing import Any, Self

import numpy as np
from PIL import Image

from engine import Catalog
from engine.providers.offline.painter import encode_png, paint
from engine.providers.offline.reader import describe_pixels, load_pixels, shape_memory
from engine.providers.replicate import output_shape
from tests.fakes.loopback import Fault, JsonHandler, LoopbackServer

OPENAI_ROUTES = ("/v1/images/generations", "/v1/chat/completions", "/v1/embeddings")


def text_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic embedding: hashed words and word pairs, normalised."""
    words = re.findall(r"[a-z]+", text.lower())
    vector = np.zeros(dimensions)
    for token in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dimensions] += 1.0 if digest[4] % 2 else -1.0
    norm = np.linalg.norm(vector)
    return (vector / norm if norm else vector + 1 / np.sqrt(dimensions)).round(6).tolist()


def bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def listed_model(name: str) -> dict[str, Any]:
    """One model of an OpenAI-compatible server's list (``/v1/models``)."""
    return {"id": name, "object": "model", "created": 1764000000, "owned_by": "fake"}


def image_from_data_url(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2])))


def caption_of(url: str) -> str:
    return describe_pixels(load_pixels(image_from_data_url(url)))


class FakeServer(LoopbackServer):
    """Replicate on /v1/predictions, /v1/models/…; OpenAI on /v1/images, /v1/chat, /v1/embeddings; files on /files."""

    def __init__(self, latency: dict[str, float] | None = None, cheap: bool = False):
        self.latency = latency or {}  # by kind ("t2i", "i2t", "embed"): seconds every call takes
        # cheap: tiny one-colour PNGs and captions made from the request, so that a benchmark measures the
        # client's scheduling and the injected latency, not the fake's own drawing and reading.
        self.cheap = cheap
        self.record = True  # keep every request for assertions (off for long benchmarks)
        self.answered: dict[str, int] = defaultdict(int)  # model calls answered, by kind (t2i, i2t, embed)
        self.in_flight: dict[str, int] = defaultdict(int)  # model calls being answered now, by provider
        self.most_in_flight: dict[str, int] = defaultdict(int)
        self.files: dict[str, bytes] = {}
        self.listed_models = ["gpt-4o-mini"]  # what /v1/models lists
        self.predictions: dict[str, dict[str, Any]] = {}
        self.counter = itertools.count(1)
        self.replicate_models = {}
        for entry in Catalog.load().entries():
            if entry.provider == "replicate":
                owner_name, _, version = entry.ref.partition(":")
                self.replicate_models[version or owner_name] = entry
        super().__init__(self._handler())

    def __enter__(self) -> Self:
        if not self.cheap:
            # The reader learns its shapes on first use (seconds on a busy machine); learnt here, the first
            # caption is not slower than the tests' short read timeout.
            shape_memory()
        return super().__enter__()

    def store_file(self, data: bytes, suffix: str = ".png") -> str:
        name = f"{next(self.counter)}{suffix}"
        self.files[name] = data
        return f"{self.url}/files/{name}"

    # ── model behaviour ──────────────────────────────────────────────────────────────────────────────
    def draw(self, prompt: str, fault: Fault | None, model: str = "") -> bytes:
        if fault and fault.non_image:
            return b"<html><body>Service temporarily unavailable</body></html>"
        if fault and fault.oversized == "pixels":
            return bomb_png(9000, 9000)
        if fault and fault.oversized == "bytes":
            return b"\x89PNG\r\n\x1a\n" + b"\0" * (26 * 1024 * 1024)
        seed = int(hashlib.sha256(f"{model}:{prompt}".encode()).hexdigest()[:6], 16)
        if self.cheap:
            buffer = io.BytesIO()
            Image.new("RGB", (32, 32), (seed % 256, seed // 256 % 256, seed // 65536 % 256)).save(buffer, "PNG")
            return buffer.getvalue()
        return encode_png(paint(prompt, seed))

    def caption(self, image_url: str, model: str = "") -> str:
        if self.cheap:
            digest = hashlib.sha256(f"{model}:{image_url}".encode()).hexdigest()
            return f"a picture, mostly colour {digest[:6]}, with {int(digest[6], 16)} things in it"
        return caption_of(image_url)

    def replicate_output(self, entry, model_input: dict[str, Any], fault: Fault | None) -> Any:
        """The model's answer in the shape its catalog entry declares (``output``), as the real model gives it."""
        shape = output_shape(entry)
        if entry.kind == "t2i":
            url = self.store_file(self.draw(str(model_input.get("prompt", "")), fault, entry.id))
            return url if shape == "url" else [url]
        if entry.kind == "i2t":
            image = next(v for v in model_input.values() if isinstance(v, str) and v.startswith("data:"))
            caption = self.caption(image, entry.id)
            if entry.options.get("strip_prefix"):
                caption = f"{entry.options['strip_prefix']} {caption.lower()}"
            return re.findall(r"\S+\s*", caption) if shape == "stream" else caption
        if model_input.get("modality") == "vision":
            return text_vector(self.caption(model_input["input"]), 1024)
        return text_vector(str(model_input.get("text_input", "")), 1024)

    # ── HTTP ─────────────────────────────────────────────────────────────────────────────────────────
    def _handler(self):
        fake = self

        class Handler(JsonHandler):
            def _record(self, body: Any) -> None:
                if not fake.record:
                    return
                with fake.lock:
                    fake.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "json": body,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )

            def do_GET(self) -> None:
                if self.path == "/_fake/answered":  # for a benchmark running the fake in another process
                    return self._json(200, dict(fake.answered))
                self._record(None)
                if self.path.startswith("/files/"):
                    data = fake.files.get(self.path.split("/")[-1])
                    if data is None:
                        return self._json(404, {"detail": "Not found"})
                    kind = "text/html" if data.startswith(b"<html") else "image/png"
                    return self._send(200, data, kind)
                if not self._authorised():
                    return
                match = re.fullmatch(r"/v1/predictions/([\w-]+)", self.path)
                if self.path == "/v1/models":  # what an OpenAI-compatible server serves (asked by availability)
                    listing = {"object": "list", "data": [listed_model(name) for name in fake.listed_models]}
                    if (fault := fake.fault_for(self.path)) and fault.cut:
                        return self._cut(listing)
                    return self._json(200, listing)
                if match and match.group(1) in fake.predictions:
                    fault = fake.fault_for(self.path)
                    if self._fail(fault):
                        return
                    prediction = fake.predictions[match.group(1)]
                    return self._json(200, prediction)
                self._json(404, {"title": "Not found", "detail": "Not found", "status": 404})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                self._record(body)
                if not self._authorised():
                    return
                fault = fake.fault_for(self.path)
                if self.path == "/v1/predictions" or re.fullmatch(r"/v1/models/[\w.-]+/[\w.-]+/predictions", self.path):
                    return self._replicate_create(body, fault)
                if self.path == "/v1/images/generations":
                    return self._openai_images(body, fault)
                if self.path == "/v1/chat/completions":
                    return self._openai_chat(body, fault)
                if self.path == "/v1/embeddings":
                    return self._openai_embeddings(body, fault)
                self._json(404, {"detail": "Not found"})

            def _authorised(self) -> bool:
                if re.fullmatch(r"Bearer \S+", self.headers.get("Authorization", "")):
                    return True
                if self.path.startswith("/v1/predictions") or self.path.startswith("/v1/models"):
                    self._json(
                        401,
                        {
                            "title": "Unauthenticated",
                            "status": 401,
                            "detail": "You did not pass a valid authentication token",
                        },
                    )
                else:
                    self._json(
                        401,
                        {
                            "error": {
                                "message": "Incorrect API key provided.",
                                "param": None,
                                "type": "invalid_request_error",
                                "code": "invalid_api_key",
                            }
                        },
                    )
                return False

            def _fail(self, fault: Fault | None, openai_style: bool = False) -> bool:
                """Apply the transport-level part of a fault; True when the call has been answered."""
                if fault is None:
                    return False
                if fault.latency:
                    time.sleep(fault.latency)
                if fault.hang:
                    time.sleep(fault.hang)
                if fault.status:
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    throttled = fault.status == 429
                    if fault.echo_key:
                        quoted = f"invalid request headers: Authorization: {self.headers.get('Authorization')}"
                        body = {"error": {"message": quoted, "type": "invalid_request_error"}, "detail": quoted}
                    elif openai_style:
                        body = {
                            "error": {
                                "message": "Rate limit reached for requests"
                                if throttled
                                else "The server had an error while processing your request.",
                                "type": "requests" if throttled else "server_error",
                                "param": None,
                                "code": "rate_limit_exceeded" if throttled else None,
                            }
                        }
                    else:
                        body = {
                            "detail": "Request was throttled. Your rate limit resets in ~1s."
                            if throttled
                            else "Internal server error",
                            "status": fault.status,
                        }
                    self._json(fault.status, body, headers)
                    return True
                if fault.malformed:
                    self._send(200, b'{"id": "abc", "status": "succ')
                    return True
                return False

            def _pause(self, kind: str) -> None:
                """The model "working": counted as in flight only here, before any answer is written, so
                a client that gets its answer and sends the next call is never counted twice."""
                provider = "openai" if self.path in OPENAI_ROUTES else "replicate"
                with fake.lock:
                    fake.answered[kind] += 1
                    fake.in_flight[provider] += 1
                    fake.most_in_flight[provider] = max(fake.most_in_flight[provider], fake.in_flight[provider])
                try:
                    if fake.latency.get(kind):
                        time.sleep(fake.latency[kind])
                finally:
                    with fake.lock:
                        fake.in_flight[provider] -= 1

            def _replicate_create(self, body: dict[str, Any], fault: Fault | None) -> None:
                if self._fail(fault):
                    return
                owner_name = "/".join(self.path.split("/")[3:5]) if self.path.startswith("/v1/models") else None
                entry = fake.replicate_models.get(body.get("version") or owner_name)
                if entry is None:
                    return self._json(
                        422,
                        {
                            "title": "Invalid version or not permitted",
                            "status": 422,
                            "detail": "The specified version does not exist (or perhaps you don't "
                            "have permission to use it?)",
                        },
                    )
                self._pause(entry.kind)
                prediction_id = f"p{next(fake.counter):08d}"
                prediction = {
                    "id": prediction_id,
                    "model": entry.ref.partition(":")[0],
                    "version": body.get("version", ""),
                    "input": body.get("input", {}),
                    "logs": "",
                    "error": None,
                    "output": None,
                    "status": "succeeded",
                    "created_at": "2026-11-25T00:00:00Z",
                    "data_removed": False,
                    "urls": {
                        "get": f"{fake.url}/v1/predictions/{prediction_id}",
                        "cancel": f"{fake.url}/v1/predictions/{prediction_id}/cancel",
                    },
                }
                if fault and fault.refusal:
                    prediction |= {
                        "status": "failed",
                        "error": "NSFW content detected. Try running it again, or try a different prompt.",
                    }
                else:
                    prediction["output"] = fake.replicate_output(entry, body.get("input", {}), fault)
                fake.predictions[prediction_id] = prediction
                if "wait" not in self.headers.get("Prefer", ""):
                    prediction = {**prediction, "status": "starting", "output": None, "error": None}
                self._json(201, prediction)

            def _openai_images(self, body: dict[str, Any], fault: Fault | None) -> None:
                if self._fail(fault, openai_style=True):
                    return
                self._pause("t2i")
                model = body.get("model", "dall-e-2")
                if model.startswith("gpt-image") and "response_format" in body:
                    return self._json(
                        400,
                        {
                            "error": {
                                "message": "Unknown parameter: 'response_format'.",
                                "type": "invalid_request_error",
                                "param": "response_format",
                                "code": "unknown_parameter",
                            }
                        },
                    )
                if fault and fault.refusal:
                    return self._json(
                        400,
                        {
                            "error": {
                                "message": "Your request was rejected as a result of our safety system.",
                                "type": "invalid_request_error",
                                "param": None,
                                "code": "content_policy_violation",
                            }
                        },
                    )
                data = fake.draw(body.get("prompt", ""), fault, model)
                if model.startswith("gpt-image") or body.get("response_format") == "b64_json":
                    item = {"b64_json": base64.b64encode(data).decode(), "revised_prompt": body.get("prompt")}
                else:
                    item = {"url": fake.store_file(data)}
                self._json(200, {"created": 1764000000, "data": [item]})

            def _openai_chat(self, body: dict[str, Any], fault: Fault | None) -> None:
                if self._fail(fault, openai_style=True):
                    return
                self._pause("i2t")
                parts = body["messages"][-1]["content"]
                image = next(part["image_url"]["url"] for part in parts if part.get("type") == "image_url")
                message = {"role": "assistant", "content": fake.caption(image, body.get("model", "")), "refusal": None}
                if fault and fault.refusal:
                    message = {"role": "assistant", "content": None, "refusal": "I can't help with that image."}
                self._json(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 1764000000,
                        "model": body.get("model"),
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
                    },
                )

            def _openai_embeddings(self, body: dict[str, Any], fault: Fault | None) -> None:
                if self._fail(fault, openai_style=True):
                    return
                self._pause("embed")
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                rows = []
                for index, text in enumerate(texts):
                    vector = text_vector(text, 1536)
                    if body.get("encoding_format") == "base64":
                        vector = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
                    rows.append({"object": "embedding", "index": index, "embedding": vector})
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": rows,
                        "model": body.get("model"),
                        "usage": {"prompt_tokens": 10, "total_tokens": 10},
                    },
                )

        return Handler


def main() -> None:
    """Serve the fake in its own process: prints its URL, serves until killed (for benchmarks)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", default="", help="e.g. t2i=0.03,i2t=0.015,embed=0.003")
    parser.add_argument("--cheap", action="store_true")
    args = parser.parse_args()
    latency = {kind: float(value) for kind, _, value in (p.partition("=") for p in args.latency.split(",") if p)}
    with FakeServer(latency=latency, cheap=args.cheap) as fake:
        fake.record = False
        print(fake.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
