"""Seconds per turn for the offline trio, the offline embedder's texts per second, and how the offline pair
keeps drifting: the share of late turns whose caption still changes, and the mean drift per step.

python -m benchmarks.offline_game [--turns N] [--drift-turns N] [--seeds N]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from engine import Catalog, RunStore, TelephoneLine, build_line, load_prompts
from engine.events import DistancesReady
from engine.providers.offline.shapes import shape_memory

SETTLED_AFTER = 5  # the article saw games settle after five or six turns: count changes from turn 6 on


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=10, help="turns per game for the timings")
    parser.add_argument("--drift-turns", type=int, default=30, help="turns per game for the drift figures")
    parser.add_argument("--seeds", type=int, default=4, help="seeds per prompt for the drift figures")
    args = parser.parse_args()

    started = time.perf_counter()
    line = build_line(Catalog.load(), "sketch-painter", "sketch-reader", "minilm")
    line.embedder.embed_texts(["warm up"])
    shape_memory()  # the reader learns its shapes once, on first use
    load_seconds = time.perf_counter() - started

    draw, describe, whole = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore.create("game", {}, Path(folder) / "run")
        for prompt in load_prompts():
            turn_started = time.perf_counter()
            for event in line.play(prompt, args.turns, store, seed=0):
                if isinstance(event, DistancesReady):
                    draw.append(event.turn.t2i_seconds)
                    describe.append(event.turn.i2t_seconds)
                    whole.append(time.perf_counter() - turn_started)
                    turn_started = time.perf_counter()

    captions = [f"A picture of {n} red apples on a brown table beside a window in a beige room." for n in range(200)]
    started = time.perf_counter()
    line.embedder.embed_texts(captions)
    texts_per_second = len(captions) / (time.perf_counter() - started)

    print(f"models loaded and shapes learned in   {load_seconds:.2f} s")
    print(f"turns measured                        {len(whole)}")
    print(f"draw (sketch-painter), median         {statistics.median(draw):.4f} s/turn")
    print(f"describe (sketch-reader), median      {statistics.median(describe):.4f} s/turn")
    print(f"whole turn incl. embedding, median    {statistics.median(whole):.4f} s/turn")
    print(f"whole turn, mean                      {statistics.mean(whole):.4f} s/turn")
    print(f"describe / draw ratio                 {statistics.median(describe) / statistics.median(draw):.2f}")
    print(f"embedder (minilm), one text per call  {texts_per_second:.1f} texts/s")
    drift_figures(line, args.drift_turns, args.seeds)


def drift_figures(line: TelephoneLine, turns: int, seeds: int) -> None:
    """Play every catalog prompt with each seed; print how often late captions change and the mean drift."""
    distances = []  # one row of distance-to-prompt per game
    changed = late = 0
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(seeds):
            for prompt in load_prompts():
                store = RunStore.create("game", {}, Path(folder) / f"{seed}-{prompt.id}")
                played = [e.turn for e in line.play(prompt, turns, store, seed=seed) if isinstance(e, DistancesReady)]
                captions = [turn.caption for turn in played]
                late += len(captions[SETTLED_AFTER:])
                changed += sum(before != now for before, now in itertools.pairwise(captions[SETTLED_AFTER - 1 :]))
                distances.append([turn.distance_to_prompt for turn in played])
    mean = np.mean(np.array(distances), axis=0)
    games = len(distances)
    print(f"drift: {games} games of {turns} turns ({games // seeds} prompts x {seeds} seeds)")
    print(f"{f'captions that change, turns {SETTLED_AFTER + 1}-{turns}':38}{changed}/{late} = {changed / late:.2f}")
    print(f"mean distance to prompt, step 1       {mean[0]:.3f}")
    print(f"{f'mean distance to prompt, step {turns}':38}{mean[-1]:.3f}  ({mean[-1] / mean[0]:.2f}x step 1)")
    print("mean distance to prompt per step      " + " ".join(f"{value:.3f}" for value in mean))
    print("mean change per step                  " + " ".join(f"{value:+.3f}" for value in np.diff(mean)))


if __name__ == "__main__":
    main()
