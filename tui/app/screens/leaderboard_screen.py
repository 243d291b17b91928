"""A run's leaderboard: pairs ranked per level, and mean drift against the step for that level. The run is read
and analysed in a worker; the board shows Textual's loading indicator meanwhile."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label
from textual_plotext import PlotextPlot

from engine import CONVERGENCE_LEGEND, Analysis, LeaderboardRow, TelephoneError, load_run
from tui.app.screens.attractor_screen import AttractorScreen
from tui.app.widgets.key_footer import KeyFooter

# The chart's lines, in the game's own text colours: each reads at 4.5:1 or more, and so does its name in the key.
GAME_LINE_COLOURS = ("telephone-caption", "telephone-drawn", "telephone-bar", "telephone-muted")


class LeaderboardScreen(Screen[None]):
    BINDINGS = [
        # Priority: the ranking table moves by rows, so ← → always switch the level.
        Binding("left", "level(-1)", "Previous level", priority=True),
        Binding("right", "level(1)", "Next level", priority=True),
        Binding("a", "attractors", "Attractors"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    CSS_PATH = "leaderboard_screen.tcss"

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.analysis: Analysis | None = None  # once the run is read
        self.level_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Text(f"reading {self.folder.name}…"), id="status")
        yield Label(id="partial")
        yield Label(id="people")
        with Horizontal(id="board"):
            yield DataTable(id="ranking", cursor_type="row", zebra_stripes=True)
            with Vertical(id="chart-box"):
                yield PlotextPlot(id="chart")
                yield Label(id="chart-key")  # beside the chart, not on it: plotext's own legend hides the lines
        yield Label(CONVERGENCE_LEGEND, id="legend")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"leaderboard · {self.folder.name}"
        self.query_one(DataTable).add_columns(*LeaderboardRow.HEADINGS)
        self.query_one("#partial").display = self.query_one("#people").display = False
        self.query_one("#board").loading = True
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._show())  # the lines take its colours
        self._read()

    @work(thread=True, exclusive=True, group="leaderboard")
    def _read(self) -> None:
        try:
            analysis = Analysis(load_run(self.folder))
        except (TelephoneError, OSError) as error:
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self._loaded, analysis)

    def _failed(self, reason: str) -> None:
        self.query_one("#board").loading = False
        self.query_one("#status", Label).update(Text(f"no leaderboard: {reason}"))

    def _loaded(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.query_one("#board").loading = False
        partial = self.query_one("#partial", Label)
        partial.update(Text(analysis.partial_note))
        partial.display = bool(analysis.partial_note)
        self._show()

    def on_resize(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        """The ranking beside the chart when both fit, the chart under it otherwise: never a clipped column."""
        table = self.query_one(DataTable)
        self.query_one("#board").set_class(self.size.width < table.virtual_size.width + 40, "-stacked")

    @property
    def level(self) -> str | None:
        levels = self.analysis.levels if self.analysis else []
        return levels[self.level_index % len(levels)] if levels else None

    def action_attractors(self) -> None:
        self.app.push_screen(AttractorScreen(self.folder))

    def action_level(self, delta: int) -> None:
        self.level_index += delta
        self._show()

    def _show(self) -> None:
        if self.analysis is None:
            return  # ← → before the run is read: the level shown once it is
        level = self.level
        levels = " · ".join(f"▸{name}◂" if name == level else name for name in self.analysis.levels)
        games = len(self.analysis.conversations)
        self.query_one("#status", Label).update(Text(f"{games} games  ·  levels: {levels or 'none yet'}  (← →)"))
        table = self.query_one(DataTable)
        table.clear()
        plot = self.query_one(PlotextPlot).plt
        plot.clear_data()
        plot.clear_figure()
        if level is None:
            return
        for row in self.analysis.leaderboard_rows(level):
            table.add_row(*(Text(cell) for cell in row.cells))
        people = self.query_one("#people", Label)
        note = self.analysis.people_note(level)  # how people keep meaning against the models, same prompts
        people.update(Text(note))
        people.display = bool(note)
        self.call_after_refresh(self._arrange)
        steps = 0
        key: list[Text] = []
        variables = self.app.current_theme.variables
        colours = [Color.parse(variables[name]) for name in GAME_LINE_COLOURS]
        for pair in self.analysis.pairs:
            cells = self.analysis.by_step(pair, level)
            if cells:
                steps = max(steps, len(cells))
                colour = colours[len(key) % len(colours)]
                plot.plot(
                    list(range(1, len(cells) + 1)), [cell.mean for cell in cells], color=colour.rgb, marker="braille"
                )
                key.append(Text(f"━━ {pair[0]} ⇄ {pair[1]}", colour.hex))
        self.query_one("#chart-key", Label).update(Text("   ").join(key))
        plot.xticks(list(range(1, steps + 1)))
        plot.title(f"mean distance to the prompt, {level}")
        plot.xlabel("step")
        plot.ylim(0, None)
        self.query_one(PlotextPlot).refresh()
