"""`aitelephone`: the headless command line, printing with rich."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from engine import (
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    KIND_NAMES,
    MAX_TURNS,
    MIN_TURNS,
    Budget,
    BudgetReached,
    CallStarted,
    Catalog,
    ConversationFinished,
    DistancesReady,
    Prompt,
    RetryScheduled,
    Round,
    RunSession,
    RunStore,
    TelephoneError,
    TelephoneLine,
    Turn,
    TurnFailed,
    build_line,
    find_prompt,
    load_prompts,
    load_rounds,
    load_run,
    parse_budget,
    prompt_for_text,
    shipped_catalog_path,
    shipped_prompts_path,
    shortened,
    start_game_run,
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
    play.add_argument("--t2i", default=DEFAULT_MODELS["t2i"], help="text→image model id")
    play.add_argument("--i2t", default=DEFAULT_MODELS["i2t"], help="image→text model id")
    play.add_argument("--embedder", default=DEFAULT_MODELS["embed"], help="embedder model id")
    which = play.add_mutually_exclusive_group()
    which.add_argument("--prompt", help="the text to start from")
    which.add_argument("--prompt-id", help="a prompt id from `aitelephone prompts`")
    play.add_argument(
        "--turns",
        type=int,
        default=DEFAULT_TURNS,
        help=f"number of turns ({MIN_TURNS}-{MAX_TURNS}, default {DEFAULT_TURNS})",
    )
    play.add_argument("--seed", type=int, default=0, help="seed for models that take one")
    play.add_argument("--out", type=Path, help="run folder (default: a new folder under runs/)")
    play.add_argument("--budget", metavar="USD", help=BUDGET_HELP)

    models = commands.add_parser("models", help="list the model catalog")
    models.add_argument("--paths", action="store_true", help="show where catalog files are read from")
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
    if args.prompt is not None:
        prompt = prompt_for_text(args.prompt, prompts)
    else:
        prompt = find_prompt(args.prompt_id, prompts) if args.prompt_id else prompts[0]
    turns = validate_turns(args.turns)
    cap = parse_budget(args.budget) if args.budget is not None else None
    line = build_line(catalog, args.t2i, args.i2t, args.embedder)
    with RunSession(start_game_run(turns, args.seed, args.out), catalog, cap) as session:
        line, store, budget = session.metered(line), session.store, session.budget
        pair = Text.assemble(
            (f"{line.t2i.model_id} ⇄ {line.i2t.model_id}", "bold"), f"  measured by {line.embedder.model_id}"
        )
        console.print(pair)
        console.print(Text(prompt.text, style="red"))
        finished = _play_with_status(line, prompt, turns, store, args.seed, budget)
    conversation = store.conversation(finished.conversation_id)
    console.print(_distance_table(conversation.turns))
    console.print(
        f"{finished.status}: {finished.turns_played} turns saved in [bold]{escape(str(store.folder))}[/]; "
        f"{budget.summary()}"
    )
    return 0 if finished.status == "finished" else 1


def _play_with_status(
    line: TelephoneLine, prompt: Prompt, turns: int, store: RunStore, seed: int, budget: Budget
) -> ConversationFinished:
    """Play the game, printing each turn as it ends under a status line of the call in flight and the spend."""
    with console.status("starting…") as status:

        def waiting(event: RetryScheduled) -> None:
            status.update(
                f"turn {event.step}/{turns}: {event.model_id}: {event.reason} — retrying in {event.seconds:.0f} s"
            )

        for event in line.play(prompt, turns, store, seed=seed, on_retry=waiting):
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
    console.rule(f"turn {turn.step}/{turns} · distance to prompt {turn.distance_to_prompt:.3f}", align="left")
    console.print(Text(turn.caption or "", style="green"))
    console.print(
        f"[dim]{escape(str(turn.image))} · draw {turn.t2i_seconds:.2f}s · describe {turn.i2t_seconds:.2f}s[/]"
    )


def _distance_table(turns: list[Turn]) -> Table:
    table = Table("step", "to prompt", "to previous", "image→prompt", "image→previous", title="Drift per step")
    for turn in turns:
        if turn.error:
            table.add_row(str(turn.step), Text(turn.error, style="red"), "", "", "")
            continue
        distances = (
            turn.distance_to_prompt,
            turn.distance_to_previous,
            turn.image_to_prompt,
            turn.image_to_previous_image,
        )
        table.add_row(str(turn.step), *(f"{value:.3f}" if value is not None else "–" for value in distances))
    return table


def _models(args: argparse.Namespace) -> int:
    if args.paths:
        console.print(f"shipped: {shipped_catalog_path()}")
        console.print(f"user:    {user_catalog_path()}")
        return 0
    catalog = Catalog.load()
    table = Table(title="Models", expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("name", ratio=1)
    table.add_column("available", ratio=2)
    providers: list[str] = []
    for entry in catalog.entries():
        if entry.provider not in providers:  # one section per provider, headed by its name
            if providers:
                table.add_section()
            providers.append(entry.provider)
            table.add_row(Text(entry.provider, style="bold"), "", "", "")
        status = catalog.availability(entry)
        table.add_row(
            entry.id,
            KIND_NAMES[entry.kind],
            entry.name,
            Text("yes", style="green") if status.ok else Text(f"no: {status.reason}", style="red"),
        )
    console.print(table)
    return 0


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
        console.rule(Text(f"{info.id} · {info.t2i} ⇄ {info.i2t} · {info.level} · {info.status}"), align="left")
        if conversation.damage:
            console.print(Text(f"damaged: only its first {len(conversation.turns)} turns can be read", style="red"))
        console.print(Text(shortened(info.prompt), style="red"))
        table = Table("step", "drawn", "caption", "to prompt", "repeatable", expand=True)
        for turn in conversation.turns:
            distance = f"{turn.distance_to_prompt:.3f}" if turn.distance_to_prompt is not None else "–"
            table.add_row(
                str(turn.step),
                Text(shortened(turn.text), style="red"),
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
