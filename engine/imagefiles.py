"""The image files this process stored or read lately, kept with their hash and data URL.

A turn's drawing is hashed for the result cache, sent to a captioner and to an image embedder as a data
URL, and embedded again as the next turn's previous image: with this, it is read, hashed and base64'd once.
Bounded in bytes and in images, so a long run does not grow; a file that changed on disk since is read again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from engine.protocols import GeneratedImage

# More than the games in flight need (their current and previous drawings): a few dozen hosted drawings
# with their data URLs, or a few hundred small ones.
MAX_BYTES = 64 * 1024 * 1024
MAX_IMAGES = 256

_Signature = tuple[int, int, int]  # (inode, size, modification time): the file version an entry was made from
_recent: OrderedDict[Path, tuple[_Signature, GeneratedImage]] = OrderedDict()
_held = 0  # bytes held by the entries, data URLs counted
_lock = threading.Lock()


def _signature(path: Path) -> _Signature:
    status = os.stat(path)
    return status.st_ino, status.st_size, status.st_mtime_ns


def _weight(image: GeneratedImage) -> int:
    return len(image.data) * 7 // 3  # the bytes and their base64 data URL, once made


def remember_image(path: Path, image: GeneratedImage) -> None:
    """``image`` is what ``path`` now holds (the store has just written it)."""
    global _held
    signature = _signature(path)
    with _lock:
        old = _recent.pop(path, None)
        if old is not None:
            _held -= _weight(old[1])
        _recent[path] = (signature, image)
        _held += _weight(image)
        while (_held > MAX_BYTES or len(_recent) > MAX_IMAGES) and len(_recent) > 1:
            _, (_, dropped) = _recent.popitem(last=False)
            _held -= _weight(dropped)


def read_image(path: Path) -> GeneratedImage:
    """The image file at ``path``, from memory when this process stored or read this version of it."""
    signature = _signature(path)
    with _lock:
        entry = _recent.get(path)
        if entry is not None and entry[0] == signature:
            _recent.move_to_end(path)
            return entry[1]
    image = GeneratedImage(path.read_bytes(), path.suffix, file=path)
    remember_image(path, image)
    return image
