"""The first screen: choose the two models, the embedder, a prompt (or a picture) and the number of turns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, OptionList
from textual.widgets.option_list import Option

from engine import (
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    KIND_NAMES,
    LEVELS,
    MAX_TURNS,
    PERSON,
    Catalog,
    InvalidInput,
    Kind,
    Prompt,
    StartPicture,
    game_cost,
    load_prompts,
    load_start_picture,
    parse_turns,
    price_phrase,
    prompt_for_text,
)
from tui.app.screens.picture_chooser import PictureChooser
from tui.app.typed import telephone_app


@dataclass(frozen=True)
class GameSettings:
    t2i: tuple[str, ...]  # the drawers, taking turns in this order
    i2t: tuple[str, ...]  # the describers ("you" among them: the person at the keyboard)
    embedder: str
    prompt: Prompt
    turns: int
    seed: int = 0
    folder: Path | None = None  # the run to play in (to resume a game there); None: a new run
    picture: StartPicture | None = None  # start from this picture instead of the prompt

    @property
    def start(self) -> Prompt | StartPicture:
        return self.picture or self.prompt

    @property
    def pair(self) -> str:
        return f"{','.join(self.t2i)} ⇄ {','.join(self.i2t)}"


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
        if kind == "i2t":  # the person at the keyboard describes too
            options.append(
                Option(Content.assemble("You ", ("(describe the pictures yourself)", "$text-muted")), id=PERSON)
            )
        super().__init__(*options, id=f"models-{kind}")
        self.border_title = KIND_NAMES[kind]
        self.kind = kind

    def on_mount(self) -> None:
        self.highlighted = self.get_option_index(DEFAULT_MODELS[self.kind])

    @property
    def chosen(self) -> str | None:
        return self.highlighted_option.id if self.highlighted_option is not None else None

    @property
    def lineup(self) -> tuple[str, ...]:
        """The players chosen for this role, in playing order (the highlighted model, for now)."""
        return (self.chosen,) if self.chosen is not None else ()


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
        ("ctrl+o", "choose_picture", "Picture"),
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
            yield Input(str(DEFAULT_TURNS), id="turns", type="integer", max_length=len(str(MAX_TURNS)))
            yield Button("Start ⏎", id="start", variant="primary")
        yield Input(placeholder="…or start from a picture: its path, or ctrl+o to choose one here", id="start-picture")
        yield Label("", id="problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#models-t2i").focus()
        self._show_estimate()

    def settings(self) -> GameSettings:
        """The choices on screen; InvalidInput says what to fix (a picture that cannot start a game included)."""
        lineups = self.chosen_lineups()
        typed = self.query_one("#typed-prompt", Input).value
        prompt = prompt_for_text(typed, self.prompts) if typed.strip() else self.query_one(PromptList).chosen
        if prompt is None:
            raise InvalidInput("choose a prompt or type one")
        turns = parse_turns(self.query_one("#turns", Input).value)
        path = self.query_one("#start-picture", Input).value.strip()
        picture = load_start_picture(Path(path).expanduser()) if path else None
        embedder = self.chosen_models()["embed"]
        return GameSettings(lineups["t2i"], lineups["i2t"], embedder, prompt, turns, picture=picture)

    def chosen_lineups(self) -> dict[Kind, tuple[str, ...]]:
        """The players chosen for each role, in playing order; InvalidInput when a role has none, or when a
        person is asked to draw."""
        lineups = {models.kind: models.lineup for models in self.query(ModelList)}
        for kind, players in lineups.items():
            if not players:
                raise InvalidInput(f"choose a {KIND_NAMES[kind]} model")
        return lineups

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
        """What the chosen game would cost, from the catalog's price hints (nothing while a choice is missing)."""
        try:
            chosen = self.chosen_models()
            turns = parse_turns(self.query_one("#turns", Input).value)
        except InvalidInput:
            self.query_one("#problem", Label).update("")
            return
        lineups = self.chosen_lineups()
        cost = game_cost(self.catalog, lineups["t2i"], lineups["i2t"], chosen["embed"], turns)
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
            if chosen["i2t"] == PERSON:
                raise InvalidInput(f"a tournament is played by models; {PERSON!r} (a person) plays single games")
        except InvalidInput as error:
            self._problem(error)
            return
        self._problem(None)
        telephone_app(self).start_tournament(chosen, turns)

    def action_choose_picture(self) -> None:
        """Choose a picture file of the folder the app was started in for the path field."""

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.query_one("#start-picture", Input).value = str(path)

        self.app.push_screen(PictureChooser(Path.cwd()), chosen)

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start_requested(self) -> None:
        self.action_start()
