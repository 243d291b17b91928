"""Tournaments against the loopback fake (in its own process), with injected latencies (drawing 30 ms,
caption 15 ms, embedding 3 ms; ``--scale 10`` for calls as slow as small hosted models).

    python -m benchmarks.tournament [--runs 3] [--processes N] [--scale S]
                                    [--parts floor,ratio,tournament,growth,resume,start,analyze]

(from the repository root: it uses tests/fakes). Every figure is measured ``--runs`` times and printed as
min / median / max, each run in a fresh process:

floor       the official clients alone, nothing of ours: a turn's calls (a drawing and its download, a
            caption, two embeddings) at concurrency 16, in threads and through the clients' asyncio
            interfaces. Client CPU per model call: what the libraries cost.
ratio       the two above back to back, ``--runs`` pairs: the game's CPU per call over the clients' alone,
            and beside them the clients with a game's durable writes and nothing else of ours (each drawing
            fsynced to its own file, a turn's answers in one SQLite transaction, a journal line fsynced).
tournament  the article's experiment, 3 text→image × 4 image→text models × 10 prompts = 120 games of 10
            turns, measured with ImageBind, at concurrency 16 (and 1 with --serial): wall time against the
            physical bound max(longest game's chain of calls, total call time / concurrency), and the client's
            CPU per model call (this process and its game processes together).
growth      100, 1,000 and 10,000 games (20 pairs × 5, 50 and 500 prompts) of 2 turns each (10,000 games of 10
            turns would take most of an hour here): CPU per call and peak memory should not grow with the run.
resume      a tournament killed with SIGKILL at about half way and resumed: the calls the resume made
            against the calls that were missing.
start       `aitelephone play --turns 10` from a cold process, the offline models: wall time.
analyze     `aitelephone analyze` of the 120-game tournament played against the fake drawing and reading
            real pictures (the offline painter and reader), with no strip drawn yet: wall time, with the
            run's embedder reachable (attractors computed and drawn) and without it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from engine import Catalog, Prompt, RunSession, RunStore, Tournament, TournamentPlan, load_prompts, load_run
from engine.tournament import start_tournament

BASE_LATENCY = {"t2i": 0.03, "i2t": 0.015, "embed": 0.003}
T2I = ("stable-diffusion", "vqgan-clip", "flux-schnell")
I2T = ("blip", "clip-prefix", "minigpt-4", "mplug-owl")
GROWTH_T2I = ("stable-diffusion", "vqgan-clip", "flux-schnell", "sdxl")
GROWTH_I2T = ("blip", "blip-2", "clip-prefix", "minigpt-4", "mplug-owl")
EMBEDDER = "imagebind"
# The floors' calls: a turn of the article's first pair, 1,200 turns (as many as the article's tournament).
FLOOR_SPEC = {"models": [["stable-diffusion", "t2i"], ["blip", "i2t"], [EMBEDDER, "embed"]], "turns": 1200}
FAKE_CATALOG = Path(__file__).resolve().parent.parent / "tests" / "fakes" / "models.toml"


def article_plan(turns: int = 10) -> TournamentPlan:
    return TournamentPlan(T2I, I2T, EMBEDDER, tuple(load_prompts()), turns)


def growth_plan(games: int, turns: int) -> TournamentPlan:
    pairs = len(GROWTH_T2I) * len(GROWTH_I2T)
    prompts = tuple(
        Prompt(f"p{index}", "easy", f"A red apple number {index} on a wooden table.") for index in range(games // pairs)
    )
    return TournamentPlan(GROWTH_T2I, GROWTH_I2T, EMBEDDER, prompts, turns)


def physical_bound(plan: TournamentPlan, concurrency: int, latency: dict[str, float]) -> float:
    """Every turn: a drawing, a caption, the caption's and the image's embeddings; one embedding per prompt."""
    per_turn = latency["t2i"] + latency["i2t"] + 2 * latency["embed"]
    longest_game = latency["embed"] + plan.turns * per_turn
    total = len(plan.games) * plan.turns * per_turn + len(plan.prompts) * latency["embed"]
    return max(longest_game, total / concurrency)


class FakeProcess:
    """The loopback fake in its own process, so its work does not share the client's GIL."""

    def __init__(self, latency: dict[str, float], cheap: bool = True):
        self.latency = latency
        self.cheap = cheap  # tiny one-colour drawings, or the offline painter's and reader's real ones

    def __enter__(self) -> FakeProcess:
        latency = ",".join(f"{kind}={seconds}" for kind, seconds in self.latency.items())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.server", *(["--cheap"] if self.cheap else []), "--latency", latency],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()

    def answered(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.url}/_fake/answered").json())

    def calls(self) -> int:
        return sum(self.answered().values())


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _measure(work: Callable[[], None]) -> dict[str, float]:
    """Wall and CPU seconds of ``work`` (this process and its children), and the peak memory, in MB, of this
    process and of its largest child."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    mine_after, children_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "cpu": _cpu(mine_after) - _cpu(mine) + _cpu(children_after) - _cpu(children),
        "peak_mb": mine_after.ru_maxrss / 1024,
        "child_peak_mb": children_after.ru_maxrss / 1024,
    }


def _one_tournament(spec: dict[str, Any]) -> dict[str, float]:
    """Play one plan (in this fresh process) and measure it."""
    plan = TournamentPlan.from_json(spec["plan"])
    catalog = Catalog.load()  # loaded before the measure, as the floor loads it
    with tempfile.TemporaryDirectory() as folder:
        concurrency = spec["concurrency"]
        limits = {"replicate": concurrency}
        outcome: dict[str, Any] = {}

        def play() -> None:
            with RunSession(start_tournament(plan, Path(folder) / "run"), catalog, limits=limits) as session:
                runner = Tournament(plan, session, concurrency=concurrency, processes=spec["processes"])
                outcome["result"] = runner.run(lambda event: None)

        measured = _measure(play)
        assert outcome["result"].finished == len(plan.games), outcome["result"].failed[:3]
    return measured


def _turn_calls(runners: list[Any], index: int, keep_drawing: Callable[[Any], None] = lambda image: None) -> Any:
    """One turn's calls through the official clients (a drawing and its download, a caption, the caption's and
    the drawing's embeddings); ``keep_drawing`` gets the drawing before it is captioned. The answers."""
    image = runners[0].fetch(runners[0].run({"prompt": f"an apple number {index}", "seed": index})[0])
    keep_drawing(image)
    caption = runners[1].run({"image": image.data_url, "task": "image_captioning"})
    text = runners[2].run({"text_input": f"a caption {index}", "modality": "text"})
    seen = runners[2].run({"input": image.data_url, "modality": "vision"})
    return image, caption, text, seen


