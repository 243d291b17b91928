"""The image files this process stored or read lately, kept with their hash and data URL.

A turn's drawing is hashed for the result cache, sent to a captioner and to an image embedder as a data
URL, and embedded again as the next turn's previous image: with this, it is read, hashed and base64'd once.
Bounded in bytes and in images, so a long run does not grow; a file that changed on disk since is read again.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections import OrderedDict
from functools import partial
from pathlib import Path

from PIL import Image

from engine.errors import StorageError
from engine.protocols import GeneratedImage
from engine.untrusted import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, inside, read_regular

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
    try:
        signature = _signature(path)
    except OSError:  # gone, or not reachable: read_regular says which, in one line
        signature = None
    with _lock:
        entry = _recent.get(path)
        if entry is not None and entry[0] == signature:
            _recent.move_to_end(path)
            return entry[1]
    image = GeneratedImage(read_regular(path, MAX_IMAGE_BYTES, partial(_one_drawing, path)), path.suffix, file=path)
    remember_image(path, image)
    return image


def _one_drawing(path: Path, data: bytes, status: os.stat_result) -> bool:
    """Whether the other names of the image file at ``path`` are the run's own: it is a drawing of the result
    cache (named by its hash, which its bytes must have), or the same file as the cache's drawing of its
    bytes, which the store links every turn showing that drawing to. A file whose bytes are named by their
    hash tells a reader nothing its name did not."""
    digest = hashlib.sha256(data).hexdigest()
    if path.stem == digest:
        return True
    run = path.parents[3] if len(path.parents) > 3 else path.parent  # RUN/conversations/ID/images/turn-NN
    try:
        drawing = os.lstat(inside(run, f"cache/images/{digest[:2]}/{digest}{path.suffix}", str(run)))
    except (StorageError, OSError):
        return False
    return (drawing.st_dev, drawing.st_ino) == (status.st_dev, status.st_ino)


def open_picture(path: Path) -> Image.Image:
    """The image file at ``path`` decoded, in RGB: read as ``read_image`` reads it, and refused past
    MAX_IMAGE_PIXELS before its pixels are decoded. StorageError for a file that is not a readable image."""
    data = read_image(path).data
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:
                raise StorageError(f"{path}: {width}×{height} pixels, over the {MAX_IMAGE_PIXELS:,}-pixel ceiling")
            return opened.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise StorageError(f"{path}: not a readable image ({type(error).__name__})") from error
