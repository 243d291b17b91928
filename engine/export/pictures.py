"""A run's pictures at once: the drift charts are drawn while the filmstrips are (matplotlib holds the GIL,
Pillow's decoding and encoding mostly do not, so the two share the cores)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engine.analysis import Analysis
from engine.export.charts import write_charts
from engine.export.filmstrip import write_filmstrips


def write_pictures(
    analysis: Analysis, charts_folder: Path, filmstrips_folder: Path, redraw: bool = False
) -> tuple[list[Path], list[Path]]:
    """The drift charts and the filmstrips (those out of date, or all when ``redraw``); returns both lists."""
    with ThreadPoolExecutor(max_workers=1) as charting:
        charts = charting.submit(write_charts, analysis, charts_folder)
        strips = write_filmstrips(analysis.conversations, filmstrips_folder, redraw=redraw)
        return charts.result(), strips
