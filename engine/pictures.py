"""A picture a person gives to start a game from (an album cover, a photo): checked before anything is written.

Only PNG, JPEG and WebP are taken, recognised by their bytes (not their name); the size in pixels is read
from the header and refused past MAX_IMAGE_PIXELS before a single pixel is decoded; then the whole picture is
decoded once, so a truncated or corrupt file is refused here rather than half-way through a game.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from PIL import Image

from engine.errors import InvalidInput, StorageError
from engine.prompts import Prompt
from engine.protocols import GeneratedImage
from engine.untrusted import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, read_regular, terminal_safe

# Pillow's format names, and the suffix the run keeps each in.
PICTURE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
OPENED_AS = {"MPO": "JPEG"}  # a phone's JPEG with a second picture inside opens as MPO
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  # the file names a chooser offers
PICTURE_LEVEL = "picture"  # the level (and prompt id) of a game started from a picture


@dataclass(frozen=True)
class StartPicture:
    """A checked picture: its bytes in the format they are in, and the name of the file it came from."""

    image: GeneratedImage
    name: str  # the file's name, safe to show

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes: what a conversation's id holds of the picture."""
        return self.image.digest

    @cached_property
    def prompt(self) -> Prompt:
        """What a game from this picture records as its prompt: which picture it started from. The distances
        are measured against the picture's first description, turn 0's caption."""
        return Prompt(PICTURE_LEVEL, PICTURE_LEVEL, f"picture {self.name}")


def load_start_picture(path: Path) -> StartPicture:
    """The picture at ``path``; InvalidInput, in one line, for a missing or unreadable file, a file that is
    not a PNG, JPEG or WebP picture, or one too large to decode safely."""
    try:
        data = read_regular(path, MAX_IMAGE_BYTES)  # a regular file, under the ceiling: never a pipe or a device
    except StorageError as error:
        raise InvalidInput(f"{error}; no picture to start from") from error
    try:
        with Image.open(io.BytesIO(data), formats=list(PICTURE_FORMATS)) as picture:
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise InvalidInput(
                    f"{path}: {width}×{height} pixels, over the {MAX_IMAGE_PIXELS:,}-pixel ceiling of a picture"
                )
            kind = OPENED_AS.get(str(picture.format), str(picture.format))
            picture.load()  # every pixel decoded once: a truncated file fails here, not in the game
    except InvalidInput:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidInput(f"{path}: not a PNG, JPEG or WebP picture ({type(error).__name__})") from error
    name = terminal_safe(path.name)[:200] or "picture"
    return StartPicture(GeneratedImage(data, PICTURE_FORMATS[kind]), name)


def pictures_in(folder: Path) -> list[Path]:
    """The picture files directly in ``folder`` (by their names; each is checked when chosen), sorted."""
    try:
        return sorted(
            entry
            for entry in folder.iterdir()
            if entry.suffix.lower() in PICTURE_SUFFIXES and not entry.name.startswith(".") and entry.is_file()
        )
    except OSError:  # a folder one may not list offers nothing
        return []
