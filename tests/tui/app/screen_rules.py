"""The rules every screen keeps at every size, read from what the app actually draws (its compositor's map and
strips), so they hold for any layout: no text cut without "…", nothing drawn past its container's edge, no
sideways scrolling, the keys a person needs in the footer, every empty list explained. Each rule returns what
breaks it, one line a problem, so a failure names the widget and the text."""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, ListView, OptionList
from textual.widgets._footer import FooterKey

ELLIPSIS = "…"
ALWAYS_IN_FOOTER = ("help", "quit")  # app actions every footer shows, besides the screen's main action


def screen_text(app: App[object]) -> list[str]:
    """What the terminal shows, one string a row, one character a cell (a wide character's second cell empty)."""
    rows = []
    for strip in app.screen._compositor.render_strips():
        cells: list[str] = []
        for segment in strip:
            for character in segment.text:
                cells.append(character)
                cells.extend([""] * (cell_len(character) - 1))
        rows.append(cells)
    return ["".join(cell or " " for cell in row) for row in rows]


def _shown(rows: list[str], region: Region) -> str:
    return "\n".join(row[region.x : region.right] for row in rows[region.y : region.bottom])


def _plain(widget: Widget) -> str | None:
    """The text a leaf widget means to show, or None where it draws something other than text."""
    if isinstance(widget, FooterKey):
        return f"{widget.key_display} {widget.description}"
    if isinstance(widget, ScrollView | Input) or widget.children:
        return None
    rendered = widget.render()
    if isinstance(rendered, Content | Text):
        return rendered.plain
    return rendered if isinstance(rendered, str) else None


def _scrolls_vertically(widget: Widget) -> bool:
    """An ancestor shows a vertical scroll bar: what it clips can be scrolled to, and the bar says so."""
    return any(
        ancestor.show_vertical_scrollbar and ancestor.scrollbar_size_vertical > 0
        for ancestor in widget.ancestors
        if isinstance(ancestor, Widget)
    )


def _name(widget: Widget) -> str:
    return f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__


def cut_text(app: App[object]) -> list[str]:
    """Text a person cannot read whole: a widget drawn past its container's edge, covered by another, cut to
    fewer lines or cells than it needs without "…", or a table that needs scrolling sideways."""
    problems = []
    rows = screen_text(app)
    for widget, (region, clip) in app.screen._compositor.visible_widgets.items():
        outside = region.width and region.height and not clip.contains_region(region)
        sideways = region.x < clip.x or region.right > clip.right
        if outside and (sideways or not _scrolls_vertically(widget)):
            for y, strip in enumerate(widget.render_lines(Region(0, 0, region.width, region.height))):
                x = 0
                for segment in strip:
                    for character in segment.text:
                        if character.strip() and not clip.contains(region.x + x, region.y + y):
                            problems.append(f"{_name(widget)} drawn past its container's edge: {segment.text!r}")
                            break
                        x += cell_len(character)
                    else:
                        continue
                    break
        meant = _plain(widget)
        if meant is not None and not (outside and not sideways):
            seen = _shown(rows, widget.content_region.intersection(clip))
            if meant.split() != seen.split() and ELLIPSIS not in seen:
                problems.append(f"{_name(widget)} cut without an ellipsis: {' '.join(seen.split())!r} of {meant!r}")
        if isinstance(widget, ScrollView) and not isinstance(widget, Input) and widget.max_scroll_x > 0:
            problems.append(f"{_name(widget)} needs scrolling sideways: {widget.virtual_size.width} cells wide")
        if isinstance(widget, DataTable):
            problems += _cut_cells(widget)
    return list(dict.fromkeys(problems))


def _cut_cells(table: DataTable[object]) -> list[str]:
    """Cells wider than their fixed-width column, without an ellipsis (an auto-width column fits its widest)."""
    problems = []
    for column in table.ordered_columns:
        if column.auto_width:
            continue
        for cell in table.get_column(column.key):
            plain = cell.plain if isinstance(cell, Text) else str(cell)
            for line in plain.splitlines():
                if cell_len(line) > column.width and not line.endswith(ELLIPSIS):
                    problems.append(f"{_name(table)} cell cut without an ellipsis: {line!r}")
    return problems


def footer_keys(app: App[object]) -> list[str]:
    """The actions of the footer's keys a person can read whole, left to right."""
    footers = [widget for widget in app.screen._compositor.visible_widgets if isinstance(widget, Footer)]
    if not footers:
        return []
    rows = screen_text(app)
    visible = app.screen._compositor.visible_widgets
    keys = sorted(
        (region.x, widget)
        for widget, (region, clip) in visible.items()
        if isinstance(widget, FooterKey) and clip.contains_region(region)
    )
    return [
        widget.action
        for _, widget in keys
        if _shown(rows, visible[widget][0]).split() == f"{widget.key_display} {widget.description}".split()
    ]


def main_action(app: App[object]) -> str:
    """The screen's main action: by the app's convention, its first binding shown in the footer."""
    bindings = Binding.make_bindings(app.screen.BINDINGS)
    return next(binding.action for binding in bindings if binding.show and binding.description)


def missing_keys(app: App[object]) -> list[str]:
    """The keys a person needs that the footer does not show whole: quit, help and the screen's main action."""
    if not any(isinstance(widget, Footer) for widget in app.screen._compositor.visible_widgets):
        return []
    shown = footer_keys(app)
    return [action for action in (main_action(app), *ALWAYS_IN_FOOTER) if action not in shown]


def _key_words(app: App[object]) -> set[str]:
    """How the keys bound on this screen may be written in a sentence: "Escape", "esc", "ctrl+o", "+", "⏎"."""
    words = {"escape", "enter"}
    for _, binding, _, _ in app.screen.active_bindings.values():
        words |= {binding.key.lower(), app.get_key_display(binding).lower()}
    return words


def unexplained_empty(app: App[object]) -> list[str]:
    """Empty lists and tables with no words on screen saying why they are empty and which key to press."""
    visible = app.screen._compositor.visible_widgets
    empty = [
        widget
        for widget in visible
        if not widget.loading
        and (
            (isinstance(widget, DataTable) and widget.row_count == 0)
            or (isinstance(widget, OptionList) and widget.option_count == 0)
            or (isinstance(widget, ListView) and len(widget) == 0)
        )
    ]
    if not empty:
        return []
    keys = _key_words(app)
    sentences = [text for widget in visible if (text := _plain(widget))]
    explained = any(
        len(sentence.split()) >= 4 and keys & set(re.split(r"[\s,;:()]+", sentence.lower())) for sentence in sentences
    )
    return [] if explained else [f"{_name(widget)} is empty with no word on why" for widget in empty]
