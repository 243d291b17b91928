"""Seeds that hold: every model whose schema takes a seed is sent the turn's seed, a game played again with
the same seed sends the same inputs, and the journal says what each model was sent and whether it repeats."""

from __future__ import annotations

import pytest

from engine import RunStore, TelephoneLine, load_prompts, load_run
from engine.game import turn_seed
from engine.providers.hosted import fill_template
from tests.engine.hosted import KEY, TOKEN, openai_model, replicate
from tests.fakes.server import FakeServer

TURNS = 2


@pytest.fixture
def cheap_fake(monkeypatch):
    """The fake with tiny pictures and captions made from the request: a game here measures what is sent."""
    with FakeServer(cheap=True) as server:
        monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
        monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        yield server


def seeded_ids(catalog, kind: str) -> list[str]:
    """The catalog's Replicate models of ``kind`` whose schema takes a seed."""
    return [
        entry.id
        for entry in catalog.entries(kind)
        if entry.provider == "replicate" and "{seed}" in entry.options.get("input", {}).values()
    ]


def model_calls(fake: FakeServer) -> list[tuple[str, dict]]:
    """Every drawing and captioning call the fake received, as (model, what it was sent), in order."""
    calls = []
    for request in fake.calls("/v1/"):
        body, path = request["json"], request["path"]
        if path == "/v1/predictions" or path.startswith("/v1/models/"):
            entry = fake.replicate_models[body.get("version") or "/".join(path.split("/")[3:5])]
            if entry.kind != "embed":
                calls.append((entry.id, body["input"]))
        elif path in ("/v1/images/generations", "/v1/chat/completions"):
            calls.append((body["model"], body))
    return calls


def play(catalog, games: list[tuple[str, str]], folder, seed: int) -> None:
    embedder = replicate(catalog, "imagebind")
    prompt = load_prompts()[0]
    for t2i_id, i2t_id in games:
        i2t = openai_model(catalog, i2t_id) if i2t_id == "gpt-4o-mini" else replicate(catalog, i2t_id)
        line = TelephoneLine(replicate(catalog, t2i_id), i2t, embedder)
        events = list(line.play(prompt, TURNS, RunStore.create("game", {}, folder), seed=seed))
        assert events[-1].status == "finished"


@pytest.mark.slow
def test_the_same_game_with_the_same_seed_sends_the_same_inputs(cheap_fake, catalog, tmp_path):
    seeded_t2i, seeded_i2t = seeded_ids(catalog, "t2i"), seeded_ids(catalog, "i2t") + ["gpt-4o-mini"]
    assert {"stable-diffusion", "vqgan-clip", "sdxl", "flux-schnell"} <= set(seeded_t2i)
    assert "mplug-owl" in seeded_i2t
    games = [(t2i, seeded_i2t[index % len(seeded_i2t)]) for index, t2i in enumerate(seeded_t2i)]

    play(catalog, games, tmp_path / "first", seed=7)
    first = model_calls(cheap_fake)
    play(catalog, games, tmp_path / "again", seed=7)
    again = model_calls(cheap_fake)[len(first) :]
    assert first == again, "the same game with the same seed sends every model the same inputs"

    assert len(first) == len(games) * TURNS * 2
    for index, (model, sent) in enumerate(first):
        step = index // 2 % TURNS + 1
        assert sent["seed"] == turn_seed(7, step), f"{model} is sent the turn's seed"
        if model == "flux-schnell":
            assert sent["go_fast"] is False, "FLUX's deterministic path"

    play(catalog, games[:1], tmp_path / "other", seed=8)
    other = model_calls(cheap_fake)[2 * len(first) :]
    assert [sent["seed"] for _, sent in other] == [turn_seed(8, 1)] * 2 + [turn_seed(8, 2)] * 2


def test_the_journal_records_what_each_model_was_sent(cheap_fake, catalog, tmp_path):
    play(catalog, [("vqgan-clip", "mplug-owl"), ("sdxl", "gpt-4o-mini")], tmp_path / "run", seed=3)
    sent = iter(model_calls(cheap_fake))
    conversations = sorted(load_run(tmp_path / "run").conversations, key=lambda c: c.info.t2i != "vqgan-clip")
    for conversation in conversations:
        for turn in conversation.turns:
            t2i_sent, i2t_sent = next(sent)[1], next(sent)[1]
            assert turn.t2i_inputs == {**t2i_sent, "prompt": "{text}"} and t2i_sent["prompt"] == turn.text
            assert "{image}" in str(turn.i2t_inputs) and "base64" not in str(turn.i2t_inputs), "no image data"
            assert turn.t2i_inputs["seed"] == turn.i2t_inputs["seed"] == turn_seed(3, turn.step)
            if conversation.info.i2t == "mplug-owl":
                assert fill_template(turn.i2t_inputs, image=i2t_sent["img"]) == i2t_sent
                assert turn.reproducible is True
            else:
                assert i2t_sent["seed"] == turn.i2t_inputs["seed"]
                assert turn.reproducible is False, "GPT-4o mini's seed is best effort only"


def test_offline_turns_are_recorded_as_reproducible(fresh_line, tmp_path):
    events = list(fresh_line.play(load_prompts()[0], 1, RunStore.create("game", {}, tmp_path / "run"), seed=5))
    (turn,) = load_run(tmp_path / "run").conversations[0].turns
    assert events[-1].status == "finished"
    assert turn.t2i_inputs == {"text": "{text}", "seed": turn_seed(5, 1)} and turn.i2t_inputs == {
        "image": "{image}",
        "seed": turn_seed(5, 1),
    }
    assert turn.reproducible is True
