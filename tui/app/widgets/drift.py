"""Drift on one fixed scale, so pictures of it compare: cosine distance from 0 (same meaning) to 2 (opposite).

A sparkline that rescaled to its own minimum and maximum would draw a lone value as a full bar and 0.393 and
0.409 alike; these never rescale.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

MAX_DISTANCE = 2.0
TICKS = (0.0, 0.5, 1.0, 1.5, 2.0)
LEVELS = "▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉"


def _share(distance: float) -> float:
    return min(max(distance, 0.0), MAX_DISTANCE) / MAX_DISTANCE


def sparkline(distances: list[float], width: int) -> str:
    """One block per turn (the latest ``width`` turns), its height the distance on the fixed scale."""
    shown = distances[-width:] if width > 0 else []
    return "".join(LEVELS[min(int(_share(d) * len(LEVELS)), len(LEVELS) - 1)] for d in shown)


def bar(distance: float, width: int) -> tuple[str, str]:
    """The filled part and the empty part of a bar ``width`` cells long, to an eighth of a cell."""
    eighths = round(_share(distance) * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (EIGHTHS[part] if part else "")
    return filled, " " * (width - len(filled))


def tick_line(width: int) -> str:
    """The scale's labels under a bar ``width`` cells long."""
    line = [" "] * width
    for tick in TICKS:
        label = f"{tick:g}"
        start = min(max(round(_share(tick) * (width - 1)) - len(label) // 2, 0), width - len(label))
        line[start : start + len(label)] = label
    return "".join(line)[:width]


class DriftLine(Widget):
    """The distance to the prompt of every turn so far, one block each, on the fixed scale."""

    DEFAULT_CSS = "DriftLine { height: 1; color: $telephone-bar; }"
    distances: reactive[tuple[float, ...]] = reactive(tuple)

    def render(self) -> Text:
        return Text(sparkline(list(self.distances), self.content_size.width))


class DistanceBar(Widget):
    """One distance as a bar on the fixed scale [0, 2], with the scale's ticks beneath."""

    DEFAULT_CSS = """
    DistanceBar { height: 2; }
    DistanceBar > .distance-bar--filled { color: $telephone-bar; background: $panel; }
    DistanceBar > .distance-bar--track { background: $panel; }
    DistanceBar > .distance-bar--ticks { color: $telephone-muted; }
    """
    COMPONENT_CLASSES = {"distance-bar--filled", "distance-bar--track", "distance-bar--ticks"}
    distance: reactive[float | None] = reactive(None)

    def render(self) -> Text:
        width = self.content_size.width
        filled, empty = bar(self.distance or 0.0, width)
        text = Text(no_wrap=True, overflow="crop")
        text.append(filled, self.get_component_rich_style("distance-bar--filled"))
        text.append(empty, self.get_component_rich_style("distance-bar--track"))
        text.append("\n" + tick_line(width), self.get_component_rich_style("distance-bar--ticks"))
        return text
