"""The sketch reader: describes a picture from its pixels alone.

It models the background row by row, segments what stands out from it (dark outlines split touching
things; ``silhouettes.py``), classifies each region's silhouette by its nearest neighbour among shapes it
learned by rendering the painter's vocabulary (its training set; ``shapes.py``), names colours in Lab
space, and writes the layout as sentences. It never sees the text a picture was drawn from; whatever the
pixels do not show is lost. Its attention varies from picture to picture as a real captioner's does (see
``variation.py``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from engine.protocols import ImageToText
from engine.providers.offline.glyphs import GLYPHS
from engine.providers.offline.palette import colour_shares, name_colour, palette_names
from engine.providers.offline.shapes import shape_memory
from engine.providers.offline.silhouettes import SIDE, Region, find_regions, load_pixels
from engine.providers.offline.variation import attention_span, counted, misperceive, reader_random, says_place

MAX_GROUPS = 6
SKY_FAMILY = {
    "day": {"blue", "light blue", "cyan", "teal"},
    "sunset": {"orange", "yellow", "gold", "pink", "red", "magenta", "dark red", "tan"},
    "night": {"navy", "black", "indigo", "dark grey", "purple"},
}
GROUND_PHRASES = (
    ({"green", "dark green", "lime"}, "in a grassy park"),
    ({"grey", "dark grey", "silver", "brown", "black"}, "on a paved city street"),
    ({"tan", "beige", "yellow", "gold", "orange"}, "on a sandy beach"),
    ({"blue", "light blue", "navy", "teal", "cyan", "indigo"}, "by the sea"),
    ({"white"}, "in a snowy field"),
)
PLURALS = {"person": "people", "bus": "buses", "bush": "bushes", "branch": "branches", "cup": "cups"}
COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


KNOWN_SHAPE_DISTANCE = 1.8
SECOND_COLOUR_SHARE = 0.5  # a colour covering half as much of a thing as its main colour may name it
GLYPH_PLACES = {glyph.name: glyph.place for glyph in GLYPHS}


def _plain_shape(shape: np.ndarray) -> str:
    fill = shape.mean()
    height, width = shape.shape
    if fill > 0.88:
        return "square" if 0.8 < width / height < 1.25 else "rectangle"
    if fill > 0.7:
        return "circle" if 0.8 < width / height < 1.25 else "oval"
    if 0.42 < fill < 0.6:
        return "triangle"
    return "shape"


def find_things(pixels: np.ndarray) -> tuple[list[Region], np.ndarray, int]:
    """Every thing in the picture, most prominent first; the row background; the number of specks."""
    memory = shape_memory()
    regions = []
    found, background, specks = find_regions(pixels)
    horizon = horizon_row(background)
    for shape, (ys, xs), own in found:
        label, distance, look_alike = memory.classify(shape)
        known = distance < KNOWN_SHAPE_DISTANCE
        colour, second_colour = _colours(pixels[ys, xs][own])
        area = float(shape.sum()) / pixels.shape[0] / pixels.shape[1]
        ratio = float(np.sqrt(area / memory.usual_area[label])) if known else 1.0
        box = (xs.start, ys.start, xs.stop, ys.stop)
        plausible = known and look_alike is not None and _fits_place(look_alike, box, horizon)
        regions.append(
            Region(
                label if known else _plain_shape(shape),
                known,
                colour,
                area,
                ratio,
                box,
                look_alike if plausible else None,
                second_colour,
            )
        )
    regions.sort(key=lambda region: (not region.known, -region.area))
    return regions, background, specks


def _colours(pixels: np.ndarray) -> tuple[str, str | None]:
    """The name of the colour covering most of a thing's pixels, and of a second one covering much of it too."""
    names = palette_names()
    shares = colour_shares(pixels)
    main, second = np.argsort(shares)[::-1][:2]
    return names[int(main)], names[int(second)] if shares[second] >= SECOND_COLOUR_SHARE * shares[main] else None


def _fits_place(label: str, box: tuple[int, int, int, int], horizon: int | None) -> bool:
    """Whether a thing called ``label`` could be where ``box`` is: nothing of the sky stands on the ground,
    nothing of the ground floats in the sky (so a ball on the grass is never taken for a planet)."""
    if horizon is None:
        return True
    in_sky = box[3] < horizon + 4
    place = GLYPH_PLACES[label]
    return not (place == "sky" and not in_sky) and not (place == "ground" and in_sky)


def horizon_row(background: np.ndarray) -> int | None:
    """The row where the background changes most (sky to ground, wall to floor), if it changes at all."""
    smooth = ndimage.uniform_filter1d(background, size=9, axis=0)
    jumps = np.linalg.norm(smooth[8:] - smooth[:-8], axis=1)
    if jumps.max() < 40:
        return None
    return int(jumps.argmax()) + 4


