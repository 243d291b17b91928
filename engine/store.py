"""The run folder: the one storage format, versioned, human-readable, written atomically and resumable.

RUN/run.json                                   format, version, created time, models, settings
RUN/conversations/ID/conversation.json         one game's settings and outcome
RUN/conversations/ID/journal.jsonl             one JSON line per finished turn, appended and flushed
RUN/conversations/ID/images/turn-NN.EXT        each turn's image, stored the moment it is generated
RUN/cache/                                     every game's result cache (engine/cache.py)
RUN/rounds/ID.json                             a round of guessing a game's prompt (engine/rounds.py)
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from engine.errors import InvalidInput, StorageError
from engine.imagefiles import remember_image
from engine.journal_lines import parse_json, read_journal, repair_torn_end
from engine.keys import mask_keys
from engine.protocols import GeneratedImage
from engine.records import ENDED, ConversationInfo, Status, Turn
from engine.rounds import Round
from engine.runlock import LOCK_FILE, RunLock
from engine.untrusted import (
    MAX_JSON_BYTES,
    MAX_TEXT_CHARS,
    inside,
    link_atomically,
    open_in_place,
    plain_name,
    read_regular,
    shortened,
    write_all,
    write_atomically,
)

FORMAT = "aitelephone-run"
# 2: lineups of several models in t2i and i2t, a start picture (turn 0), turns described by a person. Runs of
# version 1 hold none of these and load as they are.
VERSION = 2
RUN_FILE = "run.json"
CONVERSATIONS_FOLDER = "conversations"
INFO_FILE = "conversation.json"
JOURNAL_FILE = "journal.jsonl"
IMAGES_FOLDER = "images"
CACHE_FOLDER = "cache"
ANALYSIS_FOLDER = "analysis"
ROUNDS_FOLDER = "rounds"
ROUND_SUFFIX = ".json"
DEFAULT_RUNS_FOLDER = Path("runs")
RunKind = Literal["game", "tournament"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def conversation_id(
    *, t2i: str, i2t: str, embedder: str, prompt: str, turns: int, seed: int, picture: str | None = None
) -> str:
    """A stable id for a conversation from everything that changes its result (the lineups, and the start
    picture's hash for a game started from one): the same conversation always lands in one folder (and
    resumes there), a different one never does."""
    parts: list[object] = [t2i, i2t, embedder, prompt, turns, seed]
    if picture is not None:  # a game from text keeps the id it had before pictures could start one
        parts.append(picture)
    key = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    text = mask_keys(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    write_atomically(path, (text + "\n").encode("utf-8"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = parse_json(read_regular(path, MAX_JSON_BYTES).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise StorageError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise StorageError(f"{path}: expected a JSON object")
    return data


@dataclass
class Conversation:
    """One saved conversation: its settings, its turns, and the folder they live in. ``damage`` says what
    of its journal could not be read (the turns before it are all here). ``start`` is turn 0 of a game
    started from a picture (the picture and its first description), apart from the drawn ``turns``."""

    folder: Path
    info: ConversationInfo
    turns: list[Turn] = field(default_factory=list)
    damage: str | None = None
    start: Turn | None = None

    @property
    def shown_turns(self) -> list[Turn]:
        """Every turn to show, turn 0 (a start picture) first."""
        return [self.start, *self.turns] if self.start is not None else list(self.turns)

    @property
    def run_folder(self) -> Path:
        """The run this conversation belongs to."""
        return self.folder.parent.parent

    def image_path(self, turn: Turn) -> Path | None:
        """The path of ``turn``'s stored image, None when the turn has none; StorageError when it would lead
        out of the conversation's folder."""
        return inside(self.folder, turn.image, f"{self.folder}: turn {turn.step}") if turn.image else None

    @property
    def complete(self) -> bool:
        """Over: playing it again does nothing. A "finished" one whose journal lost turns is not."""
        if self.info.status == "finished":
            return sum(1 for turn in self.turns if turn.error is None) >= self.info.turns
        return self.info.status in ENDED

    @property
    def final_distance(self) -> float | None:
        """The distance to the prompt at the last measured turn."""
        measured = [turn.distance_to_prompt for turn in self.turns if turn.distance_to_prompt is not None]
        return measured[-1] if measured else None


