"""What comes from outside (a run folder someone sent, a model's answer, a user's prompt) is checked here:
text is made safe for a terminal, names are plain, and paths stay inside the folder they belong to.

A run folder is input from a stranger: its ids become file names, its image paths are opened, its texts
are printed. Every reader and writer of a run goes through ``inside``; every front end shows text through
``terminal_safe``. A run's files are read through ``read_regular`` (regular files with one name, under the
ceilings below) and written new with ``write_atomically`` (or ``link_atomically``), or in place only through
``open_in_place``.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path, PurePosixPath

from engine.errors import StorageError
from engine.keys import mask_keys

# Control characters (C0 and C1: ESC starts every terminal escape sequence, U+009B is an 8-bit CSI),
# format characters (bidi overrides and isolates, zero-width spaces and joiners, BOM), lone surrogates
# (unprintable in UTF-8) and line/paragraph separators. Newlines and tabs are kept.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KEPT = frozenset("\n\t")
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# A model id: plain names joined by "/", where ":" and "+" may appear too ("ollama/gemma3:4b", "lab/Qwen/Qwen2-VL").
# Every part starts with a letter or digit, so no part is "." or ".." and none is empty.
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*(/[A-Za-z0-9][A-Za-z0-9._:+-]*)*")
MAX_MODEL_ID_CHARS = 200


def terminal_safe(text: str) -> str:
    """``text`` without the characters that can drive a terminal or hide what is written, and without a key."""
    text = mask_keys(text)
    if text.isprintable():  # the common case, decided in C
        return text
    return "".join(char for char in text if char in _KEPT or unicodedata.category(char) not in _UNSAFE_CATEGORIES)


def plain_name(value: object, what: str) -> str:
    """``value`` when it is a plain name (letters, digits, ``.``, ``_``, ``-``; no separator, not ``..``);
    otherwise StorageError saying ``what`` it is."""
    if not isinstance(value, str) or not PLAIN_NAME.fullmatch(value):
        raise StorageError(f"{what}: {value!r} is not a plain name; refused")
    return value


def model_id_name(value: object, what: str) -> str:
    """``value`` when it is a model id (see ``MODEL_ID``, at most ``MAX_MODEL_ID_CHARS``); otherwise
    StorageError saying ``what`` it is. A model id never names a file as it is: see ``file_safe``."""
    if not isinstance(value, str) or len(value) > MAX_MODEL_ID_CHARS or not MODEL_ID.fullmatch(value):
        raise StorageError(f"{what}: {shortened(repr(value), 60)} is not a model id; refused")
    return value


def file_safe(name: str) -> str:
    """``name`` (a model id, a prompt id) as part of a file name: only letters, digits, ``.``, ``_``, ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).lstrip(".")


@lru_cache(maxsize=1024)
def _real_folder(root: str) -> Path:
    """Where ``root`` really is, found once: a game checks thousands of paths against a few folders. Should
    ``root`` later be pointed elsewhere, the paths under it resolve there too, no longer inside what was
    found here, and are refused."""
    return Path(root).resolve()


def inside(root: Path, relative: str | PurePosixPath, what: str) -> Path:
    """``root/relative``, refused unless every part of ``relative`` is a plain name and the path, with every
    symbolic link followed, stays inside ``root``. ``what`` names where ``relative`` came from (a file, a
    line) for the one-line error."""
    parts = PurePosixPath(relative).parts if isinstance(relative, str) else relative.parts
    if not parts:
        raise StorageError(f"{what}: an empty path; refused")
    for part in parts:
        plain_name(part, what)
    path = root.joinpath(*parts)
    try:
        resolved = path.resolve()
        base = _real_folder(str(root.absolute()))  # the working folder may change; a relative name with it
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise StorageError(f"{what}: {str(relative)!r} cannot be resolved ({type(error).__name__}); refused") from error
    if not resolved.is_relative_to(base):
        raise StorageError(f"{what}: {str(relative)!r} leads outside {root}; refused")
    return path