def _setting_phrase(background: np.ndarray, horizon: int | None, specks: int) -> str:
    top = name_colour(background[: SIDE // 8].mean(axis=0))
    bottom = name_colour(background[-SIDE // 8 :].mean(axis=0))
    if horizon is None:
        if top in SKY_FAMILY["night"] and specks >= 8:
            return "outer space, dark and full of stars"
        return f"a plain {top} background"
    time = next((name for name, family in SKY_FAMILY.items() if top in family), None)
    if time is None or (bottom in ("brown", "dark red") and top in ("beige", "tan", "white", "silver", "grey")):
        return f"a room with {top} walls and a {bottom} wooden floor"
    ground = next((phrase for family, phrase in GROUND_PHRASES if bottom in family), "on open ground")
    sky = {
        "day": f"under a clear {top} sky in the daytime",
        "sunset": f"at sunset under an {top} sky" if top[0] in "aeiou" else f"at sunset under a {top} sky",
        "night": f"at night under a dark {top} sky" + (" with stars" if specks >= 8 else ""),
    }[time]
    return f"{ground.split(' ', 1)[1]} {sky}" if ground.startswith(("in ", "on ", "by ")) else f"{ground} {sky}"


def _size_word(ratio: float) -> str:
    if ratio < 0.6:
        return "tiny "
    if ratio < 0.82:
        return "small "
    if ratio > 1.6:
        return "huge "
    if ratio > 1.22:
        return "large "
    return ""


def _where(region: Region, horizon: int | None) -> str:
    x = region.centre_x
    side = "left" if x < 0.36 else "right" if x > 0.64 else "center"
    if horizon is not None and region.box[3] < horizon + 4:
        return "in the sky" if side == "center" else f"in the upper {side}"
    return "in the center" if side == "center" else f"on the {side}"


def _resting_on(region: Region, others: list[Region]) -> Region | None:
    """The larger thing this one stands on: its bottom edge on their top edge, overlapping sideways."""
    x0, _, x1, bottom = region.box
    height = region.box[3] - region.box[1]
    for other in others:
        ox0, otop, ox1, _ = other.box
        if (
            other is not region
            and other.area > region.area
            and min(x1, ox1) - max(x0, ox0) > 0.3 * (x1 - x0)
            and otop - 6 <= bottom <= otop + 0.4 * height
        ):
            return other
    return None


def _noun_phrase(count: int, region: Region) -> str:
    noun = region.label if count == 1 else PLURALS.get(region.label, region.label + "s")
    if region.label == "person":  # a person's colour is their clothes': "a person in brown", not "a brown person"
        words = f"{_size_word(region.size_ratio)}{noun} in {region.colour}"
    else:
        words = f"{_size_word(region.size_ratio)}{region.colour} {noun}"
    if count == 1:
        return ("an " if words[0] in "aeiou" else "a ") + words
    return f"{COUNT_WORDS.get(count, 'many')} {words}"


def describe_pixels(pixels: np.ndarray, seed: int = 0) -> str:
    """A caption for a picture: its setting, then its most prominent things with size, colour and place,
    as a reading with ``seed`` notices them."""
    found, background, specks = find_things(pixels)
    attention = reader_random(pixels, seed)
    regions = misperceive(found, attention)
    horizon = horizon_row(background)
    groups: dict[tuple[str, str], list[Region]] = {}
    for region in regions:
        groups.setdefault((region.label, region.colour), []).append(region)
    sentences = [f"The image shows {_setting_phrase(background, horizon, specks)}."]
    for members in list(groups.values())[: attention_span(attention, MAX_GROUPS)]:
        first = members[0]
        count = counted(len(members), attention)
        phrase = _noun_phrase(count, first)
        verb = "is" if count == 1 else "are"
        if not says_place(attention):
            sentences.append(f"There {verb} {phrase}.")
            continue
        support = _resting_on(first, regions)
        if support is not None:
            place = f"on {_noun_phrase(1, support)}"
        else:
            mean_x = int(np.mean([m.centre_x for m in members]) * SIDE)
            place = _where(replace(first, box=(mean_x, first.box[1], mean_x, first.box[3])), horizon)
        sentences.append(f"{phrase[0].upper()}{phrase[1:]} {verb} {place}.")
    if len(sentences) == 1:
        sentences.append("Nothing else stands out.")
    return " ".join(sentences)


class SketchReader(ImageToText):
    """The offline image→text model: it reads the pixels alone, the same way for the same seed."""

    reproducible = True

    def __init__(self, model_id: str):
        self.model_id = model_id

    def inputs(self, seed: int) -> dict[str, Any]:
        return {"image": "{image}", "seed": seed}

    def warm_up(self) -> None:
        """Learn the shapes now rather than on the first call."""
        shape_memory()

    def describe(self, image: Path, *, seed: int) -> str:
        return describe_pixels(load_pixels(image), seed)
