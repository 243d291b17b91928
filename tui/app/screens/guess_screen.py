"""Play with the room: a game on the stage with every text hidden (its last picture, the number of turns it took,
a box for what the room shouts and a board of the guesses, each scored at once by the game's embedder); `r`
reveals the prompt and the best guess's distance to it, ← and → then walk the chain, `s` shows its filmstrip,
and `g` (`n`, as in the demo) begins a round on another game of the run.

Before the reveal nothing that could give the prompt away is put into a widget: not the prompt, a caption, the
text a picture was drawn from, nor the prompt's id or level. Those widgets are filled at the reveal."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Digits, Input, Static

from engine import (
    Conversation,
    Embedder,
    Guess,
    GuessRound,
    StorageError,
    TelephoneError,
    Turn,
    clean_guess,
    last_picture,
    shortened,
)
from tui.app.screens.filmstrip_screen import FilmstripScreen
from tui.app.typed import telephone_app
from tui.app.widgets.fitted_text import FittedText
from tui.app.widgets.guess_board import GuessBoard
from tui.app.widgets.turn_image import TurnImage

SIDE_MIN_WIDTH = 40  # the board beside the picture never gets narrower than this
BOX_HEIGHT = 3  # the guess box under the picture, its border included
TALL_NUMBERS_FROM_HEIGHT = 30  # as on the stage: from here the turn number is drawn three rows tall


def games_to_guess(conversations: list[Conversation], first: str | None = None) -> tuple[list[Conversation], int]:
    """The games with a picture to guess from, newest first, and where the one with id ``first`` is among them
    (0 when it is not)."""
    games = sorted(
        (c for c in conversations if last_picture(c) is not None), key=lambda c: c.info.created, reverse=True
    )
    return games, next((number for number, game in enumerate(games) if game.info.id == first), 0)


class GuessBody(Horizontal):
    """The picture (and the box under it) beside the board; sizes the picture whenever the space changes."""

    def on_resize(self) -> None:
        cast(GuessScreen, self.screen).fit_picture()


class GuessScreen(Screen[None]):
    CSS_PATH = "guess_screen.tcss"
    AUTO_FOCUS = None  # the box takes the focus only while the room guesses (see ``watch_revealed``)
    BINDINGS = [
        Binding("escape", "back", "Leave the box / close"),
        Binding("enter", "focus_box", "Guess", key_display="⏎"),
        Binding("r", "reveal", "Reveal the prompt"),
        Binding("left", "walk(-1)", "Back a turn", key_display="←"),
        Binding("right", "walk(1)", "Forward a turn", key_display="→"),
        Binding("s", "filmstrip", "Filmstrip"),
        Binding("g,n", "new_round", "New round"),
    ]

    revealed: reactive[bool] = reactive(False, init=False)
    pending: reactive[int] = reactive(0, init=False)  # guesses being scored

    def __init__(self, conversations: list[Conversation], start: int = 0) -> None:
        super().__init__()
        self.conversations = conversations
        self.index = start % len(conversations)
        self.round: GuessRound | None = None
        self.step = 0  # the turn whose picture is up
        self._scratch: tempfile.TemporaryDirectory[str] | None = None  # filmstrips of a run not written to
        self._warned_not_kept = False

    @property
    def conversation(self) -> Conversation:
        return self.conversations[self.index]

    @property
    def last(self) -> Turn:
        """The turn whose picture the room guesses from."""
        turn = last_picture(self.conversation)
        assert turn is not None  # the app offers only games with a picture
        return turn

    def compose(self) -> ComposeResult:
        yield Static(id="guess-title")
        with GuessBody(id="guess-body"):
            with Vertical(id="guess-left"):
                yield TurnImage(telephone_app(self).pictures, id="guess-image")
                # A steady cursor: a blinking one draws the eye from the picture (and differs between screenshots).
                box = Input(placeholder="Type what the room shouts, then Enter", id="guess-box")
                box.cursor_blink = False
                yield box
            with Vertical(id="guess-side"):
                with Horizontal(id="guess-step"):
                    yield Static("TURNS", classes="guess-label", id="guess-step-label")
                    yield Digits("", id="guess-step-digits")
                    yield FittedText(id="guess-step-text")
                with Vertical(id="guess-turn"):
                    yield Static("CAPTION", classes="guess-label")
                    yield FittedText(id="guess-caption")
                    yield Static("DRAWN FROM", classes="guess-label")
                    yield FittedText(id="guess-drawn")
                    yield FittedText(id="guess-distance")
                yield Static("GUESSES, BEST FIRST", classes="guess-label")
                yield GuessBoard(id="guess-board")
                yield FittedText(id="guess-keys")

    def on_mount(self) -> None:
        self.sub_title = "guess the prompt"
        self._begin()

    def on_unmount(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= TALL_NUMBERS_FROM_HEIGHT, "-tall")
        self._show_step()

    def _begin(self) -> None:
        """A new round on the game at ``self.index``: its last picture, an empty board, the box ready."""
        app = telephone_app(self)
        embedder_id = self.conversation.info.embedder
        self.round = GuessRound(self.conversation, lambda: cast(Embedder, app.model(embedder_id, "embed")))
        self.set_reactive(GuessScreen.pending, 0)
        self.set_reactive(GuessScreen.revealed, False)
        self.query_one(GuessBoard).guesses = ()
        for hidden in ("#guess-caption", "#guess-drawn", "#guess-distance"):
            self.query_one(hidden, FittedText).text = ""
        self._warm(self.round)
        self.watch_revealed(False)

    def watch_revealed(self, revealed: bool) -> None:
        box = self.query_one("#guess-box", Input)
        box.display = not revealed
        box.disabled = revealed  # never focused again by a screen coming back (after the filmstrip)
        self.query_one("#guess-turn").display = revealed
        self.fit_picture()
        self._show_title()
        if revealed:
            self._show_turn(self.last.step)
        else:
            self.step = self.last.step
            self.query_one(TurnImage).show(self._image(self.last))
            self._show_step()
            box.focus()
        self._show_keys()

    def fit_picture(self) -> None:
        """The picture as large as the body allows beside the board, above the box while it is up."""
        width, height = self.query_one(GuessBody).size
        # After the reveal the picture still keeps off the last row: a Sixel picture may not reach it (xterm
        # scrolls), so there it would be drawn smaller than in half cells.
        box = 1 if self.revealed else BOX_HEIGHT
        self.query_one(TurnImage).fit(max(width - SIDE_MIN_WIDTH - 2, 1), max(height - box, 1))

    def _image(self, turn: Turn) -> Path | None:
        try:
            return self.conversation.image_path(turn)
        except StorageError:
            return None  # a path out of its folder in a stranger's run: shown as a turn without a picture

    def _show_title(self) -> None:
        title = self.query_one("#guess-title", Static)
        if not self.revealed:
            title.update(
                Text.assemble(("GUESS THE PROMPT", "bold"), "  ·  the room says what this picture was drawn from")
            )
            return
        assert self.round is not None
        best = self.round.record.best
        if best is None:
            outcome = Text("no guesses")
        else:
            outcome = Text.assemble(shortened(best.text, 200), (f"  {best.distance:.3f}", "bold"), " from the prompt")
        prompt = shortened(self.conversation.info.prompt)
        title.update(Text.assemble(("PROMPT  ", "bold"), prompt, "\n", ("BEST GUESS  ", "bold"), outcome))

    def _show_step(self) -> None:
        """The turn number: before the reveal how many turns it took, after it the turn shown of how many."""
        if not self.is_mounted or self.round is None:
            return
        total, tall = self.last.step, self.has_class("-tall")
        self.query_one("#guess-step-label", Static).update("TURN" if self.revealed else "TURNS")
        self.query_one("#guess-step-digits", Digits).update(str(self.step))
        if self.revealed:
            text = f"of {total}" if tall else f"{self.step} of {total}"
        else:
            text = "from the prompt to this picture"
            text = text if tall else f"{total} {text}"
        self.query_one("#guess-step-text", FittedText).text = text

    def _show_keys(self) -> None:
        keys = self.query_one("#guess-keys", FittedText)
        if self.revealed:
            keys.text = "← → walk the chain · s filmstrip · g new round · Escape closes"
        elif self.query_one("#guess-box", Input).has_focus:
            scoring = f"scoring {self.pending}… · " if self.pending else ""
            keys.text = f"{scoring}Enter scores · Escape leaves the box"
        else:
            keys.text = "Enter guesses · r reveals the prompt · g new round · Escape closes"

    def watch_pending(self) -> None:
        self._show_keys()

    def on_descendant_focus(self) -> None:
        self._show_keys()

    def on_descendant_blur(self) -> None:
        self._show_keys()

    def _show_turn(self, step: int) -> None:
        """Turn ``step`` of the chain, after the reveal: its picture, caption, the text it was drawn from and
        its distance to the prompt."""
        self.step = max(1, min(step, self.last.step))
        turn = self.conversation.turns[self.step - 1]
        self.query_one(TurnImage).show(self._image(turn))
        caption = f"{turn.failure}: {turn.error}" if turn.error else turn.caption or ""
        self.query_one("#guess-caption", FittedText).text = shortened(caption)
        self.query_one("#guess-drawn", FittedText).text = "the prompt" if turn.step == 1 else shortened(turn.text)
        distance = turn.distance_to_prompt
        self.query_one("#guess-distance", FittedText).text = (
            "" if distance is None else f"caption to prompt {distance:.3f}"
        )
        self._show_step()

    @on(Input.Submitted, "#guess-box")
    def _submitted(self, event: Input.Submitted) -> None:
        event.input.value = ""
        if self.revealed or self.round is None or clean_guess(event.value) is None:
            return  # only spaces or control characters: nothing to score
        self.pending += 1
        self._score(self.round, event.value)

    @work(thread=True, group="score")
    def _score(self, played: GuessRound, text: str) -> None:
        """Score one guess (the box is free for the next meanwhile) and keep the round with it."""
        try:
            guess = played.guess(text)
        except TelephoneError as error:
            self.app.call_from_thread(self._scored, played, None, str(error))
            return
        self.app.call_from_thread(self._scored, played, guess, None)
        self._keep(played)

    def _scored(self, played: GuessRound, guess: Guess | None, error: str | None) -> None:
        if played is not self.round or not self.is_attached:
            return  # a round that has ended meanwhile; the guess is kept in it
        self.pending = max(self.pending - 1, 0)
        if error is not None:
            self.notify(error, title="Not scored", severity="error", markup=False)
        self.query_one(GuessBoard).guesses = played.record.guesses

    @work(thread=True, group="warm-up")
    def _warm(self, played: GuessRound) -> None:
        """Build the game's embedder and embed the prompt before the first guess comes."""
        try:
            played.warm_up()
        except TelephoneError as error:
            self.app.call_from_thread(self.notify, str(error), title="Cannot score", severity="error", markup=False)

    def _keep(self, played: GuessRound) -> None:
        """Write the round beside its run (in the worker that changed it)."""
        try:
            played.save()
        except StorageError as error:
            self.app.call_from_thread(self._not_kept, str(error))

    def _not_kept(self, reason: str) -> None:
        if not self._warned_not_kept:  # once: a room's every guess would repeat it
            self._warned_not_kept = True
            self.notify(f"the round is not saved: {reason}", severity="warning", markup=False)

    @work(thread=True, group="keep")
    def _keep_in_background(self, played: GuessRound) -> None:
        self._keep(played)

    def action_back(self) -> None:
        """Escape leaves the box first, then the round."""
        if self.query_one("#guess-box", Input).has_focus:
            self.set_focus(None)
        else:
            telephone_app(self).leave()

    def action_focus_box(self) -> None:
        if not self.revealed:
            self.query_one("#guess-box", Input).focus()

    def action_reveal(self) -> None:
        if self.revealed or self.round is None:
            return
        self.round.reveal()
        self._keep_in_background(self.round)
        self.revealed = True

    def action_walk(self, delta: int) -> None:
        if self.revealed:
            self._show_turn(self.step + delta)

    def action_filmstrip(self) -> None:
        if not self.revealed or self.round is None:
            self.notify("the filmstrip shows every caption: it comes after the reveal (r)", markup=False)
            return
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="aitelephone-filmstrip-")
        self._draw_filmstrip(self.round, Path(self._scratch.name))

    @work(thread=True, exclusive=True, group="filmstrip")
    def _draw_filmstrip(self, played: GuessRound, scratch: Path) -> None:
        try:
            strip = played.filmstrip(scratch)
        except StorageError as error:
            self.app.call_from_thread(self.notify, str(error), title="No filmstrip", severity="error", markup=False)
            return
        self.app.call_from_thread(self.app.push_screen, FilmstripScreen(strip))

    def action_new_round(self) -> None:
        self.index = (self.index + 1) % len(self.conversations)
        self._begin()
