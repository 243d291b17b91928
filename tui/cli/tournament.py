"""`aitelephone tournament | analyze | export`: the article's whole experiment from the command line."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from contextlib import nullcontext
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.prompt import Confirm
from rich.table import Table
from rich.text import Text

from engine import (
    ANIMATION_FORMATS,
    ATTRACTOR_THRESHOLD,
    CONVERGENCE_LEGEND,
    DEFAULT_LIMITS,
    DEFAULT_MODELS,
    DEFAULT_TURNS,
    Analysis,
    AttractorReport,
    Catalog,
    Event,
    Filmstrips,
    InvalidInput,
    LeaderboardRow,
    ModelUnavailable,
    PlayerRow,
    RunSession,
    RunStore,
    Tournament,
    TournamentPlan,
    UnknownModel,
    export_fiftyone,
    find_attractors,
    find_prompt,
    load_prompts,
    load_run,
    parse_budget,
    parse_chain,
    resume_plan,
    run_embedder,
    start_tournament,
    write_animations,
    write_attractor_chart,
    write_charts,
)
from tui.cli.output import BUDGET_ADVICE, BUDGET_HELP, console, error_console


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tournament = commands.add_parser("tournament", help="play every t2i × i2t pair on the prompts")
    tournament.add_argument("--t2i", default=DEFAULT_MODELS["t2i"], help="comma-separated text→image ids")
    tournament.add_argument("--i2t", default=DEFAULT_MODELS["i2t"], help="comma-separated image→text ids")
    tournament.add_argument(
        "--chain",
        action="append",
        default=[],
        metavar="A,B/C,D",
        help="also play this lineup (text→image ids / image→text ids, taking turns in order) on every prompt",
    )
    tournament.add_argument("--embedder", default=DEFAULT_MODELS["embed"])
    tournament.add_argument("--prompts", default="catalog", help='"catalog" or comma-separated prompt ids')
    tournament.add_argument("--turns", type=int, default=DEFAULT_TURNS)
    tournament.add_argument("--seed", type=int, default=0)
    tournament.add_argument("--out", type=Path, help="run folder (default: a new folder under runs/)")
    tournament.add_argument("--resume", type=Path, metavar="DIR", help="finish what a stopped tournament left")
    tournament.add_argument("--concurrency", type=int, default=8, help="games played at once (default 8)")
    tournament.add_argument(
        "--processes", type=int, default=1, help="spread the games over this many processes (default 1)"
    )
    tournament.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="PROVIDER=N",
        help=f"calls in flight per provider (defaults {DEFAULT_LIMITS})",
    )
    tournament.add_argument("--budget", metavar="USD", help=BUDGET_HELP)
    tournament.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    tournament.add_argument("--yes", action="store_true", help="start without asking")

    analyze = commands.add_parser("analyze", help="leaderboard, drift charts and filmstrips of a run")
    analyze.add_argument("run", type=Path)
    analyze.add_argument("--no-pictures", action="store_true", help="tables only")
    analyze.add_argument(
        "--threshold",
        type=float,
        default=ATTRACTOR_THRESHOLD,
        help=f"attractors: end states closer than this (cosine) group together (default {ATTRACTOR_THRESHOLD})",
    )
    analyze.add_argument("--embedder", help="attractors: embed end states with this model (default: the run's)")
    analyze.add_argument("--redraw", action="store_true", help="draw every filmstrip again, even those up to date")

    export = commands.add_parser("export", help="export a run: a FiftyOne dataset, or a GIF/WebP per game for slides")
    export.add_argument("format", choices=["fiftyone", *ANIMATION_FORMATS])
    export.add_argument("run", type=Path)
    export.add_argument(
        "--out", type=Path, help="destination folder (default RUN/fiftyone or RUN/slides), or FILE.gif for one game"
    )
    export.add_argument("--conversation", metavar="ID", help="only this game (its id, or the start of it)")
    export.add_argument("--seconds", type=float, default=3.0, help="seconds each turn is shown (default 3)")


def _ids(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _limits(pairs: list[str], providers: tuple[str, ...]) -> dict[str, int]:
    limits = {}
    for pair in pairs:
        provider, _, number = pair.partition("=")
        if not number.isdigit() or int(number) < 1:
            raise InvalidInput(f"--limit takes PROVIDER=N with N ≥ 1, not {pair!r}")
        if provider not in providers:
            raise InvalidInput(f"--limit names no provider {provider!r}; choose one of: {', '.join(providers)}")
        limits[provider] = int(number)
    return limits


def plan_from(args: argparse.Namespace, catalog: Catalog) -> TournamentPlan:
    """The plan the arguments describe; every model must exist, and must run here unless it is a dry run."""
    prompts = load_prompts()
    chosen = prompts if args.prompts == "catalog" else [find_prompt(p, prompts) for p in _ids(args.prompts)]
    chains = tuple(parse_chain(chain) for chain in args.chain)
    plan = TournamentPlan(
        _ids(args.t2i), _ids(args.i2t), args.embedder, tuple(chosen), args.turns, args.seed, chains=chains
    )
    for kind, ids in plan.models_by_kind.items():
        for model_id in ids:
            catalog.get(model_id, kind) if args.dry_run else catalog.require_available(model_id, kind)
    return plan


def print_plan(plan: TournamentPlan, catalog: Catalog, folder: Path | None) -> None:
    table = Table.grid(padding=(0, 2))
    for label, value in plan.summary(catalog).rows:
        table.add_row(label, value)
    table.add_row("run folder", Text(str(folder)) if folder else "a new folder under runs/")
    for kind, ids in plan.models_by_kind.items():
        for model_id in ids:
            status = catalog.availability(catalog.get(model_id, kind))
            if not status.ok:
                table.add_row("cannot run here", Text(f"{model_id}: {status.reason}", style="red"))
    console.print(table)


def tournament(args: argparse.Namespace) -> int:
    catalog = Catalog.load()
    if args.resume is not None and args.out is not None:
        raise InvalidInput("--resume DIR goes on in DIR; it takes no --out")
    limits = _limits(args.limit, catalog.providers)
    if args.resume is not None:
        plan, folder = resume_plan(args.resume), args.resume
    else:
        plan, folder = plan_from(args, catalog), args.out
    if args.concurrency < 1 or args.processes < 1:
        raise InvalidInput("--concurrency and --processes must be at least 1")
    cap = parse_budget(args.budget) if args.budget is not None else None
    print_plan(plan, catalog, folder)
    if cap is not None:
        console.print(f"budget      ${cap:.2f} for the whole run (what earlier sessions spent included)")
    if args.dry_run:
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            if plan.cost(catalog) and cap is None:
                raise InvalidInput("a paid tournament needs --yes or --budget when there is no terminal to confirm in")
        elif not Confirm.ask("Start?", default=True, console=console):
            return 1
    store = RunStore.reopen(args.resume) if args.resume is not None else start_tournament(plan, folder)
    with RunSession(store, catalog, cap, limits=limits) as session:
        return _run_with_progress(Tournament(plan, session, concurrency=args.concurrency, processes=args.processes))


def _run_with_progress(runner: Tournament) -> int:
    folder = runner.store.folder
    counts = runner.progress
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("games"),
        TextColumn(
            "· {task.fields[flight]} calls in flight, {task.fields[waiting]} waiting · {task.fields[failed]} failed"
            " · {task.fields[spent]}"
        ),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(
            "tournament", total=counts.games, flight=0, waiting=0, failed=0, spent=runner.budget.summary()
        )

        def on_event(event: Event) -> None:
            progress.update(
                task,
                completed=counts.done,
                flight=counts.calls_in_flight,
                waiting=counts.calls_waiting,
                failed=counts.failed,
                spent=runner.budget.summary(),
            )

        started = time.monotonic()
        result = runner.run(on_event)
    console.print(
        f"{result.finished} games finished, {len(result.failed)} failed, in "
        f"{time.monotonic() - started:.1f} s; saved in [bold]{escape(str(folder))}[/]"
    )
    for failure in result.failed:
        console.print(f"[red]failed:[/] {escape(failure)}", soft_wrap=True)
    console.print(runner.budget.summary())
    if result.capped or runner.budget.reached:
        console.print(
            f"[yellow]the budget stopped {result.capped} games[/] (and kept the rest from starting): resume with "
            f"`aitelephone tournament --resume {escape(str(folder))} --budget USD`; {BUDGET_ADVICE}"
        )
    _print_leaderboards(Analysis(load_run(folder)))
    return 0 if not result.failed and not runner.budget.reached else 1


def _print_leaderboards(analysis: Analysis) -> None:
    for level in analysis.levels:
        table = Table(*LeaderboardRow.HEADINGS, title=level)
        for row in analysis.leaderboard_rows(level):
            table.add_row(*row.cells)
        console.print(table)
    if analysis.partial_note:
        console.print(f"[yellow]{analysis.partial_note}[/]")
    console.print(f"[dim]{CONVERGENCE_LEGEND}[/]")
    if people := analysis.people_note(None):
        console.print(Text(people))
    players = analysis.players()
    if players:
        table = Table(*PlayerRow.HEADINGS, title="Players in mixed games: how far their own turns move the caption")
        for player in players:
            table.add_row(*player.cells)
        console.print(table)


def analyze(args: argparse.Namespace) -> int:
    if not 0.0 < args.threshold < 2.0:
        raise InvalidInput(f"--threshold is a cosine distance between 0 and 2, not {args.threshold}")
    run = load_run(args.run)
    for problem in run.problems:
        error_console.print(f"[red]not read:[/] {escape(problem)}", soft_wrap=True)
    analysis = Analysis(run)
    # The strips are drawn in worker processes while the tables, the attractors and the charts are made here.
    with (
        nullcontext()
        if args.no_pictures
        else Filmstrips(analysis.conversations, run.filmstrips_folder, args.redraw) as strips
    ):
        _print_leaderboards(analysis)
        report: AttractorReport | None = None
        try:
            with RunSession.beside_writer(run.folder, Catalog.load()) as session:
                report = find_attractors(run, run_embedder(session, run, args.embedder), args.threshold)
        except (InvalidInput, ModelUnavailable, UnknownModel) as error:
            if isinstance(error, UnknownModel) and args.embedder is not None:
                raise  # the user's own mistake; a run that names an embedder this catalog lacks is only reported
            console.print(f"[yellow]no attractors:[/] {escape(str(error))}", soft_wrap=True)
        if report is not None:
            _print_attractors(report)
        if strips is not None:
            charts = write_charts(analysis, run.charts_folder)
            chart = write_attractor_chart(report, run.attractors_chart) if report is not None else None
            console.print(
                f"{len(charts)} charts and {len(strips.result())} filmstrips"
                f" in [bold]{escape(str(run.analysis_folder))}[/]"
            )
            if chart is not None:
                console.print(f"attractors drawn in [bold]{escape(str(chart))}[/]")
    return 0 if not run.problems else 1


def _print_attractors(report: AttractorReport) -> None:
    table = Table(title=f"Attractors (threshold {report.threshold:g})", expand=True)
    table.add_column("", no_wrap=True)
    table.add_column("games", no_wrap=True)
    table.add_column("prompts", ratio=2)
    table.add_column("pairs", ratio=2)
    table.add_column("arrives at step", no_wrap=True)
    table.add_column("exemplar end state", ratio=4)
    for attractor in report.attractors:
        steps = [game.step for game in attractor.games]
        table.add_row(
            f"A{attractor.number}",
            f"{len(attractor.games)} ({attractor.share:.0%})",
            ", ".join(attractor.prompts),
            "\n".join(f"{t2i} ⇄ {i2t}" for t2i, i2t in attractor.pairs),
            f"{attractor.mean_arrival:.1f} ({min(steps)}–{max(steps)})",
            Text(textwrap.shorten(attractor.exemplar_caption, 240, placeholder=" …"), style="green"),
        )
    console.print(table)
    if report.unique:
        unique = ", ".join(f"{game.prompt_id} ({game.t2i} ⇄ {game.i2t})" for game in report.unique)
        console.print(f"{len(report.unique)} unique end states: {unique}")
    console.print(f"[dim]{report.method}[/]")


def export(args: argparse.Namespace) -> int:
    run = load_run(args.run)
    if args.format in ANIMATION_FORMATS:
        written = write_animations(
            run,
            args.out or run.export_folder("slides"),
            args.format,
            conversation_id=args.conversation,
            seconds_per_turn=args.seconds,
        )
        for problem in run.problems:
            error_console.print(f"[red]not read:[/] {escape(problem)}", soft_wrap=True)
        for path in written:
            console.print(f"[bold]{escape(str(path))}[/]", soft_wrap=True)
        console.print(f"{len(written)} {args.format.upper()} animations written, one frame per turn")
        return 1 if run.problems else 0
    folder = args.out or run.export_folder(args.format)
    if not any(conversation.turns for conversation in run.conversations):
        for problem in run.problems:
            error_console.print(f"[red]not read:[/] {escape(problem)}", soft_wrap=True)
        raise InvalidInput(f"{args.run} holds no turn that can be read; nothing exported")
    exported = export_fiftyone(run, folder)
    for problem in [*run.problems, *exported.skipped]:
        error_console.print(f"[red]not exported:[/] {escape(problem)}", soft_wrap=True)
    console.print(
        f"{exported.samples} samples written to [bold]{escape(str(folder))}[/]; import with "
        f"fo.Dataset.from_dir({escape(repr(str(folder)))}, dataset_type=fo.types.LegacyFiftyOneDataset)"
    )
    return 0 if not (run.problems or exported.skipped) else 1


COMMANDS = {"tournament": tournament, "analyze": analyze, "export": export}
