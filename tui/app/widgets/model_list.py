"""The picker's list of one role's models: grouped by where they run (on this machine, your servers, hosted),
usable ones first; those that cannot play folded under one line per provider with the reason said once
(Enter unfolds it); type to filter; Space picks several, in order (1, 2, …), for games that take turns. The
describers' list ends with the person at the keyboard ("You")."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engine import (
    KIND_NAMES,
    LOCATION_NAMES,
    LOCATIONS,
    PERSON,
    Kind,
    ModelSurvey,
    SurveyedModel,
    UnusableGroup,
    listing_note,
    terminal_safe,
)

FOLD = "fold:"  # the id of a folded group's line, before its provider's name
FILTER_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/")
SEARCHING = "looking for models…"
PERSON_WORDS = "you (describe the pictures yourself)"


class ModelList(OptionList):
    """One role's models. ``chosen_ids`` is the ordered choice: the models picked with Space, or else the
    highlighted one."""

    filter_text: reactive[str] = reactive("")

    class Picked(Message):
        """The models picked with Space changed."""

    def __init__(self, kind: Kind, default: SurveyedModel) -> None:
        super().__init__(id=f"models-{kind}")
        self.kind = kind
        self.border_title = KIND_NAMES[kind]
        self.survey: ModelSurvey | None = None
        self.models = {default.entry.id: default}  # what the list can show details of, by id
        self.picked: list[str] = []  # Space's choices, in order
        self.unfolded: set[str] = set()  # providers whose unusable models are shown one by one
        self._wanted = default.entry.id  # the model to highlight once the list is rebuilt
        self.takes_person = kind == "i2t"  # a person describes; nobody draws or embeds by hand

    def on_mount(self) -> None:
        self._rebuild()

    def show_survey(self, survey: ModelSurvey) -> None:
        """Every model of this role, from the survey made in a worker."""
        self.survey = survey
        self.models = {model.entry.id: model for model in survey.models if model.entry.kind == self.kind}
        self.picked = [model_id for model_id in self.picked if model_id in self.models]
        self._rebuild()

    @property
    def chosen_ids(self) -> list[str]:
        """The models picked with Space, in the order picked; or the highlighted model; or none."""
        if self.picked:
            return list(self.picked)
        option = self.highlighted_option
        return [option.id] if option is not None and option.id is not None and self._playable(option.id) else []

    def _playable(self, option_id: str) -> bool:
        return option_id in self.models or (self.takes_person and option_id == PERSON)

    @property
    def chosen(self) -> str | None:
        """The first chosen model (a game of one model per role plays it)."""
        return next(iter(self.chosen_ids), None)

    @property
    def highlighted_model(self) -> SurveyedModel | None:
        option = self.highlighted_option
        return self.models.get(option.id or "") if option is not None else None

    @property
    def highlighted_group(self) -> UnusableGroup | None:
        """The folded group whose line is highlighted."""
        option = self.highlighted_option
        if self.survey is None or option is None or not (option.id or "").startswith(FOLD):
            return None
        provider = (option.id or "").removeprefix(FOLD)
        return next((group for group in self.survey.unusable(self.kind) if group.provider == provider), None)

    # ── keys ─────────────────────────────────────────────────────────────────────────────────────────
    def on_key(self, event: events.Key) -> None:
        if event.key == "space":
            self._toggle_pick()
        elif event.key == "backspace" and self.filter_text:
            self.filter_text = self.filter_text[:-1]
        elif event.key == "escape" and self.filter_text:
            self.filter_text = ""
        elif event.character is not None and event.character in FILTER_CHARACTERS:
            self.filter_text += event.character
        else:
            return
        event.stop()
        event.prevent_default()

    def _toggle_pick(self) -> None:
        option = self.highlighted_option
        if option is None or option.disabled or option.id is None or not self._playable(option.id):
            return
        if option.id in self.picked:
            self.picked.remove(option.id)
        else:
            self.picked.append(option.id)
        self._rebuild()
        self.post_message(self.Picked())

    def unfold(self, option_id: str) -> bool:
        """Unfold (or fold again) the group whose line is ``option_id``; False when it is not a group's line."""
        if not option_id.startswith(FOLD):
            return False
        provider = option_id.removeprefix(FOLD)
        self.unfolded.symmetric_difference_update({provider})
        self._wanted = option_id
        self._rebuild()
        return True

    def watch_filter_text(self, text: str) -> None:
        self.border_subtitle = f"filter: {text}" if text else ""
        self._rebuild()

    # ── building the options ─────────────────────────────────────────────────────────────────────────
    def _rebuild(self) -> None:
        if self.highlighted_option is not None and self.highlighted_option.id:
            self._wanted = self.highlighted_option.id
        self.clear_options()
        self.add_options(self._listed_options())
        index = next((i for i, o in enumerate(self.options) if o.id == self._wanted and not o.disabled), None)
        if index is None:
            index = next((i for i, o in enumerate(self.options) if not o.disabled), None)
        self.highlighted = index

    def _matches(self, model: SurveyedModel) -> bool:
        needle = self.filter_text.lower()
        entry = model.entry
        return not needle or any(needle in text.lower() for text in (entry.id, entry.name, entry.provider))

    def _listed_options(self) -> list[Option]:
        if self.survey is None:
            (model,) = self.models.values()
            return [self._model_option(model), Option(Text(SEARCHING, style="dim italic"), disabled=True)]
        options: list[Option] = []
        for location in LOCATIONS:
            section: list[Option] = []
            for model in self.survey.usable(self.kind, location):
                if self._matches(model):
                    section.append(self._model_option(model))
            groups = self.survey.unusable(self.kind, location)
            for group in groups:
                shown = [model for model in group.models if self._matches(model)]
                if not shown:
                    continue
                if not self.filter_text:
                    arrow = "▾" if group.provider in self.unfolded else "▸"
                    line = Content.assemble(
                        (f"{arrow} {group.provider}: ", "$text-muted"), (group.summary, "$text-error")
                    )
                    section.append(Option(line, id=f"{FOLD}{group.provider}"))
                if self.filter_text or group.provider in self.unfolded:
                    section += [self._model_option(model) for model in shown]
            if not self.filter_text:  # a server's trouble, unless its models' folded line says it already
                folded = {group.provider for group in groups}
                for listing in self.survey.problems(location):
                    if listing.provider not in folded or listing.left_out:
                        section.append(Option(Text(terminal_safe(listing_note(listing)), style="dim"), disabled=True))
            if section:
                options.append(Option(Text(LOCATION_NAMES[location], style="bold"), disabled=True))
                options += section
        if self.takes_person and self.filter_text.lower() in PERSON_WORDS:
            options += [Option(Text("a person", style="bold"), disabled=True), self._person_option()]
        if not options:
            options.append(Option(Text(f"no model matches {self.filter_text!r}", style="dim"), disabled=True))
        return options

    def _mark(self, option_id: str) -> str:
        """Where Space picked it, "1 ", "2 ", …; blank when it is not picked."""
        return f"{self.picked.index(option_id) + 1} " if option_id in self.picked else "  "

    def _person_option(self) -> Option:
        words = ("(describe the pictures yourself)", "$text-muted")
        return Option(Content.assemble((self._mark(PERSON), "bold $accent"), "You ", words), id=PERSON)

    def _model_option(self, model: SurveyedModel) -> Option:
        entry = model.entry
        mark = self._mark(entry.id)
        if model.status.ok:
            return Option(Content.assemble((mark, "bold $accent"), entry.name), id=entry.id)
        # Greyed out as disabled; the reason in the theme's error colour.
        return Option(
            Content.assemble(mark, entry.name, (f"  ({model.status.reason})", "$text-error")),
            id=entry.id,
            disabled=True,
        )


