"""Money: every call priced from the catalog, a cap that stops a run before a call could pass it, and a
resume with a larger cap that pays for nothing twice; against the loopback fake."""

from __future__ import annotations

import json
import threading

import pytest

from engine import (
    Budget,
    BudgetReached,
    ConversationFinished,
    InvalidInput,
    OverBudget,
    RunSession,
    RunStore,
    build_line,
    game_cost,
    load_prompts,
    load_run,
    parse_budget,
    start_game_run,
)
from engine.cache import ResultCache
from engine.tournament import Tournament, TournamentPlan, start_tournament
from tui.cli.main import main

MODELS = ("stable-diffusion", "blip", "imagebind")  # $0.005, $0.0003 and $0.0004 a call in the catalog


def paid_inputs(fake) -> list[str]:
    """Every prediction the fake was asked to make, as a comparable string: a repeat is a call paid twice."""
    return [
        json.dumps(call["json"], sort_keys=True)
        for call in fake.requests
        if call["method"] == "POST" and call["path"] == "/v1/predictions"
    ]


def test_a_call_that_could_pass_the_cap_is_not_started():
    budget = Budget(0.01, spent=0.004)
    in_flight = budget.paying(0.005)
    # The first call is still in flight: with the second, the run could pass the cap.
    with in_flight, pytest.raises(OverBudget, match=r"\$0\.00 of the \$0\.01 budget"), budget.paying(0.005):
        pass
    assert budget.reached and budget.spent == pytest.approx(0.009)
    with pytest.raises(RuntimeError), budget.paying(0.0005):
        raise RuntimeError("a failed call is not paid for")
    assert budget.spent == pytest.approx(0.009)
    with budget.paying(0.0):  # free models are never stopped
        pass
    assert Budget().summary() == "$0.00 spent" and budget.summary() == "$0.01 of $0.01 spent"


def test_budgets_as_typed():
    assert parse_budget("$1.25") == 1.25 and parse_budget(" 2 ") == 2.0
    for wrong in ("ten", "-1", "nan", "inf"):
        with pytest.raises(InvalidInput, match="USD"):
            parse_budget(wrong)


def test_a_games_estimate(catalog):
    assert game_cost(catalog, "sketch-painter", "sketch-reader", "minilm", 10) == 0.0
    assert game_cost(catalog, *MODELS, 10) == pytest.approx(10 * (0.005 + 0.0003) + 21 * 0.0004)


def test_a_tournament_stops_under_its_cap_and_resumes_with_a_larger_one_paying_nothing_twice(tmp_path, fake, catalog):
    plan = TournamentPlan(MODELS[:1], MODELS[1:2], MODELS[2], tuple(load_prompts()[:3]), 3)
    store = start_tournament(plan, tmp_path / "run")
    events: list = []
    lock = threading.Lock()

    def keep(event) -> None:
        with lock:
            events.append(event)

    with RunSession(store, catalog, 0.02) as session:
        capped = Tournament(plan, session, concurrency=1)
        result = capped.run(keep)
    assert capped.budget.reached and result.capped == 1 and result.finished < 3
    assert 0.02 - 0.0061 < capped.budget.spent <= 0.02, "stopped under the cap, a turn's worth from it"
    assert any(isinstance(event, BudgetReached) for event in events)
    statuses = [conversation.info.status for conversation in load_run(tmp_path / "run").conversations]
    assert "capped" in statuses and len(statuses) == result.finished + 1, "no game started after the stop"
    spent_before = capped.budget.spent
    assert ResultCache(store.cache_folder).spent() == pytest.approx(spent_before), "what is spent is what is kept"
    made_before = paid_inputs(fake)

    with RunSession(RunStore.reopen(tmp_path / "run"), catalog, 1.0) as session:
        resumed = Tournament(plan, session, concurrency=1)
        assert resumed.budget.spent == pytest.approx(spent_before), "a resume knows what the run has spent"
        result = resumed.run(lambda event: None)
    assert result.finished == 3 and not result.capped
    made = paid_inputs(fake)
    assert len(set(made)) == len(made), "no prediction asked for twice"
    assert spent_before < resumed.budget.spent < 1.0 and len(made) > len(made_before)
    assert all(len(conversation.turns) == 3 for conversation in load_run(tmp_path / "run").conversations)


def test_a_single_game_stops_at_its_budget_and_resumes_paying_nothing_twice(tmp_path, fake, catalog):
    prompt = load_prompts()[0]
    with RunSession(start_game_run(4, 0, tmp_path / "game"), catalog, 0.015) as session:
        budget = session.budget
        events = list(session.line(*MODELS).play(prompt, 4, session.store))
    assert isinstance(events[-1], ConversationFinished) and events[-1].status == "capped"
    assert budget.spent <= 0.015 and any(isinstance(event, BudgetReached) for event in events)

    with RunSession(start_game_run(4, 0, tmp_path / "game"), catalog, 0.05) as session:
        budget = session.budget
        events = list(session.metered(build_line(catalog, *MODELS)).play(prompt, 4, session.store))
    assert events[-1].status == "finished" and budget.spent <= 0.05
    made = paid_inputs(fake)
    assert len(set(made)) == len(made), "the drawing paid for before the stop was not asked for again"


def test_the_cli_says_when_the_budget_stopped_a_game(tmp_path, fake, capsys):
    command = ["play", "--t2i", MODELS[0], "--i2t", MODELS[1], "--embedder", MODELS[2], "--turns", "3"]
    command += ["--out", str(tmp_path / "game")]
    assert main([*command, "--budget", "0.006"]) == 1
    output = capsys.readouterr().out
    assert "budget reached" in output and "larger --budget" in output and "of $0.01 spent" in output
    assert main([*command, "--budget", "1"]) == 0
    assert "finished: 3 turns saved" in capsys.readouterr().out
    assert main([*command, "--budget", "lots"]) == 2
    assert "a budget is an amount in USD" in capsys.readouterr().err


@pytest.mark.slow
def test_game_processes_share_one_budget(tmp_path, fake, catalog):
    plan = TournamentPlan(MODELS[:1], MODELS[1:2], MODELS[2], tuple(load_prompts()[:6]), 3)
    with RunSession(start_tournament(plan, tmp_path / "run"), catalog, 0.05) as session:
        runner = Tournament(plan, session, concurrency=4, processes=2)
        result = runner.run(lambda event: None)
    assert runner.budget.reached and result.capped >= 1
    assert 0.05 - 4 * 0.0061 < runner.budget.spent <= 0.05, "the processes' spending, seen here, under the cap"
    assert ResultCache(runner.store.cache_folder).spent() == pytest.approx(runner.budget.spent)