@dataclass
class Run:
    """A loaded run folder. ``problems`` names each file that could not be read; the rest still loads."""

    folder: Path
    meta: dict[str, Any]
    conversations: list[Conversation]
    problems: list[str] = field(default_factory=list)

    @property
    def kind(self) -> RunKind:
        return "tournament" if self.meta.get("kind") == "tournament" else "game"

    @property
    def analysis_folder(self) -> Path:
        """Where `analyze` writes its pictures; StorageError when the run has made it a link out of itself."""
        return inside(self.folder, ANALYSIS_FOLDER, str(self.folder))

    @property
    def charts_folder(self) -> Path:
        return inside(self.folder, f"{ANALYSIS_FOLDER}/charts", str(self.folder))

    @property
    def filmstrips_folder(self) -> Path:
        return filmstrips_folder(self.folder)

    @property
    def attractors_chart(self) -> Path:
        return inside(self.folder, f"{ANALYSIS_FOLDER}/attractors.png", str(self.folder))

    def export_folder(self, export_format: str) -> Path:
        """Where an export in ``export_format`` goes unless the user chooses another folder."""
        return inside(self.folder, export_format, str(self.folder))


def _nothing() -> None:
    pass


class _GameFiles(NamedTuple):
    """A conversation's files, each checked to lie inside its folder."""

    journal: Path
    images: Path
    info: Path


class Journal:
    """The conversation being played: owns both its files and the in-memory copy, so they never disagree."""

    def __init__(self, conversation: Conversation, before_writing: Callable[[], None], files: _GameFiles):
        self.conversation = conversation
        self._before_writing = before_writing
        # Checked once for the whole game (by the store, as it begins the game), not at every turn: a turn's
        # image is written by replacing its name (a link found there is replaced, never followed), the
        # journal keeps its name, and conversation.json is replaced, never written through.
        self._journal, self._images, self._info = files
        self._handle: int | None = None  # the journal, open for appending from the first turn to the last
        self._closer: weakref.finalize[[int], Journal] | None = None  # closes it if the Journal is dropped unclosed

    def save_image(self, step: int, image: GeneratedImage) -> Path:
        """Store a turn's image the moment it exists (hosted URLs expire); returns its path. An image the
        result cache holds already is linked to, not written again."""
        path = self._images / plain_name(f"turn-{step:02d}{image.suffix}", str(self._images))
        if image.file is None or not link_atomically(image.file, path):
            write_atomically(path, image.data)
        remember_image(path, image)
        return path

    def append(self, turn: Turn) -> None:
        """Append one turn to the journal and force it to disk before the next model call."""
        self._before_writing()
        try:  # a NaN or an infinity would make the journal unreadable to every later reader
            line = mask_keys(json.dumps(turn.to_json(), ensure_ascii=False, allow_nan=False)) + "\n"
        except ValueError as error:
            raise StorageError(f"{self._journal}: turn {turn.step} holds a number that is not finite") from error
        try:
            if self._handle is None:
                self._handle = open_in_place(self._journal, os.O_WRONLY | os.O_APPEND)
                self._closer = weakref.finalize(self, os.close, self._handle)
            write_all(self._handle, line.encode("utf-8"))
            os.fsync(self._handle)
        except OSError as error:  # a full disk: said with the file it could not write
            raise StorageError(f"{self._journal}: cannot be written: {error.strerror or error}") from error
        if turn.step == 0:
            self.conversation.start = turn
        else:
            self.conversation.turns.append(turn)

    def close(self) -> None:
        """Let go of the journal file (the game is over, or stops here); a later append opens it again."""
        if self._closer is not None:
            self._closer()  # closes the descriptor, once
            self._handle = self._closer = None

    def finish(self, status: Status, detail: str = "") -> ConversationInfo:
        self.close()
        self._before_writing()
        info = replace(self.conversation.info, status=status, detail=shortened(detail, MAX_TEXT_CHARS))
        _write_json(self._info, info.to_json())
        self.conversation.info = info
        return info


