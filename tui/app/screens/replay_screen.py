"""A saved game replayed turn by turn: stepped by hand, or playing by itself at a set pace, looping if asked,
through one game or several in turn; in the working view or on the stage."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Footer, Label

from engine import Conversation
from tui.app.screens.conversation_screen import BACK, FORWARD, PRESENT, ConversationScreen
from tui.app.typed import telephone_app
from tui.app.widgets.conversation_view import ConversationView
from tui.app.widgets.in_place import update_in_place
from tui.app.widgets.stage import Stage

MIN_DELAY, MAX_DELAY, DELAY_STEP = 0.5, 30.0, 0.5
PAGE = 5  # turns PageUp and PageDown move


class ReplayScreen(ConversationScreen):
    """One or more saved conversations, stepped through turn by turn."""

    # Priority: the turn list would otherwise take these keys to scroll itself and leave the view behind.
    BINDINGS = [
        Binding("space", "play", "Play/pause", key_display="space"),  # the main action: first in the footer
        PRESENT,
        Binding("escape", "back", "Close"),
        BACK,
        FORWARD,
        Binding("home", "first", "First", priority=True),
        Binding("end", "last", "Last", priority=True),
        Binding("pageup", f"step(-{PAGE})", f"Back {PAGE}", show=False, priority=True),
        Binding("pagedown", f"step({PAGE})", f"Forward {PAGE}", show=False, priority=True),
        Binding("l", "loop", "Loop"),
        Binding("plus,equals_sign", "delay(-1)", "Faster", key_display="+"),
        Binding("minus", "delay(1)", "Slower", key_display="-"),
        Binding("n", "game(1)", "Next game", show=False),
        Binding("p", "game(-1)", "Previous game", show=False),
    ]

    def __init__(
        self,
        conversations: list[Conversation],
        *,
        present: bool = False,
        autoplay: bool = False,
        loop: bool = False,
        delay: float = 3.0,
    ) -> None:
        super().__init__(present)
        self.conversations = conversations
        self.index = 0
        self.playing = autoplay
        self.looping = loop
        self.delay = min(max(delay, MIN_DELAY), MAX_DELAY)
        self._timer: Timer | None = None

    @property
    def conversation(self) -> Conversation:
        return self.conversations[self.index]

    @property
    def view(self) -> ConversationView:
        return self.query_one(ConversationView)

    def new_view(self) -> ConversationView:
        info = self.conversation.info
        app = telephone_app(self)
        turns = len(self.conversation.turns)
        mixed = len(set(info.drawers)) > 1 or len(set(info.describers)) > 1
        return ConversationView(info.prompt, info.embedder, turns, app.pictures, self.presenting, mixed)

    def on_mount(self) -> None:
        self._fill()
        self._timer = self.set_interval(self.delay, self._advance, pause=not self.playing)

    def _fill(self) -> None:
        info = self.conversation.info
        self.sub_title = f"replay · {info.pair}"
        view = self.view
        conversation = self.conversation
        view.add_turns([(turn, conversation.image_path(turn)) for turn in conversation.shown_turns], follow=False)
        view.select(1)
        view.query_one("#turn-list").focus()

    async def _switch_to(self, index: int) -> None:
        self.index = index % len(self.conversations)
        await self.view.remove()
        view = self.new_view()
        await self.mount(view, before=self.query_one(Footer))
        self._fill()

    def on_conversation_view_step_chosen(self, message: ConversationView.StepChosen) -> None:
        self._show_status()

    def _show_status(self) -> None:
        info = self.conversation.info
        parts = [f"turn {self.view.shown_step}/{len(self.conversation.turns)}", info.level, info.status]
        if len(self.conversations) > 1:
            parts.insert(0, f"game {self.index + 1}/{len(self.conversations)} (n/p)")
        if info.detail:
            parts[-1] += f": {info.detail}"
        if self.conversation.damage:
            parts.append("damaged: its journal's later lines cannot be read")
        pace = f"{self.delay:g} s a turn"
        parts.append(f"▶ playing, {pace}" if self.playing else f"paused (space plays, {pace})")
        parts.append("loop on" if self.looping else "loop off")
        update_in_place(self.query_one("#status", Label), Text("  ·  ".join(parts)))
        self.query_one(Stage).state = "playing" if self.playing else "paused"

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(self.delay, self._advance, pause=not self.playing)

    async def _advance(self) -> None:
        """One auto-play tick: the next turn; at the end the next game or the first turn again when looping."""
        view = self.view
        if view.step < len(view.turns):
            view.select(view.step + 1)
        elif self.looping and len(self.conversations) > 1:
            await self._switch_to(self.index + 1)
        elif self.looping:
            view.select(1)
        else:
            self.playing = False
            self._restart_timer()
            self._show_status()

    def action_step(self, delta: int) -> None:
        self.view.select(self.view.step + delta)
        self._restart_timer()  # a step by hand starts the wait for the next one afresh

    def action_first(self) -> None:
        self.action_step(-len(self.view.turns))

    def action_last(self) -> None:
        self.action_step(len(self.view.turns))

    def action_play(self) -> None:
        self.playing = not self.playing
        if self.playing and self.view.step == len(self.view.turns) and not self.looping:
            self.view.select(1)  # played to the end: play again from the start
        self._restart_timer()
        self._show_status()

    def action_loop(self) -> None:
        self.looping = not self.looping
        self._show_status()

    def action_delay(self, direction: int) -> None:
        self.delay = min(max(self.delay + direction * DELAY_STEP, MIN_DELAY), MAX_DELAY)
        self._restart_timer()
        self._show_status()

    async def action_game(self, delta: int) -> None:
        if len(self.conversations) > 1:
            await self._switch_to(self.index + delta)
            self._restart_timer()

    def action_back(self) -> None:
        """Escape leaves the stage first, then the replay."""
        if self.presenting:
            self.action_present()
        else:
            telephone_app(self).leave()
