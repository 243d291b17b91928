"""Sixel encoding that keeps a picture inside the cells it was given.

Every colour register is defined before the first band and selected by number (xterm paints the first band in
its default colour when a definition is meant to select it too), register 0 (the terminal's background) is never
used, and no graphics newline follows the last band: a trailing ``-`` moves the Sixel cursor one band lower,
and a picture that so reaches past the screen's last row scrolls the whole terminal.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

BAND = 6  # pixel rows in one Sixel band
_REPEAT = re.compile(rb"(.)\1{3,}")  # four or more of a byte are shorter as !count byte
_WEIGHTS = (1 << np.arange(BAND, dtype=np.uint8))[:, None]


def _repeat(match: re.Match[bytes]) -> bytes:
    run = match.group(0)
    return b"!%d%s" % (len(run), run[:1])


def _percent(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    red, green, blue = (round(value * 100 / 255) for value in colour)
    return red, green, blue


def encode_sixel(picture: Image.Image, colours: int, background: tuple[int, int, int] = (0, 0, 0)) -> str:
    """``picture`` (its height a whole number of bands) as one Sixel image of at most ``colours`` registers.
    Register 0 is set to ``background``: mlterm fills the rest of the picture's last cell row with it."""
    colours = max(2, min(colours - 1, 255))  # register 0 stays the background's
    quantized = picture.convert("RGB").quantize(colours, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    indices = np.asarray(quantized)
    height, width = indices.shape
    palette = quantized.getpalette() or []
    used = np.unique(indices)
    out = [b'\x1bP0;1;0q"1;1;%d;%d' % (width, height), b"#0;2;%d;%d;%d" % _percent(background)]
    for index in used.tolist():
        red, green, blue = palette[3 * index : 3 * index + 3]
        out.append(b"#%d;2;%d;%d;%d" % (index + 1, *_percent((red, green, blue))))
    bands = []
    for top in range(0, height, BAND):
        band = indices[top : top + BAND]
        present = np.unique(band)
        # One row of sixel values per colour present: bit r of column x is set where row r has that colour.
        masks = (band[None, :, :] == present[:, None, None]).astype(np.uint8) * _WEIGHTS[: band.shape[0]]
        values = masks.sum(axis=1, dtype=np.uint8)
        strokes = []
        for colour, row in zip(present.tolist(), values, strict=True):
            filled = np.flatnonzero(row)
            first, last = int(filled[0]), int(filled[-1]) + 1
            data = (row[first:last] + 63).tobytes()
            skip = b"!%d?" % first if first > 3 else b"?" * first
            strokes.append(b"#%d" % (colour + 1) + skip + _REPEAT.sub(_repeat, data))
        bands.append(b"$".join(strokes))
    out.append(b"-".join(bands))
    out.append(b"\x1b\\")
    return b"".join(out).decode("ascii")