class RunStore:
    """Writes one run folder. Safe to use from several game threads: each conversation has its own files.

    ``create`` and ``reopen`` hold the run's writer lock until ``close`` (or the end of a ``with`` block): a
    second writer is refused before it writes anything."""

    def __init__(self, folder: Path, lock: RunLock | None = None):
        self.folder = folder
        self._lock = lock
        self._before_journal: Callable[[], None] = _nothing

    def before_journal_writes(self, write_answers: Callable[[], None]) -> None:
        """Call ``write_answers`` in a game's thread before its journal gets a line (the result cache, which
        keeps a turn's answers in one transaction), so what a journal holds was paid for and kept first."""
        self._before_journal = write_answers

    def close(self) -> None:
        """Let another writer have the run."""
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    @classmethod
    def create(
        cls, kind: RunKind, meta: dict[str, Any], folder: Path | None = None, runs_folder: Path = DEFAULT_RUNS_FOLDER
    ) -> RunStore:
        """A run in ``folder`` (new or empty; a run of the same kind already there is reopened to add to or
        resume it; a tournament's must hold the same plan), or, without ``folder``, in a new time-named folder
        under ``runs_folder``.

        Raises InvalidInput when ``folder`` is not empty and not such a run, StorageError when another
        writer holds it.
        """
        if folder is None:
            folder = _new_run_folder(kind, runs_folder)
        run_file = inside(folder, RUN_FILE, str(folder))
        if not run_file.exists() and folder.exists() and (not folder.is_dir() or _holds_more_than_a_lock(folder)):
            raise InvalidInput(f"{folder} exists and is not a run folder; choose a new or empty folder")
        folder.mkdir(parents=True, exist_ok=True)
        lock = RunLock(folder)
        try:
            if run_file.exists():
                _check_same_run(_read_json(run_file), run_file, kind, meta)
            else:
                header = {"format": FORMAT, "version": VERSION, "created": now_iso(), "kind": kind}
                _write_json(run_file, {**header, **meta})
        except BaseException:
            lock.release()
            raise
        return cls(folder, lock)

    @classmethod
    def reopen(cls, folder: Path) -> RunStore:
        """The run already in ``folder``, to resume it; StorageError when it is not a run or another writer
        holds it."""
        run_file = inside(folder, RUN_FILE, str(folder))
        check_run_meta(_read_json(run_file), run_file)
        lock = RunLock(folder)
        return cls(folder, lock)

    @property
    def cache_folder(self) -> Path:
        """Where the run's result cache lives."""
        return inside(self.folder, CACHE_FOLDER, str(self.folder))

    def conversation_folder(self, conversation: str) -> Path:
        return inside(self.folder, f"{CONVERSATIONS_FOLDER}/{conversation}", str(self.folder))

    def conversation(self, conversation_id: str) -> Conversation:
        """The saved conversation with this id, as it is on disk now."""
        return load_conversation(self.conversation_folder(conversation_id))

    def begin(self, info: ConversationInfo) -> Journal:
        """The journal of the conversation with ``info.id``: loaded to resume when it exists, else created."""
        folder = self.conversation_folder(info.id)
        files = _GameFiles(*(inside(folder, name, str(folder)) for name in (JOURNAL_FILE, IMAGES_FOLDER, INFO_FILE)))
        files.images.mkdir(parents=True, exist_ok=True)
        if files.info.exists():
            if not os.path.lexists(files.journal):  # a kill came between the two files: no turn was played yet
                write_atomically(files.journal, b"")
            repair_torn_end(files.journal, read_journal(files.journal))  # what a crash left, before a line is added
            return Journal(load_conversation(folder), self._before_journal, files)
        _write_json(files.info, info.to_json())
        write_atomically(files.journal, b"")  # a new file, whatever was there
        return Journal(Conversation(folder, info, []), self._before_journal, files)


def start_game_run(
    turns: int, seed: int, folder: Path | None = None, runs_folder: Path = DEFAULT_RUNS_FOLDER
) -> RunStore:
    """A run for single games: in ``folder`` (added to when it is a run already), else new under ``runs_folder``."""
    return RunStore.create("game", {"settings": {"turns": turns, "seed": seed}}, folder, runs_folder)


