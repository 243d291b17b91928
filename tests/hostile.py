"""Hostile run folders for tests: a sandbox with the run, a folder outside it holding secrets, and the output
folder the user chose; and a watch (a Python audit hook) on every file the code under test touches."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from PIL import Image, PngImagePlugin

SECRET = "SECRET-6f1d0c"  # in every file outside the run: it must never be shown, copied or drawn from
ESCAPES = ("\x1b]0;pwned\x07", "\x1b]52;c;cHduZWQ=\x07", "\x1b[2J", "\x9b31m", "\u202e", "\u200b\u200e")


# A file of this size costs no disk (it is sparse) and would take a minute and all memory to read whole.
SPARSE_BYTES = 20 * 1024**3
FILE_KINDS = ("fifo", "device", "hard link", "sparse")


def replace_with(path: Path, kind: str, outside: Path) -> None:
    """Put a file of ``kind`` where ``path`` was: a named pipe (a reader blocks on it forever), a character
    device like /dev/zero (endless), a hard link to ``outside`` (another file's bytes under the run's name),
    or a sparse file of SPARSE_BYTES. A device needs root; elsewhere a pipe stands in for it."""
    path.unlink(missing_ok=True)
    if kind == "fifo" or (kind == "device" and os.geteuid() != 0):
        os.mkfifo(path)
    elif kind == "device":
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    elif kind == "hard link":
        os.link(outside, path)
    elif kind == "sparse":
        with open(path, "wb") as file:
            file.truncate(SPARSE_BYTES)
    else:
        raise ValueError(kind)


def secret_png() -> bytes:
    """A real PNG that carries SECRET in a text chunk, so a copy of it anywhere is found by its bytes."""
    info = PngImagePlugin.PngInfo()
    info.add_text("secret", SECRET)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 255)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@dataclass(frozen=True)
class Sandbox:
    """``root`` holds everything: ``run`` (the crafted run), ``outside`` (secrets the run points at) and
    ``out`` (the output folder the user chose)."""

    root: Path

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @classmethod
    def make(cls, root: Path, template: Path) -> Sandbox:
        sandbox = cls(root)
        shutil.copytree(template, sandbox.run, symlinks=True)
        outside = sandbox.outside
        (outside / "images").mkdir(parents=True)
        (outside / "secret.png").write_bytes(secret_png())
        (outside / "images" / "turn-01.png").write_bytes(secret_png())
        conversation = next((template / "conversations").iterdir())
        info = json.loads((conversation / "conversation.json").read_text())
        (outside / "conversation.json").write_text(json.dumps({**info, "prompt": SECRET}))
        turns = (conversation / "journal.jsonl").read_text().splitlines()
        (outside / "journal.jsonl").write_text(
            "\n".join(json.dumps({**json.loads(line), "caption": SECRET}) for line in turns) + "\n"
        )
        return sandbox

    def conversations(self) -> list[Path]:
        return sorted((self.run / "conversations").iterdir())

    def outside_state(self) -> dict[str, bytes]:
        """Every file outside the run and the output folder, by path: a write anywhere there changes it."""
        state = {}
        for path in self.root.rglob("*"):
            if path.is_relative_to(self.run) or path.is_relative_to(self.out):
                continue
            state[str(path)] = path.read_bytes() if path.is_file() and not path.is_symlink() else b"<entry>"
        return state


_WRITE_EVENTS = {"os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.symlink", "os.link", "os.chmod", "os.truncate"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclass
class FileWatch:
    """Every file opened (for reading or writing) and every entry made, moved or removed while active,
    each resolved (symbolic links followed) at the moment it is touched."""

    reads: set[Path] = field(default_factory=set)
    writes: set[Path] = field(default_factory=set)

    def record(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
            (self.writes if writing else self.reads).add(_resolved(path))
        elif event in _WRITE_EVENTS:
            for path in args[:2] if event in ("os.rename", "os.symlink", "os.link") else args[:1]:
                if isinstance(path, str | bytes | os.PathLike):
                    self.writes.add(_resolved(path))
        elif event == "shutil.copyfile":
            self.reads.add(_resolved(args[0]))
            self.writes.add(_resolved(args[1]))

    def violations(self, sandbox: Sandbox) -> list[str]:
        """Writes anywhere but the run and the output folder; reads or writes of the sandbox's outside."""
        run, out, outside = (Path(os.path.realpath(p)) for p in (sandbox.run, sandbox.out, sandbox.outside))
        wrong = [f"wrote {p}" for p in self.writes if not (p.is_relative_to(run) or p.is_relative_to(out))]
        wrong += [f"touched {p}" for p in self.reads | self.writes if p.is_relative_to(outside)]
        return sorted(wrong)


def _resolved(path: Any) -> Path:
    return Path(os.path.realpath(os.fsdecode(os.fspath(path))))


_watches: list[FileWatch] = []
_lock = threading.Lock()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watches and (event == "open" or event in _WRITE_EVENTS or event == "shutil.copyfile"):
        with _lock:
            for watch in _watches:
                watch.record(event, args)


sys.addaudithook(_audit)  # audit hooks cannot be removed; it does nothing while no watch is active

# matplotlib writes its own font cache (in the user's cache folder) the first time a process imports it. The
# engine imports it only when it draws a chart, which may be under a watch: import it now, before any.
matplotlib.use("Agg")
importlib.import_module("matplotlib.pyplot")


@contextmanager
def watching() -> Iterator[FileWatch]:
    watch = FileWatch()
    with _lock:
        _watches.append(watch)
    try:
        yield watch
    finally:
        with _lock:
            _watches.remove(watch)
