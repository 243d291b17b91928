"""Text that fits the space it is given: wrapped only between words, and, when it runs out of room, cut after
the last whole word that leaves room for "…". A narrow column never shows "meani / ng", and nothing is cut off
without a sign."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from tui.app.widgets.in_place import size_may_change

ELLIPSIS = "…"


def cut(text: str, width: int) -> str:
    """As much of ``text`` as fits in ``width`` cells with "…" after it, even inside a word: the last resort."""
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS if width > 0 else ""


def shorten(word: str, width: int) -> str:
    """``word``, or, when it is wider than a whole line, as much of it as fits with "…"."""
    return word if cell_len(word) <= width else cut(word, width)


def wrap_words(text: str, width: int) -> list[str]:
    """``text``'s lines (its own line breaks kept) wrapped to ``width`` cells between words."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            word = shorten(word, width)
            if not line:
                line = word
            elif cell_len(line) + 1 + cell_len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def fit_words(text: str, width: int, height: int) -> list[str]:
    """At most ``height`` lines of ``text`` wrapped to ``width``; when not all of it fits, the last line ends
    with "…" after the last whole word that leaves room for it."""
    lines = wrap_words(text, width)
    if len(lines) <= height:
        return lines
    if height <= 0:
        return []
    words = lines[height - 1].split(" ")
    while words and cell_len(" ".join(words) + ELLIPSIS) > width:
        words.pop()
    last = " ".join(words).rstrip(".,;:") + ELLIPSIS if words else cut(lines[height - 1], width)
    return [*lines[: height - 1], last]


class FittedText(Widget):
    """Shows ``text`` fitted to its size (see ``fit_words``); as tall as its text when its height is auto."""

    DEFAULT_CSS = "FittedText { height: auto; }"
    text: reactive[str] = reactive("")

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(FittedText.text, text)

    def watch_text(self) -> None:
        self.refresh(layout=size_may_change(self))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(wrap_words(self.text, width))

    def render(self) -> Content:
        width, height = self.content_size
        return Content("\n".join(fit_words(self.text, width, height)))
