"""The game: turns play in a worker thread and arrive here as engine events, in messages; Space pauses it
after the call in flight and resumes it; f shows it on the stage. When the person at the keyboard has a turn,
a text box under the picture takes their description (Enter sends it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input, Label
from textual.worker import Worker, WorkerState, get_current_worker

from engine import (
    CallStarted,
    CaptionReady,
    ConversationFinished,
    ConversationStarted,
    DistancesReady,
    Event,
    ImageReady,
    Person,
    RetryScheduled,
    RunSession,
    RunStore,
    TelephoneError,
    TurnFailed,
    TurnStarted,
    game_cost,
    start_game_run,
)
from tui.app.messages import GameError, GameEvent, GameHeld, PersonAsked
from tui.app.screens.conversation_screen import BACK, FORWARD, PRESENT, ConversationScreen
from tui.app.screens.picker_screen import GameSettings
from tui.app.typed import telephone_app
from tui.app.widgets.conversation_view import ConversationView
from tui.app.widgets.in_place import update_in_place
from tui.app.widgets.stage import Stage


class GameScreen(ConversationScreen):
    # Priority: the turn list would otherwise take these keys to scroll itself and leave the view behind.
    BINDINGS = [
        Binding("space", "pause", "Pause/resume", key_display="space"),  # the main action: first in the footer
        PRESENT,
        Binding("escape", "stop", "Stop game"),
        BACK,
        FORWARD,
        Binding("home", "first", "First", show=False, priority=True),
        Binding("end", "latest", "Latest turn", priority=True),
        Binding("n", "new_game", "New game"),
    ]

    # What the status line and the stage show; set on the event loop only.
    step: var[int] = var(0)  # the turn in progress or last played
    elapsed: var[int] = var(0)  # whole seconds the game has played (pauses left out), until it ended
    spent: var[str] = var("")  # what the game has spent, in words
    call: var[str] = var("loading models…")  # the call in flight, or what is happening
    outcome: var[str] = var("")  # how the game ended
    paused: var[bool] = var(False, init=False)
    held: var[bool] = var(False)  # paused, and the worker has let the call in flight end: nothing is asked
    running: var[bool] = var(True)
    status: var[str] = var("")  # computed from the above
    stage_state: var[str] = var("")  # computed

    def __init__(self, settings: GameSettings, present: bool = False) -> None:
        super().__init__(present)
        self.settings = settings
        self.cancel = threading.Event()
        self.resumed = threading.Event()  # cleared while paused: the worker asks for nothing more
        self.resumed.set()
        # Notified whenever pausing, stopping or the person's answer changes: a waiting worker looks again.
        self.changed = threading.Condition()
        self.started = 0.0
        self.paused_for = 0.0  # seconds spent paused, the pause in progress left out
        self.paused_at: float | None = None  # the clock when the pause in progress began
        self.drawing = settings.prompt.text  # the text of the turn in progress
        self.estimate = 0.0  # what it should cost (paid models only show their spending)
        self.ticker: Timer | None = None  # the elapsed time, once a second
        self.asking: Future[str | None] | None = None  # the person's answer the worker waits for

    def compose(self) -> ComposeResult:
        yield from super().compose()
        answer = Input(placeholder="describe the picture in your own words; Enter sends, Escape stops", id="answer")
        answer.display = False  # shown while the person at the keyboard has a turn
        yield answer

    def new_view(self) -> ConversationView:
        settings = self.settings
        pictures = telephone_app(self).pictures
        mixed = len(set(settings.t2i)) > 1 or len(set(settings.i2t)) > 1
        prompt = settings.picture.prompt.text if settings.picture else settings.prompt.text
        return ConversationView(prompt, settings.embedder, settings.turns, pictures, self.presenting, mixed)

    def on_mount(self) -> None:
        self.sub_title = self.settings.pair
        app = telephone_app(self)
        settings = self.settings
        self.estimate = game_cost(app.catalog, settings.t2i, settings.i2t, settings.embedder, settings.turns)
        self.started = app.clock()
        self.query_one("#turn-list").focus()  # arrows scroll through the turns from the start
        self.ticker = self.set_interval(1.0, self._tick)
        self._play()

    def on_unmount(self) -> None:
        self._stop_worker()  # leaving or quitting

    @work(thread=True, exit_on_error=False, group="game")
    def _play(self) -> None:
        settings = self.settings
        try:
            app = telephone_app(self)
            line = app.line(settings.t2i, settings.i2t, settings.embedder, Person(self._ask))
            store = start_game_run(settings.turns, settings.seed, settings.folder, runs_folder=app.runs_dir)
            with RunSession(store, app.catalog) as session:
                line, budget = session.metered(line), session.budget

                def show(event: Event) -> None:
                    self.post_message(GameEvent(event, budget.summary()))

                turn_started = time.monotonic()
                events = line.play(
                    settings.start, settings.turns, store, seed=settings.seed, cancel=self.cancel, on_retry=show
                )
                for event in events:
                    show(event)
                    if isinstance(event, ConversationStarted) and event.first_step > 1:
                        self._show_saved_turns(store, event.conversation_id, show)
                    if isinstance(event, DistancesReady):
                        # Show each turn for at least the app's pace; Escape (cancel) or Space ends the wait.
                        self._hold(lambda: not self.resumed.is_set(), until=turn_started + app.pace)
                        turn_started = time.monotonic()
                    if not self.resumed.is_set():
                        # Paused: the engine is asked for nothing more, so no call starts until Space resumes.
                        self.post_message(GameHeld())
                        self._hold(self.resumed.is_set)
                        turn_started = time.monotonic()  # the next turn's pace counts from the resume
        except (TelephoneError, OSError) as error:
            self.post_message(GameError(str(error)))

    def _ask(self, image: Path) -> str | None:
        """The person's turn, in the worker: the screen shows the text box and the worker waits for Enter
        (the answer), or for the game to be stopped (None)."""
        answer: Future[str | None] = Future()
        answer.add_done_callback(lambda _: self._wake_worker())
        self.post_message(PersonAsked(image, answer))
        self._hold(answer.done)
        return answer.result() if answer.done() else None

    def on_person_asked(self, message: PersonAsked) -> None:
        if self.cancel.is_set():
            message.answer.set_result(None)
            return
        self.asking = message.answer
        self.call = "your turn: describe the picture (Enter sends)"
        answer = self.query_one("#answer", Input)
        answer.display = True
        answer.focus()

    @on(Input.Submitted, "#answer")
    def _answered(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip() or self.asking is None:
            self.app.bell()  # an empty description would be drawn as nothing
            return
        self._answer(event.value)

    def _answer(self, text: str | None) -> None:
        """Hand the person's words (None: stop) to the waiting worker and put the text box away."""
        if self.asking is not None and not self.asking.done():
            self.asking.set_result(text)
        self.asking = None
        answer = self.query_one("#answer", Input)
        answer.value, answer.display = "", False
        self.query_one("#turn-list").focus()

    @staticmethod
    def _show_saved_turns(store: RunStore, conversation_id: str, show: Callable[[Event], None]) -> None:
        """A resumed game shows the turns it had before the new ones come."""
        saved = store.conversation(conversation_id)
        for turn in saved.shown_turns:
            if turn.error is None:
                show(DistancesReady(saved.info.id, turn, saved.image_path(turn)))

    def _hold(self, done: Callable[[], bool], until: float | None = None) -> None:
        """Wait in the worker until ``done()``, until ``until`` (monotonic) where given, or until the game is
        stopped or the app quits (then the engine is told to stop after the call in flight, so quitting never
        waits on a paused or pacing game). Woken by ``changed``, not by polling."""
        worker = get_current_worker()
        with self.changed:
            while not (done() or self.cancel.is_set() or worker.is_cancelled):
                left = None if until is None else until - time.monotonic()
                if left is not None and left <= 0:
                    return
                self.changed.wait(left)
        if worker.is_cancelled:
            self.cancel.set()

    def _stop_worker(self) -> None:
        """The worker stops after the call in flight, however it waits (paused, pacing, asking)."""
        self.cancel.set()
        self.resumed.set()
        self._wake_worker()

    def _wake_worker(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def on_game_event(self, message: GameEvent) -> None:
        event = message.event
        self.spent = message.spent
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
            self._end({"finished": "finished", "cancelled": "stopped"}.get(event.status, event.detail))
            if event.failed:
                self.notify(event.detail, title="Game ended", severity="error", markup=False)

    def on_game_error(self, message: GameError) -> None:
        self._end(message.message)
        self.notify(message.message, title="Cannot play", severity="error", markup=False)

    def _end(self, outcome: str) -> None:
        self._tick()
        if self.ticker is not None:
            self.ticker.stop()  # the time the game took stays on the status line
        self.outcome, self.call = outcome, ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The game is over once its worker is: the run (and its writer lock) is let go only then, so a game
        resumed the moment this one ends finds the run free."""
        if event.worker.group == "game" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.running = False

    def _tick(self) -> None:
        now = telephone_app(self).clock() if self.paused_at is None else self.paused_at  # paused: time stands
        self.elapsed = int(now - self.started - self.paused_for)

    def watch_paused(self, paused: bool) -> None:
        now = telephone_app(self).clock()
        if paused:
            self.paused_at = now
        elif self.paused_at is not None:
            self.paused_for += now - self.paused_at
            self.paused_at = None
        self._tick()

    def compute_status(self) -> str:
        minutes, seconds = divmod(self.elapsed, 60)
        parts = [f"turn {self.step}/{self.settings.turns}", f"{minutes}:{seconds:02d}"]
        if self.estimate and self.spent:
            parts.append(f"{self.spent} (about ${self.estimate:.2f} for the game)")
        if self.paused and self.running:
            parts.append("paused · space resumes" if self.held else "pausing after the call in flight… space resumes")
        else:
            parts.append(self.outcome or self.call)
        return "  ·  ".join(part for part in parts if part)

    def watch_status(self, status: str) -> None:
        update_in_place(self.query_one("#status", Label), Text(status))

    def compute_stage_state(self) -> str:
        return ("paused" if self.paused else "playing") if self.running else ""

    def watch_stage_state(self, state: str) -> None:
        self.query_one(Stage).state = state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the person types, the arrows, Home and End move in their text, not between turns."""
        return not (action in ("step", "first", "latest") and self.asking is not None)

    def action_pause(self) -> None:
        """Pause after the call in flight, or resume."""
        if not self.running:
            return
        self.paused = not self.paused
        if self.paused:
            self.resumed.clear()
        else:
            self.held = False
            self.resumed.set()
        self._wake_worker()

    def on_game_held(self, message: GameHeld) -> None:
        self.held = self.paused  # Space may have resumed it while the message was on its way

    def action_step(self, delta: int) -> None:
        view = self.query_one(ConversationView)
        view.select(view.step + delta)

    def action_first(self) -> None:
        self.query_one(ConversationView).select(1)

    def action_stop(self) -> None:
        if self.presenting:
            self.action_present()  # Escape leaves the stage first
        elif self.running:
            self._let_go()
            self.call = "stopping after the call in flight…"
        else:
            self.app.pop_screen()

    def action_new_game(self) -> None:
        self._let_go()
        self.app.pop_screen()

    def _let_go(self) -> None:
        """Tell the worker to stop after the call in flight, paused or not (a person's turn unanswered)."""
        self._stop_worker()
        self.paused = self.held = False
        if self.asking is not None:
            self._answer(None)

    def action_latest(self) -> None:
        view = self.query_one(ConversationView)
        view.select(len(view.turns))
