"""One writer per run: two games or tournaments writing one run folder at once would interleave its journals,
so a writer holds an exclusive lock on the run for as long as it plays."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from engine.errors import StorageError
from engine.untrusted import inside, open_in_place, sole_regular_file, write_atomically

LOCK_FILE = "writer.lock"


class RunLock:
    """An exclusive advisory lock (``flock``) on the run's lock file, which says which process holds it. The
    system drops the lock when the process ends, however it ends (``kill -9`` included), so a crash never
    leaves a run locked."""

    def __init__(self, folder: Path):
        self._handle: int | None = None
        path = inside(folder, LOCK_FILE, str(folder))
        if os.path.lexists(path) and not sole_regular_file(path):
            # A link, or a name shared with a file elsewhere (a `cp -al` snapshot): a new lock file takes its
            # name, so the pid written below never lands in the other file.
            write_atomically(path, b"")
        handle = open_in_place(path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode("ascii", "replace").strip()
            os.close(handle)
            process = f" (process {holder})" if holder.isdigit() else ""
            raise StorageError(
                f"{folder}: another game or tournament is writing this run{process}; "
                "wait for it to end, or choose another folder"
            ) from None
        except BaseException:
            os.close(handle)
            raise
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode("ascii"))
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing the file drops the lock
            self._handle = None

    def __del__(self) -> None:  # a store dropped without being closed lets the run go all the same
        self.release()
