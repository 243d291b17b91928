"""A game as an animated image for a slide (GIF or WebP): one 16:9 frame per turn with the turn's picture, the
prompt it all started from, the text that was drawn, the caption that came back and the distance on a fixed
scale, so a room can follow the drift without the app."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from engine.errors import InvalidInput, StorageError
from engine.imagefiles import open_picture
from engine.records import Turn
from engine.store import Conversation, Run
from engine.untrusted import file_safe, inside, shortened, terminal_safe, write_atomically

ANIMATION_FORMATS = ("gif", "webp")
Colour = tuple[int, int, int]
SLIDE = (1280, 720)
MARGIN = 40
PICTURE = 620  # the picture's side, the largest thing on the slide
PANEL_X = MARGIN + PICTURE + 40
PANEL_WIDTH = SLIDE[0] - PANEL_X - MARGIN
# High-contrast colours on a near-black slide (each at least 7:1), which survive a washed-out projector.
BACKGROUND = (16, 16, 20)
WHITE = (245, 245, 245)
GREY = (176, 176, 186)
DRAWN = (255, 150, 140)  # the text that was drawn: red in the app and the filmstrips
CAPTION = (140, 226, 140)  # the caption that came back: green likewise
BAR = (255, 200, 87)
TRACK = (60, 60, 70)
MAX_DISTANCE = 2.0  # cosine distance runs from 0 (same meaning) to 2 (opposite); the bar's scale never moves
TICKS = (0.0, 0.5, 1.0, 1.5, 2.0)
MIN_SECONDS, MAX_SECONDS = 0.2, 60.0
LONGEST_WORD = 40  # characters: wider than the text panel at the smallest size
# No text on a slide is smaller than this (pixels, at 1280x720), so the back of a room can read it: what does not
# fit at this size is shortened with an ellipsis rather than shrunk.
MIN_TEXT_PX = 20
TEXT_PX = 24  # the prompt, the drawn text and the caption, where they fit
LINE_SPACING = 1.3
LABEL_HEIGHT = 28  # a block's label and the gap under it


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str

    def at(self, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.bold if bold else self.regular, size)


def _fonts() -> _Fonts:
    """DejaVu Sans, shipped with matplotlib: it covers the accents and symbols captions may hold."""
    import matplotlib  # here, not at the top: the app imports this module and should start quickly

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return _Fonts(str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf"))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    # Cut to what a slide can show, and words to what a line can hold: measuring and trimming a word of a
    # million characters would take minutes and draw past any image's size.
    words = [
        word[start : start + LONGEST_WORD]
        for word in shortened(terminal_safe(text)).split()
        for start in range(0, len(word), LONGEST_WORD)
    ]
    for word in words:
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _fit(
    text: str, fonts: _Fonts, size: int, smallest: int, width: int, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font from ``size`` down to ``smallest`` that fits ``text`` in ``max_lines``; at the smallest,
    the lines that fit, the last one ending in an ellipsis."""
    for points in range(size, smallest - 1, -2):
        font = fonts.at(points)
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    shown = lines[:max_lines]
    while shown[-1] and font.getlength(shown[-1] + " …") > width:
        shown[-1] = shown[-1].rsplit(" ", 1)[0] if " " in shown[-1] else shown[-1][:-1]
    return font, [*shown[:-1], shown[-1] + " …"]


def _block(
    draw: ImageDraw.ImageDraw, y: int, label: str, text: str, colour: Colour, fonts: _Fonts, max_lines: int
) -> int:
    """A capitalised label and its text beneath; returns the y below it."""
    draw.text((PANEL_X, y), label, fill=colour, font=fonts.at(MIN_TEXT_PX, bold=True))
    y += LABEL_HEIGHT
    font, lines = _fit(text, fonts, TEXT_PX, MIN_TEXT_PX, PANEL_WIDTH, max_lines)
    line_height = int(font.size * LINE_SPACING)
    for line in lines:
        draw.text((PANEL_X, y), line, fill=colour, font=font)
        y += line_height
    return y + 14


