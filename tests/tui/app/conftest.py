"""Fixtures the app's tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import RunSession, Tournament, TournamentPlan, load_prompts, start_tournament

APP_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts the app (a second or more each): none of them is in the fast subset."""
    for item in items:
        if item.path.is_relative_to(APP_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tournament_run(tmp_path_factory, catalog):
    """A finished tournament of the offline pair: three easy prompts, two turns each."""
    folder = tmp_path_factory.mktemp("tournament") / "run"
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", tuple(load_prompts()[:3]), 2)
    with RunSession(start_tournament(plan, folder), catalog) as session:
        Tournament(plan, session).run(lambda event: None)
    return folder
