"""Colour words and the colours they paint; naming a pixel colour by its nearest word in CIE Lab."""

from __future__ import annotations

import numpy as np

# The colours the painter uses for each word, and the words the reader may answer with.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (206, 32, 41),
    "dark red": (128, 20, 28),
    "orange": (240, 130, 30),
    "yellow": (248, 212, 40),
    "gold": (196, 156, 40),
    "green": (60, 170, 60),
    "dark green": (28, 96, 40),
    "lime": (170, 220, 60),
    "teal": (30, 140, 140),
    "cyan": (70, 210, 230),
    "light blue": (150, 200, 240),
    "blue": (40, 90, 210),
    "navy": (24, 32, 90),
    "indigo": (68, 44, 140),
    "purple": (140, 60, 170),
    "pink": (244, 150, 190),
    "magenta": (220, 40, 160),
    "brown": (130, 80, 40),
    "tan": (210, 180, 130),
    "beige": (236, 222, 190),
    "white": (246, 246, 246),
    "silver": (190, 194, 200),
    "grey": (128, 128, 132),
    "dark grey": (70, 70, 76),
    "black": (22, 22, 26),
}

# Other words a text may use for a colour, mapped to the painter's word.
SYNONYMS = {
    "crimson": "red",
    "scarlet": "red",
    "ruby": "red",
    "maroon": "dark red",
    "burgundy": "dark red",
    "golden": "gold",
    "amber": "orange",
    "emerald": "green",
    "lush": "green",
    "olive": "dark green",
    "turquoise": "teal",
    "azure": "light blue",
    "sky-blue": "light blue",
    "bluish": "blue",
    "violet": "purple",
    "lavender": "purple",
    "rose": "pink",
    "pinkish": "pink",
    "fuchsia": "magenta",
    "wooden": "brown",
    "chocolate": "brown",
    "sandy": "tan",
    "khaki": "tan",
    "cream": "beige",
    "ivory": "beige",
    "snowy": "white",
    "pale": "white",
    "gray": "grey",
    "silvery": "silver",
    "metallic": "silver",
    "dark gray": "dark grey",
    "charcoal": "dark grey",
    "neon": "magenta",
    "bright": "yellow",
    "colorful": "magenta",
    "colourful": "magenta",
}


def colour_word(word: str) -> str | None:
    """The palette word for ``word`` ("crimson" → "red"), or None when it names no colour."""
    word = word.lower()
    if word in COLOURS:
        return word
    return SYNONYMS.get(word)


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab (D65) of an (..., 3) array of 0-255 sRGB values; Lab distances follow what eyes see."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]])
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


_NAMES = list(COLOURS)
_PALETTE_LAB = _srgb_to_lab(np.array([COLOURS[name] for name in _NAMES]))


def nearest_colour_indices(rgb: np.ndarray) -> np.ndarray:
    """For an (..., 3) array of pixels, the index into ``palette_names()`` of each pixel's nearest colour."""
    lab = _srgb_to_lab(rgb)
    distances = ((lab[..., None, :] - _PALETTE_LAB) ** 2).sum(axis=-1)
    return np.asarray(distances.argmin(axis=-1))


def colour_shares(rgb: np.ndarray) -> np.ndarray:
    """For an (n, 3) array of 0-255 pixels, how many of them are nearest to each palette colour (indexed as
    ``palette_names()``). A sketch has few distinct colours, so each is converted to Lab once, not once per
    pixel."""
    packed = (rgb[:, 0].astype(np.int32) << 16) | (rgb[:, 1].astype(np.int32) << 8) | rgb[:, 2].astype(np.int32)
    distinct, counts = np.unique(packed, return_counts=True)
    channels = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1).astype(np.float64)
    return np.bincount(nearest_colour_indices(channels), weights=counts, minlength=len(_NAMES))


def palette_names() -> list[str]:
    return list(_NAMES)


def name_colour(rgb: tuple[float, float, float] | np.ndarray) -> str:
    """The palette word nearest to one colour."""
    return _NAMES[int(nearest_colour_indices(np.asarray(rgb, dtype=np.float64)))]


def neighbour_colour(name: str) -> str:
    """The palette word whose colour is nearest to ``name``'s, other than ``name`` itself."""
    distances = ((_PALETTE_LAB - _PALETTE_LAB[_NAMES.index(name)]) ** 2).sum(axis=-1)
    distances[_NAMES.index(name)] = np.inf
    return _NAMES[int(distances.argmin())]
