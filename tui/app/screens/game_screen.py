"""The game: turns play in a worker thread and arrive here as engine events; Space pauses it after the call
in flight and resumes it; f shows it on the stage."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Label
from textual.worker import get_current_worker

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
    RunSession,
    RunStore,
    TelephoneError,
    TurnFailed,
    TurnStarted,
    game_cost,
    start_game_run,
)
from tui.app.messages import GameError
from tui.app.screens.conversation_screen import ConversationScreen
from tui.app.screens.picker_screen import GameSettings
from tui.app.typed import telephone_app
from tui.app.widgets.conversation_view import ConversationView
from tui.app.widgets.stage import Stage

# Offline turns can arrive faster than a terminal repaints; events are applied in batches at most this often.
APPLY_EVERY_SECONDS = 0.05
HOLD_STEP_SECONDS = 0.05  # how often a waiting worker looks whether it should stop


class GameScreen(ConversationScreen):
    # Priority: the turn list would otherwise take these keys to scroll itself and leave the view behind.
    BINDINGS = [
        Binding("escape", "stop", "Stop game"),
        Binding("space", "pause", "Pause/resume", key_display="space"),
        Binding("f,f5", "present", "Present", key_display="f"),
        Binding("left", "step(-1)", "Back", key_display="←", priority=True),
        Binding("right", "step(1)", "Forward", key_display="→", priority=True),
        Binding("home", "first", "First", show=False, priority=True),
        Binding("end", "latest", "Latest turn", priority=True),
        Binding("n", "new_game", "New game"),
    ]

    def __init__(self, settings: GameSettings, present: bool = False) -> None:
        super().__init__(present)
        self.settings = settings
        self.cancel = threading.Event()
        self.resumed = threading.Event()  # cleared while paused: the worker asks for nothing more
        self.resumed.set()
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

    def new_view(self) -> ConversationView:
        settings = self.settings
        pictures = telephone_app(self).pictures
        return ConversationView(
            settings.prompt.text, settings.embedder, settings.turns, pictures, presenting=self.presenting
        )

    def on_mount(self) -> None:
        self.sub_title = f"{self.settings.t2i} ⇄ {self.settings.i2t}"
        app = telephone_app(self)
        settings = self.settings
        self.estimate = game_cost(app.catalog, settings.t2i, settings.i2t, settings.embedder, settings.turns)
        self.started = app.clock()
        self.query_one("#turn-list").focus()  # arrows scroll through the turns from the start

        self._refresh_status()
        self.set_interval(1.0, self._refresh_status)
        self.set_interval(APPLY_EVERY_SECONDS, self._apply_pending)
        self._play()

    def on_unmount(self) -> None:
        self.cancel.set()  # leaving or quitting: the worker stops after the call in flight
        self.resumed.set()

    @work(thread=True, exit_on_error=False)
    def _play(self) -> None:
        settings = self.settings
        try:
            app = telephone_app(self)
            line = app.line(settings.t2i, settings.i2t, settings.embedder)
            store = start_game_run(settings.turns, settings.seed, settings.folder, runs_folder=app.runs_dir)
            with RunSession(store, app.catalog) as session:
                line, self.budget = session.metered(line), session.budget
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
                    if isinstance(event, ConversationStarted) and event.first_step > 1:
                        self._show_saved_turns(store, event.conversation_id)
                    if isinstance(event, DistancesReady):
                        # Show each turn for at least the app's pace; Escape (cancel) ends the wait at once.
                        shown_until = turn_started + app.pace
                        self._hold(lambda: time.monotonic() >= shown_until)  # noqa: B023 - called here, at once
                        turn_started = time.monotonic()
                    # Paused: the engine is asked for nothing more, so no call starts until Space resumes.
                    self._hold(self.resumed.is_set)
        except (TelephoneError, OSError) as error:
            self.post_message(GameError(str(error)))

    def _show_saved_turns(self, store: RunStore, conversation_id: str) -> None:
        """A resumed game shows the turns it had before the new ones come."""
        saved = store.conversation(conversation_id)
        done = [turn for turn in saved.turns if turn.error is None]
        self.pending += [DistancesReady(saved.info.id, turn, saved.image_path(turn)) for turn in done]

    def _hold(self, done: Callable[[], bool]) -> None:
        """Wait in the worker until ``done()``, or until the game is stopped or the app quits (then the engine
        is told to stop after the call in flight, so quitting never waits on a paused or pacing game)."""
        worker = get_current_worker()
        while not done() and not self.cancel.is_set():
            if worker.is_cancelled:
                self.cancel.set()
                return
            self.cancel.wait(HOLD_STEP_SECONDS)

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
            self.call = ""  # nothing is being called while the turn is shown
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
        if self.paused and self.running:
            parts.append("paused after the call in flight · space resumes")
        else:
            parts.append(self.outcome or self.call)
        status = "  ·  ".join(part for part in parts if part)
        if status != self.shown_status:  # an unchanged line costs a repaint all the same
            self.shown_status = status
            self.query_one("#status", Label).update(Text(status))
        self.query_one(Stage).state = ("paused" if self.paused else "playing") if self.running else ""

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def paused(self) -> bool:
        return not self.resumed.is_set()

    def action_pause(self) -> None:
        """Pause after the call in flight, or resume."""
        if not self.running:
            return
        if self.paused:
            self.resumed.set()
        else:
            self.resumed.clear()
        self._refresh_status()

    def action_step(self, delta: int) -> None:
        view = self.query_one(ConversationView)
        view.select(view.step + delta)

    def action_first(self) -> None:
        self.query_one(ConversationView).select(1)

    def action_stop(self) -> None:
        if self.presenting:
            self.action_present()  # Escape leaves the stage first
        elif self.running:
            self.cancel.set()
            self.resumed.set()
            self.call = "stopping after the call in flight…"
            self._refresh_status()
        else:
            self.app.pop_screen()

    def action_new_game(self) -> None:
        self.cancel.set()
        self.resumed.set()
        self.app.pop_screen()

    def action_latest(self) -> None:
        view = self.query_one(ConversationView)
        view.select(len(view.turns))
