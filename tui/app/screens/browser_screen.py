"""Saved games: tournaments with their games, then single games, newest first; type to filter; Enter replays.

The runs are read in a worker; typing refills the table's rows and keeps its columns, which change only when
the width or the runs do."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label
from textual.worker import get_current_worker

from engine import (
    Conversation,
    InvalidInput,
    Prompt,
    Run,
    StorageError,
    load_runs,
    load_start_picture,
    resume_plan,
    terminal_safe,
)
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.picker_screen import GameSettings
from tui.app.typed import telephone_app
from tui.app.widgets.fitted_text import fit_words
from tui.app.widgets.key_footer import KeyFooter

PROMPT_LINES = 3
FIXED_WIDTH = 16 + 6 + 10 + 7 + 2 * 6  # every column but the pair and the prompt, with the table's padding
PROMPT_MIN_WIDTH = 30  # below this the pair's column goes (typing a model's name still finds its games)


@dataclass(frozen=True)
class Row:
    """One line of the browser: a tournament's heading, a group heading, or a game."""

    run: Run
    conversation: Conversation | None = None  # None: a heading


def _when(created: str) -> str:
    return created[:16].replace("T", " ")


def _rows(runs: list[Run]) -> list[Row]:
    """Tournaments with their games, then the single games, each part newest first."""
    runs = sorted(runs, key=lambda run: str(run.meta.get("created", "")), reverse=True)
    rows: list[Row] = []
    for run in (run for run in runs if run.kind == "tournament"):
        rows.append(Row(run))
        rows += [Row(run, c) for c in sorted(run.conversations, key=lambda c: c.info.prompt_id)]
    singles = [Row(run, c) for run in runs if run.kind == "game" for c in run.conversations]
    if singles:
        rows.append(Row(singles[0].run))  # the heading of the single games
        rows += sorted(singles, key=lambda row: row.conversation.info.created if row.conversation else "", reverse=True)
    return rows


@dataclass(frozen=True)
class Columns:
    """What the table's columns are: the pair's column or not, and the widths that change with the window."""

    with_pair: bool
    pair_width: int
    prompt_width: int


def _matches(row: Row, words: list[str]) -> bool:
    """Every typed word appears in the game's prompt, models, level, status, date or run name."""
    if row.conversation is None:
        return not words
    info = row.conversation.info
    haystack = " ".join(
        (info.prompt, info.t2i, info.i2t, info.level, info.status, info.created, row.run.folder.name)
    ).lower()
    return all(word in haystack for word in words)


