"""A run's attractors, beside its leaderboard: the recurring end states its games fall into, each with its
share of the games, its prompts and pairs, when games arrive, and an exemplar picture and caption.

Finding them embeds every game's captions (the run's result cache answers what a tournament already embedded),
so it runs in a worker; + and − move the clustering threshold and group again.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from engine import (
    ATTRACTOR_THRESHOLD,
    AttractorReport,
    RunSession,
    TelephoneError,
    find_attractors,
    load_run,
    run_embedder,
)
from tui.app.typed import telephone_app
from tui.app.widgets.turn_image import TurnImage

STEP = 0.05  # how far + and − move the threshold
HEADINGS = ("", "games", "arrive at step", "prompts", "pairs")


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
        with Horizontal(id="attractors"):
            yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
            with Vertical(id="exemplar"):
                yield TurnImage(telephone_app(self).pictures, id="exemplar-image")
                yield Static(id="exemplar-caption")
        yield Label(id="method")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"attractors · {self.folder.name}"
        self.query_one(DataTable).add_columns(*HEADINGS)
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

    def _show(self, report: AttractorReport) -> None:
        self.report = report
        unique = f" · {len(report.unique)} unique end states" if report.unique else ""
        self.query_one("#status", Label).update(
            f"{len(report.attractors)} attractors in {report.games} games{unique}  ·  threshold "
            f"{report.threshold:g} (+ coarser, − finer)"
        )
        self.query_one("#method", Label).update(report.method)
        table = self.query_one(DataTable)
        table.clear()
        for attractor in report.attractors:
            steps = [game.step for game in attractor.games]
            table.add_row(
                f"A{attractor.number}",
                f"{len(attractor.games)} ({attractor.share:.0%})",
                f"{attractor.mean_arrival:.1f} ({min(steps)}–{max(steps)})",
                ", ".join(attractor.prompts),
                "; ".join(f"{t2i} ⇄ {i2t}" for t2i, i2t in attractor.pairs),
            )
        self._show_exemplar(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_exemplar(event.cursor_row)

    def _show_exemplar(self, row: int) -> None:
        attractors = self.report.attractors if self.report else []
        attractor = attractors[row] if 0 <= row < len(attractors) else None
        self.query_one(TurnImage).show(attractor.exemplar_image if attractor else None)
        caption = Text(attractor.exemplar_caption, style="green") if attractor else Text("")
        self.query_one("#exemplar-caption", Static).update(caption)
