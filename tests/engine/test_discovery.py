"""The models the user's servers hold, found without a catalog file: Ollama's (by the capabilities its
`/api/show` gives) and an OpenAI-compatible server's (`/v1/models`, for an entry that asks for every model),
against the loopback fakes, with the names and sizes of a server's answer treated as untrusted input."""

from __future__ import annotations

import json

import pytest

from engine import Catalog, RunSession, StorageError, last_call_seconds, load_prompts, load_run, start_game_run
from engine.catalog import installed_providers, user_catalog_path
from engine.providers.http import RetryPolicy
from engine.providers.ollama import OllamaProvider
from engine.untrusted import file_safe, model_id_name
from tests.fakes.loopback import Fault
from tests.fakes.ollama import FakeOllama
from tests.fakes.server import FakeServer
from tui.cli.main import main

ODD_NAMES = ["../../etc/passwd:latest", "evil\x1b[31m:1b", "a b:1b", "x" * 150 + ":1b"]
HELD = {
    "gemma3:4b": "vision",
    "llava:latest": "vision",  # the catalog's ollama-llava: kept under its own name
    "all-minilm:22m": "embedding",
    "flux-mini:1b": "image",
    "qwen3:8b": "text",  # plays no role here
    "mystery:1b": "old",  # a server that does not say what the model does: nothing is guessed
    **{name: "vision" for name in ODD_NAMES},
}


@pytest.fixture(autouse=True)
def patient_probes(monkeypatch):
    """The picker's probes give a server a second or two; a loopback fake on a busy machine may need more.
    What these tests count must not depend on how fast the machine is."""
    monkeypatch.setattr("engine.providers.ollama.PROBE_POLICY", RetryPolicy(attempts=1, read_timeout=60.0))


@pytest.fixture
def ollama(monkeypatch):
    with FakeOllama(HELD) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        yield server


def fresh_catalog() -> Catalog:
    """The shipped catalog with an Ollama provider of its own (so no answer is kept from another test)."""
    shipped = Catalog.load()
    return Catalog(shipped.entries(), {**installed_providers(), "ollama": OllamaProvider()})


def test_ollama_models_become_catalog_models_by_what_the_server_says_they_do(ollama):
    catalog = fresh_catalog()
    (listing,) = catalog.discover()
    found = {(entry.id, entry.kind) for entry in listing.entries}
    assert found == {("ollama/gemma3:4b", "i2t"), ("ollama/all-minilm:22m", "embed"), ("ollama/flux-mini:1b", "t2i")}
    assert listing.left_out == len(ODD_NAMES) and listing.problem == ""
    gemma = catalog.get("ollama/gemma3:4b", "i2t")
    assert gemma.ref == "gemma3:4b" and gemma.name == "gemma3:4b (Ollama)"
    assert gemma.options["quantization_level"] == "Q4_K_M" and gemma.options["size"] == 3338801804
    assert catalog.availability(gemma).ok
    assert catalog.get("ollama-llava").name == "LLaVA 7B (Ollama)", "the catalog's entry keeps its name"
    shows = len(ollama.calls("/api/show"))
    assert shows == len(HELD) - len(ODD_NAMES), "an odd name is never sent back to the server"
    catalog.discover()
    assert len(ollama.calls("/api/show")) == shows and len(ollama.calls("/api/tags", "GET")) == 1, "kept briefly"


def test_a_discovered_model_plays_by_its_id_and_its_run_loads(ollama, tmp_path):
    catalog = fresh_catalog()  # nothing discovered yet: the id alone has the server asked
    with RunSession(start_game_run(1, 0, tmp_path / "run"), catalog) as session:
        line = session.line("sketch-painter", "ollama/gemma3:4b", "minilm")
        (*_, finished) = line.play(load_prompts()[0], 1, session.store)
    assert finished.status == "finished"
    (conversation,) = load_run(tmp_path / "run").conversations
    assert conversation.info.i2t == conversation.turns[0].i2t == "ollama/gemma3:4b"
    assert ollama.calls("/api/chat")[0]["json"]["model"] == "gemma3:4b"
    assert last_call_seconds("ollama/gemma3:4b") is not None, "the call's time is kept for the picker"


