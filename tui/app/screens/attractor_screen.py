"""A run's attractors, beside its leaderboard: the recurring end states its games fall into, each with its
share of the games, its prompts and pairs, when games arrive, and an exemplar picture and caption.

Finding them embeds every game's captions (the run's result cache answers what a tournament already embedded),
so it runs in a worker; + and − move the clustering threshold and group again.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from engine import (
    ATTRACTOR_THRESHOLD,
    Attractor,
    AttractorReport,
    RunSession,
    TelephoneError,
    find_attractors,
    load_run,
    run_embedder,
)
from tui.app.typed import telephone_app
from tui.app.widgets.fitted_text import wrap_words
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.turn_image import TurnImage

STEP = 0.05  # how far + and − move the threshold
HEADINGS = ("", "games", "arrive at step", "prompts", "pairs")
WRAPPED = 2  # the last two columns (prompts, pairs) wrap to share the width the others leave
CELL_PADDING = 2  # a table column's padding, one cell either side
STACKED_BELOW = 120  # columns: narrower, the exemplar goes under the table


class AttractorScreen(Screen[None]):
    BINDINGS = [
        Binding("plus,equals_sign", "threshold(1)", "Coarser"),
        Binding("minus", "threshold(-1)", "Finer"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    CSS_PATH = "attractor_screen.tcss"

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.threshold = ATTRACTOR_THRESHOLD
        self.report: AttractorReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("finding attractors…", id="status")
        yield Label(id="why-none")
        with Horizontal(id="attractors"):
            yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
            with Vertical(id="exemplar"):
                yield TurnImage(telephone_app(self).pictures, id="exemplar-image")
                yield Static(id="exemplar-caption")
        yield Label(id="method")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"attractors · {self.folder.name}"
        self.query_one("#why-none").display = False
        self._find(self.threshold)

    def action_threshold(self, direction: int) -> None:
        self.threshold = round(min(max(self.threshold + direction * STEP, STEP), 1.5), 2)
        self.query_one("#status", Label).update(f"grouping at {self.threshold:g}…")
        self._find(self.threshold)

    @work(thread=True, exclusive=True, group="attractors")
    def _find(self, threshold: float) -> None:
        try:
            run = load_run(self.folder)
            with RunSession.beside_writer(run.folder, telephone_app(self).catalog) as session:
                report = find_attractors(run, run_embedder(session, run), threshold)
        except (TelephoneError, OSError) as error:
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self._show, report)

    def _failed(self, reason: str) -> None:
        self.query_one("#status", Label).update(Text(f"no attractors: {reason}"))
        self._explain_none("a tournament (ctrl+g on the picker) plays enough games to find them; Escape goes back")

    def _show(self, report: AttractorReport) -> None:
        self.report = report
        unique = f" · {len(report.unique)} unique end states" if report.unique else ""
        self.query_one("#status", Label).update(
            f"{len(report.attractors)} attractors in {report.games} games{unique}  ·  threshold "
            f"{report.threshold:g} (+ coarser, − finer)"
        )
        self.query_one("#method", Label).update(report.method)
        # Once the layout that is pending is done: the columns share the table's final width (read too early,
        # on a busy machine, the prompts wrapped to a width the table no longer had).
        self.call_after_refresh(self._fill_table)
        if report.attractors:
            self.query_one("#why-none").display = False
        else:
            self._explain_none(
                f"no two of its {report.games} games end alike within {report.threshold:g}: + groups more coarsely, "
                "and a tournament with more prompts or turns gives games a chance to meet"
            )
        self._show_exemplar(0)

    def _explain_none(self, why: str) -> None:
        why_none = self.query_one("#why-none", Label)
        why_none.update(Text(why))
        why_none.display = True

    def on_resize(self, event: events.Resize) -> None:
        # Narrow: the exemplar goes under the table, which then has the whole width for its prompts and pairs.
        self.query_one("#attractors").set_class(event.size.width < STACKED_BELOW, "-stacked")
        if self.report is not None:
            self.call_after_refresh(self._fill_table)  # once the table has its new width

    def _fill_table(self) -> None:
        """One row an attractor; the prompts and pairs wrap between words to share the width the other columns
        leave, so that no column needs scrolling sideways."""
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        rows = [self._cells(attractor) for attractor in self.report.attractors] if self.report else []
        natural = [max([cell_len(heading), *(cell_len(row[i]) for row in rows)]) for i, heading in enumerate(HEADINGS)]
        room = table.size.width - table.styles.scrollbar_size_vertical  # (the bar, should the rows overflow)
        room -= sum(natural[:-WRAPPED]) + CELL_PADDING * len(HEADINGS)
        wanted = natural[-WRAPPED:]
        widths = [max(room * want // max(sum(wanted), 1), 8) if sum(wanted) > room else want for want in wanted]
        for heading, width in zip(HEADINGS, [*natural[:-WRAPPED], *widths], strict=True):
            table.add_column(heading, width=width)
        for row in rows:
            wrapped = [wrap_words(cell, width) for cell, width in zip(row[-WRAPPED:], widths, strict=True)]
            cells = [*row[:-WRAPPED], *("\n".join(lines) for lines in wrapped)]
            table.add_row(*(Text(cell) for cell in cells), height=max(len(lines) for lines in wrapped))
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    @staticmethod
    def _cells(attractor: Attractor) -> tuple[str, ...]:
        steps = [game.step for game in attractor.games]
        return (
            f"A{attractor.number}",
            f"{len(attractor.games)} ({attractor.share:.0%})",
            f"{attractor.mean_arrival:.1f} ({min(steps)}–{max(steps)})",
            ", ".join(attractor.prompts),
            "; ".join(f"{t2i} ⇄ {i2t}" for t2i, i2t in attractor.pairs),
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_exemplar(event.cursor_row)

    def _show_exemplar(self, row: int) -> None:
        attractors = self.report.attractors if self.report else []
        attractor = attractors[row] if 0 <= row < len(attractors) else None
        self.query_one(TurnImage).show(attractor.exemplar_image if attractor else None)
        caption = Text(attractor.exemplar_caption) if attractor else Text("")
        self.query_one("#exemplar-caption", Static).update(caption)
