"""A tournament from the app: choose the pairs, see the plan, confirm, watch the games go."""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ProgressBar, SelectionList
from textual.widgets.selection_list import Selection

from engine import (
    KIND_NAMES,
    Catalog,
    Event,
    InvalidInput,
    Kind,
    RunSession,
    RunStore,
    StorageError,
    TelephoneError,
    Tournament,
    TournamentPlan,
    TournamentProgress,
    load_prompts,
    resume_plan,
    start_tournament,
)
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.typed import telephone_app

APPLY_EVERY_SECONDS = 0.1
PAIRED_KINDS: tuple[Kind, Kind] = ("t2i", "i2t")  # a tournament pairs every ticked model of these kinds


class TournamentScreen(Screen[None]):
    """New (from the picker's choices) or resumed (from a run folder); Enter starts, Escape stops."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start"),
        Binding("escape", "stop", "Stop / back"),
        Binding("l", "leaderboard", "Leaderboard"),
    ]
    CSS_PATH = "tournament_screen.tcss"

    def __init__(self, catalog: Catalog, chosen: dict[Kind, str], turns: int, resume: Path | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.chosen = chosen
        self.turns = turns
        self.resume = resume
        self.cancel = threading.Event()
        self.pending: deque[Event | None] = deque()  # None: the tournament is over
        self.counts = TournamentProgress(0)  # until the tournament exists and counts for itself
        self.started: float | None = None
        self.ended = False
        self.folder: Path | None = resume
        self.running = False
        self.runner: Tournament | None = None  # once started: its budget counts what the run spends
        self.paid = False  # the plan has models with a price: show what is spent

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="choices"):
            for kind in PAIRED_KINDS:
                title = KIND_NAMES[kind]
                options = [
                    Selection(entry.name, entry.id, entry.id == self.chosen[kind])
                    for entry in self.catalog.entries(kind)
                    if self.catalog.availability(entry).ok
                ]
                selection = SelectionList(*options, id=f"pick-{kind}")
                selection.border_title = title
                yield selection
            with Vertical(id="plan"):
                yield Label(id="plan-text")
                yield Button("Start tournament", id="start", variant="primary")
        yield ProgressBar(id="progress", show_eta=True)
        yield Label(id="stats")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "tournament"
        if self.resume is not None:
            self.query_one("#choices SelectionList").disabled = True
        self.query_one(SelectionList).focus()
        self._show_plan()

    def plan(self) -> TournamentPlan:
        if self.resume is not None:
            return resume_plan(self.resume)
        picked = {kind: tuple(self.query_one(f"#pick-{kind}", SelectionList).selected) for kind in PAIRED_KINDS}
        return TournamentPlan(picked["t2i"], picked["i2t"], self.chosen["embed"], tuple(load_prompts()), self.turns)

    @on(SelectionList.SelectedChanged)
    def _show_plan(self) -> None:
        try:
            plan = self.plan()
        except (InvalidInput, StorageError) as error:
            self.query_one("#plan-text", Label).update(Text(str(error), style="red"))
            self.query_one("#start", Button).disabled = True
            return
        self.paid = bool(plan.cost(self.catalog))
        lines = [f"{label}: {value}" for label, value in plan.summary(self.catalog).rows]
        if self.resume:
            lines.append("resuming: only what is missing is played")
        self.query_one("#plan-text", Label).update(Text("\n".join(lines)))
        self.query_one("#start", Button).disabled = self.running
        self.query_one(ProgressBar).update(total=len(plan.games))
        self.counts.games = len(plan.games)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.running:
            return
        try:
            plan = self.plan()
        except InvalidInput as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.running = True
        self.query_one("#start", Button).disabled = True
        self.started = telephone_app(self).clock()
        self.set_interval(APPLY_EVERY_SECONDS, self._apply_pending)
        self._play(plan)

    @work(thread=True, exit_on_error=False)
    def _play(self, plan: TournamentPlan) -> None:
        try:
            if self.folder is None:
                store = start_tournament(plan, runs_folder=telephone_app(self).runs_dir)
                self.folder = store.folder
            else:
                store = RunStore.reopen(self.folder)
            with RunSession(store, self.catalog) as session:
                self.runner = Tournament(plan, session)
                self.counts = self.runner.progress
                self.runner.run(self.pending.append, self.cancel)
        except (TelephoneError, OSError) as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Tournament stopped", severity="error", markup=False
            )
        finally:
            self.pending.append(None)  # the end

    def _apply_pending(self) -> None:
        changed = False
        while self.pending:
            changed = True
            if self.pending.popleft() is None:
                self.running, self.ended = False, True
                break
        if not changed:
            return
        bar = self.query_one(ProgressBar)
        bar.update(progress=self.counts.done)
        bar.query_one("#eta").display = not self.ended  # nothing is left to estimate
        self.query_one("#stats", Label).update(Text(self._stats()))
        if self.ended and self.counts.stopped:
            self.notify(
                f"{self.counts.cancelled} games stopped part-way; ctrl+o in the replay browser resumes them",
                title="Tournament stopped",
            )
        elif self.ended:
            self.notify("Press l for the leaderboard", title="Tournament over")

    def _stats(self) -> str:
        clock = telephone_app(self).clock
        elapsed = clock() - (self.started if self.started is not None else clock())
        counts = self.counts
        spent = f" · {self.runner.budget.summary()}" if self.paid and self.runner is not None else ""
        if self.ended:
            head = "stopped" if counts.stopped else "finished"
            saved = f" · saved in {self.folder.name}" if self.folder else ""
            return (
                f"{head} · {counts.done} of {counts.games} games played to the end · {counts.cancelled} stopped "
                f"part-way · {counts.failed} failed{spent} · {elapsed:.0f} s{saved}"
            )
        return (
            f"playing · {counts.done} of {counts.games} games done · {counts.calls_in_flight} calls in flight, "
            f"{counts.calls_waiting} waiting · {counts.failed} failed{spent} · {elapsed:.0f} s"
        )

    def action_stop(self) -> None:
        if self.running:
            self.cancel.set()
            self.query_one("#stats", Label).update("stopping after the calls in flight…")
        else:
            self.app.pop_screen()

    def action_leaderboard(self) -> None:
        if self.folder is not None:
            self.app.push_screen(LeaderboardScreen(self.folder))

    def on_unmount(self) -> None:
        self.cancel.set()
