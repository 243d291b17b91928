"""Pacing: a provider's published request rate is kept to by waiting, not learnt from HTTP 429."""

from __future__ import annotations

import threading
import time

import pytest

from engine import Catalog, RunSession, load_prompts
from engine.catalog import user_catalog_path
from engine.providers import http
from engine.providers.http import RateLimit, rate_limit, share_rate_limits
from engine.tournament import Tournament, TournamentPlan, start_tournament


class SimulatedClock:
    """Time that passes only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_never_more_than_the_rate_in_any_minute():
    clock = SimulatedClock()
    limit = RateLimit(600, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(3000):
        limit.acquire()
        starts.append(clock.now)
    assert starts[:10] == [0.0] * 10, "a burst goes at once"
    most = max(sum(1 for t in starts[i:] if t < start + 60) for i, start in enumerate(starts))
    assert 590 <= most <= 600
    assert starts[-1] == pytest.approx((3000 - 10) / (590 / 60))


def test_a_waiting_request_does_not_hold_up_the_others_bookkeeping():
    """Each request reserves the next token and sleeps outside the lock: N threads wait N different times."""
    clock = SimulatedClock()
    waits: list[float] = []
    limit = RateLimit(120, burst=2, clock=clock, sleep=lambda seconds: None)
    threads = [threading.Thread(target=lambda: waits.append(limit.acquire())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    step = 1 / limit.per_second
    assert sorted(waits) == pytest.approx([0, 0, step, 2 * step, 3 * step, 4 * step])


def test_a_process_among_several_keeps_to_its_share(monkeypatch):
    monkeypatch.setattr(http, "_rate_limits", {})
    share_rate_limits(0.5)
    try:
        limit = rate_limit("replicate", 600)
    finally:
        share_rate_limits(1.0)
    assert limit is not None and limit.per_second * 60 + limit.burst == pytest.approx(300)
    assert rate_limit("openai", None) is None


@pytest.mark.slow
def test_replicate_creates_wait_for_their_turn(tmp_path, fake, monkeypatch):
    """A tournament against the fake with the catalog's rate at 120 a minute: after the burst of 10, the
    prediction creates come no faster than the rate allows, and none is refused."""
    monkeypatch.setattr(http, "_rate_limits", {})
    user_catalog_path().write_text("[provider.replicate]\nrequests_per_minute = 120\n")
    plan = TournamentPlan(("stable-diffusion",), ("blip",), "imagebind", tuple(load_prompts()[:1]), 4)
    started = time.monotonic()
    with RunSession(start_tournament(plan, tmp_path / "run"), Catalog.load()) as session:
        result = Tournament(plan, session).run(lambda event: None)
    assert result.finished == 1
    creates = [call for call in fake.requests if call["method"] == "POST" and "predictions" in call["path"]]
    limit = rate_limit("replicate", 120)
    assert limit is not None and len(creates) > limit.burst
    paced = len(creates) - limit.burst
    assert time.monotonic() - started >= 0.9 * paced / limit.per_second
