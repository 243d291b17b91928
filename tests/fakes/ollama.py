"""A loopback fake of Ollama's HTTP API, for the official `ollama` client pointed at it with OLLAMA_HOST.

It serves the routes a game uses, with the bodies a real server sends: `/api/tags` (the pulled models),
`/api/show` (a model's details and capabilities: "image", "vision", "embedding", "completion"; a model of
kind "old" answers without any, as servers before capabilities did), `/api/generate` (an image model answers
a base64 PNG in `image`, drawn by the offline painter at the asked width and height; a text model answers
text), `/api/chat` (a vision model describes the image it was sent,
read by the offline reader) and `/api/embed` (hashed bag-of-words vectors). A model that is not pulled gets
Ollama's 404. Faults are injected per route with ``inject(route, Fault(...))`` as for the hosted fake; a
``Fault(cut=True)`` on `/api/tags` or `/api/show` is a server that goes away mid-listing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image

from engine.providers.offline.painter import paint
from engine.providers.offline.reader import describe_pixels, load_pixels
from tests.fakes.loopback import Fault, JsonHandler, LoopbackServer
from tests.fakes.server import text_vector

# name → what it does: "image" (generates images), "vision" (chat with images), "embedding", "text", or "old"
# (a text model on a server too old to say what its models can do)
PULLED = {"x/z-image-turbo:latest": "image", "llava:latest": "vision", "nomic-embed-text:latest": "embedding"}
CAPABILITIES = {
    "image": ["image"],
    "vision": ["completion", "vision"],
    "embedding": ["embedding"],
    "text": ["completion", "tools"],
}
CREATED = "2026-11-25T00:00:00.000000000Z"


class FakeOllama(LoopbackServer):
    def __init__(self, models: dict[str, str] | None = None):
        self.models = dict(PULLED if models is None else models)
        super().__init__(_handler(self))

    def kind(self, name: str) -> str | None:
        return self.models.get(name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest")

    # ── model behaviour ──────────────────────────────────────────────────────────────────────────────
    def generate(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._done(body["model"])
        if self.kind(body["model"]) != "image":
            return answer | {"response": "A picture is worth a thousand words.", "done_reason": "stop"}
        seed = int(body.get("options", {}).get("seed", 0))
        image = paint(body.get("prompt", ""), seed)
        size = (int(body.get("width") or 1024), int(body.get("height") or 1024))
        buffer = io.BytesIO()
        image.resize(size).save(buffer, "PNG")
        return answer | {"response": "", "image": base64.b64encode(buffer.getvalue()).decode(), "done_reason": "stop"}

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        images = body["messages"][-1].get("images") or []
        if images:
            picture = Image.open(io.BytesIO(base64.b64decode(images[0])))
            content = describe_pixels(load_pixels(picture))
        else:
            content = "I see no image."
        message = {"role": "assistant", "content": content}
        return self._done(body["model"]) | {"message": message, "done_reason": "stop", "eval_count": 40}

    def embed(self, body: dict[str, Any]) -> dict[str, Any]:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return {
            "model": body["model"],
            "embeddings": [text_vector(text, 768) for text in texts],
            "total_duration": 14143917,
            "load_duration": 1019500,
            "prompt_eval_count": sum(len(text.split()) for text in texts),
        }

    def tags(self) -> dict[str, Any]:
        return {
            "models": [
                {
                    "name": name,
                    "model": name,
                    "modified_at": CREATED,
                    "size": 3338801804,
                    "digest": hashlib.sha256(name.encode()).hexdigest(),
                    "details": {
                        "format": "gguf",
                        "family": kind,
                        "parameter_size": "4.3B",
                        "quantization_level": "Q4_K_M",
                    },
                }
                for name, kind in self.models.items()
            ]
        }

    def show(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = self.kind(body.get("model", ""))
        details = {"format": "gguf", "family": kind, "parameter_size": "4.3B", "quantization_level": "Q4_K_M"}
        answer = {"modelfile": "", "template": "{{ .Prompt }}", "details": details, "model_info": {}}
        if kind in CAPABILITIES:
            answer["capabilities"] = CAPABILITIES[kind]
        return answer

    @staticmethod
    def _done(model: str) -> dict[str, Any]:
        return {"model": model, "created_at": CREATED, "done": True, "total_duration": 5191566416}


def _handler(fake: FakeOllama) -> type[BaseHTTPRequestHandler]:
    routes = {"/api/generate": fake.generate, "/api/chat": fake.chat, "/api/embed": fake.embed}
    needs = {"/api/generate": {"image", "text", "vision"}, "/api/chat": {"vision", "text"}, "/api/embed": {"embedding"}}

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            with fake.lock:
                fake.requests.append({"method": "GET", "path": self.path, "json": None})
            if self.path == "/api/tags":
                if not self._fail(fake.fault_for(self.path), fake.tags()):
                    self._json(200, fake.tags())
            elif self.path == "/api/version":
                self._json(200, {"version": "0.14.0"})
            else:
                self._send(404, b"404 page not found", "text/plain")

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            with fake.lock:
                fake.requests.append({"method": "POST", "path": self.path, "json": body})
            if self.path not in routes and self.path != "/api/show":
                return self._send(404, b"404 page not found", "text/plain")
            if self._fail(fake.fault_for(self.path), {"capabilities": []}):
                return
            kind = fake.kind(body.get("model", ""))
            if kind is None:
                return self._json(404, {"error": f'model "{body.get("model")}" not found, try pulling it first'})
            if self.path == "/api/show":
                return self._json(200, fake.show(body))
            if kind not in needs[self.path]:
                return self._json(400, {"error": f'"{body["model"]}" does not support {self.path[5:]}'})
            if self.path != "/api/embed" and body.get("stream", True):
                return self._json(400, {"error": "the fake answers only stream=false requests"})
            self._json(200, routes[self.path](body))

        def _fail(self, fault: Fault | None, answer: Any = None) -> bool:
            if fault is None:
                return False
            time.sleep(fault.latency + fault.hang)
            if fault.cut:
                self._cut(answer)
                return True
            if fault.status:
                self._json(fault.status, {"error": "llama runner process has terminated: signal: killed"})
                return True
            if fault.malformed:
                self._send(200, b'{"model": "llava", "message": {"ro')
                return True
            return False

    return Handler
