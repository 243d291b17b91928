"""The app in real graphics terminals, judged from their screenshots.

Each case runs ``aitelephone-tui`` on the shipped sample in a real terminal (xterm as a VT340 and mlterm draw
Sixel; Debian's kitty 0.26 draws Kitty graphics without the Unicode placeholders, so it must get half cells)
under Xvfb, presses the same keys twice, once with ``--images halfcell`` and once letting the app ask the
terminal, and takes a screenshot after every key once the window has stopped changing. The same keys pressed in
a headless copy of the app say where the picture is (its cells) and which turn's image it shows.

A screenshot passes when, outside the picture's cells, it is pixel for pixel the half-cell run's (the prompt
bar on the top row, the caption and distance once each: nothing scrolled, stacked or left behind), the top row
is not blank, and inside them it shows that turn's image (not background, not empty boxes), judged by comparing
the two at 24x24 pixels.

``python -m tests.real_terminals [--out DIR] [--case NAME]`` runs every case (``.ci/run`` runs it after the
test suite) and keeps the screenshots (README's are made so); it exits 1 when a case fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

TOOLS = ("Xvfb", "xdotool", "import")
TERMINALS = {
    # name: the command that runs ARGV in a COLUMNSxROWS window
    "xterm": ["xterm", "-ti", "vt340", "-geometry", "{columns}x{rows}+0+0", "-e"],
    "mlterm": ["mlterm", "--sb=false", "--geometry", "{columns}x{rows}+0+0", "-e"],
    "kitty": [
        "kitty",
        "-o",
        "initial_window_width={columns}c",
        "-o",
        "initial_window_height={rows}c",
        "-o",
        "remember_window_size=no",
        "-o",
        "placement_strategy=top-left",
    ],
}
KEY_SECONDS = 10.0  # how long a key may take to change the window before it counts as lost
SETTLE_SECONDS = 0.6  # the window counts as still when it has not changed for this long
POLL_SECONDS = 0.25  # between screenshots while waiting
# mlterm repaints lines that moved from exposure events, which a screenshot taken meanwhile can make it miss
# (three stale lines of the turn before, in either run, never seen by eye): it is looked at less often.
LAZY_TERMINALS = {"mlterm": (1.0, 2.0)}  # terminal: (seconds between screenshots, seconds to count as still)
STRAY_PIXELS = 16  # differences outside the picture below this are a terminal's own (a 2-pixel speck in
# mlterm's border); the smallest real fault, a digit left behind, is hundreds
WAIT_LIMIT = 60.0  # seconds a screen may take to settle (a busy 2-core machine, a cold start)
RESEMBLANCE_LIMIT = 45.0  # mean difference (0-255) between the shown picture and the turn's image, at 24x24


@dataclass(frozen=True)
class Case:
    terminal: str
    columns: int
    rows: int
    keys: tuple[str, ...]  # xdotool key names, a screenshot after each (and one before the first)
    live: bool = False  # a live offline game from the picker (Return starts it), judged once it is over
    guess: bool = False  # guessing the prompt on the shipped sample (--demo --guess)

    @property
    def name(self) -> str:
        return f"{self.terminal}-{self.columns}x{self.rows}" + (
            "-game" if self.live else "-guess" if self.guess else ""
        )


CASES = (
    Case("xterm", 120, 40, ("Right", "Right", "Right", "Left", "f", "f")),
    Case("xterm", 200, 55, ("Right", "f")),
    Case("mlterm", 120, 40, ("Right", "Right", "f")),
    Case("mlterm", 200, 55, ("Right",)),
    Case("kitty", 120, 40, ("Right", "f")),
    Case("xterm", 120, 40, ("Return",), live=True),
    Case("xterm", 120, 35, ("Escape", "r", "Left"), guess=True),
)


@dataclass(frozen=True)
class Expected:
    """What the headless app shows after a key: the picture's cells and the image file behind it."""

    cells: tuple[int, int, int, int]  # x, y, width, height
    image: Path | None


def missing_tools(terminals: tuple[str, ...] = tuple(TERMINALS)) -> list[str]:
    return [tool for tool in (*TOOLS, *terminals) if shutil.which(tool) is None]


