"""Drift charts: mean distance to the prompt against the step, one line per pair, one chart per level."""

from __future__ import annotations

import io
from pathlib import Path

from engine.analysis import Analysis
from engine.untrusted import inside, write_atomically


def write_charts(analysis: Analysis, folder: Path) -> list[Path]:
    # matplotlib takes a third of a second to import: only the commands that draw charts pay for it.
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for level in analysis.levels:
        figure, axes = plt.subplots(figsize=(9, 5.5), dpi=110)
        if len(analysis.pairs) > 10:  # the default cycle has ten colours: two pairs would share one
            axes.set_prop_cycle(color=[plt.get_cmap("tab20")(index) for index in range(20)])
        for pair in analysis.pairs:
            cells = analysis.by_step(pair, level)
            if not cells:
                continue
            steps = list(range(1, len(cells) + 1))
            means = [cell.mean for cell in cells]
            spreads = [cell.std for cell in cells]
            (line,) = axes.plot(steps, means, marker="o", markersize=3, label=f"{pair[0]} ⇄ {pair[1]}")
            axes.fill_between(
                steps,
                [m - s for m, s in zip(means, spreads, strict=True)],
                [m + s for m, s in zip(means, spreads, strict=True)],
                color=line.get_color(),
                alpha=0.12,
            )
        axes.set_title(f"Drift from the prompt, {level} prompts")
        axes.set_xlabel("step")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole turns
        axes.set_ylabel("mean cosine distance to the prompt")
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8, loc="lower right")
        path = inside(folder, f"drift-{level}.png", str(folder))
        figure.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.1)  # fixed: measuring it draws twice
        picture = io.BytesIO()  # written as a new file: one with another name elsewhere is never changed
        figure.savefig(picture, format="png")
        plt.close(figure)
        write_atomically(path, picture.getvalue())
        written.append(path)
    return written
