"""The sketch painter: draws a scene read from text as a flat, outlined picture with Pillow.

Layout is seeded, so the same text and seed give the same picture, and another seed moves things about
and takes other liberties with the scene (see ``variation.py``).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.protocols import GeneratedImage, TextToImage
from engine.providers.offline.glyphs import Glyph
from engine.providers.offline.palette import COLOURS
from engine.providers.offline.scene import Scene, Thing, read_scene
from engine.providers.offline.variation import painter_random, take_liberties

CANVAS = 512
OUTLINE = (34, 34, 38)
HORIZON = {
    "park": 0.55,
    "street": 0.55,
    "beach": 0.55,
    "sea": 0.55,
    "snow": 0.55,
    "room": 0.62,
    "plain": 0.7,
    "space": 1.0,
}
GROUND = {
    "park": (74, 160, 62),
    "street": (100, 100, 106),
    "beach": (222, 196, 140),
    "sea": (42, 96, 196),
    "snow": (244, 246, 250),
    "room": (164, 112, 70),
    "plain": (236, 234, 226),
    "space": (10, 10, 22),
}
SKY = {
    "day": ((104, 168, 236), (176, 214, 246)),
    "evening": ((236, 118, 52), (250, 186, 110)),
    "night": ((16, 22, 60), (40, 50, 102)),
}
WALL = (236, 222, 190)
# Outdoors the light colours everything: warm at sunset, dim and blue at night.
TINT = {"day": (1.0, 1.0, 1.0), "evening": (1.0, 0.84, 0.7), "night": (0.52, 0.58, 0.86)}
SCALE_BY_POSITION = {"background": 0.75, "foreground": 1.25}
X_BY_POSITION = {"left": 0.2, "upper left": 0.2, "center": 0.5, "right": 0.8, "upper right": 0.8}


@dataclass
class Placement:
    """Where one copy of a thing is drawn: its box in pixels, and the order it is painted in."""

    thing: Thing
    x0: int
    y0: int
    width: int
    height: int
    depth: float
    mirrored: bool

    @property
    def top(self) -> int:
        return self.y0

    @property
    def bottom(self) -> int:
        return self.y0 + self.height

    @property
    def centre_x(self) -> int:
        return self.x0 + self.width // 2


def paint(text: str, seed: int = 0) -> Image.Image:
    """Draw ``text``: read it as a scene, take liberties with it and lay it out with ``seed``, paint it."""
    scene = take_liberties(read_scene(text), painter_random(text, seed))
    return paint_scene(scene, random.Random(f"{seed}\x00{text}"))


def paint_scene(scene: Scene, rng: random.Random) -> Image.Image:
    """Paint ``scene`` exactly as it is, laid out with ``rng``."""
    canvas = _background(scene, rng)
    for placement in sorted(_layout(scene, rng), key=lambda p: p.depth):
        _draw(canvas, placement, _tint(scene))
    return canvas.convert("RGB")


def _tint(scene: Scene) -> tuple[float, float, float]:
    return TINT[scene.time] if scene.setting not in ("room", "space", "plain") else TINT["day"]


def _background(scene: Scene, rng: random.Random) -> Image.Image:
    pixels = np.zeros((CANVAS, CANVAS, 3), dtype=np.float64)
    horizon = int(HORIZON[scene.setting] * CANVAS)
    rows = np.linspace(0.0, 1.0, max(horizon, 1))[:, None, None]
    if scene.setting == "room":
        top, bottom = np.array(WALL, dtype=np.float64) * 0.97, np.array(WALL, dtype=np.float64)
    elif scene.setting in ("plain", "space"):
        top = bottom = np.array(GROUND[scene.setting], dtype=np.float64)
    elif scene.sky_colour:
        top = np.array(COLOURS[scene.sky_colour], dtype=np.float64)
        bottom = np.minimum(top * 1.25 + 20, 255)
    else:
        top, bottom = (np.array(c, dtype=np.float64) for c in SKY[scene.time])
    pixels[:horizon] = top + rows * (bottom - top)
    ground = np.array(GROUND[scene.setting], dtype=np.float64) * _tint(scene)
    pixels[horizon:] = ground
    if scene.setting == "sea":
        pixels[horizon::14] = np.minimum(ground * 1.3, 255)  # waves
    image = Image.fromarray(pixels.round().astype(np.uint8), "RGB").convert("RGBA")
    if scene.setting == "space" or (scene.time == "night" and scene.setting != "room"):
        draw = ImageDraw.Draw(image)
        for _ in range(60 if scene.setting == "space" else 25):
            x, y = rng.randrange(CANVAS), rng.randrange(max(horizon - 4, 1))
            draw.ellipse((x, y, x + 2, y + 2), fill=(250, 250, 240))
    return image


def _layout(scene: Scene, rng: random.Random) -> list[Placement]:
    horizon = HORIZON[scene.setting]
    placements: list[Placement] = []
    anchors: dict[int, Placement] = {}  # first copy of each thing, for relations pointing at it
    order = sorted(range(len(scene.things)), key=lambda i: scene.things[i].target is not None)
    free = [i for i in order if scene.things[i].target is None and scene.things[i].position not in X_BY_POSITION]
    rng.shuffle(free)  # left to right in any order, not in the order the text names them
    slots = {index: (slot + 1) / (len(free) + 1) for slot, index in enumerate(free)}
    for index in order:
        thing = scene.things[index]
        scale = thing.scale * SCALE_BY_POSITION.get(thing.position, 1.0) * rng.uniform(0.88, 1.12)
        width = int(min(thing.glyph.size[0] * scale, 0.9) * CANVAS)
        height = int(min(thing.glyph.size[1] * scale, 0.9) * CANVAS)
        anchor = anchors.get(thing.target) if thing.target is not None else None
        centre_x, bottom, depth = _place(thing, scene, horizon, anchor, slots.get(index), width, height, rng)
        copies = min(thing.count, 6)
        span = (copies - 1) * width * 1.15 + width  # the whole group moves to fit, rather than piling up at an edge
        centre_x = float(np.clip(centre_x, span / 2 + 2, max(CANVAS - span / 2 - 2, span / 2 + 2)))
        for copy in range(copies):
            offset = (copy - (copies - 1) / 2) * width * 1.15
            x0 = int(np.clip(centre_x + offset - width / 2, 2, CANVAS - width - 2))
            y0 = int(np.clip(bottom - height, 2, CANVAS - height - 2))
            placement = Placement(thing, x0, y0, width, height, depth + copy * 1e-4, rng.random() < 0.5)
            placements.append(placement)
            anchors.setdefault(index, placement)
    return placements


def _place(
    thing: Thing,
    scene: Scene,
    horizon: float,
    anchor: Placement | None,
    slot: float | None,
    width: int,
    height: int,
    rng: random.Random,
) -> tuple[float, float, float]:
    """Centre x, bottom y and paint depth of a thing, from its relation, its position words or its slot."""
    if anchor is not None:
        relation = thing.relation
        x = anchor.centre_x + rng.uniform(-0.25, 0.25) * anchor.width
        if relation == "on":
            return x, anchor.top + 0.12 * height, anchor.depth + 0.01
        if relation == "above":
            return x, anchor.top - 0.04 * CANVAS, anchor.depth + 0.01
        if relation == "beside":
            side = 1 if anchor.x0 + anchor.width + width < CANVAS else -1
            return anchor.centre_x + side * (anchor.width + width) * 0.55, anchor.bottom, anchor.depth
        if relation == "behind":
            return x, anchor.bottom - 0.03 * CANVAS, anchor.depth - 0.01
        return x, anchor.bottom + 0.04 * CANVAS, anchor.depth + 0.01  # "front", "below"
    x_fraction = X_BY_POSITION.get(thing.position, slot if slot is not None else rng.uniform(0.15, 0.85))
    x = (x_fraction + rng.uniform(-0.05, 0.05)) * CANVAS
    in_sky = thing.position in ("sky", "upper left", "upper right", "top") or thing.glyph.place in ("sky", "wall")
    if scene.setting == "space" or (in_sky and horizon < 1.0):
        top_band = max(min(horizon, 0.95) * CANVAS - height, 0.05 * CANVAS + 1)
        bottom = rng.uniform(0.05 * CANVAS, top_band) + height
        return x, bottom, bottom / CANVAS - 2.0
    far, near = horizon * CANVAS + 0.06 * CANVAS, 0.96 * CANVAS
    if thing.position == "background":
        near = far + 0.08 * CANVAS
    elif thing.position == "foreground":
        far = near - 0.06 * CANVAS
    bottom = rng.uniform(far, max(near, far))
    return x, bottom, bottom / CANVAS


def _draw(canvas: Image.Image, placement: Placement, tint: tuple[float, float, float]) -> None:
    pad = 4
    layer = Image.new("RGBA", (placement.width + 2 * pad, placement.height + 2 * pad), (0, 0, 0, 0))
    _draw_glyph(
        ImageDraw.Draw(layer), placement.thing.glyph, placement.thing.colour, placement.width, placement.height, pad
    )
    if placement.mirrored:
        layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    pixels = np.asarray(layer, dtype=np.float64).copy()
    inside = pixels[..., 3] > 0
    grown = np.asarray(Image.fromarray((inside * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(5))) > 0
    pixels[..., :3] *= tint
    pixels[grown & ~inside] = (*OUTLINE, 255)
    canvas.alpha_composite(
        Image.fromarray(pixels.round().astype(np.uint8), "RGBA"), (placement.x0 - pad, placement.y0 - pad)
    )


def _draw_glyph(draw: ImageDraw.ImageDraw, glyph: Glyph, colour: str, width: int, height: int, pad: int) -> None:
    main = COLOURS[colour]
    shade = tuple(int(c * 0.68) for c in main)

    def fill_of(role: str) -> tuple[int, ...]:
        return {"main": main, "shade": shade}.get(role) or COLOURS[role]

    def at(u: float, v: float) -> tuple[float, float]:
        return pad + u * width, pad + v * height

    for part in glyph.parts:
        shape = part[0]
        if shape == "line":
            _, points, thickness, role = part
            draw.line([at(*p) for p in points], fill=fill_of(role), width=max(2, int(thickness * width)), joint="curve")
            continue
        _, coords, role = part
        if shape == "poly":
            draw.polygon([at(*p) for p in coords], fill=fill_of(role))
            continue
        box = (*at(coords[0], coords[1]), *at(coords[2], coords[3]))
        if shape == "ellipse":
            draw.ellipse(box, fill=fill_of(role))
        elif shape == "rect":
            draw.rectangle(box, fill=fill_of(role))
        elif shape == "erase":
            draw.ellipse(box, fill=(0, 0, 0, 0))


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


class SketchPainter(TextToImage):
    """The offline text→image model."""

    reproducible = True  # the layout is drawn from the seed

    def __init__(self, model_id: str):
        self.model_id = model_id

    def inputs(self, seed: int) -> dict[str, Any]:
        return {"text": "{text}", "seed": seed}

    def generate(self, text: str, *, seed: int) -> GeneratedImage:
        return GeneratedImage(encode_png(paint(text, seed)), ".png")