def _holds_more_than_a_lock(folder: Path) -> bool:
    """Whether ``folder`` holds anything but what a writer starting there this moment makes first (the lock
    file, the temporary file of its run file) or a writer that stopped at once left."""
    return any(entry.name != LOCK_FILE and not entry.name.startswith(".") for entry in folder.iterdir())


def _check_same_run(meta: dict[str, Any], run_file: Path, kind: RunKind, new: dict[str, Any]) -> None:
    """Refuse to add to a run of another kind, or to a tournament run with another plan."""
    check_run_meta(meta, run_file)
    folder = run_file.parent
    existing = "tournament" if meta.get("kind") == "tournament" else "game"
    if existing != kind:
        raise InvalidInput(f"{folder} holds a {existing} run, not a {kind}; choose another folder")
    if kind == "tournament" and meta.get("tournament") != new.get("tournament"):
        raise InvalidInput(
            f"{folder} holds another tournament (a different plan); resume it with --resume, or choose another folder"
        )


def _new_run_folder(kind: RunKind, runs_folder: Path) -> Path:
    """A folder named for the time, made here and now so that two runs started at once never share one."""
    stem = ("tournament-" if kind == "tournament" else "") + datetime.now().strftime("%Y%m%d-%H%M%S")
    runs_folder.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        folder = runs_folder / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise StorageError(f"{runs_folder}: no free run folder name for {stem}")


def is_run(folder: Path) -> bool:
    """Whether ``folder`` looks like a run folder (its run file is there; reading it may still fail)."""
    return (folder / RUN_FILE).is_file()


def find_runs(path: Path) -> list[Path]:
    """``path`` itself when it is a run, else the run folders directly under it."""
    if is_run(path):
        return [path]
    return sorted(child for child in path.iterdir() if is_run(child)) if path.is_dir() else []


@dataclass(frozen=True)
class Located:
    """What a path a person gave names: run folders, and one conversation of them when it names one."""

    runs: list[Path]
    conversation: str | None = None


def locate_runs(path: Path) -> Located:
    """Recognise any path into the run format: a run folder or a folder of runs, a conversation's folder, its
    images folder, or a run's or a conversation's file (``run.json``, ``conversation.json``, the journal, an
    image). A path that names nothing of a run gives no runs."""
    path = path.resolve()
    if path.is_file():
        if path.name == RUN_FILE:
            return Located(find_runs(path.parent))
        folder = path.parent.parent if path.parent.name == IMAGES_FOLDER else path.parent
        return _conversation_in_run(folder) or Located([])
    if path.name == IMAGES_FOLDER:
        return _conversation_in_run(path.parent) or Located([])
    if path.name == CONVERSATIONS_FOLDER and is_run(path.parent):
        return Located([path.parent])
    return _conversation_in_run(path) or Located(find_runs(path))


def _conversation_in_run(folder: Path) -> Located | None:
    run = folder.parent.parent
    if (folder / INFO_FILE).is_file() and folder.parent.name == CONVERSATIONS_FOLDER and is_run(run):
        return Located([run], folder.name)
    return None


def load_runs(path: Path) -> tuple[list[Run], list[str]]:
    """The run at ``path`` or every run under it, and what could not be read (a run's own problems included)."""
    runs: list[Run] = []
    problems: list[str] = []
    try:
        folders = find_runs(path)
    except OSError as error:  # a folder one may not list
        return [], [f"{error.filename or path}: {error.strerror or error}"]
    for folder in folders:
        try:
            run = load_run(folder)
        except StorageError as error:
            problems.append(str(error))
            continue
        runs.append(run)
        problems += run.problems
    return runs, problems


def load_conversations(path: Path) -> tuple[list[Conversation], list[str]]:
    """The conversations of the run at ``path`` or of every run under it, and what could not be read."""
    runs, problems = load_runs(path)
    return [conversation for run in runs for conversation in run.conversations], problems


def check_run_meta(meta: dict[str, Any], path: Path) -> None:
    if meta.get("format") != FORMAT:
        raise StorageError(f"{path}: not an aitelephone run (format is {meta.get('format')!r})")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise StorageError(
            f"{path}: run format version {meta.get('version')!r}; this aitelephone reads up to {VERSION}"
        )