@contextmanager
def virtual_display() -> Iterator[str]:
    """A fresh Xvfb display, gone afterwards."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "2560x1600x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        display = f":{numbers.readline().strip()}"
    try:
        yield display
    finally:
        server.terminate()
        server.wait(10)


def _tool(display: str, *argv: str) -> str:
    return subprocess.run(
        argv, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _window(display: str, pid: int) -> str:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
            capture_output=True,
            text=True,
            env={**os.environ, "DISPLAY": display},
        ).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.2)
    raise TimeoutError(f"no window for process {pid}")


def _screenshot(display: str, window: str, path: Path) -> np.ndarray:
    _tool(display, "import", "-window", window, str(path))
    with Image.open(path) as opened:
        return np.asarray(opened.convert("RGB"))


def _settled(
    display: str, window: str, path: Path, ready: Callable[[np.ndarray], bool], pace: tuple[float, float]
) -> np.ndarray:
    """The window's picture once it is ``ready`` and has not changed for a while (``pace``: seconds between
    looks, seconds still); the last one seen when that never happens within WAIT_LIMIT (the judge then says what
    is wrong with it)."""
    poll, still_for = pace
    deadline = time.monotonic() + WAIT_LIMIT
    last = _screenshot(display, window, path)
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(poll)
        now = _screenshot(display, window, path)
        if now.shape != last.shape or not np.array_equal(now, last) or not ready(now):
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= still_for:
            return now
    return last


def _press(display: str, window: str, key: str, scratch: Path, poll: float) -> None:
    """Press ``key`` in ``window`` and wait for the window to change (every key of a case changes it); a key
    that a terminal let fall while its window was taking the focus is pressed once more."""
    before = _screenshot(display, window, scratch)
    for _ in range(2):
        _tool(display, "xdotool", "windowfocus", "--sync", window)
        _tool(display, "xdotool", "key", key)
        deadline = time.monotonic() + KEY_SECONDS
        while time.monotonic() < deadline:
            if not np.array_equal(_screenshot(display, window, scratch), before):
                return
            time.sleep(poll)


def _picture_drawn(case: Case, expected: Expected, exactly: bool) -> Callable[[np.ndarray], bool]:
    """Whether a screenshot shows the app, and something other than one flat colour where ``expected`` has a
    picture; when ``exactly``, that turn's picture (not the one before it, still up while the new one is
    encoded). The half-cell run is not held to it: xterm rounds its colours to a 256-colour palette."""

    def ready(shot: np.ndarray) -> bool:
        if (shot == shot[0, 0]).all():
            return False  # the app has not drawn yet
        if expected.image is None:
            return True
        inside = shot[_picture_box(shot, case, expected)].reshape(-1, 3)
        if len(inside) == 0:
            return False
        _, counts = np.unique(inside, axis=0, return_counts=True)
        if counts.max() >= 0.9 * len(inside):
            return False
        return (
            not exactly or _resemblance(shot[_picture_box(shot, case, expected)], expected.image) <= RESEMBLANCE_LIMIT
        )

    return ready


def play_in_terminal(
    case: Case, images: str, display: str, folder: Path, expected: Future[list[Expected]], finds_expected: bool
) -> list[np.ndarray]:
    """Screenshots of ``case`` played with ``--images images``, one before the keys and one after each, each
    taken once the picture the headless app shows there is drawn. What the headless app shows is found here
    (from this window's cell size) when ``finds_expected``, and waited for otherwise."""
    runs = folder / f"{case.name}-{images}-runs"
    # A live game plays with no pace, so the screen shows its last turn as soon as the journal says it is over.
    source = ["--runs", str(runs), "--pace", "0"] if case.live else ["--replay", str(_sample())]
    source = ["--demo", "--guess"] if case.guess else source
    app = [sys.executable, "-m", "tui.app.app", *source, "--present", "--images", images]
    argv = [part.format(columns=case.columns, rows=case.rows) for part in TERMINALS[case.terminal]] + app
    env = {**os.environ, "DISPLAY": display, "COLORTERM": "truecolor", "LIBGL_ALWAYS_SOFTWARE": "1"}
    env.pop("TMUX", None)
    terminal = subprocess.Popen(
        argv,
        env=env,
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        window = _window(display, terminal.pid)
        _tool(display, "xdotool", "mousemove", "20", "20")  # no window manager: focus follows the pointer
        if finds_expected:
            cell = _cell_grid(_screenshot(display, window, folder / f"{case.name}-size.png"), case)[:2]
            try:
                expected.set_result(asyncio.run(_headless(case, cell, folder / f"{case.name}-headless-runs")))
            except BaseException as error:
                expected.set_exception(error)
                raise
        shown = expected.result(timeout=WAIT_LIMIT * 2)
        pace = LAZY_TERMINALS.get(case.terminal, (POLL_SECONDS, SETTLE_SECONDS))
        shots = []
        for number, key in enumerate(("", *case.keys)):
            if key:
                _press(display, window, key, folder / f"{case.name}-{images}-before.png", pace[0])
            if case.live and key:
                _wait_for_the_game(runs)
            path = folder / f"{case.name}-{images}-{number}.png"
            ready = _picture_drawn(case, shown[number], exactly=images != "halfcell")
            shots.append(_settled(display, window, path, ready, pace))
        return shots
    finally:
        os.killpg(terminal.pid, 15)
        terminal.wait(10)


def _sample() -> Path:
    from engine import load_conversations, sample_run

    conversations, _ = load_conversations(sample_run())
    return conversations[0].folder


def _game_over(runs: Path) -> bool:
    from engine import find_runs, load_conversations

    found = find_runs(runs) if runs.exists() else []
    return bool(found) and all(conversation.complete for conversation in load_conversations(found[0])[0])


def _wait_for_the_game(runs: Path) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not _game_over(runs):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the game in {runs} never finished")
        time.sleep(0.2)


async def _headless(case: Case, cell: tuple[int, int], runs: Path) -> list[Expected]:
    from tui.app.app import TelephoneApp
    from tui.app.terminal_probe import tell_textual_image
    from tui.app.widgets.turn_image import TurnImage

    if case.live:
        app = TelephoneApp(image_mode="halfcell", runs_dir=runs, present=True, pace=0.0)
    elif case.guess:
        app = TelephoneApp(image_mode="halfcell", demo=True, guess=True)
    else:
        app = TelephoneApp(image_mode="halfcell", replay=_sample(), present=True)
    tell_textual_image(cell)  # sizes in the normal view follow the real terminal's cells
    shown: list[Expected] = []
    async with app.run_test(size=(case.columns, case.rows)) as pilot:

        async def look() -> None:
            await pilot.pause()
            while case.live and len(shown) and not _game_over(runs):
                await pilot.pause(0.2)
            await app.workers.wait_for_complete()
            await pilot.pause()
            images = [turn for turn in app.screen.query(TurnImage) if turn.display and turn.region.area]
            if not images:
                shown.append(Expected((0, 0, 0, 0), None))
                return
            picture = images[0].children[0].region
            shown.append(Expected((picture.x, picture.y, picture.width, picture.height), images[0].shown))

        await look()
        for key in case.keys:
            await pilot.press({"Right": "right", "Left": "left", "Return": "enter", "Escape": "escape"}.get(key, key))
            await look()
    return shown


def _cell_grid(shot: np.ndarray, case: Case) -> tuple[int, int, int, int]:
    """(cell width, cell height, left padding, top padding) of a window of ``case``'s size."""
    height, width = shot.shape[:2]
    cell_width, cell_height = width // case.columns, height // case.rows
    return cell_width, cell_height, (width - case.columns * cell_width) // 2, (height - case.rows * cell_height) // 2


def _picture_box(shot: np.ndarray, case: Case, expected: Expected) -> tuple[slice, slice]:
    cell_width, cell_height, left, top = _cell_grid(shot, case)
    x, y, width, height = expected.cells
    return (
        slice(top + y * cell_height, top + (y + height) * cell_height),
        slice(left + x * cell_width, left + (x + width) * cell_width),
    )


def _resemblance(shown: np.ndarray, image: Path) -> float:
    """Mean difference between the picture in ``shown`` (letterboxing trimmed) and ``image``, at 24x24."""
    background = shown[0, 0].astype(int)
    differs = np.abs(shown.astype(int) - background).sum(axis=2) > 30
    rows, columns = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    if len(rows) == 0:
        return 255.0
    trimmed = shown[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    small = np.asarray(Image.fromarray(trimmed).resize((24, 24), Image.Resampling.BOX), dtype=float)
    with Image.open(image) as opened:
        reference = np.asarray(opened.convert("RGB").resize((24, 24), Image.Resampling.BOX), dtype=float)
    return float(np.abs(small - reference).mean())


def judge(case: Case, halfcell: np.ndarray, graphics: np.ndarray, expected: Expected) -> list[str]:
    """What is wrong with ``graphics`` (a screenshot after a key), against the half-cell run's ``halfcell``."""
    if halfcell.shape != graphics.shape:
        return [f"window sizes differ: {halfcell.shape} against {graphics.shape}"]
    _, cell_height, _, top = _cell_grid(graphics, case)
    box = _picture_box(graphics, case, expected)
    problems = []
    outside = np.ones(graphics.shape[:2], dtype=bool)
    outside[box] = False
    differing = (graphics != halfcell).any(axis=2) & outside
    if differing.sum() > STRAY_PIXELS:
        rows = np.flatnonzero(differing.any(axis=1))
        problems.append(
            f"{int(differing.sum())} pixels outside the picture differ from half cells "
            f"(rows {rows[0] // cell_height}–{rows[-1] // cell_height})"
        )
    top_row = graphics[top : top + cell_height]
    if len(np.unique(top_row.reshape(-1, 3), axis=0)) < 2:
        problems.append("the top row is blank: no prompt bar")
    if expected.image is not None:
        difference = _resemblance(graphics[box], expected.image)
        if difference > RESEMBLANCE_LIMIT:
            problems.append(f"the picture does not show {expected.image.name} ({difference:.0f})")
    return problems


def run_case(case: Case, folder: Path) -> tuple[list[str], list[Path]]:
    """Problems found in ``case`` and the graphics run's screenshots. The half-cell run and the graphics run
    play side by side, each on a display of its own (they mostly wait). The half-cell run is only the
    reference: where the two differ, it is played once more before the difference counts (a reference caught
    mid-repaint must not be blamed on the pictures; the graphics run is never played again)."""
    found: Future[list[Expected]] = Future()
    with virtual_display() as first, virtual_display() as second, ThreadPoolExecutor(2) as pool:
        half_cells = pool.submit(play_in_terminal, case, "halfcell", first, folder, found, True)
        terminal_choice = pool.submit(play_in_terminal, case, "auto", second, folder, found, False)
        halfcell, graphics, expected = half_cells.result(), terminal_choice.result(), found.result()
        problems = _judged(case, halfcell, graphics, expected)
        if problems:
            halfcell = play_in_terminal(case, "halfcell", first, folder, found, False)
            problems = _judged(case, halfcell, graphics, expected)
    return problems, [folder / f"{case.name}-auto-{step}.png" for step in range(len(graphics))]


def _judged(case: Case, halfcell: list[np.ndarray], graphics: list[np.ndarray], expected: list[Expected]) -> list[str]:
    problems = []
    for step, (reference, shot, shown) in enumerate(zip(halfcell, graphics, expected, strict=True)):
        problems += [f"{case.name} after {step} keys: {problem}" for problem in judge(case, reference, shot, shown)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="keep the screenshots here")
    parser.add_argument("--case", action="append", help="only these (e.g. xterm-120x40)")
    args = parser.parse_args(argv)
    if missing := missing_tools():
        print(f"missing: {', '.join(missing)} (apt-get install xterm mlterm kitty xvfb imagemagick xdotool)")
        return 2
    folder = args.out or Path(tempfile.mkdtemp(prefix="terminals-"))
    folder.mkdir(parents=True, exist_ok=True)
    failures = 0
    for case in CASES:
        if args.case and case.name not in args.case:
            continue
        problems = _run_case_once_more_if_it_fails(case, folder)
        print(f"{case.name}: {'ok' if not problems else 'FAILED'}")
        for problem in problems:
            print(f"  {problem}")
        failures += bool(problems)
    print(f"screenshots in {folder}")
    return 1 if failures else 0


def _run_case_once_more_if_it_fails(case: Case, folder: Path) -> list[str]:
    """A case's problems; a case that fails is played once more, and said so, before it counts as failed. Two
    terminals, two X servers and a headless app race here; today 1 run in 3 from a fresh clone met a window
    that never showed (xterm at 200x55) or stray pixels (mlterm at 200x55), and the same case then passed."""
    try:
        problems, _ = run_case(case, folder)
    except (TimeoutError, subprocess.SubprocessError) as error:
        problems = [f"{type(error).__name__}: {error}"]
    if not problems:
        return []
    print(f"{case.name}: failed once ({'; '.join(problems)[:300]}); played again")
    problems, _ = run_case(case, folder)
    return problems


if __name__ == "__main__":
    sys.exit(main())
