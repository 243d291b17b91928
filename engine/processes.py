"""A tournament's games in more than one process.

The official HTTP clients spend about a millisecond of Python per call, so a single process playing many
games at once is bound by its GIL long before the models are. Here each worker process plays its share of
the games in threads (``engine/scheduler.py``), through a run session rebuilt from the starting session's
spec, taking the next game from a counter they all share, under per-provider limits they all share
(semaphores), and one budget in shared memory; the run folder and its result cache are safe to write from
several processes.
Events come back to this process over a pipe, a batch at a time, as JSON, and reach ``on_event`` as they
would from threads.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any

from engine.events import ConversationFinished, ConversationStarted, Event, event_from_json, event_to_json
from engine.plan import TournamentPlan
from engine.scheduler import play_games
from engine.session import RunSession, SharedParts

PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def _shares(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole numbers as even as can be."""
    return [total // parts + (index < total % parts) for index in range(parts)]


def play_in_processes(
    session: RunSession,
    plan: TournamentPlan,
    concurrency: int,
    processes: int,
    on_event: Callable[[Event], None],
    cancel: threading.Event | None,
) -> list[str]:
    """Play ``plan``'s games in ``processes`` worker processes, ``concurrency`` games at once in all, each
    process with a session rebuilt from ``session``'s spec; wait for all of them. ``on_event`` gets every
    event, and a failed ConversationFinished for each game a process was playing when it died. Returns what
    kept a process from starting."""
    context = multiprocessing.get_context("spawn")  # never fork: the caller may have threads (the TUI does)
    processes = min(processes, concurrency)
    providers = {session.provider(model_id, kind) for kind, ids in plan.models_by_kind.items() for model_id in ids}
    shared = session.shared(providers)
    next_game = context.Value("i", 0)
    stop = context.Event()
    spec = {"session": session.spec(), "plan": plan.to_json(), "rate_share": 1 / processes}
    workers, connections = [], []
    for share in _shares(concurrency, processes):
        receiving, sending = context.Pipe(duplex=False)
        worker = context.Process(
            target=_worker, args=({**spec, "concurrency": share}, shared, next_game, stop, sending), daemon=True
        )
        worker.start()
        sending.close()
        workers.append(worker)
        connections.append(receiving)

    problems: list[str] = []
    started: set[str] = set()
    while connections:
        if cancel is not None and cancel.is_set():
            stop.set()
        for connection in wait(connections, timeout=0.2):
            assert isinstance(connection, Connection)
            try:
                batch = json.loads(connection.recv_bytes())
            except EOFError:
                connections.remove(connection)
                continue
            for data in batch:
                if "error" in data:
                    problems.append(f"a game process could not start: {data['error']}")
                    continue
                event = event_from_json(data)
                if isinstance(event, ConversationStarted):
                    started.add(event.conversation_id)
                elif isinstance(event, ConversationFinished):
                    started.discard(event.conversation_id)
                on_event(event)
    for worker in workers:
        worker.join()
    for cid in sorted(started):  # games a worker was playing when it died; their finished turns are saved
        on_event(ConversationFinished(cid, "failed", "its game process stopped; resume to finish it", 0))
    return problems


def _worker(
    spec: dict[str, Any],
    shared: SharedParts,
    next_game: Synchronized[int],
    stop: ProcessEvent,
    connection: Connection,
) -> None:
    """A worker process: play games taken from ``next_game`` until none is left, sending events home."""
    _killed_with_parent()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    outbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send, args=(outbox, connection), name="events")
    sender.start()
    try:
        plan = TournamentPlan.from_json(spec["plan"])
        session = RunSession.from_spec(spec["session"], shared, spec["rate_share"])
    except Exception as error:  # said to the parent, which reports it
        outbox.put({"error": f"{type(error).__name__}: {error}"})
        outbox.put(None)
        sender.join()
        return
    cancel = threading.Event()

    def pass_on_stop() -> None:
        stop.wait()
        cancel.set()

    threading.Thread(target=pass_on_stop, daemon=True).start()

    def take() -> int | None:
        with next_game.get_lock():
            index = next_game.value
            if index >= len(plan.games):
                return None
            next_game.value = index + 1
            return index

    try:
        play_games(session, plan, take, spec["concurrency"], lambda event: outbox.put(event_to_json(event)), cancel)
    finally:
        session.close()  # its cache: the writer lock is the starting process's
        outbox.put(None)
        sender.join()


def _killed_with_parent() -> None:
    """On Linux the kernel kills this process the moment its parent dies: the thread below waits for the GIL
    first, which on a busy machine can let a game write a turn after its tournament was killed."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _exit_with_parent() -> None:
    """Stop at once when the process that started this one is gone (killed with SIGKILL, say): a tournament
    killed is killed whole, and loses only the calls in flight."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os._exit(1)


def _send(outbox: queue.SimpleQueue[dict[str, Any] | None], connection: Connection) -> None:
    """Send what is waiting in ``outbox`` as one message, again and again, until the end mark."""
    done = False
    while not done:
        batch = [outbox.get()]
        while True:
            try:
                batch.append(outbox.get_nowait())
            except queue.Empty:
                break
        done = batch[-1] is None
        events = [item for item in batch if item is not None]
        if events:
            connection.send_bytes(json.dumps(events).encode("utf-8"))
    connection.close()