def test_a_server_that_goes_away_mid_listing_is_one_line_not_an_error(ollama):
    catalog = fresh_catalog()
    ollama.inject("/api/show", *[Fault(cut=True)] * len(HELD))
    (listing,) = catalog.discover()
    assert listing.entries == () and listing.problem.startswith("stopped answering while listing: 6 of 6")
    ollama.inject("/api/tags", Fault(cut=True))
    (listing,) = fresh_catalog().discover()
    assert listing.problem == "no server answers"


def test_a_server_of_500_models_offers_the_first_200(monkeypatch):
    with FakeOllama({f"model-{index}:1b": "vision" for index in range(500)}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        (listing,) = fresh_catalog().discover()
        assert len(listing.entries) == 200 and listing.left_out == 300
        assert len(server.calls("/api/show")) == 200


@pytest.mark.parametrize("odd", ["../x", "/etc/passwd", "a//b", "a/../b", "a b", "x\x1b[2J", "", "é", "x" * 201])
def test_a_model_id_is_never_path_like(odd):
    with pytest.raises(StorageError):
        model_id_name(odd, "turn")
    assert model_id_name("lab/Qwen/Qwen2-VL-7B:q4", "turn") == "lab/Qwen/Qwen2-VL-7B:q4"
    assert file_safe("ollama/gemma3:4b") == "ollama-gemma3-4b"


LISTER = """
[[model]]
id = "lab"
kind = "i2t"
provider = "openai-compatible"
ref = "gpt-4o-mini"
name = "GPT-4o mini (our gateway)"
base_url = "{url}/v1"
cost = 0.5
every_listed_model = true
"""


def test_an_openai_compatible_entry_offers_every_model_its_server_lists(tmp_path):
    with FakeServer() as lab:
        lab.listed_models = ["gpt-4o-mini", "Qwen/Qwen2-VL-7B-Instruct", "llava-v1.6:7b", "../secret", "x" * 150]
        user_catalog_path().write_text(LISTER.format(url=lab.url), encoding="utf-8")
        catalog = Catalog.load()
        (listing,) = [listing for listing in catalog.discover() if listing.provider == "openai-compatible"]
        assert [entry.id for entry in listing.entries] == ["lab/Qwen/Qwen2-VL-7B-Instruct", "lab/llava-v1.6:7b"]
        assert listing.left_out == 2
        qwen = catalog.get("lab/Qwen/Qwen2-VL-7B-Instruct", "i2t")
        assert qwen.options["base_url"] == f"{lab.url}/v1" and "cost" not in qwen.options, "its price is its own"
        image = tmp_path / "red.png"
        from PIL import Image

        Image.new("RGB", (64, 64), "red").save(image)
        assert catalog.create(qwen.id, "i2t").describe(image, seed=1)
        assert lab.calls("/v1/chat/completions")[0]["json"]["model"] == "Qwen/Qwen2-VL-7B-Instruct"

        lab.inject("/v1/models", Fault(cut=True))
        user_catalog_path().write_text(LISTER.format(url=lab.url + "/"), encoding="utf-8")  # another address
        (listing,) = [listing for listing in Catalog.load().discover() if listing.provider == "openai-compatible"]
        assert listing.problem == "no server answers" and listing.entries == ()


def test_models_command_groups_lists_what_can_play_and_prints_json(ollama, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.index("on this machine") < out.index("your servers") < out.index("hosted")
    assert "ollama/gemma3:4b" in out and "set REPLICATE_API_TOKEN for 15 models" in out
    assert "\x1b[31m" not in out and "passwd" not in out
    assert main(["models", "--available"]) == 0
    out = capsys.readouterr().out
    assert "ollama/gemma3:4b" in out and "REPLICATE" not in out and "hf-clip" not in out
    assert main(["models", "--json", "--available"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {model["id"]: model for model in data["models"]}
    assert {"minilm", "ollama/gemma3:4b", "ollama-llava"} <= ids.keys() and all(m["available"] for m in ids.values())
    assert ids["ollama/gemma3:4b"]["location"] == "server" and ids["ollama/gemma3:4b"]["discovered"]
    assert {"provider": "ollama", "address": ollama.url, "problem": "", "found": 3, "left_out": 4} in data["servers"]