def _distance_bar(draw: ImageDraw.ImageDraw, y: int, distance: float | None, fonts: _Fonts) -> None:
    value = "–" if distance is None else f"{distance:.3f}"
    draw.text((PANEL_X, y), f"distance to prompt  {value}", fill=WHITE, font=fonts.at(24, bold=True))
    top = y + 40
    draw.rectangle((PANEL_X, top, PANEL_X + PANEL_WIDTH, top + 18), fill=TRACK)
    if distance is not None:
        filled = PANEL_X + round(PANEL_WIDTH * min(max(distance, 0.0), MAX_DISTANCE) / MAX_DISTANCE)
        draw.rectangle((PANEL_X, top, filled, top + 18), fill=BAR)
    small = fonts.at(MIN_TEXT_PX)
    for tick in TICKS:
        x = PANEL_X + round(PANEL_WIDTH * tick / MAX_DISTANCE)
        draw.line((x, top + 18, x, top + 24), fill=GREY, width=2)
        label = f"{tick:g}"
        width = small.getbbox(label)[2]  # to the ink's right edge, which may pass the advance
        draw.text(
            (min(max(x - width / 2, PANEL_X), PANEL_X + PANEL_WIDTH - width), top + 26),
            label,
            fill=GREY,
            font=small,
        )


