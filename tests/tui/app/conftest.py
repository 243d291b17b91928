"""Fixtures the app's tests share."""

from __future__ import annotations

import pytest

from engine import RunSession, Tournament, TournamentPlan, load_prompts, start_tournament


@pytest.fixture(scope="session")
def tournament_run(tmp_path_factory, catalog):
    """A finished tournament of the offline pair: three easy prompts, two turns each."""
    folder = tmp_path_factory.mktemp("tournament") / "run"
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", tuple(load_prompts()[:3]), 2)
    with RunSession(start_tournament(plan, folder), catalog) as session:
        Tournament(plan, session).run(lambda event: None)
    return folder
