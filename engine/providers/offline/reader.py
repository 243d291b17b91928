"""The sketch reader: describes a picture from its pixels alone.

It models the background row by row, segments what stands out from it (dark outlines split touching
things), classifies each region's silhouette by its nearest neighbour among shapes it learned once by
rendering the painter's vocabulary (its training set), names colours in Lab space, and writes the layout
as sentences. It never sees the text a picture was drawn from; whatever the pixels do not show is lost.
Its attention varies from picture to picture as a real captioner's does (see ``variation.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from engine.protocols import ImageToText
from engine.providers.offline.glyphs import GLYPHS, Glyph
from engine.providers.offline.palette import COLOURS, name_colour, nearest_colour_indices, palette_names
from engine.providers.offline.variation import attention_span, counted, misperceive, reader_random, says_place

SIDE = 512
GRID = 10
MIN_AREA = 0.0012  # of the picture: smaller regions are specks, not things
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


@dataclass
class Region:
    """One thing found in the picture."""

    label: str  # a glyph name, or a plain shape word when nothing it knows fits
    known: bool
    colour: str
    area: float  # fraction of the picture
    size_ratio: float  # linear size against the thing's usual size
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    look_alike: str | None = None  # another known shape nearly as close, which a reading may name instead
    second_colour: str | None = None  # a colour covering much of the thing too

    @property
    def centre_x(self) -> float:
        return (self.box[0] + self.box[2]) / 2 / SIDE


@dataclass(frozen=True)
class Reference:
    label: str
    features: np.ndarray
    area: float  # fraction of the picture
    scale: float  # the size it was drawn at, against the glyph's usual size


def load_pixels(image: Path | Image.Image) -> np.ndarray:
    """The picture as a SIDE×SIDE RGB array (any picture: it is scaled, never cropped)."""
    picture = Image.open(image) if isinstance(image, Path) else image
    picture = picture.convert("RGB")
    if picture.size != (SIDE, SIDE):
        picture = picture.resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    return np.asarray(picture, dtype=np.int16)


def row_background(pixels: np.ndarray) -> np.ndarray:
    """Each row's background colour: its most common colour, where that covers enough of the row."""
    rows, width = pixels.shape[:2]
    packed = ((pixels[..., 0] >> 3) << 10) | ((pixels[..., 1] >> 3) << 5) | (pixels[..., 2] >> 3)
    ordered = np.sort(packed, axis=1).ravel()
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]] | (np.arange(ordered.size) % width == 0))
    lengths = np.diff(np.r_[starts, ordered.size])
    row_of = starts // width
    longest = starts[np.lexsort((-lengths, row_of))][np.r_[0, np.flatnonzero(np.diff(np.sort(row_of))) + 1]]
    mode = ordered[longest]
    share = lengths[np.searchsorted(starts, longest)] / width
    members = packed == mode[:, None]
    background = (pixels * members[..., None]).sum(axis=1) / members.sum(axis=1)[:, None]
    reliable = share >= 0.25
    if reliable.any() and not reliable.all():
        good = np.flatnonzero(reliable)
        nearest = good[np.abs(np.arange(rows)[:, None] - good[None, :]).argmin(axis=1)]
        background = background[nearest]
    return np.asarray(background)


