"""The guess board: the room's guesses at the prompt, best first, each with its distance to the prompt as a
number and as a bar on the fixed scale (0 same meaning, 2 opposite); the newest is highlighted and always on
the board, even when the board is too short for every guess above it."""

from __future__ import annotations

from rich.cells import set_cell_size
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from engine import Guess
from tui.app.widgets.drift import bar
from tui.app.widgets.fitted_text import fit_words

RANK_WIDTH = 4  # "999 "
DISTANCE_WIDTH = 7  # " 0.123 "
MAX_BAR_WIDTH = 24


def board_rows(ranked: list[Guess], newest: Guess | None, rows: int) -> list[tuple[int, Guess]]:
    """The (rank, guess) pairs that fit in ``rows`` lines, best first; the newest takes the last line when it
    would fall below the board."""
    shown = list(enumerate(ranked[: max(rows, 0)], 1))
    if newest is not None and rows > 0 and all(guess is not newest for _, guess in shown):
        shown[-1] = (ranked.index(newest) + 1, newest)
    return shown


class GuessBoard(Widget):
    """``guesses`` (in the order they were made) drawn best first, one line each."""

    DEFAULT_CSS = """
    GuessBoard { height: 1fr; }
    GuessBoard > .guess-board--guess { color: $foreground; }
    GuessBoard > .guess-board--bar { color: $telephone-bar; }
    GuessBoard > .guess-board--newest { color: #FFFFFF; background: $primary; }
    GuessBoard > .guess-board--empty { color: $telephone-muted; }
    """
    COMPONENT_CLASSES = {"guess-board--guess", "guess-board--bar", "guess-board--newest", "guess-board--empty"}
    guesses: reactive[tuple[Guess, ...]] = reactive(tuple)

    @property
    def ranked(self) -> list[Guess]:
        """Best first; of two at the same distance the earlier."""
        return sorted(self.guesses, key=lambda guess: guess.distance)

    def render(self) -> Text:
        width, height = self.content_size
        if not self.guesses:
            return Text("No guesses yet", self.get_component_rich_style("guess-board--empty"))
        newest = self.guesses[-1]
        bar_width = min(MAX_BAR_WIDTH, max(width // 4, 4))
        text_width = max(width - RANK_WIDTH - DISTANCE_WIDTH - bar_width, 1)
        lines = Text(no_wrap=True, overflow="crop")
        for number, (rank, guess) in enumerate(board_rows(self.ranked, newest, height)):
            style = self.get_component_rich_style("guess-board--newest" if guess is newest else "guess-board--guess")
            words = fit_words(guess.text, text_width, 1)
            filled, empty = bar(guess.distance, bar_width)
            if number:
                lines.append("\n")
            shown = set_cell_size(words[0] if words else "", text_width)
            lines.append(f"{rank:>3} {shown} {guess.distance:>5.3f} ", style)
            lines.append(filled, style if guess is newest else self.get_component_rich_style("guess-board--bar"))
            lines.append(empty, style)
        return lines