class RunBrowserScreen(Screen[None]):
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, priority=True),
        Binding("down", "move(1)", "Down", show=False, priority=True),
        Binding("pageup", "move(-10)", "Page up", show=False, priority=True),
        Binding("pagedown", "move(10)", "Page down", show=False, priority=True),
        Binding("enter", "open", "Replay", key_display="⏎", priority=True),
        Binding("f5", "open(True)", "Present"),
        Binding("ctrl+l", "leaderboard", "Leaderboard"),
        Binding("ctrl+g", "guess", "Guess the prompt", show=False),  # in help (?); the footer is full
        Binding("ctrl+o", "resume", "Resume"),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("escape", "back", "Clear filter / back"),
    ]
    CSS_PATH = "conversation.tcss"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.rows: list[Row] = []  # every row, before filtering
        self.shown: list[Row] = []  # the rows on screen, in order
        self.problems: list[str] = []
        self.arranged: Columns | None = None  # the table's columns, once made
        self.reading = True  # until the runs have been read

    def compose(self) -> ComposeResult:
        yield Header()
        filter_box = Input(placeholder="type to filter: prompt, model, level, date…", id="filter")
        filter_box.cursor_blink = False  # steady: a blinking cursor draws the eye from the list (and pictures differ)
        yield filter_box
        yield Label(id="status")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Saved games"
        self.action_reload()
        self.query_one("#filter", Input).focus()

    @property
    def loaded(self) -> bool:
        return not self.reading

    def action_reload(self) -> None:
        self.reading = True
        self.query_one(DataTable).loading = True
        self._read()

    @work(thread=True, exclusive=True, group="runs")
    def _read(self) -> None:
        runs, problems = load_runs(self.path)
        rows = _rows(runs)
        if not get_current_worker().is_cancelled:  # a later reload reads afresh
            self.app.call_from_thread(self._loaded, rows, problems)

    def _loaded(self, rows: list[Row], problems: list[str]) -> None:
        self.rows, self.problems, self.reading = rows, problems, False
        self.query_one(DataTable).loading = False
        self._show()

    def on_resize(self, event: events.Resize) -> None:
        if self.loaded:
            self._show()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self.loaded:
            self._show()

    def _arrange(self) -> Columns:
        """The columns for every game listed at this width (not only those the filter lets through, so that
        typing leaves them be): each prompt as long as the width allows, the pair's column where it fits."""
        table = self.query_one(DataTable)
        room = self.size.width - FIXED_WIDTH - 4  # the table's border and scroll bar
        pair_width = max((len(self._pair(row)) for row in self.rows if row.conversation is not None), default=4)
        with_pair = room - pair_width >= PROMPT_MIN_WIDTH
        columns = Columns(with_pair, pair_width, max(room - pair_width if with_pair else room + 2, 16))
        if columns != self.arranged:
            self.arranged = columns
            table.clear(columns=True)
            table.add_column("date", width=16)
            table.add_column("final", width=6)
            table.add_column("level", width=10)
            table.add_column("turns", width=7)
            if with_pair:
                table.add_column("pair", width=pair_width)
            table.add_column("prompt", width=columns.prompt_width)
        return columns

    def _show(self) -> None:
        """Fill the table with the rows the filter lets through."""
        before = self.highlighted  # kept highlighted when it is still shown
        words = self.query_one("#filter", Input).value.lower().split()
        games = [row for row in self.rows if row.conversation is not None and _matches(row, words)]
        runs_with_games = {row.run.folder for row in games}
        self.shown = [
            row for row in self.rows if (row.conversation is None and row.run.folder in runs_with_games) or row in games
        ]
        columns = self._arrange()
        table = self.query_one(DataTable)
        table.clear()
        for row in self.shown:
            cells = self._cells(row, columns.prompt_width)
            if not columns.with_pair:
                cells = (*cells[:4], cells[5])
            table.add_row(*cells, height=str(cells[-1]).count("\n") + 1)
        first_game = next((index for index, row in enumerate(self.shown) if row.conversation is not None), 0)
        table.move_cursor(row=self.shown.index(before) if before in self.shown else first_game)
        self._show_status(words, len(games))

    @staticmethod
    def _pair(row: Row) -> str:
        return f"{row.conversation.info.t2i} ⇄ {row.conversation.info.i2t}" if row.conversation else ""

    def _cells(self, row: Row, prompt_width: int) -> tuple[str | Text, ...]:
        if row.conversation is None:  # a heading, spread over the columns wide enough to hold it
            if row.run.kind == "tournament":
                title = f"{row.run.folder.name} · {len(row.run.conversations)} games · ⏎ leaderboard"
                return (Text("Tournament", "bold"), "", "", "", "", Text(fit_words(title, prompt_width, 1)[0], "bold"))
            return (Text("Single games", "bold"), "", "", "", "", "")
        info = row.conversation.info
        final = row.conversation.final_distance
        lines = textwrap.wrap(terminal_safe(info.prompt), prompt_width) or [""]
        if len(lines) > PROMPT_LINES:  # the whole prompt where it fits; at most three lines of it
            lines = [*lines[: PROMPT_LINES - 1], lines[PROMPT_LINES - 1][: prompt_width - 1] + "…"]
        prompt = "\n".join(lines)
        return (
            Text(_when(info.created)),
            f"{final:.3f}" if final is not None else "–",
            Text(info.level),
            f"{len(row.conversation.turns)}/{info.turns}",
            Text(self._pair(row)),
            Text(prompt),
        )

    def _show_status(self, words: list[str], matching: int) -> None:
        total = sum(row.conversation is not None for row in self.rows)
        if not total:
            status = f"no saved games in {self.path} yet: Escape, then Enter on the picker plays one"
        elif words and not matching:
            status = f"nothing matches {' '.join(words)!r} (Escape clears the filter)"
        else:
            status = f"{matching} of {total} games" if words else f"{total} games in {self.path}"
        if self.problems:
            status += f"  ·  {len(self.problems)} unreadable: {self.problems[0]}"
        self.query_one("#status", Label).update(Text(status))

    @property
    def conversations(self) -> list[Conversation]:
        """Every game listed (before filtering)."""
        return [row.conversation for row in self.rows if row.conversation is not None]

    @property
    def highlighted(self) -> Row | None:
        row = self.query_one(DataTable).cursor_row
        return self.shown[row] if self.shown and row is not None and row < len(self.shown) else None

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(min(table.cursor_row + delta, len(self.shown) - 1), 0))

    def action_open(self, present: bool = False) -> None:
        row = self.highlighted
        if row is None:
            return
        if row.conversation is None:
            if row.run.kind == "tournament":
                self.app.push_screen(LeaderboardScreen(row.run.folder))
            return
        if not row.conversation.turns:
            self.notify("this game has no turns yet: ctrl+o plays it", severity="warning")
            return
        app = telephone_app(self)
        app.push_screen(app.replay_screen([row.conversation], present=present or app.present))

    def action_leaderboard(self) -> None:
        if (row := self.highlighted) is not None:
            self.app.push_screen(LeaderboardScreen(row.run.folder))

    def action_guess(self) -> None:
        """The room guesses the highlighted game's prompt, then the other games of its run."""
        if (row := self.highlighted) is not None:
            first = row.conversation.info.id if row.conversation is not None else None
            telephone_app(self).open_guessing(row.run.conversations, first)

    def action_resume(self) -> None:
        """Finish what was stopped: the highlighted tournament, or the highlighted single game."""
        row = self.highlighted
        if row is None:
            return
        app = telephone_app(self)
        if row.run.kind == "tournament":
            try:
                plan = resume_plan(row.run.folder)
            except (InvalidInput, StorageError) as error:
                self.notify(str(error), severity="warning", markup=False)
                return
            app.start_tournament(
                {"t2i": plan.t2i[0], "i2t": plan.i2t[0], "embed": plan.embedder}, plan.turns, row.run.folder
            )
            return
        if row.conversation is None:
            return
        info = row.conversation.info
        if row.conversation.complete:
            self.notify(f"this game is {info.status} already; nothing to resume", severity="information")
            return
        prompt = Prompt(info.prompt_id, info.level, info.prompt)
        start = row.conversation.start
        picture = None
        if info.start_picture is not None:  # played on from the picture the run keeps as turn 0
            path = row.conversation.image_path(start) if start is not None else None
            if path is None:
                self.notify("the picture this game started from is not in its run", severity="warning")
                return
            try:
                picture = load_start_picture(path)
            except InvalidInput as error:
                self.notify(str(error), severity="warning", markup=False)
                return
        folder = row.run.folder
        settings = (info.drawers, info.describers, info.embedder, prompt, info.turns, info.seed, folder, picture)
        app.start_game(GameSettings(*settings))

    def action_back(self) -> None:
        filter_box = self.query_one("#filter", Input)
        if filter_box.value:
            filter_box.value = ""
        else:
            self.app.pop_screen()
