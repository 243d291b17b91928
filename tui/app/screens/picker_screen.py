"""The first screen: choose the models of each role (several, where they take turns), the embedder, a prompt
(or a picture to start from) and the number of turns.

The models are surveyed in a worker (asking the user's servers what they hold may take a second or two), so
the screen is up at once with each role's default model; the lists fill in when the survey is back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, OptionList
from textual.widgets.option_list import Option

from engine import (
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    KIND_NAMES,
    KINDS,
    LEVELS,
    MAX_TURNS,
    MIN_TURNS,
    PERSON,
    Availability,
    Catalog,
    InvalidInput,
    Kind,
    ModelSurvey,
    Prompt,
    StartPicture,
    SurveyedModel,
    game_cost,
    last_call_seconds,
    load_prompts,
    load_start_picture,
    parse_turns,
    price_phrase,
    prompt_for_text,
    survey_models,
)
from tui.app.screens.picture_chooser import PictureChooser
from tui.app.typed import telephone_app
from tui.app.widgets.bounded_number import BoundedNumber
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.model_list import ModelDetails, ModelList


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


class Surveyed(Message):
    """The survey of every model, with how long each one's last call took here, from the worker."""

    def __init__(self, survey: ModelSurvey, call_times: dict[str, float]) -> None:
        super().__init__()
        self.survey = survey
        self.call_times = call_times


class PickerScreen(Screen[None]):
    """Arrows choose, Tab moves between lists, typing filters a list of models, Space picks several, Enter
    starts the game (or unfolds a provider's models that cannot play)."""

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
        self.survey: ModelSurvey | None = None  # None until the worker is back
        self.call_times: dict[str, float] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="model-row"):
            for kind in KINDS:
                entry = self.catalog.get(DEFAULT_MODELS[kind], kind)  # no server is asked for the defaults
                yield ModelList(kind, SurveyedModel(entry, Availability(True), self.catalog.facts(entry)))
        with Horizontal(id="prompt-row"):
            yield PromptList(self.prompts)
            with VerticalScroll(id="details-pane", can_focus=False):  # Tab goes from the prompts to the start row
                yield ModelDetails(id="model-details")
        with Vertical(id="start-area"):
            with Horizontal(id="start-row"):
                yield Input(placeholder="…or type your own prompt", id="typed-prompt")
                yield Label("turns", id="turns-label")
                yield BoundedNumber(DEFAULT_TURNS, MIN_TURNS, MAX_TURNS, input_id="turns")
                yield Button("Start ⏎", id="start", variant="primary")
            yield Input(
                placeholder="…or start from a picture: its path, or ctrl+o to choose one here", id="start-picture"
            )
            yield Label("", id="problem")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#models-t2i").focus()
        self._show_estimate()
        self._survey()

    @work(thread=True, exclusive=True, group="survey", exit_on_error=False)
    def _survey(self) -> None:
        """Ask the servers what they hold, and every model whether it can play here (off the event loop)."""
        survey = survey_models(self.catalog)
        times = {model.entry.id: last_call_seconds(model.entry.id) for model in survey.models}
        self.post_message(Surveyed(survey, {key: value for key, value in times.items() if value is not None}))

    def on_surveyed(self, message: Surveyed) -> None:
        self.survey, self.call_times = message.survey, message.call_times
        for models in self.query(ModelList):
            models.show_survey(message.survey)
        self._show_details()

    def model_lists(self) -> dict[Kind, ModelList]:
        return {models.kind: models for models in self.query(ModelList)}

    def settings(self) -> GameSettings:
        """The choices on screen; InvalidInput says what to fix (a picture that cannot start a game included)."""
        chosen = self.chosen_ids()
        typed = self.query_one("#typed-prompt", Input).value
        prompt = prompt_for_text(typed, self.prompts) if typed.strip() else self.query_one(PromptList).chosen
        if prompt is None:
            raise InvalidInput("choose a prompt or type one")
        turns = parse_turns(self.query_one("#turns", Input).value)
        path = self.query_one("#start-picture", Input).value.strip()
        picture = load_start_picture(Path(path).expanduser()) if path else None
        lineups = tuple(chosen["t2i"]), tuple(chosen["i2t"])
        return GameSettings(*lineups, chosen["embed"][0], prompt, turns, picture=picture)

    def chosen_ids(self) -> dict[Kind, list[str]]:
        """Each role's chosen models, in order (several where Space picked them); InvalidInput when a role has none."""
        chosen: dict[Kind, list[str]] = {}
        for kind, models in self.model_lists().items():
            if not models.chosen_ids:
                name = KIND_NAMES[kind]
                raise InvalidInput(f"choose {'an' if name[0] in 'aeiou' else 'a'} {name} model")
            chosen[kind] = models.chosen_ids
        return chosen

    def chosen_models(self) -> dict[Kind, str]:
        """The first chosen model of each role; InvalidInput when a role has none."""
        return {kind: ids[0] for kind, ids in self.chosen_ids().items()}

    def _problem(self, error: InvalidInput | None) -> None:
        """Say what to fix under the start row (or, when nothing is wrong, what the game will cost)."""
        if error is None:
            self._show_estimate()
            return
        self.query_one("#problem", Label).update(Text(str(error), style="bold red"))
        self.app.bell()

    @on(OptionList.OptionHighlighted, "ModelList")
    @on(ModelList.Picked)
    def _model_highlighted(self) -> None:
        self._show_details()
        self._show_estimate()

    def _show_details(self) -> None:
        """The details of the model highlighted in the focused list (or the first list's)."""
        focused = self.focused if isinstance(self.focused, ModelList) else self.query_one("#models-t2i", ModelList)
        details = self.query_one(ModelDetails)
        group = focused.highlighted_group
        if group is not None:
            details.show_group(group)
            return
        model = focused.highlighted_model
        details.show(model, self.call_times.get(model.entry.id) if model else None)

    def on_descendant_focus(self) -> None:
        if isinstance(self.focused, ModelList):
            self._show_details()

    @on(Input.Changed, "#turns")
    def _show_estimate(self) -> None:
        """What the chosen game would cost, from the catalog's price hints (what is missing, while it is)."""
        try:
            chosen = self.chosen_ids()
            turns = parse_turns(self.query_one("#turns", Input).value)
        except InvalidInput as error:  # what is missing, until it is chosen or typed
            self.query_one("#problem", Label).update(Text(str(error), style="dim"))
            return
        cost = game_cost(self.catalog, chosen["t2i"], chosen["i2t"], chosen["embed"][0], turns)
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
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: on a folded provider's line, show (or hide) its models; anywhere else, start the game."""
        if isinstance(event.option_list, ModelList) and event.option_list.unfold(event.option.id or ""):
            return
        self.action_start()

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start_requested(self) -> None:
        self.action_start()
