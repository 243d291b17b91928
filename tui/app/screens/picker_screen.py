"""The first screen: choose the two models, the embedder, a prompt and the number of turns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, OptionList
from textual.widgets.option_list import Option

from engine import (
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    KIND_NAMES,
    LEVELS,
    MAX_TURNS,
    MIN_TURNS,
    Catalog,
    InvalidInput,
    Kind,
    Prompt,
    game_cost,
    load_prompts,
    parse_turns,
    price_phrase,
    prompt_for_text,
)
from tui.app.typed import telephone_app
from tui.app.widgets.bounded_number import BoundedNumber
from tui.app.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class GameSettings:
    t2i: str
    i2t: str
    embedder: str
    prompt: Prompt
    turns: int
    seed: int = 0
    folder: Path | None = None  # the run to play in (to resume a game there); None: a new run


class ModelList(OptionList):
    """The catalog's models of one kind; unavailable ones are listed, disabled, with the reason."""

    def __init__(self, catalog: Catalog, kind: Kind) -> None:
        options = []
        for entry in catalog.entries(kind):
            status = catalog.availability(entry)
            label = Content(entry.name)
            if not status.ok:  # greyed out as disabled; the reason in the theme's error colour
                label = Content.assemble(entry.name, (f"  ({status.reason})", "$text-error"))
            options.append(Option(label, id=entry.id, disabled=not status.ok))
        super().__init__(*options, id=f"models-{kind}")
        self.border_title = KIND_NAMES[kind]
        self.kind = kind

    def on_mount(self) -> None:
        self.highlighted = self.get_option_index(DEFAULT_MODELS[self.kind])

    @property
    def chosen(self) -> str | None:
        return self.highlighted_option.id if self.highlighted_option is not None else None


class PromptList(OptionList):
    """Catalog prompts grouped by level (the level headings cannot be chosen)."""

    def __init__(self, prompts: list[Prompt]) -> None:
        self.prompts = {prompt.id: prompt for prompt in prompts}
        options: list[Option] = []
        for level in LEVELS:
            options.append(Option(Text(level.upper(), style="bold"), id=f"level-{level}", disabled=True))
            options += [Option(f"  {p.text}", id=p.id) for p in prompts if p.level == level]
        super().__init__(*options, id="prompts")
        self.border_title = "Prompt"

    def on_mount(self) -> None:
        self.highlighted = 1

    @property
    def chosen(self) -> Prompt | None:
        option = self.highlighted_option
        return self.prompts.get(option.id) if option is not None and option.id is not None else None


class PickerScreen(Screen[None]):
    """Arrows choose, Tab moves between lists, Enter starts the game."""

    BINDINGS = [
        ("ctrl+s", "start", "Start game"),
        ("ctrl+g", "tournament", "Tournament"),
        ("ctrl+r", "app.open_runs", "Replays"),
    ]
    CSS_PATH = "picker_screen.tcss"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.prompts = load_prompts()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="model-row"):
            for kind in ("t2i", "i2t", "embed"):
                yield ModelList(self.catalog, kind)
        yield PromptList(self.prompts)
        with Horizontal(id="start-row"):
            yield Input(placeholder="…or type your own prompt", id="typed-prompt")
            yield Label("turns", id="turns-label")
            yield BoundedNumber(DEFAULT_TURNS, MIN_TURNS, MAX_TURNS, input_id="turns")
            yield Button("Start ⏎", id="start", variant="primary")
        yield Label("", id="problem")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#models-t2i").focus()
        self._show_estimate()

    def settings(self) -> GameSettings:
        """The choices on screen; InvalidInput says what to fix."""
        chosen = self.chosen_models()
        typed = self.query_one("#typed-prompt", Input).value
        prompt = prompt_for_text(typed, self.prompts) if typed.strip() else self.query_one(PromptList).chosen
        if prompt is None:
            raise InvalidInput("choose a prompt or type one")
        turns = parse_turns(self.query_one("#turns", Input).value)
        return GameSettings(chosen["t2i"], chosen["i2t"], chosen["embed"], prompt, turns)

    def chosen_models(self) -> dict[Kind, str]:
        """The model highlighted in each list; InvalidInput when a list has none."""
        chosen: dict[Kind, str] = {}
        for models in self.query(ModelList):
            if models.chosen is None:
                raise InvalidInput(f"choose a {KIND_NAMES[models.kind]} model")
            chosen[models.kind] = models.chosen
        return chosen

    def _problem(self, error: InvalidInput | None) -> None:
        """Say what to fix under the start row (or, when nothing is wrong, what the game will cost)."""
        if error is None:
            self._show_estimate()
            return
        self.query_one("#problem", Label).update(Text(str(error), style="bold red"))
        self.app.bell()

    @on(OptionList.OptionHighlighted)
    @on(Input.Changed, "#turns")
    def _show_estimate(self) -> None:
        """What the chosen game would cost, from the catalog's price hints (what is missing, while it is)."""
        try:
            chosen = self.chosen_models()
            turns = parse_turns(self.query_one("#turns", Input).value)
        except InvalidInput as error:  # what is missing, until it is chosen or typed
            self.query_one("#problem", Label).update(Text(str(error), style="dim"))
            return
        cost = game_cost(self.catalog, chosen["t2i"], chosen["i2t"], chosen["embed"], turns)
        self.query_one("#problem", Label).update(Text(f"this game costs {price_phrase(cost)}", style="dim"))

    def action_start(self) -> None:
        try:
            settings = self.settings()
        except InvalidInput as error:
            self._problem(error)
            return
        self._problem(None)
        telephone_app(self).start_game(settings)

    def action_tournament(self) -> None:
        """A tournament of the chosen models (more can be ticked on its screen), all catalog prompts."""
        try:
            chosen = self.chosen_models()
            turns = parse_turns(self.query_one("#turns", Input).value)
        except InvalidInput as error:
            self._problem(error)
            return
        self._problem(None)
        telephone_app(self).start_tournament(chosen, turns)

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start_requested(self) -> None:
        self.action_start()
