"""Shared fixtures: the real offline models, built once per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from engine import Catalog, EmbeddingCache, TelephoneLine, build_line, load_prompts, start_game_run

# Tests never read the developer's Hugging Face cache nor reach the Hub. Set before anything imports
# huggingface_hub, which reads these once.
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="aitelephone-hf-")
os.environ["HF_HUB_OFFLINE"] = "1"

FAKE_CATALOG = Path(__file__).parent / "fakes" / "models.toml"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, tmp_path_factory, monkeypatch):
    """Tests never read the developer's own catalog, prompt files or keys, nor reach a real service; their
    catalog lifts Replicate's request rate, which the loopback fake does not need."""
    config = tmp_path_factory.mktemp("config")  # beside tmp_path, which tests use as an empty folder
    shutil.copy(FAKE_CATALOG, config / "models.toml")
    monkeypatch.setenv("AITELEPHONE_CONFIG_DIR", str(config))
    monkeypatch.setenv("AITELEPHONE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("engine.call_times._recent", {})  # no call time of an earlier test shows in a picker
    for name in (
        "REPLICATE_API_TOKEN",
        "OPENAI_API_KEY",
        "REPLICATE_BASE_URL",
        "OPENAI_BASE_URL",
        "OLLAMA_API_KEY",
        "OPENROUTER_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # a closed port: a developer's own Ollama stays out


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(FAKE_CATALOG)


@pytest.fixture(scope="session")
def offline_line(catalog) -> TelephoneLine:
    return build_line(catalog, "sketch-painter", "sketch-reader", "minilm")


@pytest.fixture
def fresh_line(offline_line) -> TelephoneLine:
    """The offline models with an empty embedding cache, so each test sees its own embedder calls."""
    return TelephoneLine(
        offline_line.drawers[0],
        offline_line.describers[0],
        offline_line.embedder,
        EmbeddingCache(offline_line.embedder),
    )


@pytest.fixture(scope="session")
def template_run(tmp_path_factory: pytest.TempPathFactory, offline_line: TelephoneLine) -> Path:
    """A real run of two finished 3-turn offline games, to copy and damage (never to change in place)."""
    store = start_game_run(3, 0, tmp_path_factory.mktemp("template") / "run")
    for prompt in load_prompts()[:2]:
        list(offline_line.play(prompt, 3, store, seed=0))
    return store.folder
