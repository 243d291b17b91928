"""`aitelephone-tui`: pick two models, watch them play telephone, replay saved games, present them to a room."""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import cast

from rich.segment import Segment
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.color import Color
from textual.command import Hit, Hits, Provider
from textual.content import Content
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.filter import LineFilter
from textual.screen import Screen

from engine import (
    DEFAULT_MODELS,
    DEFAULT_RUNS_FOLDER,
    DEFAULT_TURNS,
    PERSON,
    Catalog,
    Conversation,
    Embedder,
    ImageToText,
    Kind,
    Model,
    TelephoneError,
    TelephoneLine,
    TextToImage,
    load_conversations,
    load_run,
    locate_runs,
    sample_run,
    terminal_safe,
)
from tui.app.quick_escape import QuickEscapeDriver
from tui.app.screens.browser_screen import RunBrowserScreen
from tui.app.screens.game_screen import GameScreen
from tui.app.screens.guess_screen import GuessScreen, games_to_guess
from tui.app.screens.help_screen import HelpScreen
from tui.app.screens.picker_screen import GameSettings, PickerScreen
from tui.app.screens.replay_screen import MAX_DELAY, MIN_DELAY, ReplayScreen
from tui.app.screens.tournament_screen import TournamentScreen
from tui.app.terminal_probe import IMAGE_CHOICES, detect_pictures
from tui.app.themes import GAME_COLOURS, THEMES
from tui.terminal import safe_segment

GIL_SWITCH_SECONDS = 0.0005
# Offline turns take under a tenth of a second: too fast to watch, so each is shown at least this long.
DEFAULT_PACE_SECONDS = 0.5
GC_YOUNG_THRESHOLD = 10_000  # new objects before a collection (Python's default is 700)
DEFAULT_DELAY_SECONDS = 3.0  # auto-play: each turn of a replay shows this long


