"""How the sketch reader sees a picture: the background row by row, the regions that stand out from it (dark
outlines split touching things), and each region's silhouette as a scale-free feature vector. The same
code reads pictures and learns the shapes it knows (``shapes.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

SIDE = 512
GRID = 10
MIN_AREA = 0.0012  # of the picture: smaller regions are specks, not things


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
    # Channel by channel: numpy reduces slowly over an axis of three (this took a third of a reading), and the
    # sum is taken in the same order as a norm's, so the masks are the same to the bit.
    away = pixels - background[:, None, :]
    red, green, blue = away[..., 0], away[..., 1], away[..., 2]
    foreground = np.sqrt(red * red + green * green + blue * blue) > 36
    luminance = pixels @ np.array([0.299, 0.587, 0.114])
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    neutral = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue) < 24
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


FoundRegion = tuple[np.ndarray, tuple[slice, slice], np.ndarray]


def find_regions(pixels: np.ndarray) -> tuple[list[FoundRegion], np.ndarray, int]:
    """Each region big enough to be a thing (mask, box, own pixels); the background; the speck count."""
    labels, count, outline, background = segment(pixels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    found = []
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
