"""The game: turns play in a worker thread and arrive here as engine events."""

from __future__ import annotations

import threading
import time
from collections import deque

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Label

from engine import (
    Budget,
    CallStarted,
    CaptionReady,
    ConversationFinished,
    ConversationStarted,
    DistancesReady,
    Event,
    ImageReady,
    RetryScheduled,
    TelephoneError,
    TurnFailed,
    TurnStarted,
    game_cost,
    metered_line,
    start_game_run,
)
from tui.app.messages import GameError
from tui.app.screens.picker_screen import GameSettings
from tui.app.typed import telephone_app
from tui.app.widgets.conversation_view import ConversationView

# Offline turns can arrive faster than a terminal repaints; events are applied in batches at most this often.
APPLY_EVERY_SECONDS = 0.05


class GameScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "stop", "Stop game"),
        Binding("n", "new_game", "New game"),
        Binding("end", "latest", "Latest turn"),
    ]
    CSS_PATH = "conversation.tcss"

    def __init__(self, settings: GameSettings) -> None:
        super().__init__()
        self.settings = settings
        self.cancel = threading.Event()
        self.started = 0.0
        self.stopped_at: float | None = None
        self.step = 0
        self.drawing = settings.prompt.text  # the text of the turn in progress
        self.call = "loading models…"
        self.outcome = ""
        self.shown_status = ""
        self.pending: deque[Event] = deque()  # filled by the worker thread, drained on the event loop
        self.budget: Budget | None = None  # what the game spends, once it plays
        self.estimate = 0.0  # what it should cost (paid models only show their spending)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="status")
        yield ConversationView(self.settings.prompt.text, self.settings.embedder, telephone_app(self).image_mode)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.settings.t2i} ⇄ {self.settings.i2t}"
        settings = self.settings
        catalog = telephone_app(self).catalog
        self.estimate = game_cost(catalog, settings.t2i, settings.i2t, settings.embedder, settings.turns)
        self.started = telephone_app(self).clock()
        self.query_one("#turn-list").focus()  # arrows scroll through the turns from the start
        self._refresh_status()
        self.set_interval(1.0, self._refresh_status)
        self.set_interval(APPLY_EVERY_SECONDS, self._apply_pending)
        self._play()

    def on_unmount(self) -> None:
        self.cancel.set()  # leaving or quitting: the worker stops after the call in flight

    @work(thread=True, exit_on_error=False)
    def _play(self) -> None:
        settings = self.settings
        try:
            app = telephone_app(self)
            line = app.line(settings.t2i, settings.i2t, settings.embedder)
            with start_game_run(settings.turns, settings.seed, runs_folder=app.runs_dir) as store:
                line, self.budget = metered_line(line, app.catalog, store)
                turn_started = time.monotonic()
                events = line.play(
                    settings.prompt,
                    settings.turns,
                    store,
                    seed=settings.seed,
                    cancel=self.cancel,
                    on_retry=self.pending.append,
                )
                for event in events:
                    self.pending.append(event)
                    if isinstance(event, DistancesReady):
                        # Show each turn for at least the app's pace; Escape (cancel) ends the wait at once.
                        self.cancel.wait(max(0.0, app.pace - (time.monotonic() - turn_started)))
                        turn_started = time.monotonic()
        except (TelephoneError, OSError) as error:
            self.post_message(GameError(str(error)))

    def _apply_pending(self) -> None:
        """Show every event that has arrived since the last look, in one repaint."""
        if not self.pending:
            return
        with self.app.batch_update():
            while self.pending:
                self._apply(self.pending.popleft())
            self._refresh_status()

    def _apply(self, event: Event) -> None:
        view = self.query_one(ConversationView)
        if isinstance(event, ConversationStarted):
            self.call = "starting"
        elif isinstance(event, TurnStarted):
            self.step, self.drawing = event.step, event.text
            view.preview(event.step, event.text)
        elif isinstance(event, CallStarted):
            self.call = event.summary
        elif isinstance(event, RetryScheduled):
            self.call = f"{event.model_id}: {event.summary}"
        elif isinstance(event, ImageReady):
            view.preview(event.step, self.drawing, event.image)
        elif isinstance(event, CaptionReady):
            self.call = "measuring drift…"
        elif isinstance(event, DistancesReady | TurnFailed):
            view.add_turn(event.turn, event.image)
        elif isinstance(event, ConversationFinished):
            self.stopped_at = telephone_app(self).clock()
            self.outcome = {"finished": "finished", "cancelled": "stopped"}.get(event.status, event.detail)
            self.call = ""
            if event.failed:
                self.notify(event.detail, title="Game ended", severity="error", markup=False)

    def on_game_error(self, message: GameError) -> None:
        self.stopped_at = telephone_app(self).clock()
        self.outcome = message.message
        self.call = ""
        self._refresh_status()
        self.notify(message.message, title="Cannot play", severity="error", markup=False)

    def _refresh_status(self) -> None:
        elapsed = (self.stopped_at or telephone_app(self).clock()) - self.started
        minutes, seconds = divmod(int(elapsed), 60)
        parts = [f"turn {self.step}/{self.settings.turns}", f"{minutes}:{seconds:02d}"]
        if self.estimate and self.budget is not None:
            parts.append(f"{self.budget.summary()} (about ${self.estimate:.2f} for the game)")
        parts.append(self.outcome or self.call)
        status = "  ·  ".join(part for part in parts if part)
        if status != self.shown_status:  # an unchanged line costs a repaint all the same
            self.shown_status = status
            self.query_one("#status", Label).update(Text(status))

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def action_stop(self) -> None:
        if self.running:
            self.cancel.set()
            self.call = "stopping after the call in flight…"
            self._refresh_status()
        else:
            self.app.pop_screen()

    def action_new_game(self) -> None:
        self.cancel.set()
        self.app.pop_screen()

    def action_latest(self) -> None:
        view = self.query_one(ConversationView)
        view.select(len(view.turns))
