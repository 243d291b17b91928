"""What comes from outside (a run folder someone sent, a model's answer, a user's prompt) is checked here:
text is made safe for a terminal, names are plain, and paths stay inside the folder they belong to.

A run folder is input from a stranger: its ids become file names, its image paths are opened, its texts
are printed. Every reader and writer of a run goes through ``inside``; every front end shows text through
``terminal_safe``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path, PurePosixPath

from engine.errors import StorageError

# Control characters (C0 and C1: ESC starts every terminal escape sequence, U+009B is an 8-bit CSI),
# format characters (bidi overrides and isolates, zero-width spaces and joiners, BOM), lone surrogates
# (unprintable in UTF-8) and line/paragraph separators. Newlines and tabs are kept.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KEPT = frozenset("\n\t")
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def terminal_safe(text: str) -> str:
    """``text`` without the characters that can drive a terminal or hide what is written."""
    if text.isprintable():  # the common case, decided in C
        return text
    return "".join(char for char in text if char in _KEPT or unicodedata.category(char) not in _UNSAFE_CATEGORIES)


def plain_name(value: object, what: str) -> str:
    """``value`` when it is a plain name (letters, digits, ``.``, ``_``, ``-``; no separator, not ``..``);
    otherwise StorageError saying ``what`` it is."""
    if not isinstance(value, str) or not PLAIN_NAME.fullmatch(value):
        raise StorageError(f"{what}: {value!r} is not a plain name; refused")
    return value


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
