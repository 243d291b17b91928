"""The run folder format: round trips, validation with file and line, resume without repeated calls."""

from __future__ import annotations

import json

import pytest

from engine import InvalidInput, RunStore, StorageError, TelephoneLine, load_prompts, load_run
from engine.events import ConversationStarted, DistancesReady
from engine.store import FORMAT, VERSION, conversation_id, load_journal
from tests.recording import Recording

GAME = {"t2i": "sketch-painter", "i2t": "sketch-reader", "embedder": "minilm", "prompt": "A red apple."}


def test_conversation_id_is_a_stable_hash_of_everything_that_changes_the_result():
    first = conversation_id(**GAME, turns=10, seed=0)
    assert first == conversation_id(**GAME, turns=10, seed=0)
    assert len(first) == 12
    others = [
        {**GAME, "turns": 9, "seed": 0},
        {**GAME, "turns": 10, "seed": 3},
        {**GAME, "embedder": "imagebind", "turns": 10, "seed": 0},
        {**GAME, "t2i": "sketch-reader", "i2t": "sketch-painter", "turns": 10, "seed": 0},
        {**GAME, "prompt": "A red apple!", "turns": 10, "seed": 0},
    ]
    assert len({first, *(conversation_id(**other) for other in others)}) == 6


def test_run_json_records_format_version_and_settings(tmp_path):
    RunStore.create("game", {"settings": {"turns": 3}}, tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["format"] == FORMAT and meta["version"] == VERSION
    assert meta["settings"] == {"turns": 3} and meta["created"]


def test_store_round_trips_a_played_game(tmp_path, fresh_line):
    prompt = load_prompts()[2]
    played = [
        e.turn
        for e in fresh_line.play(prompt, 3, RunStore.create("game", {}, tmp_path / "run"), seed=2)
        if isinstance(e, DistancesReady)
    ]
    run = load_run(tmp_path / "run")
    assert run.problems == []
    (conversation,) = run.conversations
    assert conversation.turns == played
    assert conversation.info.prompt == prompt.text and conversation.info.level == prompt.level
    assert all(conversation.image_path(turn).is_file() for turn in conversation.turns)


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    with pytest.raises(InvalidInput, match="not a run folder"):
        RunStore.create("game", {}, tmp_path / "notes")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "run.json").write_text(json.dumps({"format": "something-else", "version": 1}))
    with pytest.raises(StorageError, match="not an aitelephone run"):
        RunStore.create("game", {}, tmp_path / "other")


def test_bad_journal_line_is_reported_with_path_and_line(tmp_path, fresh_line):
    prompt = load_prompts()[0]
    list(fresh_line.play(prompt, 3, RunStore.create("game", {}, tmp_path / "run"), seed=0))
    list(fresh_line.play(load_prompts()[1], 2, RunStore.create("game", {}, tmp_path / "run"), seed=0))
    journal = (
        tmp_path
        / "run"
        / "conversations"
        / conversation_id(**{**GAME, "prompt": prompt.text}, turns=3, seed=0)
        / "journal.jsonl"
    )
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], '{"step": 2, "text": "cut off', lines[2]]) + "\n")

    with pytest.raises(StorageError, match=rf"{journal}:2: not valid JSON"):
        load_journal(journal)
    run = load_run(tmp_path / "run")
    assert sorted(len(c.turns) for c in run.conversations) == [1, 2], "the good prefix and the other conversation"
    assert run.problems == [f"{journal}:2: not valid JSON (Unterminated string starting at) (1 later lines not read)"]
    (damaged,) = [c for c in run.conversations if c.damage]
    assert damaged.damage == run.problems[0] and damaged.folder == journal.parent


def test_out_of_order_steps_are_refused(tmp_path):
    journal = tmp_path / "journal.jsonl"
    turn = {"step": 1, "text": "t", "t2i": "a", "i2t": "b", "embedder": "c"}
    journal.write_text(json.dumps(turn) + "\n" + json.dumps({**turn, "step": 3}) + "\n")
    with pytest.raises(StorageError, match=r"journal.jsonl:2: step 3 where step 2 was expected"):
        load_journal(journal)


@pytest.mark.slow
def test_unfinished_game_resumes_where_it_stopped_without_repeating_calls(tmp_path, offline_line):
    prompt = load_prompts()[4]
    store = RunStore.create("game", {}, tmp_path / "run")
    stopped = offline_line.play(prompt, 5, store, seed=3)
    for event in stopped:
        if isinstance(event, DistancesReady) and event.turn.step == 2:
            break
    stopped.close()  # the process is gone after turn 2: turns 1-2 are on disk, nothing else

    painter = Recording(offline_line.drawers[0])
    reader = Recording(offline_line.describers[0])
    resumed = list(TelephoneLine(painter, reader, offline_line.embedder).play(prompt, 5, store, seed=3))
    assert isinstance(resumed[0], ConversationStarted) and resumed[0].first_step == 3
    assert painter.count("generate") == 3 and reader.count("describe") == 3
    steps = [turn.step for turn in load_run(tmp_path / "run").conversations[0].turns]
    assert steps == [1, 2, 3, 4, 5]

    uninterrupted = [
        e.turn.caption
        for e in offline_line.play(prompt, 5, RunStore.create("game", {}, tmp_path / "again"), seed=3)
        if isinstance(e, DistancesReady)
    ]
    assert [t.caption for t in load_run(tmp_path / "run").conversations[0].turns] == uninterrupted


def test_a_game_killed_between_its_two_files_starts_on_resume(tmp_path, offline_line):
    """A kill after conversation.json and before journal.jsonl: the game had played nothing, and plays."""
    prompt = load_prompts()[0]
    store = RunStore.create("game", {}, tmp_path / "run")
    started = offline_line.play(prompt, 2, store, seed=0)
    assert isinstance(next(started), ConversationStarted)
    started.close()
    (journal,) = (tmp_path / "run").glob("conversations/*/journal.jsonl")
    journal.unlink()
    assert list(offline_line.play(prompt, 2, store, seed=0))[-1].status == "finished"
    assert [turn.step for turn in load_run(tmp_path / "run").conversations[0].turns] == [1, 2]


def test_the_shipped_sample_run_loads_whole_and_is_small():
    from engine import sample_run

    folder = sample_run()
    run = load_run(folder)
    assert run.problems == []
    assert len(run.conversations) >= 3
    for conversation in run.conversations:
        assert conversation.info.status == "finished" and len(conversation.turns) >= 10
        assert all(conversation.image_path(turn).is_file() for turn in conversation.turns)
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    assert size < 400_000


def test_any_path_into_a_run_is_recognised(tmp_path, offline_line):
    from engine import locate_runs

    store = RunStore.create("game", {}, tmp_path / "runs" / "one")
    list(offline_line.play(load_prompts()[0], 1, store, seed=0))
    run = tmp_path / "runs" / "one"
    (conversation,) = (run / "conversations").iterdir()
    whole = [run.resolve()]
    assert locate_runs(run).runs == whole and locate_runs(run).conversation is None
    assert locate_runs(tmp_path / "runs").runs == whole
    assert locate_runs(run / "run.json").runs == whole
    assert locate_runs(run / "conversations").runs == whole
    for inside in (
        conversation,
        conversation / "journal.jsonl",
        conversation / "conversation.json",
        conversation / "images",
        conversation / "images" / "turn-01.png",
    ):
        assert locate_runs(inside).runs == whole and locate_runs(inside).conversation == conversation.name
    (tmp_path / "notes.txt").write_text("hello")
    assert locate_runs(tmp_path / "notes.txt").runs == [] and locate_runs(tmp_path / "elsewhere").runs == []