def segment(pixels: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Label the regions that stand out from the background: (labels, count, outline mask, background)."""
    background = row_background(pixels)
    foreground = np.linalg.norm(pixels - background[:, None, :], axis=2) > 36
    luminance = pixels @ np.array([0.299, 0.587, 0.114])
    neutral = pixels.max(axis=2) - pixels.min(axis=2) < 24
    # Outlines are thin, dark, colourless strokes that stand out from the background; black things are thick.
    dark = (luminance < 62) & neutral & foreground
    outline = dark & ~ndimage.binary_opening(dark, structure=np.ones((5, 5)))
    labels, count = ndimage.label(foreground & ~outline)
    return labels, count, outline, background


def silhouette_features(mask: np.ndarray) -> np.ndarray:
    """Scale-free shape description: an occupancy grid over the bounding box, aspect and fill."""
    height, width = mask.shape
    grid = np.asarray(
        Image.fromarray(mask.astype(np.uint8) * 255).resize((GRID * 4, GRID * 4), Image.Resampling.BILINEAR)
    )
    cells = grid.reshape(GRID, 4, GRID, 4).mean(axis=(1, 3)) / 255.0
    aspect = np.log(width / height)
    return np.concatenate([cells.ravel(), [2.5 * aspect, 2.0 * mask.mean()]])


# A region: its silhouette mask, its box in the picture, and which pixels of that box are its own.
FoundRegion = tuple[np.ndarray, tuple[slice, slice], np.ndarray]


def _regions(pixels: np.ndarray) -> tuple[list[FoundRegion], np.ndarray, int]:
    """Each region big enough to be a thing (mask, box, own pixels); the background; the speck count."""
    labels, count, outline, background = segment(pixels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    found: list[FoundRegion] = []
    specks = 0  # regions too small to be things: stars, if there are many
    for number, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        if areas[number] < MIN_AREA * SIDE * SIDE:
            specks += areas[number] >= 3
            continue
        y, x = box
        grown = (slice(max(y.start - 3, 0), y.stop + 3), slice(max(x.start - 3, 0), x.stop + 3))
        own = labels[grown] == number
        shape = ndimage.binary_fill_holes(ndimage.binary_dilation(own, iterations=2) & (own | outline[grown]))
        ys, xs = np.nonzero(shape)
        tight = (
            slice(grown[0].start + ys.min(), grown[0].start + ys.max() + 1),
            slice(grown[1].start + xs.min(), grown[1].start + xs.max() + 1),
        )
        found.append((shape[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], tight, labels[tight] == number))
    return found, background, specks


class ShapeMemory:
    """What the reader knows of shapes: silhouettes of the painter's vocabulary, rendered once."""

    def __init__(self) -> None:
        from engine.providers.offline.painter import CANVAS, Placement, _draw
        from engine.providers.offline.scene import Thing

        references: list[Reference] = []
        for glyph in GLYPHS:
            backdrop = max(REFERENCE_BACKDROPS, key=lambda rgb: _contrast(rgb, glyph))
            for scale in (0.75, 1.0, 1.35):
                for mirrored in (False, True):
                    width = int(min(glyph.size[0] * scale, 0.9) * CANVAS)
                    height = int(min(glyph.size[1] * scale, 0.9) * CANVAS)
                    # Twice as wide as the glyph, so that every row is mostly backdrop.
                    canvas = Image.new("RGBA", (2 * width + 24, height + 24), (*backdrop, 255))
                    thing = Thing(glyph, glyph.colour)
                    _draw(canvas, Placement(thing, width // 2 + 12, 12, width, height, 0.0, mirrored), (1.0, 1.0, 1.0))
                    regions, _, _ = _regions(np.asarray(canvas.convert("RGB"), dtype=np.int16))
                    if not regions:
                        continue
                    shape = max(regions, key=lambda r: r[0].sum())[0]
                    references.append(
                        Reference(glyph.name, silhouette_features(shape), shape.sum() / (CANVAS * CANVAS), scale)
                    )
        self.references = references
        self.matrix = np.stack([reference.features for reference in references])
        self.areas = np.array([reference.area for reference in references])
        self.usual_area = {
            name: float(np.mean([r.area / r.scale**2 for r in references if r.label == name]))
            for name in {r.label for r in references}
        }

    def classify(self, shape: np.ndarray) -> tuple[str, float, str | None]:
        """The nearest known shape's label, its distance, and a look-alike: the nearest other label when it is
        nearly as close. Things far from their usual size count as further away (a big circle in the sky is
        more likely a planet than a ball)."""
        area = shape.sum() / (SIDE * SIDE)
        distances = np.linalg.norm(self.matrix - silhouette_features(shape), axis=1)
        distances += SIZE_WEIGHT * np.abs(np.log(area / self.areas))
        order = np.argsort(distances)
        best = self.references[order[0]].label
        runner_up = next((index for index in order if self.references[index].label != best), None)
        look_alike = None
        if runner_up is not None and distances[runner_up] - distances[order[0]] < LOOK_ALIKE_GAP:
            look_alike = self.references[runner_up].label
        return best, float(distances[order[0]]), look_alike


def _contrast(backdrop: tuple[int, int, int], glyph: Glyph) -> float:
    """How well every part of ``glyph`` stands out from ``backdrop`` (its least visible part decides)."""
    colours = [
        COLOURS[glyph.colour if part[-1] in ("main", "shade") else part[-1]]
        for part in glyph.parts
        if part[0] != "erase"
    ]
    return min(float(np.abs(np.subtract(backdrop, colour)).sum()) for colour in colours)


_memory: ShapeMemory | None = None
_memory_lock = threading.Lock()


def shape_memory() -> ShapeMemory:
    global _memory
    with _memory_lock:
        if _memory is None:
            _memory = ShapeMemory()
    return _memory


KNOWN_SHAPE_DISTANCE = 1.8
LOOK_ALIKE_GAP = 0.9  # a second label this close to the best is a shape the reader may take it for
SECOND_COLOUR_SHARE = 0.5  # a colour covering half as much of a thing as its main colour may name it
SIZE_WEIGHT = 0.15
# Plain backgrounds the training pictures are drawn on; each glyph gets the one it stands out from most.
GLYPH_PLACES = {glyph.name: glyph.place for glyph in GLYPHS}
REFERENCE_BACKDROPS = ((236, 234, 226), (70, 110, 170), (60, 140, 60))


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
    found, background, specks = _regions(pixels)
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
    shares = np.bincount(nearest_colour_indices(pixels.astype(np.float64)), minlength=len(names))
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
