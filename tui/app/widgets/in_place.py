"""Updating text without a layout pass where its size stays the same.

Textual lays out the whole screen again whenever a widget asks for layout, and a label's ``update`` asks every
time. During a game the status line, the turn's texts and the stage change several times a turn; laid out
each time, the game screen spent 10-35 ms a frame on it on a 2-core machine, and a key pressed meanwhile
waited. Most of these updates keep the widget's size (a clock, a call's name, a caption of as many lines), so
they only need repainting."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static


def size_may_change(widget: Widget) -> bool:
    """Whether ``widget``'s content, as it is now, may want another size than the one it was laid out at.
    A widget that is not on screen (hidden, or under a hidden one) has nothing laid out: showing it lays it
    out anyway."""
    if not widget.region:
        return False
    styles, size = widget.styles, widget.content_size
    container = widget.parent.content_size if isinstance(widget.parent, Widget) else widget.app.size
    viewport = widget.app.size
    width_auto = styles.width is not None and styles.width.is_auto
    if width_auto and widget.get_content_width(container, viewport) != size.width:
        return True
    height_auto = styles.height is not None and styles.height.is_auto
    return height_auto and widget.get_content_height(container, viewport, size.width) != size.height


def update_in_place(label: Static, content: VisualType) -> None:
    """``label.update(content)``, with a layout pass only where the new content may change the label's size."""
    label.update(content, layout=False)
    if size_may_change(label):
        label.refresh(layout=True)
