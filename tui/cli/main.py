"""`aitelephone`: the headless command line, printing with rich."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from functools import partial
from pathlib import Path
from typing import Any

from rich.logging import RichHandler
from rich.markup import escape
from rich.status import Status
from rich.table import Table
from rich.text import Text

from engine import (
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    KIND_NAMES,
    LOCATION_NAMES,
    LOCATIONS,
    MAX_TURNS,
    MIN_TURNS,
    PERSON,
    Budget,
    BudgetReached,
    CallStarted,
    Catalog,
    ConversationFinished,
    DistancesReady,
    ModelSurvey,
    Person,
    Prompt,
    RetryScheduled,
    Round,
    RunSession,
    RunStore,
    StartPicture,
    TelephoneError,
    TelephoneLine,
    Turn,
    TurnFailed,
    build_line,
    find_prompt,
    listing_note,
    load_prompts,
    load_rounds,
    load_run,
    load_start_picture,
    parse_budget,
    prompt_for_text,
    shipped_catalog_path,
    shipped_prompts_path,
    shortened,
    start_game_run,
    survey_models,
    terminal_safe,
    user_catalog_path,
    user_prompts_path,
    validate_turns,
)
from tui.cli import tournament as cli_tournament
from tui.cli.output import BUDGET_ADVICE, BUDGET_HELP, console, error_console


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aitelephone", description="Play AI Telephone and measure drift.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log model calls, retries and cache hits")
    commands = parser.add_subparsers(dest="command", required=True)

    play = commands.add_parser("play", help="play one game and save it")
    play.add_argument(
        "--t2i", default=DEFAULT_MODELS["t2i"], help="text→image model id, or several (A,B) drawing in turn"
    )
    play.add_argument(
        "--i2t",
        default=DEFAULT_MODELS["i2t"],
        help=f"image→text model id, or several (C,D) describing in turn; {PERSON!r} is you, asked on the terminal",
    )
    play.add_argument("--embedder", default=DEFAULT_MODELS["embed"], help="embedder model id")
    which = play.add_mutually_exclusive_group()
    which.add_argument("--prompt", help="the text to start from")
    which.add_argument("--prompt-id", help="a prompt id from `aitelephone prompts`")
    which.add_argument(
        "--from-image", type=Path, metavar="PATH", help="start from a picture (PNG, JPEG, WebP): turn 0 describes it"
    )
    play.add_argument(
        "--turns",
        type=int,
        default=DEFAULT_TURNS,
        help=f"number of turns ({MIN_TURNS}-{MAX_TURNS}, default {DEFAULT_TURNS})",
    )
    play.add_argument("--seed", type=int, default=0, help="seed for models that take one")
    play.add_argument("--out", type=Path, help="run folder (default: a new folder under runs/)")
    play.add_argument("--budget", metavar="USD", help=BUDGET_HELP)

    models = commands.add_parser("models", help="list the models: the catalog's and those your servers hold")
    models.add_argument("--paths", action="store_true", help="show where catalog files are read from")
    models.add_argument("--available", action="store_true", help="list only the models that can play here")
    models.add_argument("--json", action="store_true", help="print the models as JSON, for scripts")
    prompts = commands.add_parser("prompts", help="list the prompt catalog")
    prompts.add_argument("--paths", action="store_true", help="show where prompt files are read from")
    show = commands.add_parser("show", help="show a saved run")
    show.add_argument("run", type=Path)
    cli_tournament.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Engine warnings (retry waits) always show; -v adds every call's details and cache hits.
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=error_console, show_path=False)],
    )
    logging.getLogger("httpx").setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        commands = {"play": _play, "models": _models, "prompts": _prompts, "show": _show, **cli_tournament.COMMANDS}
        return commands[args.command](args)
    except TelephoneError as error:
        return _error(str(error))
    except OSError as error:  # a folder that cannot be written, a full disk, a file where a folder should be
        return _error(f"{error.filename}: {error.strerror}" if error.filename and error.strerror else str(error))
    except KeyboardInterrupt:
        console.print("[yellow]stopped; finished turns are saved[/]")
        return 130


def _error(message: str) -> int:
    """One line on stderr and exit code 2: what went wrong is said, nothing is dumped."""
    error_console.print(f"[bold red]aitelephone: error:[/] {escape(message)}", soft_wrap=True)
    return 2


def _play(args: argparse.Namespace) -> int:
    catalog = Catalog.load()
    prompts = load_prompts()
    start: Prompt | StartPicture
    if args.from_image is not None:
        start = load_start_picture(args.from_image)
    elif args.prompt is not None:
        start = prompt_for_text(args.prompt, prompts)
    else:
        start = find_prompt(args.prompt_id, prompts) if args.prompt_id else prompts[0]
    turns = validate_turns(args.turns)
    cap = parse_budget(args.budget) if args.budget is not None else None
    with console.status("") as status:
        line = build_line(catalog, args.t2i, args.i2t, args.embedder, Person(partial(_ask_on_terminal, status)))
        with RunSession(start_game_run(turns, args.seed, args.out), catalog, cap) as session:
            line, store, budget = session.metered(line), session.store, session.budget
            pair = Text.assemble((f"{line.t2i} ⇄ {line.i2t}", "bold"), f"  measured by {line.embedder.model_id}")
            console.print(pair)
            console.print(Text(start.prompt.text if isinstance(start, StartPicture) else start.text, style="red"))
            finished = _play_with_status(line, start, turns, store, args.seed, budget, status)
    conversation = store.conversation(finished.conversation_id)
    console.print(_distance_table(conversation.shown_turns))
    console.print(
        f"{finished.status}: {finished.turns_played} turns saved in [bold]{escape(str(store.folder))}[/]; "
        f"{budget.summary()}"
    )
    return 0 if finished.status == "finished" else 1


def _ask_on_terminal(status: Status, image: Path) -> str | None:
    """A person's turn on the command line: the picture's path, and a line of description read from the
    terminal (or standard input); None, to stop the game, at the end of the input."""
    status.stop()  # the spinner would draw over what they type
    try:
        console.print(f"[bold]your turn:[/] describe the picture in [bold]{escape(str(image))}[/]")
        while True:
            try:
                answer = console.input("[green]your description[/] (empty line: ask again): ")
            except EOFError:
                return None
            if answer.strip():
                return answer
    finally:
        status.start()


def _play_with_status(
    line: TelephoneLine,
    start: Prompt | StartPicture,
    turns: int,
    store: RunStore,
    seed: int,
    budget: Budget,
    status: Status,
) -> ConversationFinished:
    """Play the game, printing each turn as it ends under a status line of the call in flight and the spend."""

    def waiting(event: RetryScheduled) -> None:
        status.update(
            f"turn {event.step}/{turns}: {event.model_id}: {event.reason} — retrying in {event.seconds:.0f} s"
        )

    for event in line.play(start, turns, store, seed=seed, on_retry=waiting):
        if isinstance(event, CallStarted):
            status.update(f"turn {event.step}/{turns}: {event.summary} · {budget.summary()}")
        elif isinstance(event, DistancesReady):
            _print_turn(event.turn, turns)
        elif isinstance(event, TurnFailed):
            console.print(f"[bold red]turn {event.turn.step} failed:[/] {escape(str(event.turn.error))}")
        elif isinstance(event, BudgetReached):
            console.print(f"[yellow]{event.summary}[/]: {BUDGET_ADVICE}")
        elif isinstance(event, ConversationFinished):
            finished = event
    return finished


def _print_turn(turn: Turn, turns: int) -> None:
    if turn.step == 0:
        console.rule(f"turn 0 · the picture, described by {turn.i2t}", align="left")
    else:
        players = f"{turn.t2i} → {turn.i2t}"
        console.rule(
            f"turn {turn.step}/{turns} · {players} · distance to prompt {turn.distance_to_prompt:.3f}", align="left"
        )
    console.print(Text(turn.caption or "", style="green"))
    draw = f" · draw {turn.t2i_seconds:.2f}s" if turn.t2i_seconds is not None else ""
    console.print(f"[dim]{escape(str(turn.image))}{draw} · describe {turn.i2t_seconds:.2f}s[/]")


def _distance_table(turns: list[Turn]) -> Table:
    table = Table(
        "step", "players", "to prompt", "to previous", "image→prompt", "image→previous", title="Drift per step"
    )
    for turn in turns:
        players = Text(f"{turn.t2i} → {turn.i2t}" if turn.step else f"picture → {turn.i2t}")
        if turn.error:
            table.add_row(str(turn.step), players, Text(turn.error, style="red"), "", "", "")
            continue
        distances = (
            turn.distance_to_prompt,
            turn.distance_to_previous,
            turn.image_to_prompt,
            turn.image_to_previous_image,
        )
        table.add_row(str(turn.step), players, *(f"{value:.3f}" if value is not None else "–" for value in distances))
    return table


def _models(args: argparse.Namespace) -> int:
    if args.paths:
        console.print(f"shipped: {shipped_catalog_path()}")
        console.print(f"user:    {user_catalog_path()}")
        return 0
    survey = survey_models(Catalog.load())
    if args.json:
        print(json.dumps(_models_json(survey, args.available), indent=2))
        return 0
    for location in LOCATIONS:
        usable, unusable = survey.usable(location=location), survey.unusable(location=location)
        problems = survey.problems(location)
        if not (usable or problems or (unusable and not args.available)):
            continue
        console.rule(Text(LOCATION_NAMES[location], style="bold"), align="left")
        if usable:
            table = Table(box=None, expand=True, show_header=False, pad_edge=False)
            table.add_column("id", no_wrap=True, style="green")
            table.add_column("kind", no_wrap=True)
            table.add_column("name", ratio=1)
            for model in usable:
                table.add_row(model.entry.id, KIND_NAMES[model.entry.kind], model.entry.name)
            console.print(table)
        for listing in problems:
            console.print(Text(terminal_safe(listing_note(listing)), style="dim"), soft_wrap=True)
        if not args.available:
            for group in unusable:
                ids = ", ".join(model.entry.id for model in group.models)
                console.print(Text.assemble((f"{group.provider}: {group.summary}", "red"), (f"  ({ids})", "dim")))
    return 0


def _models_json(survey: ModelSurvey, available_only: bool) -> dict[str, Any]:
    """The survey as plain data: every model with where it runs and whether it can play, and each server."""
    models = [
        {
            "id": model.entry.id,
            "kind": model.entry.kind,
            "provider": model.entry.provider,
            "ref": model.entry.ref,
            "name": model.entry.name,
            "location": model.facts.location,
            "available": model.status.ok,
            "reason": model.status.reason,
            "reproducible": model.facts.reproducible,
            "weights": model.facts.weights,
            "cost": model.entry.options.get("cost"),
            "discovered": model.discovered,
        }
        for model in survey.models
        if model.status.ok or not available_only
    ]
    servers = [
        {
            "provider": listing.provider,
            "address": listing.address,
            "problem": listing.problem,
            "found": len(listing.entries),
            "left_out": listing.left_out,
        }
        for listing in survey.listings
    ]
    return {"models": models, "servers": servers}


def _prompts(args: argparse.Namespace) -> int:
    if args.paths:
        console.print(f"shipped: {shipped_prompts_path()}")
        console.print(f"user:    {user_prompts_path()}")
        return 0
    table = Table("id", "level", "text", title="Prompts")
    for prompt in load_prompts():
        table.add_row(prompt.id, prompt.level, Text(prompt.text))
    console.print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    run = load_run(args.run)
    created = escape(str(run.meta.get("created")))
    console.print(f"[bold]{escape(str(args.run))}[/] · created {created} · {len(run.conversations)} conversations")
    rounds, unread = load_rounds(run.folder)
    for problem in [*run.problems, *unread]:
        error_console.print(f"[red]not read:[/] {escape(problem)}", soft_wrap=True)
    for conversation in run.conversations:
        info = conversation.info
        console.rule(Text(f"{info.id} · {info.pair} · {info.level} · {info.status}"), align="left")
        if conversation.damage:
            console.print(Text(f"damaged: only its first {len(conversation.turns)} turns can be read", style="red"))
        console.print(Text(shortened(info.prompt), style="red"))
        table = Table("step", "players", "drawn", "caption", "to prompt", "repeatable", expand=True)
        for turn in conversation.shown_turns:
            distance = f"{turn.distance_to_prompt:.3f}" if turn.distance_to_prompt is not None else "–"
            drawn = Text(shortened(turn.text), style="red") if turn.step else Text(f"(the picture: {turn.image})")
            table.add_row(
                str(turn.step),
                Text(f"{turn.t2i or 'picture'} → {turn.i2t}" + (" (a person)" if turn.person else "")),
                drawn,
                Text(shortened(turn.caption or turn.error or ""), style="green" if turn.caption else "red"),
                distance,
                "?" if turn.reproducible is None else "yes" if turn.reproducible else "no",
            )
        console.print(table)
    if rounds:
        console.print(_rounds_table(rounds))
    return 0 if not (run.problems or unread) else 1


def _rounds_table(rounds: list[Round]) -> Table:
    """The rooms' rounds of guessing the prompt (`aitelephone-tui --guess`), one line each."""
    table = Table("started", "game", "guesses", "best", "best guess", "revealed", title="Rounds of guessing the prompt")
    for played in rounds:
        best = played.best
        table.add_row(
            played.started[:19].replace("T", " "),
            played.conversation,
            str(len(played.guesses)),
            f"{best.distance:.3f}" if best else "–",
            Text(shortened(best.text, 200) if best else ""),
            "yes" if played.revealed else "no",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