def _one_floor(spec: dict[str, Any]) -> dict[str, float]:
    """The official clients alone: ``turns`` turns' worth of calls at ``concurrency``, nothing of ours. Like
    the game, it measures from a loaded catalog, building its clients included."""
    catalog = Catalog.load()
    runners: list[Any] = []

    def play() -> None:
        runners.extend(catalog.create(model_id, kind).runner for model_id, kind in spec["models"])
        with ThreadPoolExecutor(spec["concurrency"]) as pool:
            list(pool.map(lambda index: _turn_calls(runners, index), range(spec["turns"])))

    return _measure(play)


def _one_durable_floor(spec: dict[str, Any]) -> dict[str, float]:
    """The clients' calls of ``_one_floor`` played as games of ``game_turns`` turns, with the durable writes a
    game makes and nothing else of ours: each drawing written to a new file, fsynced and renamed into place,
    a turn's answers put in SQLite (WAL) in one transaction, and a journal line appended and fsynced. What any
    game that stores every turn at once costs here, before its cache keys, budget, events and checks."""
    import sqlite3

    catalog = Catalog.load()
    runners: list[Any] = []
    turns_per_game = spec["game_turns"]
    lock = threading.Lock()

    def write_drawing(folder: Path, step: int, image: Any) -> None:
        temporary = folder / f".turn-{step:02d}.png.tmp"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.write(handle, image.data)
        os.fsync(handle)
        os.close(handle)
        os.replace(temporary, folder / f"turn-{step:02d}.png")

    def game(number: int, run: Path, database: sqlite3.Connection) -> None:
        folder = run / f"game-{number}"
        folder.mkdir()
        journal = os.open(folder / "journal.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            for step in range(turns_per_game):
                index = number * turns_per_game + step
                image, *answers = _turn_calls(runners, index, partial(write_drawing, folder, step))
                with lock:
                    database.execute("BEGIN IMMEDIATE")
                    for kind, answer in enumerate((image.digest, *map(json.dumps, answers))):
                        database.execute("INSERT INTO answers VALUES (?, ?)", (f"{index}:{kind}", answer))
                    database.execute("COMMIT")
                os.write(journal, (json.dumps({"step": step, "caption": answers[0]}) + "\n").encode())
                os.fsync(journal)
        finally:
            os.close(journal)

    with tempfile.TemporaryDirectory() as scratch:  # removed after the measure, as a game's run folder is
        run = Path(scratch)

        def play() -> None:
            runners.extend(catalog.create(model_id, kind).runner for model_id, kind in spec["models"])
            database = sqlite3.connect(run / "answers.sqlite", isolation_level=None, check_same_thread=False)
            database.execute("PRAGMA journal_mode = WAL")
            database.execute("PRAGMA synchronous = NORMAL")
            database.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, answer BLOB) WITHOUT ROWID")
            with ThreadPoolExecutor(spec["concurrency"]) as pool:
                list(pool.map(lambda number: game(number, run, database), range(spec["turns"] // turns_per_game)))
            database.close()

        return _measure(play)


def _one_async_floor(spec: dict[str, Any]) -> dict[str, float]:
    """The same calls through the clients' asyncio interfaces, from one thread: what the clients cost with no
    thread taking turns at the GIL."""
    import asyncio
    import base64

    from replicate.client import Client

    catalog = Catalog.load()
    painter, reader, embedder = (catalog.get(model_id, kind) for model_id, kind in spec["models"])
    version = {entry.id: entry.ref.partition(":")[2] for entry in (painter, reader, embedder)}

    async def play() -> None:
        client = Client(api_token=os.environ["REPLICATE_API_TOKEN"], base_url=os.environ["REPLICATE_BASE_URL"])
        downloads = httpx.AsyncClient()
        places = asyncio.Semaphore(spec["concurrency"])

        async def create(entry_id: str, model_input: dict[str, Any]) -> Any:
            async def once() -> Any:
                return (
                    await client.predictions.async_create(version=version[entry_id], input=model_input, wait=60)
                ).output

            for _ in range(2):  # the fake may close a kept-alive connection as a request goes out
                try:
                    return await once()
                except httpx.TransportError:
                    pass
            return await once()

        async def turn(index: int) -> None:
            async with places:
                output = await create(painter.id, {"prompt": f"an apple number {index}", "seed": index})
                image = (await downloads.get(output[0] if isinstance(output, list) else output)).content
                data_url = "data:image/png;base64," + base64.b64encode(image).decode()
                await create(reader.id, {"image": data_url, "task": "image_captioning"})
                await create(embedder.id, {"text_input": f"a caption {index}", "modality": "text"})
                await create(embedder.id, {"input": data_url, "modality": "vision"})

        await asyncio.gather(*(turn(index) for index in range(spec["turns"])))
        await downloads.aclose()

    return _measure(lambda: asyncio.run(play()))


def _in_fresh_process(kind: str, spec: dict[str, Any], fake: FakeProcess) -> dict[str, float]:
    """Run one measurement in a new process (so peak memory is its own) and count the calls it made."""
    before = fake.calls()
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.tournament", "--measure", kind, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {**json.loads(output.splitlines()[-1]), "calls": fake.calls() - before}


def _spread(values: list[float], form: str) -> str:
    return f"{form.format(min(values))} / {form.format(statistics.median(values))} / {form.format(max(values))}"


def _report(label: str, runs: list[dict[str, float]], bound: float | None = None) -> None:
    per_call = [run["cpu"] / run["calls"] * 1000 for run in runs]
    line = f"{label:<28} client CPU per call {_spread(per_call, '{:.2f}')} ms"
    line += f"   wall {_spread([run['wall'] for run in runs], '{:.2f}')} s"
    if bound is not None:
        line += f"   bound {bound:.2f} s   ratio {_spread([run['wall'] / bound for run in runs], '{:.2f}')}"
    peaks = [max(run["peak_mb"], run["child_peak_mb"]) for run in runs]
    line += f"   peak memory {_spread(peaks, '{:.0f}')} MB   ({int(statistics.median(r['calls'] for r in runs))} calls)"
    print(line, flush=True)


def same_run_ratio(runs: int, fake: FakeProcess, processes: int) -> None:
    """The game's CPU per model call against the clients' floor, and against the clients with a game's
    durable writes, each trio measured back to back (so a load that comes and goes shifts all alike): ratios
    per trio, and their medians."""
    plan = article_plan()
    floor_spec = {**FLOOR_SPEC, "concurrency": 16, "game_turns": plan.turns}
    game_spec = {"plan": plan.to_json(), "concurrency": 16, "processes": processes}
    game_ratios, durable_ratios = [], []
    for _ in range(runs):
        floor, durable, game = (
            _in_fresh_process(kind, spec, fake)
            for kind, spec in (("floor", floor_spec), ("durable-floor", floor_spec), ("tournament", game_spec))
        )
        floor_ms, durable_ms, game_ms = (run["cpu"] / run["calls"] * 1000 for run in (floor, durable, game))
        durable_ratios.append(durable_ms / floor_ms)
        game_ratios.append(game_ms / floor_ms)
        print(
            f"{'same run, c=16':<28} clients alone {floor_ms:.2f} ms a call, with a game's durable writes "
            f"{durable_ms:.2f} ({durable_ratios[-1]:.2f}×), game {game_ms:.2f} ({game_ratios[-1]:.2f}×)"
        )
    print(f"{'durable writes / clients':<28} {_spread(durable_ratios, '{:.2f}')} (min / median / max)")
    print(f"{'game / clients floor':<28} {_spread(game_ratios, '{:.2f}')} (min / median / max)", flush=True)


def article_tournament_command(folder: Path, *options: str) -> list[str]:
    """`aitelephone tournament` playing the article's plan at concurrency 16 into ``folder``."""
    command = [sys.executable, "-m", "tui.cli.main", "tournament", "--t2i", ",".join(T2I), "--i2t", ",".join(I2T)]
    command += ["--embedder", EMBEDDER, "--concurrency", "16", "--limit", "replicate=16", "--out", str(folder)]
    return [*command, *options, "--yes"]


def kill_and_resume(fake: FakeProcess, processes: int) -> None:
    plan = article_plan()
    planned = len(plan.games) * plan.turns
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "run"
        command = article_tournament_command(folder, "--processes", str(processes))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while sum(len(p.read_text().splitlines()) for p in folder.glob("conversations/*/journal.jsonl")) < planned / 2:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)  # its game processes, if any, stop when they see it gone
        process.wait()
        done = sum(len(c.turns) for c in load_run(folder).conversations)
        before = fake.answered()
        with RunSession(RunStore.reopen(folder), Catalog.load(), limits={"replicate": 16}) as session:
            Tournament(plan, session, concurrency=16).run(lambda event: None)
            hits = session.cache.hits
        after = fake.answered()
        finished = sum(len(c.turns) for c in load_run(folder).conversations)
    missing = planned - done
    print(f"kill -9 at {done}/{planned} turns journaled; the resume finished {finished}/{planned}")
    for kind, name in (("t2i", "drawings"), ("i2t", "captions")):
        made = after.get(kind, 0) - before.get(kind, 0)
        print(f"{name} the resume asked for {made:5d}   missing turns {missing:5d}   ratio {made / missing:.3f}")
    print(f"answers taken from the result cache {hits}")


def _wall(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def cold_start(runs: int) -> None:
    walls = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            walls.append(_wall([sys.executable, "-m", "tui.cli.main", "play", "--turns", "10", "--out", scratch]))
    print(f"{'play --turns 10, cold':<28} wall {_spread(walls, '{:.2f}')} s", flush=True)


def fresh_analysis(runs: int, latency: dict[str, float]) -> None:
    with tempfile.TemporaryDirectory() as scratch, FakeProcess(latency, cheap=False) as fake:
        folder = Path(scratch) / "run"
        real_pictures = {**os.environ, "REPLICATE_BASE_URL": fake.url}
        _wall(article_tournament_command(folder), real_pictures)
        analyze = [sys.executable, "-m", "tui.cli.main", "analyze", str(folder)]
        without_key = {name: value for name, value in real_pictures.items() if name != "REPLICATE_API_TOKEN"}
        for label, env in (("attractors drawn", real_pictures), ("no embedder, no attractors", without_key)):
            walls = []
            for _ in range(runs):
                shutil.rmtree(load_run(folder).analysis_folder, ignore_errors=True)
                walls.append(_wall(analyze, env))
            print(f"{'analyze, 120 games, fresh':<28} wall {_spread(walls, '{:.2f}')} s   ({label})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="measure each figure this many times (default 3)")
    parser.add_argument("--processes", type=int, default=1, help="game processes of each tournament (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the latencies (10: small hosted models)")
    parser.add_argument(
        "--parts", default="floor,ratio,tournament,growth,resume,start,analyze", help="which measurements to make"
    )
    parser.add_argument("--serial", action="store_true", help="also the concurrency-1 tournament (over a minute)")
    parser.add_argument("--growth-turns", type=int, default=2)
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child of this benchmark: one measurement, printed as JSON
        kind, spec = args.measure
        measure = {
            "tournament": _one_tournament,
            "floor": _one_floor,
            "durable-floor": _one_durable_floor,
            "async-floor": _one_async_floor,
        }[kind]
        print(json.dumps(measure(json.loads(spec))))
        return

    latency = {kind: seconds * args.scale for kind, seconds in BASE_LATENCY.items()}
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as config, FakeProcess(latency) as fake:
        # The fake answers as fast as asked: lift the request rate the catalog keeps to for real accounts.
        shutil.copy(FAKE_CATALOG, Path(config) / "models.toml")
        os.environ.update(
            {"AITELEPHONE_CONFIG_DIR": config, "REPLICATE_API_TOKEN": "r8_benchmark", "REPLICATE_BASE_URL": fake.url}
        )
        print(f"latencies {latency}; {args.processes} game process(es); min / median / max of {args.runs} runs")
        if "floor" in parts:
            spec = {**FLOOR_SPEC, "concurrency": 16}
            runs = [_in_fresh_process("floor", spec, fake) for _ in range(args.runs)]
            _report("official clients alone, c=16", runs)
            runs = [_in_fresh_process("async-floor", spec, fake) for _ in range(args.runs)]
            _report("the same, asyncio, c=16", runs)
        if "ratio" in parts:
            same_run_ratio(args.runs, fake, args.processes)
        if "tournament" in parts:
            plan = article_plan()
            for concurrency in (1, 16) if args.serial else (16,):
                spec = {"plan": plan.to_json(), "concurrency": concurrency, "processes": args.processes}
                runs = [_in_fresh_process("tournament", spec, fake) for _ in range(args.runs)]
                _report(f"120 games × 10 turns, c={concurrency}", runs, physical_bound(plan, concurrency, latency))
        if "growth" in parts:
            for games in (100, 1_000, 10_000):
                plan = growth_plan(games, args.growth_turns)
                spec = {"plan": plan.to_json(), "concurrency": 16, "processes": args.processes}
                runs = [_in_fresh_process("tournament", spec, fake) for _ in range(args.runs)]
                _report(f"{len(plan.games):,} games × {plan.turns} turns, c=16", runs)
        if "resume" in parts:
            kill_and_resume(fake, args.processes)
        if "start" in parts:
            cold_start(args.runs)
        if "analyze" in parts:
            fresh_analysis(args.runs, latency)


if __name__ == "__main__":
    main()
