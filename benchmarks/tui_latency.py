"""How quickly the app shows its first frame, and how long key presses wait while a game is playing.

    python benchmarks/tui_latency.py

1. Launch to first frame, in a real terminal: `aitelephone-tui` is started in tmux and the pane is read until
   the picker is on it (process start, imports, catalog, first paint), five times; likewise `--demo` until the
   shipped sample is on the stage with its picture, prompt, caption and distance (budget: 1.5 s).
2. Key press to repaint while a game runs, in the same real terminal: while a 50-turn offline game plays,
   ? opens the help overlay and Escape closes it, over and over; each key is timed from tmux send-keys until
   the pane shows the result (key read, handled, screen repainted, tmux updated).
3. Leaving the stage, in the same real terminal at 120x40 with half-cell pictures: on `--demo`, Escape leaves
   the stage and f brings it back, 20 times; Escape is timed from tmux send-keys until the working view is on
   the pane with its picture drawn, f until the stage is back with its picture.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

FRAME_BUDGET = 1 / 60
KEY_BUDGET = 0.05  # key press to repaint, at p95, during a game
HELP_TEXT = "AI Telephone: a text-to-image model"


HOLDER = "aitelephone-bench"  # one tmux session for the whole benchmark; a window per app launch


DEMO_BUDGET = 1.5
STAGE_WORDS = ("PROMPT", "CAPTION", "DISTANCE", "▀")  # the stage is up, picture included


def launch_to_first_frame(command: str, shown: tuple[str, ...]) -> list[float]:
    """Seconds from starting ``command`` in a new tmux window until every one of ``shown`` is on the pane."""
    timings = []
    for attempt in range(5):
        window = f"{HOLDER}:launch{attempt}"
        started = time.perf_counter()
        subprocess.run(["tmux", "new-window", "-d", "-t", HOLDER, "-n", f"launch{attempt}", command], check=True)
        while time.perf_counter() - started < 30:
            pane = _pane(window)
            if all(word in pane for word in shown):
                timings.append(time.perf_counter() - started)
                break
            time.sleep(0.005)
        subprocess.run(["tmux", "kill-window", "-t", window], check=False)
    return timings


def _pane(target: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", target], capture_output=True, text=True).stdout


def _toggle_help(window: str) -> list[float]:
    """Open the help overlay with ? and close it with Escape; the time of each until the pane shows it."""
    timings = []
    for key, shows_help in (("?", True), ("Escape", False)):
        started = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", window, key])
        while (HELP_TEXT in _pane(window)) != shows_help and time.perf_counter() - started < 5:
            time.sleep(0.001)
        timings.append(time.perf_counter() - started)
    return timings


def key_latency(runs: Path) -> tuple[list[float], list[float], int]:
    """While a 50-turn game plays (paced as the app paces it), open the help overlay with ? and close it with
    Escape, timing each key until the pane shows the result (both are full repaints)."""
    window = f"{HOLDER}:keys"
    subprocess.run(
        ["tmux", "new-window", "-d", "-t", HOLDER, "-n", "keys", f"aitelephone-tui --runs {runs}"], check=True
    )
    presses: list[float] = []
    turn = re.compile(r"turn (\d+)/50")
    try:
        while "Sketch painter" not in _pane(window):
            time.sleep(0.01)
        idle = [timing for _ in range(20) for timing in _toggle_help(window)]
        for key in (*["Tab"] * 5, "BSpace", "BSpace", "5", "0", "Enter"):
            subprocess.run(["tmux", "send-keys", "-t", window, key])
            time.sleep(0.2)  # on a loaded machine, keys 50 ms apart started a game of 5 turns, not 50
        started = time.perf_counter()
        while not turn.search(pane := _pane(window)):
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"no 50-turn game started; the pane shows:\n{pane}")
            time.sleep(0.005)
        played = 0  # the latest turn the status line showed (the help overlay may hide it at times)
        while played < 50 and len(presses) < 200:
            if (match := turn.search(_pane(window))) is not None:
                played = int(match.group(1))
            presses += _toggle_help(window)
    finally:
        subprocess.run(["tmux", "kill-window", "-t", window], check=False)
    return idle, presses, played


WORKING_VIEW = ("Turns", "▀")  # the turn list's title and the working view's picture
STAGE_EXITS = 20


def _wait_for(window: str, shown: tuple[str, ...], hidden: str) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < 5:
        pane = _pane(window)
        if all(word in pane for word in shown) and hidden not in pane:
            return
        time.sleep(0.001)
    raise RuntimeError(f"{shown} did not show within 5 s")


def stage_exit_latency() -> tuple[list[float], list[float]]:
    """On the demo's stage (120x40, half cells), Escape to the working view and f back, timed from the key
    until the pane shows the other view with its picture (the picture is drawn last: a view is not left until
    it is there)."""
    window = f"{HOLDER}:stage"
    command = "aitelephone-tui --demo --images halfcell"
    subprocess.run(["tmux", "new-window", "-d", "-t", HOLDER, "-n", "stage", command], check=True)
    subprocess.run(["tmux", "resize-window", "-t", window, "-x", "120", "-y", "40"], check=True)
    leaving: list[float] = []
    entering: list[float] = []
    try:
        _wait_for(window, STAGE_WORDS, hidden="Turns")
        for _ in range(STAGE_EXITS):
            for key, timings, shown, hidden in (
                ("Escape", leaving, WORKING_VIEW, "DISTANCE TO PROMPT"),
                ("f", entering, STAGE_WORDS, "Turns"),
            ):
                time.sleep(0.2)  # a key at a time, as a person presses them
                started = time.perf_counter()
                subprocess.run(["tmux", "send-keys", "-t", window, key])
                _wait_for(window, shown, hidden)
                timings.append(time.perf_counter() - started)
    finally:
        subprocess.run(["tmux", "kill-window", "-t", window], check=False)
    return leaving, entering


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


def capture_overhead() -> float:
    """What one look at the pane costs, to subtract from the measured delays' meaning (not from the figures)."""
    started = time.perf_counter()
    for _ in range(20):
        _pane(f"{HOLDER}:0")
    return (time.perf_counter() - started) / 20


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        if shutil.which("tmux") is None or shutil.which("aitelephone-tui") is None:
            print("needs tmux and an installed aitelephone-tui on PATH")
            return
        subprocess.run(["tmux", "new-session", "-d", "-s", HOLDER, "-x", "100", "-y", "30", "sleep 600"], check=True)
        try:
            first_frames = launch_to_first_frame(f"aitelephone-tui --runs {folder}", ("Sketch painter",))
            demo_frames = launch_to_first_frame("aitelephone-tui --demo", STAGE_WORDS)
            idle, presses, played = key_latency(Path(folder))
            leaving, entering = stage_exit_latency()
            overhead = capture_overhead()
        finally:
            subprocess.run(["tmux", "kill-session", "-t", HOLDER], check=False)
    print(
        f"launch to first frame (tmux, 5 runs)   median {statistics.median(first_frames):.2f} s, "
        f"worst {max(first_frames):.2f} s"
    )
    print(
        f"--demo to the stage (tmux, 5 runs)     median {statistics.median(demo_frames):.2f} s, "
        f"worst {max(demo_frames):.2f} s; worst / {DEMO_BUDGET} s budget {max(demo_frames) / DEMO_BUDGET:.2f}"
    )
    for name, keys in (("?", slice(0, None, 2)), ("Escape", slice(1, None, 2))):
        print(
            f"with no game: {name:<7} (20 presses)      median {statistics.median(idle[keys]) * 1000:.1f} ms, "
            f"worst {max(idle[keys]) * 1000:.1f} ms"
        )
        print(
            f"during the game: {name:<7}               median {statistics.median(presses[keys]) * 1000:.1f} ms, "
            f"worst {max(presses[keys]) * 1000:.1f} ms"
        )
    print(f"key presses while the game played      {len(presses)} (the game had reached turn {played})")
    print(f"one look at the pane costs             {overhead * 1000:.1f} ms (included below)")
    # Escape is reported apart: the app first waits ESCDELAY (25 ms) for the rest of a key that starts with
    # an Escape byte, and closing the help repaints the whole game screen, picture included.
    for name, keys in (("?", presses[0::2]), ("Escape", presses[1::2])):
        print(
            f"{name:<7} to repaint, during the game     median {statistics.median(keys) * 1000:.1f} ms, "
            f"p95 {_p95(keys) * 1000:.1f} ms, worst {max(keys) * 1000:.1f} ms; p95 / 50 ms "
            f"{_p95(keys) / KEY_BUDGET:.2f}"
        )
    print(f"worst key press / 60 Hz frame          {max(presses) / FRAME_BUDGET:.2f}")
    print(f"median while playing / median idle     {statistics.median(presses) / statistics.median(idle):.2f}")
    for name, timings in (("Escape leaves the stage", leaving), ("f brings the stage back", entering)):
        print(
            f"{name} ({len(timings)} presses) median {statistics.median(timings) * 1000:.1f} ms, "
            f"p95 {_p95(timings) * 1000:.1f} ms, worst {max(timings) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