def _picture(conversation: Conversation, turn: Turn, fonts: _Fonts) -> Image.Image:
    """The turn's picture as large as the slide's square allows, aspect kept; a grey square saying so where it
    is missing or is not a readable image (a run is input from outside)."""
    try:
        path = conversation.image_path(turn)
        if path is None:
            raise StorageError(f"turn {turn.step} has no picture")
        picture = open_picture(path)
    except StorageError:
        missing = Image.new("RGB", (PICTURE, PICTURE), TRACK)
        ImageDraw.Draw(missing).text(
            (PICTURE // 2, PICTURE // 2), "no picture", fill=GREY, font=fonts.at(24), anchor="mm"
        )
        return missing
    scale = PICTURE / max(picture.size)  # as large as the space allows, up or down, aspect kept
    size = (max(round(picture.width * scale), 1), max(round(picture.height * scale), 1))
    picture = picture.resize(size, Image.Resampling.LANCZOS)
    if picture.size != (PICTURE, PICTURE):  # not square: centred on the slide's colour
        framed = Image.new("RGB", (PICTURE, PICTURE), BACKGROUND)
        framed.paste(picture, ((PICTURE - picture.width) // 2, (PICTURE - picture.height) // 2))
        return framed
    return picture


def turn_frame(conversation: Conversation, turn: Turn, fonts: _Fonts | None = None) -> Image.Image:
    """One slide-sized frame: the picture on the left; the prompt, the turn, what was drawn, what came back
    and the distance on the right; the models beneath the picture."""
    fonts = fonts or _fonts()
    info = conversation.info
    frame = Image.new("RGB", SLIDE, BACKGROUND)
    frame.paste(_picture(conversation, turn, fonts), (MARGIN, MARGIN))
    draw = ImageDraw.Draw(frame)
    models = f"drawn by {info.t2i}  ·  described by {info.i2t}  ·  measured by {info.embedder}"
    font, lines = _fit(models, fonts, MIN_TEXT_PX, MIN_TEXT_PX, PICTURE, 1)
    draw.text((MARGIN, MARGIN + PICTURE + 14), lines[0], fill=GREY, font=font)

    y = MARGIN - 4
    heading = f"Turn {turn.step} of {info.turns}" if turn.step else "Turn 0: the picture it started from"
    draw.text((PANEL_X, y), heading, fill=WHITE, font=fonts.at(34, bold=True))
    y = _block(draw, y + 56, "PROMPT", info.prompt, WHITE, fonts, 3)
    if turn.step:
        y = _block(draw, y, "DRAWN FROM", turn.text, DRAWN, fonts, 4)
    if turn.caption is not None:
        answer, colour = turn.caption, CAPTION
    else:
        answer, colour = f"{'refused' if turn.refused else 'failed'}: {turn.error}", DRAWN
    bar_top = SLIDE[1] - MARGIN - 96
    lines_left = max((bar_top - y - LABEL_HEIGHT - 14) // int(TEXT_PX * LINE_SPACING), 1)
    _block(draw, y, "CAPTION", answer, colour, fonts, lines_left)
    _distance_bar(draw, bar_top, turn.distance_to_prompt, fonts)
    return frame


def write_animation(conversation: Conversation, path: Path, *, seconds_per_turn: float = 3.0) -> Path:
    """Write the game as an animated GIF or WebP (by ``path``'s suffix), one frame per turn, looping; the last
    frame is held twice as long."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ANIMATION_FORMATS:
        raise InvalidInput(f"{path}: an animation is written as .gif or .webp, not {path.suffix or 'no suffix'}")
    if not conversation.turns:
        raise InvalidInput(f"conversation {conversation.info.id} has no turns to animate")
    fonts = _fonts()
    frames = [turn_frame(conversation, turn, fonts) for turn in conversation.shown_turns]
    durations = [round(seconds_per_turn * 1000)] * len(frames)
    durations[-1] *= 2
    buffer = BytesIO()
    options = {"lossless": False, "quality": 85, "method": 4} if fmt == "webp" else {"optimize": True}
    frames[0].save(
        buffer, format=fmt.upper(), save_all=True, append_images=frames[1:], duration=durations, loop=0, **options
    )
    write_atomically(path, buffer.getvalue())
    return path


def animation_name(conversation: Conversation, fmt: str) -> str:
    """A file name that says which game it is: prompt, pair and id, with only safe characters."""
    info = conversation.info
    name = "__".join((info.prompt_id or "prompt", info.t2i, info.i2t, info.id))
    return file_safe(name) + f".{fmt}"


def write_animations(
    run: Run, destination: Path, fmt: str, *, conversation_id: str | None = None, seconds_per_turn: float = 3.0
) -> list[Path]:
    """One animation per game of ``run`` (or of the one game ``conversation_id`` names) into the folder
    ``destination``, or into the file ``destination`` itself when it ends in ``.fmt`` and one game is chosen."""
    if fmt not in ANIMATION_FORMATS:
        raise InvalidInput(f"animations are written as {' or '.join(ANIMATION_FORMATS)}, not {fmt!r}")
    if not MIN_SECONDS <= seconds_per_turn <= MAX_SECONDS:
        raise InvalidInput(f"seconds per turn must be between {MIN_SECONDS} and {MAX_SECONDS}, not {seconds_per_turn}")
    chosen = choose_conversations(run, conversation_id)
    if destination.suffix.lower() == f".{fmt}":
        if len(chosen) > 1:
            raise InvalidInput(f"{run.folder} has {len(chosen)} games: name one with --conversation, or give a folder")
        return [write_animation(chosen[0], destination, seconds_per_turn=seconds_per_turn)]
    return [
        write_animation(
            conversation,
            inside(destination, animation_name(conversation, fmt), str(destination)),
            seconds_per_turn=seconds_per_turn,
        )
        for conversation in chosen
    ]


def choose_conversations(run: Run, conversation_id: str | None) -> list[Conversation]:
    """Every conversation of ``run`` with turns, or the one whose id starts with ``conversation_id``."""
    playable = [conversation for conversation in run.conversations if conversation.turns]
    if conversation_id is None:
        if not playable:
            raise InvalidInput(f"{run.folder} has no conversation with turns")
        return playable
    matches = [c for c in run.conversations if c.info.id.startswith(conversation_id)]
    if len(matches) != 1:
        found = "no conversation" if not matches else f"{len(matches)} conversations"
        raise InvalidInput(f"{run.folder} has {found} with an id starting {conversation_id!r}")
    return matches
