"""Seeded variation in the offline pair, as real models vary from one call to the next.

The painter takes liberties with a scene: it ignores a place word now and then, draws one thing too many or
too few, paints a thing in a neighbouring colour, leaves a thing out of a crowded scene, or adds one the
setting suggests (a tree in a park, a car in a street). The reader's attention lapses: it takes a shape for
a look-alike, names a colour by its neighbour, miscounts a group, stops before the last things, or leaves a
place unsaid. Every choice comes from a seeded generator: the painter's from its seed and the text, the
reader's from its seed and the picture, so a picture read with the same seed is always described the same way.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import numpy as np

from engine.providers.offline.glyphs import GLYPHS
from engine.providers.offline.palette import neighbour_colour
from engine.providers.offline.scene import Scene, Thing
from engine.providers.offline.silhouettes import Region

# The painter's liberties: the chance of each, per thing (per scene for leaving out and adding).
IGNORE_PLACE = 0.3
MISCOUNT = 0.25
RECOLOUR = 0.12
LEAVE_OUT = 0.25  # only in scenes of three things or more
ADD_PROP = 0.3
# Things a setting suggests, which a painter adds unasked.
PROPS = {
    "park": ("tree", "bush", "flower", "bird", "cloud"),
    "street": ("car", "lamp", "person", "building"),
    "beach": ("umbrella", "boat", "sun", "cloud"),
    "sea": ("boat", "bird", "cloud"),
    "snow": ("tree", "mountain", "person"),
    "room": ("window", "table", "lamp", "cup"),
    "space": ("star", "planet", "rocket"),
    "plain": ("ball", "flower", "cup"),
}
# The reader's lapses.
CONFUSE = 0.35  # a shape whose look-alike is nearly as close is named as the look-alike
RENAME_COLOUR = 0.3  # a thing of two colours is named by the lesser one
READER_MISCOUNT = 0.3  # a group of three or more is counted one off
LEAVE_PLACE_UNSAID = 0.15
MIN_ATTENTION = 3  # things named before attention may stop (the reader names at most MAX_GROUPS)

_GLYPH_NAMED = {glyph.name: glyph for glyph in GLYPHS}


def painter_random(text: str, seed: int) -> random.Random:
    """The painter's liberties for one text and seed, apart from its layout's own generator."""
    return random.Random(f"liberties\x00{seed}\x00{text}")


def take_liberties(scene: Scene, rng: random.Random) -> Scene:
    """The scene as this painting will show it (``scene`` is left as it was)."""
    things = [replace(thing) for thing in scene.things]
    for thing in things:
        if thing.position and thing.target is None and rng.random() < IGNORE_PLACE:
            thing.position = ""
        if thing.count >= 2 and rng.random() < MISCOUNT:
            thing.count = min(max(thing.count + rng.choice((-1, 1)), 1), 6)
        if rng.random() < RECOLOUR:
            thing.colour = neighbour_colour(thing.colour)
    if len(things) >= 3 and rng.random() < LEAVE_OUT:
        things = _leave_out(things, rng)
    if rng.random() < ADD_PROP:
        present = {thing.glyph.name for thing in things}
        choices = [name for name in PROPS[scene.setting] if name not in present]
        if choices:
            glyph = _GLYPH_NAMED[rng.choice(choices)]
            things.append(Thing(glyph, glyph.colour))
    return replace(scene, things=things)


def _leave_out(things: list[Thing], rng: random.Random) -> list[Thing]:
    """Drop one thing after the first that nothing stands on or beside; relations are re-pointed."""
    pointed_at = {thing.target for thing in things}
    candidates = [index for index in range(1, len(things)) if index not in pointed_at]
    if not candidates:
        return things
    dropped = rng.choice(candidates)
    kept = [thing for index, thing in enumerate(things) if index != dropped]
    for thing in kept:
        if thing.target is not None and thing.target > dropped:
            thing.target -= 1
    return kept


def reader_random(pixels: np.ndarray, seed: int) -> random.Random:
    """The reader's lapses for one reading: seeded by the seed and the picture's pixels, so the same picture read
    with the same seed always reads the same, and another picture or another seed notices other things."""
    picture = hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()
    return random.Random(f"lapses\x00{seed}\x00{picture}")


def misperceive(regions: list[Region], rng: random.Random) -> list[Region]:
    """The regions as this reading takes them: some named as their look-alike or by their second colour."""
    seen = []
    for region in regions:
        if region.look_alike is not None and rng.random() < CONFUSE:
            region = replace(region, label=region.look_alike)
        if region.second_colour is not None and rng.random() < RENAME_COLOUR:
            region = replace(region, colour=region.second_colour)
        seen.append(region)
    return seen


def attention_span(rng: random.Random, most: int) -> int:
    """How many groups of things this reading names."""
    return rng.randint(min(MIN_ATTENTION, most), most)


def counted(count: int, rng: random.Random) -> int:
    """A group's count as this reading gives it."""
    if count >= 3 and rng.random() < READER_MISCOUNT:
        return count + rng.choice((-1, 1))
    return count


def says_place(rng: random.Random) -> bool:
    return rng.random() >= LEAVE_PLACE_UNSAID
