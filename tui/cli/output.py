"""The CLI's two consoles: results on stdout, errors and log lines on stderr. Both make every rendered
segment terminal-safe, so whatever a run or a model holds, no escape sequence reaches the terminal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

from tui.terminal import safe_segment


class SafeConsole(Console):
    """A rich console that strips control and format characters from the text of every segment it renders
    (tables, rules, status lines, log records, error messages alike); its own styling is untouched.

    Its width is the terminal's, or COLUMNS, as they are when it prints: rich reads COLUMNS once when a
    console is made (here, at import) and keeps that width for good otherwise."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._width = options.get("width")

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            yield safe_segment(segment)


console = SafeConsole(highlight=False)
error_console = SafeConsole(stderr=True, highlight=False)

# --budget, for `play` and `tournament` alike.
BUDGET_HELP = (
    "stop before a call could take what the run has spent past USD (offline models are free); "
    "run again with a larger budget to go on, paying for nothing twice"
)
BUDGET_ADVICE = "run it again with a larger --budget to go on; nothing paid for is paid again"
