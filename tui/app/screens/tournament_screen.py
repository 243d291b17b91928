"""A tournament from the app: choose the pairs, see the plan, confirm, watch the games go."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Header, Label, ProgressBar, SelectionList
from textual.widgets.selection_list import Selection

from engine import (
    KIND_NAMES,
    Catalog,
    InvalidInput,
    Kind,
    RunSession,
    RunStore,
    StorageError,
    TelephoneError,
    Tournament,
    TournamentPlan,
    load_prompts,
    resume_plan,
    start_tournament,
)
from tui.app.messages import Tally, TournamentEnded, TournamentOpened, TournamentProgressed
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.typed import telephone_app
from tui.app.widgets.key_footer import KeyFooter

PAIRED_KINDS: tuple[Kind, Kind] = ("t2i", "i2t")  # a tournament pairs every ticked model of these kinds


class TournamentScreen(Screen[None]):
    """New (from the picker's choices) or resumed (from a run folder); Enter starts, Escape stops."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start"),
        Binding("escape", "stop", "Stop / back"),
        Binding("l", "leaderboard", "Leaderboard"),
    ]
    CSS_PATH = "tournament_screen.tcss"

    # What the progress bar and the line under it show; set on the event loop only.
    phase: var[str] = var("ready")  # then "playing", "stopping" (Escape), "ended"
    tally: var[Tally] = var(Tally())
    elapsed: var[int] = var(0)  # seconds since the start, until the end
    stats: var[str] = var("")  # computed from the above

    def __init__(self, catalog: Catalog, chosen: dict[Kind, str], turns: int, resume: Path | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.chosen = chosen
        self.turns = turns
        self.resume = resume
        self.cancel = threading.Event()
        self.started = 0.0
        self.ticker: Timer | None = None  # the elapsed time, once a second
        self.folder: Path | None = resume
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
            with VerticalScroll(id="plan"):
                yield Label(id="plan-text")
                yield Button("Start tournament", id="start", variant="primary")
        yield ProgressBar(id="progress", show_eta=True)
        yield Label(id="stats")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "tournament"
        if self.resume is not None:  # the run's plan is played as it was made
            self.query(SelectionList).set(disabled=True)
            self.query_one("#start").focus()
        else:
            self.query_one(SelectionList).focus()
        self._show_plan()

    @property
    def running(self) -> bool:
        return self.phase in ("playing", "stopping")

    @property
    def ended(self) -> bool:
        return self.phase == "ended"

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
            self.query_one("#plan-text", Label).update(Content.styled(str(error), "$text-error"))
            self.query_one("#start", Button).disabled = True
            return
        self.paid = bool(plan.cost(self.catalog))
        lines = [f"{label}: {value}" for label, value in plan.summary(self.catalog).rows]
        if self.resume:
            lines.append("resuming: only what is missing is played")
        self.query_one("#plan-text", Label).update(Text("\n".join(lines)))
        self.query_one("#start", Button).disabled = self.running
        self.query_one(ProgressBar).update(total=len(plan.games))
        self.tally = replace(self.tally, games=len(plan.games))

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.phase != "ready":
            return
        try:
            plan = self.plan()
        except InvalidInput as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.query_one("#start", Button).disabled = True
        self.started = telephone_app(self).clock()
        self.ticker = self.set_interval(1.0, self._tick)
        self.phase = "playing"
        self._play(plan, self.folder)

    @work(thread=True, exit_on_error=False)
    def _play(self, plan: TournamentPlan, folder: Path | None) -> None:
        try:
            if folder is None:
                store = start_tournament(plan, runs_folder=telephone_app(self).runs_dir)
                self.post_message(TournamentOpened(store.folder))
            else:
                store = RunStore.reopen(folder)
            with RunSession(store, self.catalog) as session:
                runner = Tournament(plan, session)
                in_order = threading.Lock()  # the games' threads send their counts in the order they took them

                def report() -> None:
                    with in_order:
                        self.post_message(TournamentProgressed(Tally.of(runner.progress, runner.budget.summary())))

                runner.run(lambda event: report(), self.cancel)
                report()  # the final counts, even when no game was left to play
        except (TelephoneError, OSError) as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Tournament stopped", severity="error", markup=False
            )
        finally:
            self.post_message(TournamentEnded())

    def on_tournament_opened(self, message: TournamentOpened) -> None:
        self.folder = message.folder

    def on_tournament_progressed(self, message: TournamentProgressed) -> None:
        self.tally = message.tally

    def on_tournament_ended(self) -> None:
        self._tick()
        if self.ticker is not None:
            self.ticker.stop()
        self.phase = "ended"
        tally = self.tally
        if tally.stopped:
            stopped = [
                *([f"{tally.cancelled} games stopped part-way"] if tally.cancelled else []),
                *([f"{tally.capped} games stopped by the budget"] if tally.capped else []),
            ]
            resume = "ctrl+o in the replay browser resumes them"
            self.notify(f"{'; '.join(stopped)}; {resume}", title="Tournament stopped")
        else:
            self.notify("Press l for the leaderboard", title="Tournament over")

    def _tick(self) -> None:
        self.elapsed = round(telephone_app(self).clock() - self.started)

    def watch_tally(self, tally: Tally) -> None:
        self.query_one(ProgressBar).update(progress=tally.done)

    def watch_phase(self, phase: str) -> None:
        self.query_one("#progress #eta").display = phase != "ended"  # nothing is left to estimate

    def compute_stats(self) -> str:
        tally, phase = self.tally, self.phase
        spent = f" · {tally.spent}" if self.paid and tally.spent else ""
        if phase == "ready":
            return ""
        if phase == "ended":
            head = "stopped" if tally.stopped else "finished"
            stopped = [
                *([f"{tally.cancelled} stopped part-way"] if tally.cancelled or not tally.capped else []),
                *([f"{tally.capped} stopped by the budget"] if tally.capped else []),
            ]
            saved = f" · saved in {self.folder.name}" if self.folder else ""
            return (
                f"{head} · {tally.done} of {tally.games} games played to the end · {' · '.join(stopped)} · "
                f"{tally.failed} failed{spent} · {self.elapsed} s{saved}"
            )
        head = "playing" if phase == "playing" else "stopping after the calls in flight…"
        return (
            f"{head} · {tally.done} of {tally.games} games done · {tally.in_flight} calls in flight, "
            f"{tally.waiting} waiting · {tally.failed} failed{spent} · {self.elapsed} s"
        )

    def watch_stats(self, stats: str) -> None:
        self.query_one("#stats", Label).update(Text(stats))

    def action_stop(self) -> None:
        if self.phase == "playing":
            self.cancel.set()
            self.phase = "stopping"
        elif not self.running:
            self.app.pop_screen()

    def action_leaderboard(self) -> None:
        if self.folder is not None:
            self.app.push_screen(LeaderboardScreen(self.folder))

    def on_unmount(self) -> None:
        self.cancel.set()
