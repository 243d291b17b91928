"""The attractors of a run as one picture: the dendrogram of the games' end states cut at the threshold, and
beneath it each attractor's exemplar image with its share of the games, its prompts and its caption."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

from engine.attractors import AttractorReport
from engine.errors import StorageError
from engine.imagefiles import open_picture
from engine.untrusted import write_atomically

SHOWN = 6  # attractors drawn with their exemplar; the table in the terminal lists them all
LABELLED_LEAVES = 40  # more games than this and their names would overlap each other and the exemplars


def write_attractor_chart(report: AttractorReport, path: Path) -> Path:
    # matplotlib and scipy's clustering take a second to import: only the commands that draw this pay for it.
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    path.parent.mkdir(parents=True, exist_ok=True)
    shown = report.attractors[:SHOWN]
    columns = max(len(shown), 1)
    figure = plt.figure(figsize=(max(9.0, 2.6 * columns), 9.5), dpi=110)
    labelled = len(report.end_states) <= LABELLED_LEAVES
    grid = figure.add_gridspec(2, columns, height_ratios=[1.1, 1.6], hspace=0.35 if labelled else 0.15)

    tree = figure.add_subplot(grid[0, :])
    several_pairs = len({(game.t2i, game.i2t) for game in report.end_states}) > 1
    labels = [
        f"{game.prompt_id} · {game.t2i}⇄{game.i2t}" if several_pairs else game.prompt_id for game in report.end_states
    ]
    dendrogram(
        report.tree,
        ax=tree,
        color_threshold=report.threshold,
        above_threshold_color="#999999",
        labels=labels,
        no_labels=not labelled,
        leaf_rotation=90 if len(labels) > 12 else 30,
        leaf_font_size=7,
    )
    if not labelled:
        tree.set_xlabel("one leaf a game; the terminal's table lists each attractor's prompts and pairs", fontsize=8)
    tree.axhline(report.threshold, color="#c0392b", linestyle="--", linewidth=1)
    what = "captions and images" if report.with_images else "captions"
    tree.set_title(
        f"End states of {report.games} games ({what}), average linkage, cut at {report.threshold:g}: "
        f"{len(report.attractors)} attractors, {len(report.unique)} unique",
        fontsize=10,
    )
    tree.set_ylabel("cosine distance")

    for column, attractor in enumerate(shown):
        axes = figure.add_subplot(grid[1, column])
        axes.set_axis_off()
        if attractor.exemplar_image is not None:
            with contextlib.suppress(StorageError):  # shown as missing, like a filmstrip's cell
                axes.imshow(open_picture(attractor.exemplar_image))
        prompts = ", ".join(attractor.prompts)
        axes.set_title(
            f"A{attractor.number}: {attractor.share:.0%} of games\narrive ≈ step {attractor.mean_arrival:.1f}\n"
            + "\n".join(textwrap.wrap(prompts, 28)[:3]),
            fontsize=8,
        )
        caption = "\n".join(textwrap.wrap(attractor.exemplar_caption, 34)[:6])
        axes.text(0.5, -0.04, caption, transform=axes.transAxes, ha="center", va="top", fontsize=7, color="#1e8449")
    picture = io.BytesIO()  # written as a new file: one with another name elsewhere is never changed
    figure.savefig(picture, format="png", bbox_inches="tight")
    plt.close(figure)
    write_atomically(path, picture.getvalue())
    return path
