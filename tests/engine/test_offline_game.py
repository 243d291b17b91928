"""Real offline games, end to end: the journal, the images, the distances, the events."""

from __future__ import annotations

import gc
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import ConversationInfo, RunStore, TelephoneLine, Turn, find_prompt, load_prompts, load_run
from engine.events import (
    CaptionReady,
    ConversationFinished,
    ConversationStarted,
    DistancesReady,
    ImageReady,
    TurnStarted,
)
from tests.recording import Recording


def test_ten_turn_game_is_journaled_with_images_and_distances(tmp_path, fresh_line):
    prompt = load_prompts()[0]
    store = RunStore.create("game", {}, tmp_path / "run")
    events = list(fresh_line.play(prompt, 10, store, seed=7))

    assert isinstance(events[0], ConversationStarted) and events[0].first_step == 1
    assert events[-1] == ConversationFinished(events[0].conversation_id, "finished", "", 10)
    kinds = [type(event) for event in events if type(event) in (TurnStarted, ImageReady, CaptionReady, DistancesReady)]
    assert kinds == [TurnStarted, ImageReady, CaptionReady, DistancesReady] * 10

    folder = tmp_path / "run" / "conversations" / events[0].conversation_id
    lines = (folder / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 10
    turns = [json.loads(line) for line in lines]
    assert [turn["step"] for turn in turns] == list(range(1, 11))
    assert turns[0]["text"] == prompt.text
    for previous, turn in zip(turns, turns[1:], strict=False):
        assert turn["text"] == previous["caption"], "each turn draws the caption before it"
    for turn in turns:
        with Image.open(folder / turn["image"]) as image:
            image.verify()
        with Image.open(folder / turn["image"]) as image:
            assert image.size == (512, 512)
        assert turn["caption"].strip()
        assert 0.0 <= turn["distance_to_prompt"] <= 2.0
        assert 0.0 <= turn["distance_to_previous"] <= 2.0
        assert turn["t2i"] == "sketch-painter" and turn["i2t"] == "sketch-reader" and turn["embedder"] == "minilm"
        assert turn["t2i_seconds"] > 0 and turn["i2t_seconds"] > 0
    assert turns[0]["distance_to_previous"] == turns[0]["distance_to_prompt"]
    info = json.loads((folder / "conversation.json").read_text())
    assert info["status"] == "finished" and info["turns"] == 10

    run = load_run(tmp_path / "run")
    assert [t.caption for t in run.conversations[0].turns] == [t["caption"] for t in turns]


def test_prompt_is_embedded_once_per_game(tmp_path, offline_line):
    embedder = Recording(offline_line.embedder)
    line = TelephoneLine(offline_line.drawers[0], offline_line.describers[0], embedder)
    prompt = load_prompts()[1]
    list(line.play(prompt, 4, RunStore.create("game", {}, tmp_path / "run"), seed=1))
    embedded = [texts[0] for name, texts in embedder.calls if name == "embed_texts"]
    assert embedded.count(prompt.text) == 1


def test_same_seed_replays_the_same_game(tmp_path, fresh_line):
    prompt = load_prompts()[3]
    captions = []
    for name in ("a", "b"):
        events = fresh_line.play(prompt, 3, RunStore.create("game", {}, tmp_path / name), seed=5)
        captions.append([e.turn.caption for e in events if isinstance(e, DistancesReady)])
    assert captions[0] == captions[1]


@pytest.mark.slow
def test_drift_grows_from_first_to_last_step_across_the_catalog(tmp_path, fresh_line):
    prompts = load_prompts()
    assert len(prompts) == 10
    first, last = [], []
    for prompt in prompts:
        store = RunStore.create("game", {}, tmp_path / prompt.id)
        distances = [
            e.turn.distance_to_prompt
            for e in fresh_line.play(prompt, 10, store, seed=0)
            if isinstance(e, DistancesReady)
        ]
        assert len(distances) == 10
        first.append(distances[0])
        last.append(distances[-1])
    assert np.mean(last) > np.mean(first)


@pytest.mark.slow
def test_cancel_stops_after_the_call_in_flight_and_keeps_finished_turns(tmp_path, offline_line):
    import threading

    cancel = threading.Event()
    store = RunStore.create("game", {}, tmp_path / "run")
    events = []
    for event in offline_line.play(load_prompts()[0], 10, store, seed=0, cancel=cancel):
        events.append(event)
        if isinstance(event, ImageReady) and event.step == 3:
            cancel.set()  # the user presses Escape while turn 3's drawing is being made
    assert events[-1].status == "cancelled" and events[-1].turns_played == 2
    conversation = load_run(tmp_path / "run").conversations[0]
    assert [turn.step for turn in conversation.turns] == [1, 2]
    assert conversation.info.status == "cancelled"
    resumed = list(offline_line.play(load_prompts()[0], 10, store, seed=0))
    assert resumed[0].first_step == 3 and resumed[-1].status == "finished"


def test_the_callback_api_sees_the_same_events_as_the_iterator(tmp_path, offline_line):
    from engine.game import play_with_callback

    prompt = load_prompts()[2]
    seen = []
    play_with_callback(offline_line, prompt, 2, RunStore.create("game", {}, tmp_path / "a"), seen.append, seed=4)
    iterated = list(offline_line.play(prompt, 2, RunStore.create("game", {}, tmp_path / "b"), seed=4))
    assert [type(e) for e in seen] == [type(e) for e in iterated]
    assert [e.turn.caption for e in seen if isinstance(e, DistancesReady)] == [
        e.turn.caption for e in iterated if isinstance(e, DistancesReady)
    ]


@pytest.mark.slow
def test_an_offline_game_keeps_changing_after_it_would_have_settled(tmp_path, offline_line):
    """The dog and frisbee game used to repeat one caption from turn 2 on; the pair now varies as real models do."""
    prompt = find_prompt("dog-frisbee", load_prompts())
    events = offline_line.play(prompt, 16, RunStore.create("game", {}, tmp_path / "run"), seed=0)
    captions = [event.turn.caption for event in events if isinstance(event, DistancesReady)]
    late = list(itertools.pairwise(captions[4:]))
    assert sum(before != now for before, now in late) >= 0.6 * len(late)


def _open_journals(folder: Path) -> list[str]:
    """The journal files under ``folder`` this process holds open (Linux's /proc)."""
    journals = []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            name = os.readlink(f"/proc/self/fd/{descriptor}")
        except FileNotFoundError:  # closed since the listing (the listing's own descriptor, say)
            continue
        if name.startswith(str(folder)) and name.endswith("journal.jsonl"):
            journals.append(name)
    return journals


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc")
def test_a_game_holds_its_journal_open_while_it_plays_and_lets_it_go_however_it_ends(tmp_path, offline_line):
    store = RunStore.create("game", {}, tmp_path / "run")
    played = offline_line.play(load_prompts()[0], 3, store, seed=1)
    for event in played:
        if isinstance(event, DistancesReady):
            assert len(_open_journals(tmp_path)) == 1, "one descriptor for the whole game, not one per turn"
            break
    played.close()  # the consumer stops listening after the first turn
    assert _open_journals(tmp_path) == []
    list(offline_line.play(load_prompts()[1], 2, store, seed=1))  # a game played to its end
    assert _open_journals(tmp_path) == []
    assert sorted(len(conversation.turns) for conversation in load_run(tmp_path / "run").conversations) == [1, 2]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc")
def test_a_journal_dropped_without_closing_lets_its_file_go(tmp_path):
    store = RunStore.create("game", {}, tmp_path / "run")
    info = ConversationInfo("c1", "A red apple.", "apple", "easy", "a", "b", "c", 1, 0, "now")
    store.begin(info).append(Turn(1, "A red apple.", "a", "b", "c", caption="an apple"))
    gc.collect()
    assert _open_journals(tmp_path) == []