class ModelDetails(Static):
    """What the highlighted model is: provider and reference, what a turn costs, whether it repeats itself,
    how long its last call took here, and where its weights live."""

    def show_group(self, group: UnusableGroup) -> None:
        """A folded group's line: why its models cannot play, and which they are."""
        self.border_title = f"{group.provider}: can't play here"
        names = ", ".join(model.entry.name for model in group.models)
        self.update(Content.assemble(group.summary, "\n", (names, "$text-muted"), "\n", ("Enter shows them", "italic")))

    def show(self, model: SurveyedModel | None, last_call: float | None) -> None:
        if model is None:
            self.border_title = ""
            self.update("")
            return
        entry, facts = model.entry, model.facts
        self.border_title = entry.id
        repeats = {True: "yes", False: "no", None: "–"}[facts.reproducible]
        timed = f"{last_call:.2f} s" if last_call is not None else "not called here yet"
        cost = entry.options.get("cost")
        if isinstance(cost, int | float) and cost > 0:
            price = f"about ${cost:g}"
        else:
            price = "no price hint" if facts.location == "hosted" else "nothing"
        lines = [
            ("provider", f"{entry.provider} · {entry.ref}"),
            ("a turn", price),
            ("repeatable", repeats),
            ("last call", timed),
            ("weights", facts.weights),
        ]
        if not model.status.ok:
            lines.append(("can't play", model.status.reason))
        for name in ("family", "parameter_size", "quantization_level", "capabilities"):
            if name in entry.options:
                lines.append((name.replace("_", " "), str(entry.options[name])))
        self.update(Content("\n").join(Content.assemble((f"{name}: ", "$text-muted"), value) for name, value in lines))
