"""Seconds per turn for the offline trio, and the offline embedder's texts per second.

python benchmarks/offline_game.py [--turns N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from engine import Catalog, RunStore, build_line, load_prompts
from engine.events import DistancesReady
from engine.providers.offline.shapes import shape_memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=10)
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


if __name__ == "__main__":
    main()
