"""What the tests of lineups, start pictures and people share: a second offline painter and reader, and
pictures to start from."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw

# Two more offline models under other ids, so a lineup of several can be told apart turn by turn.
SECOND_MODELS = """
[[model]]
id = "sketch-painter-b"
kind = "t2i"
provider = "offline"
ref = "sketch-painter"
name = "Second sketch painter (offline)"

[[model]]
id = "sketch-reader-b"
kind = "i2t"
provider = "offline"
ref = "sketch-reader"
name = "Second sketch reader (offline)"
"""


def add_second_models() -> None:
    """Add the second painter and reader to the user catalog the test runs with (see conftest.py)."""
    catalog = Path(os.environ["AITELEPHONE_CONFIG_DIR"]) / "models.toml"
    catalog.write_text(catalog.read_text() + SECOND_MODELS)


def draw_picture(path: Path, size: tuple[int, int] = (96, 64), fmt: str = "PNG") -> Path:
    """A small picture: a red sun over a green field on blue."""
    picture = Image.new("RGB", size, (70, 110, 200))
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.rectangle((0, height * 2 // 3, width, height), fill=(40, 160, 60))
    draw.ellipse((width // 2, height // 8, width // 2 + height // 3, height // 8 + height // 3), fill=(220, 40, 30))
    picture.save(path, format=fmt)
    return path


class ScriptedPerson:
    """Answers as a person would, from a list (None: stops the game); remembers the pictures it was shown."""

    def __init__(self, *answers: str | None):
        self.answers = list(answers)
        self.shown: list[Path] = []

    def __call__(self, image: Path) -> str | None:
        self.shown.append(image)
        return self.answers.pop(0)
