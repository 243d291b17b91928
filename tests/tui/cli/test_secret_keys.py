"""Keys never leave memory: a server that quotes the Authorization header in its error (some proxies do) has
its words recorded, logged and shown with every key masked, for the built-in providers and a user's entry."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from engine import TelephoneError, terminal_safe
from engine.catalog import user_catalog_path
from engine.keys import mask_keys
from tests.fakes.loopback import Fault
from tests.fakes.server import FakeServer
from tui.cli.main import main

KEYS = {
    "REPLICATE_API_TOKEN": "r8_PlantedReplicateToken0123456789abcd",
    "OPENAI_API_KEY": "sk-proj-PlantedOpenAIKey0123456789wxyz",
    "LAB_GATEWAY_KEY": "lab-PlantedGatewayKey0123456789mnop",
}
LAB_EMBEDDER = """
[[model]]
id = "lab-embedder"
kind = "embed"
provider = "openai-compatible"
ref = "BAAI/bge-m3"
name = "bge-m3 (our gateway, with a key)"
base_url = "{url}/v1"
api_key_env = "LAB_GATEWAY_KEY"
"""


@pytest.fixture
def fake(monkeypatch):
    with FakeServer() as server:
        for name, key in KEYS.items():
            monkeypatch.setenv(name, key)
        monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        user_catalog_path().parent.mkdir(parents=True, exist_ok=True)
        user_catalog_path().write_text(LAB_EMBEDDER.format(url=server.url), encoding="utf-8")
        yield server


def everything_written(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


# Which call the server answers with the key quoted: Replicate's drawing, OpenAI's caption, the user's
# embedder (the game's first call: the game fails before turn 1, and its detail holds the error).
@pytest.mark.parametrize("route", ["/v1/predictions", "/v1/chat/completions", "/v1/embeddings"])
def test_a_server_that_echoes_the_key_gets_it_masked_everywhere(fake, tmp_path, capsys, caplog, route):
    fake.inject(route, *[Fault(status=400, echo_key=True)] * 3)
    run = tmp_path / "run"
    with caplog.at_level(logging.DEBUG):
        code = main(
            ["-v", "play", "--t2i", "stable-diffusion", "--i2t", "gpt-4o-mini", "--embedder", "lab-embedder"]
            + ["--turns", "2", "--out", str(run)]
        )
    printed = capsys.readouterr()
    seen = printed.out + printed.err + caplog.text
    assert code == 1 and "invalid request headers: Authorization: Bearer" in seen, "the server's words are shown"
    written = everything_written(run)
    assert b"invalid request headers" in written, "and recorded"
    for key in KEYS.values():
        assert key not in seen and key.encode() not in written
        assert key[-4:] not in seen or f"{key[:3]}…{key[-4:]}" in seen


def test_every_text_that_leaves_memory_is_masked(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["OPENAI_API_KEY"])
    monkeypatch.setenv("REPLICATE_API_TOKEN", "short")  # too short to be a key: "short" is left alone
    quoted = f"HTTP 401: {KEYS['OPENAI_API_KEY']} refused; Authorization: Bearer some-unknown-credential-42"
    assert mask_keys(quoted) == "HTTP 401: sk-…wxyz refused; Authorization: Bearer …"
    assert str(TelephoneError(quoted)) == mask_keys(quoted), "every engine error, however it is shown"
    assert terminal_safe(quoted) == mask_keys(quoted), "every text a front end shows"
    assert mask_keys("a short word") == "a short word"
