"""Tournaments: concurrency under per-provider limits, a failed game among good ones, resume after a
kill -9 with no paid call made twice, the analysis and the exports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
from PIL import Image

from engine import Catalog, RunSession, RunStore, load_prompts, load_run
from engine.analysis import Analysis, convergence_step
from engine.events import ConversationFinished, DistancesReady
from engine.export.charts import write_charts
from engine.export.fiftyone import export_fiftyone
from engine.export.filmstrip import write_filmstrips
from engine.records import Turn
from engine.tournament import Tournament, TournamentPlan, resume_plan, start_tournament
from tests.engine.hosted import KEY, TOKEN
from tests.fakes.server import FakeServer, Fault
from tests.recording import Recording
from tui.cli.main import main


@pytest.fixture
def hosted(monkeypatch):
    with FakeServer(latency={"t2i": 0.03, "i2t": 0.015, "embed": 0.003}) as server:
        monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
        monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        yield server


def plan(t2i=("sketch-painter",), i2t=("sketch-reader",), embedder="minilm", prompts=2, turns=3):
    return TournamentPlan(tuple(t2i), tuple(i2t), embedder, tuple(load_prompts()[:prompts]), turns)


def test_offline_tournament_journals_every_game_and_embeds_each_prompt_once(tmp_path, catalog, offline_line):
    recorded = Recording(offline_line.embedder)
    models = {"t2i": offline_line.drawers[0], "i2t": offline_line.describers[0], "embed": recorded}
    chosen = plan(prompts=3, turns=3)
    store = start_tournament(chosen, tmp_path / "run")
    with RunSession(store, catalog, models=lambda _, kind: models[kind]) as session:
        result = Tournament(chosen, session, concurrency=3).run(lambda e: None)
    assert result.finished == 3 and not result.failed
    run = load_run(tmp_path / "run")
    assert sorted(len(c.turns) for c in run.conversations) == [3, 3, 3]
    embedded = [texts[0] for name, texts in recorded.calls if name == "embed_texts"]
    for prompt in chosen.prompts:
        assert embedded.count(prompt.text) == 1
    assert resume_plan(tmp_path / "run") == chosen


def test_games_run_concurrently_within_per_provider_limits(tmp_path, hosted, catalog):
    chosen = plan(
        t2i=("stable-diffusion", "flux-schnell"),
        i2t=("gpt-4o-mini",),
        embedder="text-embedding-3-small",
        prompts=4,
        turns=2,
    )
    store = start_tournament(chosen, tmp_path / "run")
    with RunSession(store, catalog, limits={"replicate": 2, "openai": 3}) as session:
        result = Tournament(chosen, session, concurrency=8).run(lambda e: None)
    assert result.finished == 8
    assert hosted.most_in_flight["replicate"] == 2
    assert 2 <= hosted.most_in_flight["openai"] <= 3


def test_a_failed_game_does_not_stop_the_others(tmp_path, hosted, catalog):
    chosen = plan(
        t2i=("stable-diffusion",), i2t=("gpt-4o-mini",), embedder="text-embedding-3-small", prompts=3, turns=2
    )
    hosted.inject("/v1/predictions", Fault(refusal=True))  # the very first drawing is refused
    events: list = []
    lock = threading.Lock()

    def keep(event):
        with lock:
            events.append(event)

    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        result = Tournament(chosen, session, concurrency=1).run(keep)
    assert result.finished == 2 and len(result.failed) == 1 and "refused at turn 1" in result.failed[0]
    statuses = sorted(c.info.status for c in load_run(tmp_path / "run").conversations)
    assert statuses == ["finished", "finished", "refused"]
    assert sum(isinstance(e, ConversationFinished) for e in events) == 3


def _answered(fake: FakeServer) -> list[str]:
    """Every model input the fake answered (drawings and captions), as comparable strings."""
    answered = []
    for call in fake.requests:
        drawing = call["path"] == "/v1/predictions" and "prompt" in call["json"].get("input", {})
        if call["method"] == "POST" and (drawing or call["path"] == "/v1/chat/completions"):
            answered.append(json.dumps(call["json"], sort_keys=True))
    return answered


def _journaled(folder) -> int:
    return sum(len(p.read_text().splitlines()) for p in folder.glob("conversations/*/journal.jsonl"))


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_resume_after_kill_9_makes_only_the_missing_calls(tmp_path, hosted, processes):
    folder = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "tui.cli.main",
        "tournament",
        "--t2i",
        "stable-diffusion",
        "--i2t",
        "gpt-4o-mini",
        "--embedder",
        "imagebind",
        "--prompts",
        "apple,dog-frisbee,bluebird,city-street",
        "--turns",
        "5",
        "--concurrency",
        "2",
        "--processes",
        str(processes),
        "--out",
        str(folder),
        "--yes",
    ]
    process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _journaled(folder) < 8:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(0.2)  # a game process notices its parent is gone within a moment; a line being written may land
    stopped = _journaled(folder)
    time.sleep(1.0)
    assert _journaled(folder) == stopped, "killed whole: no game process plays on"
    before = load_run(folder)
    done = sum(len(c.turns) for c in before.conversations)
    assert 8 <= done < 20, "killed mid-way"
    answered_before = _answered(hosted)

    assert main(["tournament", "--resume", str(folder), "--yes"]) == 0
    after = load_run(folder)
    assert sorted(len(c.turns) for c in after.conversations) == [5, 5, 5, 5]
    resumed = _answered(hosted)[len(answered_before) :]
    assert len(resumed) <= 2 * (20 - done), "at most one drawing and one caption per missing turn"
    repeated = set(resumed) & set(answered_before)
    # A turn's answers are kept together when it is journaled: at most a turn's drawing and caption per game
    # in flight at the kill (two games at once) are asked for again.
    assert len(repeated) <= 2 * 2, "only the calls of the turns in flight at the kill are made again"


def test_corrupted_journal_line_is_named_and_the_rest_still_analyses(tmp_path, catalog, capsys):
    chosen = plan(prompts=2, turns=3)
    store = start_tournament(chosen, tmp_path / "run")
    with RunSession(store, catalog) as session:
        Tournament(chosen, session, concurrency=2).run(lambda e: None)
    journal = sorted((tmp_path / "run").glob("conversations/*/journal.jsonl"))[0]
    journal.write_text(journal.read_text().replace('"step": 2', '"step": 2, oops', 1))
    assert main(["analyze", str(tmp_path / "run"), "--no-pictures"]) == 1
    printed = capsys.readouterr()
    output = printed.out
    assert f"not read: {journal}:2: not valid JSON" in printed.err.replace("\n", "")
    conversations = load_run(tmp_path / "run").conversations
    assert "settles at" in output and sorted(len(c.turns) for c in conversations) == [1, 3], "the good prefix loads"


@pytest.mark.slow
def test_convergence_step_and_leaderboard(tmp_path, catalog):
    def turns(moves):
        return [
            Turn(step=i + 1, text="", t2i="a", i2t="b", embedder="c", distance_to_prompt=0.5, distance_to_previous=m)
            for i, m in enumerate(moves)
        ]

    assert convergence_step(turns([0.4, 0.1, 0.01, 0.0, 0.015, 0.3])) == 2
    assert convergence_step(turns([0.4, 0.1, 0.05, 0.0, 0.3])) is None
    chosen = plan(prompts=3, turns=4)
    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        Tournament(chosen, session, concurrency=2).run(lambda e: None)
    analysis = Analysis(load_run(tmp_path / "run"))
    assert analysis.levels == ["easy"] and analysis.pairs == [("sketch-painter", "sketch-reader")]
    cells = analysis.by_step(analysis.pairs[0], "easy")
    assert len(cells) == 4 and all(cell.games == 3 and 0 <= cell.mean <= 2 for cell in cells)
    (row,) = analysis.leaderboard("easy")
    assert row.games == 3 and abs(row.final_mean - cells[-1].mean) < 1e-9


def test_filmstrips_charts_and_fiftyone_export(tmp_path, catalog):
    chosen = plan(prompts=2, turns=3)
    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        Tournament(chosen, session, concurrency=2).run(lambda e: None)
    run = load_run(tmp_path / "run")
    strips = write_filmstrips(run.conversations, tmp_path / "strips")
    assert len(strips) == 2
    with Image.open(strips[0]) as strip:
        assert strip.width > 3 * 256 and strip.height > 256
    charts = write_charts(Analysis(run), tmp_path / "charts")
    assert [path.name for path in charts] == ["drift-easy.png"]
    assert export_fiftyone(run, tmp_path / "fo").samples == 6
    samples = json.loads((tmp_path / "fo" / "samples.json").read_text())["samples"]
    fields = {
        "conversation_name",
        "prompt",
        "level",
        "t2i_model",
        "i2t_model",
        "step_number",
        "text_before",
        "text_after",
        "text_after_dist",
    }
    assert all(fields <= sample.keys() and (tmp_path / "fo" / sample["filepath"]).is_file() for sample in samples)
    assert sorted(s["step_number"] for s in samples if s["conversation_name"] == samples[0]["conversation_name"]) == [
        0,
        1,
        2,
    ]


def test_fiftyone_reads_the_export(tmp_path, catalog):
    """With the real fiftyone package (not installed by default: it is about 1 GB)."""
    fiftyone = pytest.importorskip("fiftyone")
    from fiftyone.utils.data.importers import LegacyFiftyOneDatasetImporter

    chosen = plan(prompts=1, turns=2)
    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        Tournament(chosen, session, concurrency=1).run(lambda e: None)
    export_fiftyone(load_run(tmp_path / "run"), tmp_path / "fo")
    with LegacyFiftyOneDatasetImporter(str(tmp_path / "fo")) as importer:
        samples = list(importer)
    assert len(samples) == 2 and isinstance(samples[0], fiftyone.Sample)
    assert samples[1]["step_number"] == 1 and samples[0]["level"] == "easy"


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    assert main(["tournament", "--prompts", "catalog", "--turns", "10", "--out", str(tmp_path / "t"), "--dry-run"]) == 0
    output = capsys.readouterr().out
    assert "10 = 1 text→image × 1 image→text × 10 prompts" in output and "310" in output
    assert not (tmp_path / "t").exists()


def test_a_paid_tournament_needs_yes_without_a_terminal(tmp_path, hosted, capsys):
    code = main(
        [
            "tournament",
            "--t2i",
            "stable-diffusion",
            "--i2t",
            "blip",
            "--embedder",
            "imagebind",
            "--out",
            str(tmp_path / "t"),
        ]
    )
    assert code == 2 and "needs --yes" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_resume_of_a_plain_game_is_refused(tmp_path, offline_line):
    list(offline_line.play(load_prompts()[0], 1, RunStore.create("game", {}, tmp_path / "game"), seed=0))
    assert main(["tournament", "--resume", str(tmp_path / "game")]) == 2


def test_plan_counts_calls_and_estimates_cost():
    catalog = Catalog.load()
    chosen = TournamentPlan(
        ("stable-diffusion", "vqgan-clip", "dall-e-2"),
        ("blip", "clip-prefix", "minigpt-4", "mplug-owl"),
        "imagebind",
        tuple(load_prompts()),
        10,
    )
    assert len(chosen.games) == 120
    assert chosen.calls(takes_images=True) == {"t2i": 1200, "i2t": 1200, "embed": 2410}
    assert chosen.cost(catalog) > 0


def test_the_plan_prices_every_call_it_counts(hosted):
    catalog = Catalog.load()
    chosen = TournamentPlan(("stable-diffusion",), ("blip",), "imagebind", tuple(load_prompts()), 10)
    calls = chosen.calls(catalog.takes_images("imagebind"))
    assert calls == {"t2i": 100, "i2t": 100, "embed": 210}  # a caption and an image per turn, and each prompt
    prices = {model_id: catalog.get(model_id).options["cost"] for model_id in ("stable-diffusion", "blip", "imagebind")}
    expected = 100 * prices["stable-diffusion"] + 100 * prices["blip"] + 210 * prices["imagebind"]
    assert chosen.cost(catalog) == pytest.approx(expected)
    summary = chosen.summary(catalog)
    assert "410: 100 drawings, 100 captions, 210 embeddings" in summary.calls
    assert summary.measured_by == "imagebind (texts and images)"
    assert f"${expected:.2f}" in summary.cost


def test_calls_in_flight_never_exceed_the_provider_limit(tmp_path, catalog):
    """Eight games at once under an offline limit of 2: the calls waiting for a place are not in flight."""
    chosen = plan(prompts=8, turns=2)
    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        tournament = Tournament(chosen, session, concurrency=8)
        seen: list[tuple[int, int]] = []
        tournament.run(
            lambda event: seen.append((tournament.progress.calls_in_flight, tournament.progress.calls_waiting))
        )
    assert max(flight for flight, _ in seen) <= 2
    assert max(waiting for _, waiting in seen) > 0, "eight games asked for more than two calls at once"
    assert tournament.progress.done == 8 and tournament.progress.cancelled == 0


def test_a_stopped_tournament_counts_its_games_as_stopped_and_the_leaderboard_says_they_are_partial(tmp_path, catalog):
    chosen = plan(prompts=4, turns=20)
    with RunSession(start_tournament(chosen, tmp_path / "run"), catalog) as session:
        tournament = Tournament(chosen, session, concurrency=4)
        cancel = threading.Event()

        def stop_soon(event):
            if isinstance(event, DistancesReady) and event.turn.step == 2:
                cancel.set()

        result = tournament.run(stop_soon, cancel)
        progress = tournament.progress
    assert result.cancelled == progress.cancelled == 4 and progress.done == 0 and progress.stopped
    analysis = Analysis(load_run(tmp_path / "run"))
    assert "4 of 4 games are partial (4 stopped part-way)" in analysis.partial_note
    assert all("partial" in row.games for row in analysis.leaderboard_rows("easy"))
    run = load_run(tmp_path / "run")
    run.conversations[0].info = replace(run.conversations[0].info, status="capped")
    note = Analysis(run).partial_note
    assert "(3 stopped part-way, 1 stopped by the budget)" in note, "a capped game neither failed nor was refused"
    assert note.endswith("resume the tournament with a larger budget to finish them")


@pytest.mark.slow
def test_games_spread_over_processes_share_the_limits_and_report_every_event(tmp_path, hosted, catalog):
    chosen = plan(t2i=("stable-diffusion", "flux-schnell"), i2t=("blip",), embedder="imagebind", prompts=4, turns=2)
    events: list = []
    store = start_tournament(chosen, tmp_path / "run")
    with RunSession(store, catalog, limits={"replicate": 3}) as session:
        runner = Tournament(chosen, session, concurrency=8, processes=2)
        result = runner.run(events.append)
    assert result.finished == 8 and not result.failed
    assert hosted.most_in_flight["replicate"] == 3, "one limit for all processes, and it is reached"
    finished = [event for event in events if isinstance(event, ConversationFinished)]
    assert len(finished) == 8 and sum(isinstance(event, DistancesReady) for event in events) == 16
    assert runner.progress.done == 8 and runner.progress.calls_in_flight == 0, "counted from the processes' events"
    assert all(len(conversation.turns) == 2 for conversation in load_run(tmp_path / "run").conversations)
