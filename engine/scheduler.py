"""A plan's games played in threads of one process, through one run session: the scheduler a tournament
uses in its own process and in each of its game processes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from engine.errors import TelephoneError
from engine.events import ConversationFinished, Event
from engine.plan import TournamentPlan
from engine.prompts import Prompt
from engine.session import RunSession


def play_games(
    session: RunSession,
    plan: TournamentPlan,
    take: Callable[[], int | None],
    concurrency: int,
    on_event: Callable[[Event], None],
    cancel: threading.Event | None = None,
) -> None:
    """Play, in ``concurrency`` threads, the games of ``plan`` whose indices ``take`` hands out, until none is
    left or the budget has refused a call. ``on_event`` gets every game's events, from those threads; a game
    that cannot go on ends with a failed ConversationFinished and does not stop the others."""
    games = plan.games
    for kind, ids in plan.models_by_kind.items():  # built and warmed up before the first game starts
        for model_id in ids:
            session.model(model_id, kind)

    def play(drawers: tuple[str, ...], describers: tuple[str, ...], prompt: Prompt) -> None:
        line = session.line(drawers, describers, plan.embedder)
        try:
            for event in line.play(prompt, plan.turns, session.store, seed=plan.seed, cancel=cancel):
                on_event(event)
        except (TelephoneError, OSError) as error:
            cid = line.conversation_id(prompt, plan.turns, plan.seed)
            on_event(ConversationFinished(cid, "failed", str(error), 0))

    def player() -> None:
        while not session.budget.reached and (index := take()) is not None:
            play(*games[index])

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="game") as pool:
        for future in [pool.submit(player) for _ in range(concurrency)]:
            future.result()