def load_journal(path: Path) -> list[Turn]:
    """The turns of one journal; a bad line raises StorageError naming the file and the line."""
    contents = read_journal(path)
    if contents.damage is not None:
        raise StorageError(contents.damage)
    return contents.turns


def load_conversation(folder: Path) -> Conversation:
    """The conversation in ``folder``: its settings and the turns its journal holds up to any damage."""
    info_file = inside(folder, INFO_FILE, str(folder))
    info = ConversationInfo.from_json(_read_json(info_file), str(info_file))
    if info.id != folder.name:
        raise StorageError(f"{info_file}: id {info.id!r} is not its folder's name")
    contents = read_journal(inside(folder, JOURNAL_FILE, str(folder)))
    return _conversation(folder, info, contents.turns, contents.damage)


def _conversation(folder: Path, info: ConversationInfo, turns: list[Turn], damage: str | None) -> Conversation:
    """A conversation of ``turns`` as the journal lists them: a turn 0 (a start picture) is held apart."""
    if turns and turns[0].step == 0:
        return Conversation(folder, info, turns[1:], damage, start=turns[0])
    return Conversation(folder, info, turns, damage)


def load_run(folder: Path) -> Run:
    """Every conversation of a run. One that cannot be read at all, and the damaged part of a journal, are
    reported in ``problems``, not fatal: a damaged conversation loads the turns before the damage."""
    run_file = inside(folder, RUN_FILE, str(folder))
    meta = _read_json(run_file)
    check_run_meta(meta, run_file)
    conversations, problems = [], []
    root = inside(folder, CONVERSATIONS_FOLDER, str(folder))
    for name in sorted(entry.name for entry in root.iterdir()) if root.is_dir() else []:
        try:
            conversation = load_conversation(inside(root, name, str(root)))
        except StorageError as error:
            problems.append(str(error))
            continue
        conversations.append(conversation)
        if conversation.damage is not None:
            problems.append(conversation.damage)
    conversations.sort(key=lambda c: c.info.created)
    return Run(folder, meta, conversations, problems)


def filmstrips_folder(run_folder: Path) -> Path:
    """Where `analyze` draws the filmstrips of the run in ``run_folder``."""
    return inside(run_folder, f"{ANALYSIS_FOLDER}/filmstrips", str(run_folder))


def new_round_id(run_folder: Path, conversation_id: str) -> str:
    """A name for a round of guesses on a conversation, begun now, that no round of the run has yet."""
    stem = f"{datetime.now():%Y%m%d-%H%M%S}-{conversation_id}"
    folder = inside(run_folder, ROUNDS_FOLDER, str(run_folder))
    for attempt in range(1, 1000):
        name = stem if attempt == 1 else f"{stem}-{attempt}"
        if not (folder / f"{name}{ROUND_SUFFIX}").exists():
            return name
    raise StorageError(f"{folder}: no free round name for {stem}")


def save_round(run_folder: Path, played: Round) -> Path:
    """Write the round beside the run (its own file, replaced atomically; nothing of the run changes)."""
    folder = inside(run_folder, ROUNDS_FOLDER, str(run_folder))
    folder.mkdir(exist_ok=True)
    path = inside(folder, f"{played.id}{ROUND_SUFFIX}", str(folder))
    _write_json(path, played.to_json())
    return path


def load_rounds(run_folder: Path) -> tuple[list[Round], list[str]]:
    """The rounds of guesses kept beside the run, oldest first, and one line for each file that could not be
    read (the others still load)."""
    try:
        folder = inside(run_folder, ROUNDS_FOLDER, str(run_folder))
    except StorageError as error:  # a link out of the run
        return [], [str(error)]
    if not folder.is_dir():
        return [], []
    rounds, problems = [], []
    for name in sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(ROUND_SUFFIX)):
        try:
            path = inside(folder, name, str(folder))
            rounds.append(Round.from_json(_read_json(path), name.removesuffix(ROUND_SUFFIX), str(path)))
        except StorageError as error:
            problems.append(str(error))
    rounds.sort(key=lambda played: (played.started, played.id))
    return rounds, problems