class TelephoneCommands(Provider):
    """The app's own commands in the command palette."""

    async def search(self, query: str) -> Hits:
        app = cast(TelephoneApp, self.app)
        commands = [
            ("New game", "choose models and a prompt", app.action_new_game),
            ("Open replay", "browse saved games", app.action_open_runs),
            ("Guess the prompt", "the room guesses a game's prompt from its last picture", app.action_guess),
            ("New tournament", "every chosen pair on every catalog prompt", app.action_new_tournament),
            ("Switch theme", "toggle light and dark", app.action_switch_theme),
        ]
        matcher = self.matcher(query)
        for name, help_text, callback in commands:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class TerminalSafe(LineFilter):
    """Every line a widget draws loses the control and format characters its text may hold (captions,
    prompts, file names and errors come from runs and models). Terminal graphics are not touched: the Sixel
    widget writes its lines itself, past the filters, and Kitty placeholders are printable."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [safe_segment(segment) for segment in segments]


class TelephoneApp(App[None]):
    TITLE = "AI Telephone"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {TelephoneCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", key_display="F1"),  # where an input takes ? as a letter
        Binding("ctrl+t", "switch_theme", "Theme"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(
        self,
        runs_dir: Path = DEFAULT_RUNS_FOLDER,
        image_mode: str = "auto",
        replay: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        catalog: Catalog | None = None,
        pace: float = DEFAULT_PACE_SECONDS,
        present: bool = False,
        autoplay: bool = False,
        loop: bool = False,
        delay: float = DEFAULT_DELAY_SECONDS,
        demo: bool = False,
        guess: bool = False,
        own_process: bool = False,
    ) -> None:
        super().__init__()
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = THEMES[0].name
        self.runs_dir = runs_dir
        self.pictures = detect_pictures(image_mode)  # asks the terminal: before Textual reads its input
        self.replay = replay
        self.clock = clock
        self.pace = pace
        self.present = present  # games and replays open on the stage
        self.autoplay = autoplay  # replays play by themselves
        self.loop = loop
        self.delay = delay
        self.demo = demo  # the shipped sample, on the stage, playing in a loop; no model is loaded
        self.guess = guess  # open on guessing the prompt (of the sample, the replay or the saved games)
        # The app is its process's only tenant (started by `main`, not by a test among many): what it makes
        # at start, and each model, is frozen out of the garbage collector's sight for good (see `on_mount`).
        self.own_process = own_process
        self._catalog = catalog
        self._models: dict[tuple[str, Kind], Model] = {}
        self._models_lock = threading.Lock()
        self._terminal_safe = TerminalSafe()
        self._switch_interval = sys.getswitchinterval()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands less its theme picker: the app offers its own two themes (Ctrl+T, "Switch theme"),
        both checked to draw every text colour at 4.5:1."""
        return [command for command in super().get_system_commands(screen) if command.title != "Theme"]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The game's own colours, for a theme that does not name them (the dark theme's)."""
        return {**super().get_theme_variable_defaults(), **{name: THEMES[0].variables[name] for name in GAME_COLOURS}}

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        return QuickEscapeDriver if driver is LinuxDriver else driver

    def get_line_filters(self) -> Sequence[LineFilter]:
        return [*super().get_line_filters(), self._terminal_safe]

    @property
    def catalog(self) -> Catalog:
        """The model catalog, read on first use: it loads every provider plugin, which takes a while, and the
        demo never needs it."""
        if self._catalog is None:
            self._catalog = Catalog.load()
        return self._catalog

    def format_title(self, title: str, sub_title: str) -> Content:
        """The title and sub-title at full strength: Textual dims the sub-title, below 4.5:1 on the light theme."""
        return Content.assemble(title, " — ", sub_title) if sub_title else Content(title)

    def model(self, model_id: str, kind: Kind) -> Model:
        """A ready model, built once per app (thread-safe; the first build may take a second)."""
        with self._models_lock:
            if (model_id, kind) not in self._models:
                self._models[model_id, kind] = self.catalog.create(model_id, kind)
                if self.own_process:
                    gc.freeze()  # the model lives as long as the app: see `on_mount`
            return self._models[model_id, kind]

    def line(
        self, t2i: Sequence[str], i2t: Sequence[str], embedder: str, person: ImageToText | None = None
    ) -> TelephoneLine:
        """A telephone line of the app's ready models (the catalog checked each one's kind when building it),
        lineups taking turns in order; ``person`` plays "you" among the describers."""
        describers = [
            person if model_id == PERSON and person is not None else cast(ImageToText, self.model(model_id, "i2t"))
            for model_id in i2t
        ]
        return TelephoneLine(
            [cast(TextToImage, self.model(model_id, "t2i")) for model_id in t2i],
            describers,
            cast(Embedder, self.model(embedder, "embed")),
        )

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Load the default models while the user is still choosing, so the first game starts at once."""
        try:
            for kind, model_id in DEFAULT_MODELS.items():
                self.model(model_id, kind).warm_up()
        except TelephoneError:
            pass  # the picker and the game report an unavailable model when it is chosen

    def on_mount(self) -> None:
        # Offline games keep a worker thread busy on the CPU; a shorter GIL switch interval lets the event
        # loop take the GIL back sooner after each wake-up, so key presses do not queue behind the worker.
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        if self.own_process:
            # What is made before the first frame (modules, the catalog, client libraries) lives as long as
            # the app: frozen, it is out of the collector's sight, and a full collection during a game no
            # longer scans 200,000 objects while holding every thread (150-190 ms a time, keys waiting).
            self.call_after_refresh(gc.freeze)
            # And collections come a tenth as often: a game's threads make objects fast enough that the full
            # ones came every second (30-60 ms each, even after the freeze).
            gc.set_threshold(GC_YOUNG_THRESHOLD)
        if self.demo:  # the picker comes when the demo is left (see `leave`), so the stage is up at once
            sample = [c for c in load_run(sample_run()).conversations if c.turns]
            if self.guess:
                self.push_screen(GuessScreen(sample))
            else:
                self.push_screen(ReplayScreen(sample, present=True, autoplay=True, loop=True, delay=self.delay))
            return
        self.push_screen(PickerScreen(self.catalog))
        self.call_after_refresh(self._warm_up)
        if self.guess:
            self.guess_from(self.replay or self.runs_dir)
        elif self.replay is not None:
            self.open_replay(self.replay)

    def open_replay(self, path: Path) -> None:
        """Replay what ``path`` names: one game straight away, several in the browser."""
        located = locate_runs(path)
        conversations = [c for folder in located.runs for c in load_conversations(folder)[0] if c.turns]
        if located.conversation is not None:
            conversations = [c for c in conversations if c.info.id == located.conversation]
        if len(conversations) == 1:
            self.push_screen(self.replay_screen(conversations))
        else:
            self.push_screen(RunBrowserScreen(path if located.conversation is None else located.runs[0]))

    def guess_from(self, path: Path) -> None:
        """Guess the prompts of the games ``path`` names (any path into a run, or a folder of runs), starting
        with the game it names, if it names one."""
        try:
            located = locate_runs(path)
        except OSError as error:  # a folder one may not list
            self.notify(f"{path}: {error.strerror or error}", severity="error", markup=False)
            return
        conversations = [c for folder in located.runs for c in load_conversations(folder)[0]]
        self.open_guessing(conversations, located.conversation)

    def open_guessing(self, conversations: list[Conversation], first: str | None = None) -> None:
        """A round of guessing on the game with id ``first`` (else the newest), then on the others in turn."""
        games, start = games_to_guess(conversations, first)
        if not games:
            self.notify("no saved game with a picture to guess from: play one first", severity="warning")
            return
        self.push_screen(GuessScreen(games, start))

    def replay_screen(self, conversations: list[Conversation], present: bool | None = None) -> ReplayScreen:
        """A replay with the app's settings (stage, auto-play, loop, delay)."""
        present = self.present if present is None else present
        return ReplayScreen(conversations, present=present, autoplay=self.autoplay, loop=self.loop, delay=self.delay)

    def leave(self) -> None:
        """Close the current screen; the picker takes its place when nothing else is under it (after --demo)."""
        if len(self.screen_stack) > 2:
            self.pop_screen()
        else:
            self.switch_screen(PickerScreen(self.catalog))
            self.call_after_refresh(self._warm_up)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)  # the interval is process-wide: give it back

    def start_game(self, settings: GameSettings) -> None:
        self.push_screen(GameScreen(settings, present=self.present))

    def start_tournament(self, chosen: dict[Kind, str], turns: int, resume: Path | None = None) -> None:
        self.push_screen(TournamentScreen(self.catalog, chosen, turns, resume))

    def action_new_game(self) -> None:
        while not isinstance(self.screen, PickerScreen) and len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, PickerScreen):
            self.pop_screen()

    def action_new_tournament(self) -> None:
        self.start_tournament(dict(DEFAULT_MODELS), DEFAULT_TURNS)

    def action_guess(self) -> None:
        """The replay's games where one is up, else the saved games."""
        if isinstance(self.screen, ReplayScreen):
            self.open_guessing(self.screen.conversations, self.screen.conversation.info.id)
        else:
            self.guess_from(self.runs_dir)

    def action_open_runs(self) -> None:
        self.push_screen(RunBrowserScreen(self.runs_dir))

    def action_switch_theme(self) -> None:
        names = [theme.name for theme in THEMES]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]

    def action_help(self) -> None:
        """Each kind of screen's help is made once and kept (installed): opened again, it is only drawn."""
        if isinstance(self.screen, HelpScreen):
            return
        below = type(self.screen)
        name = f"help for {below.__name__}"
        if not self.is_screen_installed(name):
            self.install_screen(HelpScreen(below), name)
        self.push_screen(name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="aitelephone-tui", description="Watch AI models play telephone.")
    parser.add_argument("--replay", type=Path, help="a run folder (or a folder of runs) to replay")
    parser.add_argument(
        "--runs", type=Path, default=DEFAULT_RUNS_FOLDER, help=f"where games are saved (default {DEFAULT_RUNS_FOLDER}/)"
    )
    parser.add_argument(
        "--images",
        choices=IMAGE_CHOICES,
        default="auto",
        help="how pictures are drawn: auto (ask the terminal: Kitty graphics, Sixel, else half cells), kitty, sixel,"
        " halfcell or unicode",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_PACE_SECONDS,
        help=f"show each turn at least this many seconds (default {DEFAULT_PACE_SECONDS}; 0 = no wait)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say how pictures are drawn, and why")
    parser.add_argument("--demo", action="store_true", help="replay the shipped sample on the stage, in a loop")
    parser.add_argument("--present", action="store_true", help="open games and replays in presentation mode")
    parser.add_argument(
        "--guess",
        action="store_true",
        help="play with the room: guess a game's prompt from its last picture (the --replay run's games, the"
        " saved games, or with --demo the shipped sample's)",
    )
    parser.add_argument("--autoplay", action="store_true", help="replays step by themselves (space pauses)")
    parser.add_argument("--loop", action="store_true", help="auto-play starts again at the end")
    parser.add_argument(
        "--delay",
        type=float,
        default=DEFAULT_DELAY_SECONDS,
        help=f"auto-play: seconds each turn shows (default {DEFAULT_DELAY_SECONDS:g})",
    )
    args = parser.parse_args(argv)
    if args.replay is not None and not args.replay.exists():
        parser.error(f"{args.replay} does not exist")
    try:
        named = locate_runs(args.replay).runs if args.replay is not None else []
    except OSError as error:  # a folder one may not list
        parser.error(f"{args.replay}: {error.strerror or error}")
    if args.replay is not None and not named:
        parser.error(f"{args.replay} is not a saved run, a folder of runs, or a part of one")
    if args.guess and not args.demo:
        path = args.replay or args.runs
        located = locate_runs(path) if path.exists() else None
        conversations = [c for folder in located.runs for c in load_conversations(folder)[0]] if located else []
        if not games_to_guess(conversations)[0]:
            parser.error(f"{path}: no saved game with a picture to guess from; play one first, or try --demo --guess")
    if not MIN_DELAY <= args.delay <= MAX_DELAY:
        parser.error(f"--delay takes {MIN_DELAY:g} to {MAX_DELAY:g} seconds, not {args.delay:g}")
    app = TelephoneApp(
        runs_dir=args.runs,
        image_mode=args.images,
        replay=args.replay,
        pace=args.pace,
        present=args.present or args.demo,
        autoplay=args.autoplay or args.demo,
        loop=args.loop or args.demo,
        delay=args.delay,
        demo=args.demo,
        guess=args.guess,
        own_process=True,
    )
    if args.verbose:
        print(terminal_safe(app.pictures.describe()), file=sys.stderr)
    app.run()


__all__ = ["TelephoneApp", "main"]


if __name__ == "__main__":
    main()
