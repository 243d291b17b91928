"""Any OpenAI-compatible server, added by a user's catalog file with no Python, through the official client."""

from __future__ import annotations

import pytest

from engine import Catalog, RunStore, build_line, load_prompts, load_run
from engine.catalog import user_catalog_path
from tests.fakes.server import FakeServer

OPENAI_KEY = "sk-the-users-openai-key"
SERVER_KEY = "key-for-the-gateway-only"


def user_entries(base_url: str) -> str:
    return f"""
[[model]]
id = "lab-painter"
kind = "t2i"
provider = "openai-compatible"
ref = "Tongyi-MAI/Z-Image-Turbo"
name = "Z-Image Turbo (our vLLM-Omni)"
base_url = "{base_url}/v1"
size = "512x512"
response_format = "b64_json"
send_seed = true

[[model]]
id = "lab-captioner"
kind = "i2t"
provider = "openai-compatible"
ref = "Qwen/Qwen2.5-VL-7B-Instruct"
name = "Qwen2.5-VL (our vLLM)"
base_url = "{base_url}/v1"

[[model]]
id = "lab-embedder"
kind = "embed"
provider = "openai-compatible"
ref = "BAAI/bge-m3"
name = "bge-m3 (our gateway, with a key)"
base_url = "{base_url}/v1"
api_key_env = "LAB_GATEWAY_KEY"
"""


@pytest.fixture
def servers(monkeypatch):
    """The OpenAI fake where OPENAI_BASE_URL points, and the user's own server on another port."""
    with FakeServer() as openai_fake, FakeServer() as lab:
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_fake.url}/v1")
        monkeypatch.setenv("LAB_GATEWAY_KEY", SERVER_KEY)
        user_catalog_path().parent.mkdir(parents=True, exist_ok=True)
        user_catalog_path().write_text(user_entries(lab.url), encoding="utf-8")
        yield openai_fake, lab


def test_an_entry_from_a_user_file_plays_a_game_against_its_own_server(servers, tmp_path):
    openai_fake, lab = servers
    catalog = Catalog.load()
    assert all(catalog.availability(catalog.get(i)).ok for i in ("lab-painter", "lab-captioner", "lab-embedder"))
    line = build_line(catalog, "lab-painter", "lab-captioner", "lab-embedder")
    events = list(line.play(load_prompts()[0], 2, RunStore.create("game", {}, tmp_path / "run"), seed=5))
    assert events[-1].status == "finished"

    turns = load_run(tmp_path / "run").conversations[0].turns
    assert len(turns) == 2 and "apple" in turns[0].caption.lower()
    assert openai_fake.requests == [], "nothing reaches OPENAI_BASE_URL"
    drawn = lab.calls("/v1/images/generations")
    assert [c["json"]["model"] for c in drawn] == ["Tongyi-MAI/Z-Image-Turbo"] * 2
    assert drawn[0]["json"]["response_format"] == "b64_json" and drawn[0]["json"]["size"] == "512x512"
    assert drawn[0]["json"]["seed"] != drawn[1]["json"]["seed"], "each turn's seed is sent"
    assert lab.calls("/v1/chat/completions")[0]["json"]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert lab.calls("/v1/models", "GET"), "a keyless local server is asked whether it is up"

    keys = {c["path"]: c["headers"]["authorization"] for c in lab.requests}
    assert keys["/v1/embeddings"] == f"Bearer {SERVER_KEY}"
    assert keys["/v1/chat/completions"] == keys["/v1/images/generations"] == "Bearer none"
    assert all(OPENAI_KEY not in c["headers"]["authorization"] for c in lab.requests)


def test_availability_names_what_is_missing(servers, monkeypatch):
    _, lab = servers
    user_catalog_path().write_text(
        user_entries("http://127.0.0.1:9")
        + '[[model]]\nid = "nowhere"\nkind = "i2t"\nprovider = "openai-compatible"\nref = "m"\nname = "N"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("LAB_GATEWAY_KEY")
    catalog = Catalog.load()
    assert catalog.availability(catalog.get("lab-captioner")).reason == "no server answers at http://127.0.0.1:9/v1"
    assert catalog.availability(catalog.get("lab-embedder")).reason == "set LAB_GATEWAY_KEY"
    assert catalog.availability(catalog.get("nowhere")).reason == "the catalog entry names no base_url"