# Ceilings on what a run may hold, checked before anything is read: a file past one is refused with one line
# naming it, and the rest of the run loads.
MAX_JSON_BYTES = 1 << 20  # run.json, conversation.json: a few hundred bytes when we write them
MAX_JSON_DEPTH = 32  # ours nest three deep; deep nesting exhausts the stack of whatever walks it later
MAX_JOURNAL_BYTES = 64 << 20  # a 100-turn journal is about 100 KB
MAX_LINE_BYTES = 256 << 10  # one turn: two texts, a caption, an error and the models' inputs
MAX_IMAGE_BYTES = 25 << 20  # what a hosted model may send us (engine/providers/http.py)
MAX_IMAGE_PIXELS = 40_000_000  # 6300 × 6300: far above any model's output, far below a decompression bomb
MAX_TEXT_CHARS = 10_000  # a prompt, caption or error kept on disk; past it a model's answer is cut
SHOWN_CHARS = 1_000  # a text shown or drawn whole; longer ones end in "…"


def shortened(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_depth(value: object) -> int:
    """How deeply ``value`` (parsed JSON) nests, found without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a pipe",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def read_regular(
    path: Path, limit: int, other_names_explained: Callable[[bytes, os.stat_result], bool] | None = None
) -> bytes:
    """The bytes of the file at ``path``, read only when it is a regular file of at most ``limit`` bytes with
    one name. It is opened without following a link and without blocking (a pipe or a device would hang a
    reader or never end), and checked on the open file, so it cannot be swapped between check and read. A
    file with more names (a hard link) is read only where ``other_names_explained`` (given the bytes and the
    open file's status) says the run's own layout accounts for them: otherwise its bytes may be any file's.

    StorageError, naming the file, for anything else."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise StorageError(f"{path}: missing") from error
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise StorageError(f"{path}: a symbolic link, not a regular file") from error
        raise StorageError(f"{path}: cannot be read: {error.strerror or error}") from error
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
            raise StorageError(f"{path}: {kind}, not a regular file")
        if status.st_size > limit:
            raise StorageError(f"{path}: {status.st_size:,} bytes, over the {limit:,}-byte ceiling")
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(handle, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # it grew since fstat
            raise StorageError(f"{path}: over the {limit:,}-byte ceiling")
        if status.st_nlink > 1 and not (other_names_explained is not None and other_names_explained(data, status)):
            raise StorageError(f"{path}: has {status.st_nlink} names (a hard link to a file elsewhere)")
        return data
    except OSError as error:
        raise StorageError(f"{path}: cannot be read: {error.strerror or error}") from error
    finally:
        os.close(handle)


def open_in_place(path: Path, flags: int, mode: int = 0o666) -> int:
    """A descriptor to write ``path`` in place (append to it, cut it, lock it), opened with ``flags`` only
    when it is a regular file with no other name: the one file whose change changes nothing elsewhere. It
    is opened without following a link and without blocking. StorageError, naming the file, otherwise; a
    caller that may replace the file makes a new one (``write_atomically``) instead."""
    try:
        handle = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as error:
        reason = "a symbolic link" if error.errno == errno.ELOOP else error.strerror or str(error)
        raise StorageError(f"{path}: cannot be written: {reason}") from error
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise StorageError(f"{path}: {_KINDS.get(stat.S_IFMT(status.st_mode), 'not a regular file')}; not written")
        if status.st_nlink > 1:
            raise StorageError(
                f"{path}: has {status.st_nlink} names (a hard link, as `cp -al` or `rsync --link-dest` make); "
                "writing it would change the other name too: copy the run with plain `cp -r` to go on"
            )
        os.set_blocking(handle, True)
    except BaseException:
        os.close(handle)
        raise
    return handle


def sole_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file with one name (not a link of either kind); False when absent."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_nlink == 1


def link_atomically(source: Path, path: Path) -> bool:
    """Make ``path`` another name for the file ``source`` (no bytes written), replacing what was there.
    False when that cannot be done (``source`` is gone, or the file system has no hard links)."""
    try:
        os.link(source, path)
        return True
    except FileExistsError:  # a turn played again after a crash: replace its image in one step
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.link(source, temporary)
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)
            return False
        return True
    except OSError:
        return False


def write_all(handle: int, data: bytes) -> None:
    """Write all of ``data`` to the descriptor ``handle``: the system calls themselves, without a Python file
    object's (a game writes a few files a turn from many threads, and each call lets another thread run)."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half of one.

    The temporary file is made with mode 0666 less the umask, like every other file of a run (mkstemp's
    0600 would leave some images unreadable to the others who share a run). An OSError names ``path``: a
    full disk is reported with the file it could not write."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileNotFoundError:  # the folder is new (asked only then: a mkdir per write costs a system call)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            write_all(handle, data)
            if data:  # an empty file has nothing to force to disk (a game's new journal: one fsync a game saved)
                os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
