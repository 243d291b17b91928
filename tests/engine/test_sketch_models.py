"""The offline pair: the painter draws what a text names; the reader describes only what pixels show."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from engine.providers.offline import shapes
from engine.providers.offline.painter import SketchPainter, paint
from engine.providers.offline.palette import palette_names
from engine.providers.offline.reader import SketchReader, find_things, load_pixels
from engine.providers.offline.scene import read_scene

OUTLINE = (30, 30, 30)


def hand_drawn_scene(path: Path) -> Path:
    """A picture drawn here with plain Pillow calls (not by the painter): sky, grass, a sun, a house, a ball."""
    image = Image.new("RGB", (640, 480), (110, 170, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 280, 640, 480), fill=(60, 165, 70))
    # A sun with eight spikes, high on the left.
    cx, cy, r = 110, 90, 42
    spikes = []
    for k in range(16):
        angle = np.pi * k / 8
        radius = r * 1.7 if k % 2 == 0 else r
        spikes.append((cx + radius * np.cos(angle), cy + radius * np.sin(angle)))
    draw.polygon(spikes, fill=(250, 210, 30), outline=OUTLINE, width=3)
    # A white house with a red roof on the right, standing on the grass: one outlined silhouette, as sketches
    # are drawn, with the roof and the door painted inside it.
    draw.polygon(
        [(420, 380), (420, 252), (405, 252), (500, 170), (595, 252), (580, 252), (580, 380)],
        fill=(245, 245, 245),
        outline=OUTLINE,
        width=3,
    )
    draw.polygon([(408, 250), (500, 173), (592, 250)], fill=(200, 30, 40))
    draw.rectangle((480, 310, 520, 377), fill=(120, 75, 40))
    # A blue ball in the middle of the grass.
    draw.ellipse((270, 360, 340, 430), fill=(40, 90, 210), outline=OUTLINE, width=3)
    path = path / "hand-drawn.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "a purple elephant in the snow")  # a side channel the reader must ignore
    image.save(path, pnginfo=info)
    return path


def test_reader_names_objects_and_colours_of_a_picture_it_was_never_told_about(tmp_path):
    caption = SketchReader("sketch-reader").describe(hand_drawn_scene(tmp_path), seed=0).lower()
    assert "grassy park" in caption and "blue sky" in caption
    assert "yellow sun" in caption
    assert "house" in caption
    assert "blue ball" in caption
    assert "elephant" not in caption and "purple" not in caption and "snow" not in caption


def test_reader_follows_the_pixels(tmp_path):
    drawn = hand_drawn_scene(tmp_path)
    night = Image.open(drawn).convert("RGB")
    pixels = np.asarray(night).copy()
    pixels[:280] = (20, 26, 70)  # the sky goes dark
    Image.fromarray(pixels).save(tmp_path / "night.png")
    caption = SketchReader("sketch-reader").describe(tmp_path / "night.png", seed=0).lower()
    assert "at night" in caption and "daytime" not in caption


def test_reader_counts_and_places_things():
    regions, _, _ = find_things(load_pixels(paint("Three red apples on the left and a yellow sun in the sky.", 4)))
    apples = [region for region in regions if region.label == "apple"]
    assert len(apples) == 3 and all(region.colour == "red" for region in apples)
    assert all(region.centre_x < 0.5 for region in apples)
    assert any(region.label == "sun" and region.colour == "yellow" for region in regions)


def test_scene_reading_of_an_article_prompt():
    scene = read_scene("A red apple sitting on a wooden table with sunlight streaming in from a window.")
    things = {thing.glyph.name: thing for thing in scene.things}
    assert things["apple"].colour == "red" and things["table"].colour == "brown"
    assert things["apple"].relation == "on" and scene.things[things["apple"].target].glyph.name == "table"
    assert "window" in things and scene.setting == "room" and scene.time == "day"


def test_painter_is_deterministic_for_a_seed_and_varies_across_seeds():
    text = "Two white dogs in a green park chasing a yellow frisbee at sunset."
    first, again, other = (np.asarray(paint(text, seed)) for seed in (1, 1, 2))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_what_cannot_be_drawn_is_lost(tmp_path):
    text = "A knight narrating his adventures with great enthusiasm."
    scene = read_scene(text)
    assert [thing.glyph.name for thing in scene.things] == ["person"]
    image = tmp_path / "knight.png"
    image.write_bytes(SketchPainter("sketch-painter").generate(text, seed=0).data)
    caption = SketchReader("sketch-reader").describe(image, seed=0).lower()
    assert "person" in caption or "people" in caption
    assert not {"knight", "narrating", "adventures", "enthusiasm"} & set(caption.replace(".", " ").split())


def test_people_are_described_by_their_clothes_not_as_coloured_people(tmp_path):
    """Colours on a person are their clothes': "two people in brown", never "two brown people"."""
    reader = SketchReader("sketch-reader")
    captions = []
    for index, text in enumerate(["Two men in brown coats in a park.", "A woman in white on a beach.", "A knight."]):
        path = tmp_path / f"{index}.png"
        paint(text, seed=index).save(path)
        captions.append(reader.describe(path, seed=0))
    assert all(re.search(r"\b(person|people) in [a-z ]+\b", caption) for caption in captions), captions
    colours = "|".join(palette_names())
    assert not any(re.search(rf"\b({colours}) (person|people)\b", caption) for caption in captions), captions


def test_the_shipped_shapes_are_those_the_current_code_learns():
    """If this fails, the drawing or segmentation code changed: run `python -m engine.providers.offline.shapes`."""
    shipped = resources.files("engine.providers.offline").joinpath("data", shapes.SHIPPED).read_bytes()
    assert shapes.ShapeMemory.from_bytes(shipped, shapes.code_hash()) is not None, "the shipped file is stale"


@pytest.mark.slow
def test_learning_again_gives_the_shipped_shapes():
    shipped = shapes.ShapeMemory.from_bytes(
        resources.files("engine.providers.offline").joinpath("data", shapes.SHIPPED).read_bytes(), shapes.code_hash()
    )
    learnt = shapes.learn()
    assert learnt.labels == shipped.labels and np.array_equal(learnt.matrix, shipped.matrix)
    assert learnt.usual_area == shipped.usual_area


def test_shapes_from_other_code_are_learnt_once_and_kept(monkeypatch, tmp_path):
    learnt = []
    small = shapes.ShapeMemory(["ball"], np.zeros((1, 102)), np.array([0.01]), np.array([1.0]))
    monkeypatch.setattr(shapes, "learn", lambda: learnt.append(1) or small)
    monkeypatch.setattr(shapes, "code_hash", lambda: "changed code")
    monkeypatch.setattr(shapes, "_memory", None)
    assert shapes.shape_memory().labels == ["ball"] and learnt == [1]
    monkeypatch.setattr(shapes, "_memory", None)
    assert shapes.shape_memory().labels == ["ball"] and learnt == [1], "read from the cache folder, not learnt"
    (kept,) = (tmp_path / "cache").glob("reader-shapes-*.npz")
    kept.write_bytes(b"not a shape file")
    monkeypatch.setattr(shapes, "_memory", None)
    assert shapes.shape_memory().labels == ["ball"] and learnt == [1, 1], "a broken file is learnt again"
