"""The painter's picture vocabulary: how each kind of thing is drawn, and the words that name it.

A glyph is a small list of filled shapes on a unit box. The painter draws glyphs; the reader never sees
this table at run time except through pictures it renders once to learn the shapes (see ``reader.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

# A part: (shape, coordinates on the unit box, colour role). Shapes: ellipse/rect take a box
# (x0, y0, x1, y1); poly takes points; line takes points and a width; erase cuts an ellipse out.
# Colour roles: "main" (the thing's colour), "shade" (a darker main), or a palette word.
Part = tuple


@dataclass(frozen=True)
class Glyph:
    name: str  # the word the reader says for it
    nouns: tuple[str, ...]  # words in a text that are drawn as this glyph (singular and plural forms)
    colour: str  # colour when the text names none
    size: tuple[float, float]  # width, height as fractions of the canvas width
    place: str  # "sky", "ground", "wall" or "any": where it stands unless the text says otherwise
    parts: tuple[Part, ...]


def _glyph(name, nouns, colour, size, place, *parts) -> Glyph:
    return Glyph(name, tuple(nouns.split()), colour, size, place, parts)


GLYPHS: tuple[Glyph, ...] = (
    _glyph("apple", "apple apples fruit fruits", "red", (0.16, 0.17), "any",
           ("ellipse", (0.02, 0.14, 0.98, 1.0), "main"),
           ("rect", (0.45, 0.0, 0.55, 0.2), "brown"),
           ("ellipse", (0.55, 0.02, 0.85, 0.14), "green")),
    _glyph("ball", "ball balls orb orbs sphere spheres", "blue", (0.12, 0.12), "any",
           ("ellipse", (0.0, 0.0, 1.0, 1.0), "main"),
           ("ellipse", (0.2, 0.15, 0.45, 0.4), "white")),
    _glyph("frisbee", "frisbee frisbees disc discs plate plates dish dishes", "yellow", (0.16, 0.05), "any",
           ("ellipse", (0.0, 0.0, 1.0, 1.0), "main"),
           ("ellipse", (0.25, 0.25, 0.75, 0.7), "shade")),
    _glyph("sun", "sun suns", "yellow", (0.2, 0.2), "sky",
           *[("poly", pts, "main") for pts in (
               ((0.5, 0.0), (0.58, 0.25), (0.42, 0.25)), ((0.5, 1.0), (0.58, 0.75), (0.42, 0.75)),
               ((0.0, 0.5), (0.25, 0.42), (0.25, 0.58)), ((1.0, 0.5), (0.75, 0.42), (0.75, 0.58)),
               ((0.15, 0.15), (0.33, 0.27), (0.27, 0.33)), ((0.85, 0.85), (0.67, 0.73), (0.73, 0.67)),
               ((0.85, 0.15), (0.67, 0.27), (0.73, 0.33)), ((0.15, 0.85), (0.27, 0.67), (0.33, 0.73)))],
           ("ellipse", (0.22, 0.22, 0.78, 0.78), "main")),
    _glyph("moon", "moon moons crescent", "beige", (0.13, 0.13), "sky",
           ("ellipse", (0.0, 0.0, 1.0, 1.0), "main"),
           ("erase", (0.35, -0.1, 1.25, 0.85), "")),
    _glyph("star", "star stars", "yellow", (0.07, 0.07), "sky",
           ("poly", ((0.5, 0.0), (0.62, 0.38), (1.0, 0.38), (0.69, 0.6), (0.8, 1.0), (0.5, 0.75),
                     (0.2, 1.0), (0.31, 0.6), (0.0, 0.38), (0.38, 0.38)), "main")),
    _glyph("cloud", "cloud clouds smoke", "white", (0.26, 0.12), "sky",
           ("ellipse", (0.0, 0.35, 0.45, 1.0), "main"), ("ellipse", (0.25, 0.0, 0.75, 0.9), "main"),
           ("ellipse", (0.55, 0.3, 1.0, 1.0), "main")),
    _glyph("tree", "tree trees forest", "green", (0.22, 0.42), "ground",
           ("rect", (0.42, 0.5, 0.58, 1.0), "brown"), ("ellipse", (0.0, 0.0, 1.0, 0.65), "main")),
    _glyph("flower", "flower flowers blossom blossoms bloom tulip tulips rose roses", "pink", (0.08, 0.16), "ground",
           ("line", ((0.5, 0.4), (0.5, 1.0)), 0.12, "green"),
           ("ellipse", (0.0, 0.0, 1.0, 0.5), "main"), ("ellipse", (0.35, 0.12, 0.65, 0.38), "yellow")),
    _glyph("bush", "bush bushes plant plants flora hedge shrub shrubs grass", "dark green", (0.22, 0.1), "ground",
           ("ellipse", (0.0, 0.2, 0.6, 1.0), "main"), ("ellipse", (0.35, 0.0, 1.0, 1.0), "main")),
    _glyph("branch", "branch branches twig stick", "brown", (0.4, 0.06), "sky",
           ("poly", ((0.0, 0.7), (1.0, 0.2), (1.0, 0.45), (0.0, 1.0)), "main"),
           ("poly", ((0.45, 0.55), (0.6, 0.0), (0.68, 0.05), (0.55, 0.55)), "main")),
    _glyph("dog", "dog dogs puppy puppies hound", "white", (0.24, 0.16), "ground",
           ("ellipse", (0.0, 0.25, 0.75, 0.75), "main"), ("ellipse", (0.62, 0.0, 1.0, 0.45), "main"),
           ("rect", (0.08, 0.6, 0.18, 1.0), "main"), ("rect", (0.52, 0.6, 0.62, 1.0), "main"),
           ("ellipse", (0.66, 0.05, 0.76, 0.35), "shade"), ("ellipse", (0.92, 0.18, 1.0, 0.28), "black")),
    _glyph("cat", "cat cats kitten kittens", "grey", (0.13, 0.18), "ground",
           ("ellipse", (0.0, 0.4, 0.8, 1.0), "main"), ("ellipse", (0.45, 0.12, 0.95, 0.55), "main"),
           ("poly", ((0.48, 0.25), (0.52, 0.0), (0.64, 0.18)), "main"),
           ("poly", ((0.78, 0.18), (0.9, 0.0), (0.94, 0.25)), "main"),
           ("line", ((0.05, 0.8), (0.0, 0.3)), 0.08, "main")),
    _glyph("bird", "bird birds bluebird bluebirds robin sparrow parrot", "blue", (0.11, 0.07), "sky",
           ("ellipse", (0.0, 0.2, 0.75, 1.0), "main"), ("ellipse", (0.55, 0.0, 0.9, 0.55), "main"),
           ("poly", ((0.88, 0.2), (1.0, 0.32), (0.88, 0.4)), "orange"),
           ("poly", ((0.15, 0.4), (0.5, 0.45), (0.3, 0.05)), "shade")),
    _glyph("camel", "camel camels horse horses donkey", "tan", (0.26, 0.24), "ground",
           ("ellipse", (0.1, 0.3, 0.75, 0.65), "main"), ("ellipse", (0.25, 0.15, 0.5, 0.45), "main"),
           ("poly", ((0.68, 0.45), (0.82, 0.1), (0.88, 0.12), (0.76, 0.5)), "main"),
           ("ellipse", (0.78, 0.02, 1.0, 0.17), "main"),
           ("rect", (0.16, 0.55, 0.23, 1.0), "main"), ("rect", (0.6, 0.55, 0.67, 1.0), "main")),
    _glyph("person", "person people man men woman women lord lords lady ladies trader traders scientist "
           "scientists vendor vendors minstrel knight knights astronaut astronauts figure figures child "
           "children crowd pedestrian pedestrians boy girl merchant merchants guest guests", "blue",
           (0.08, 0.26), "ground",
           ("ellipse", (0.28, 0.0, 0.72, 0.2), "tan"), ("rect", (0.1, 0.2, 0.9, 0.62), "main"),
           ("rect", (0.18, 0.62, 0.42, 1.0), "shade"), ("rect", (0.58, 0.62, 0.82, 1.0), "shade")),
    _glyph("alien", "alien aliens creature creatures martian", "lime", (0.1, 0.24), "ground",
           ("line", ((0.3, 0.0), (0.38, 0.16)), 0.06, "main"), ("line", ((0.7, 0.0), (0.62, 0.16)), 0.06, "main"),
           ("ellipse", (0.15, 0.1, 0.85, 0.4), "main"), ("ellipse", (0.1, 0.35, 0.9, 0.8), "main"),
           ("rect", (0.25, 0.75, 0.4, 1.0), "main"), ("rect", (0.6, 0.75, 0.75, 1.0), "main")),
    _glyph("robot", "robot robots android machine machines nanobot nanobots", "silver", (0.12, 0.26), "ground",
           ("rect", (0.25, 0.0, 0.75, 0.25), "main"), ("rect", (0.05, 0.3, 0.95, 0.7), "main"),
           ("rect", (0.45, 0.25, 0.55, 0.3), "main"), ("ellipse", (0.33, 0.07, 0.45, 0.17), "cyan"),
           ("ellipse", (0.55, 0.07, 0.67, 0.17), "cyan"),
           ("rect", (0.2, 0.7, 0.38, 1.0), "shade"), ("rect", (0.62, 0.7, 0.8, 1.0), "shade")),
    _glyph("screen", "screen screens monitor monitors display displays hologram holograms sign signs "
           "billboard billboards", "cyan", (0.2, 0.16), "wall",
           ("rect", (0.0, 0.0, 1.0, 0.85), "main"), ("rect", (0.08, 0.1, 0.92, 0.75), "shade"),
           ("rect", (0.42, 0.85, 0.58, 1.0), "dark grey")),
    _glyph("house", "house houses home cottage shop shops stall stalls hut", "beige", (0.24, 0.24), "ground",
           ("poly", ((0.0, 0.42), (0.5, 0.0), (1.0, 0.42)), "red"), ("rect", (0.08, 0.42, 0.92, 1.0), "main"),
           ("rect", (0.4, 0.65, 0.6, 1.0), "brown")),
    _glyph("building", "building buildings tower towers skyscraper skyscrapers city",
           "grey", (0.18, 0.5), "ground",
           ("rect", (0.0, 0.0, 1.0, 1.0), "main"),
           *[("rect", (x, y, x + 0.2, y + 0.08), "yellow") for x in (0.15, 0.6) for y in (0.1, 0.3, 0.5, 0.7)]),
    _glyph("mosque", "mosque mosques temple palace castle church cathedral dome", "beige", (0.3, 0.36), "ground",
           ("ellipse", (0.2, 0.05, 0.8, 0.6), "gold"), ("rect", (0.1, 0.35, 0.9, 1.0), "main"),
           ("rect", (0.0, 0.0, 0.08, 1.0), "main"), ("rect", (0.92, 0.0, 1.0, 1.0), "main")),
    _glyph("crystal", "crystal crystals crystalline spire spires obelisk pyramid pyramids structure "
           "structures", "light blue", (0.12, 0.5), "ground",
           ("poly", ((0.5, 0.0), (1.0, 0.25), (0.8, 1.0), (0.2, 1.0), (0.0, 0.25)), "main"),
           ("poly", ((0.5, 0.0), (0.62, 0.3), (0.5, 1.0), (0.38, 0.3)), "white")),
    _glyph("mountain", "mountain mountains hill hills", "grey", (0.5, 0.32), "ground",
           ("poly", ((0.0, 1.0), (0.5, 0.0), (1.0, 1.0)), "main"),
           ("poly", ((0.38, 0.24), (0.5, 0.0), (0.62, 0.24)), "white")),
    _glyph("table", "table tables desk desks counter counters bench benches cart carts", "brown", (0.5, 0.2),
           "ground",
           ("rect", (0.0, 0.0, 1.0, 0.2), "main"), ("rect", (0.06, 0.2, 0.14, 1.0), "shade"),
           ("rect", (0.86, 0.2, 0.94, 1.0), "shade")),
    _glyph("window", "window windows doorway doorways door doors", "light blue", (0.2, 0.24), "wall",
           ("rect", (0.0, 0.0, 1.0, 1.0), "white"), ("rect", (0.08, 0.08, 0.46, 0.46), "main"),
           ("rect", (0.54, 0.08, 0.92, 0.46), "main"), ("rect", (0.08, 0.54, 0.46, 0.92), "main"),
           ("rect", (0.54, 0.54, 0.92, 0.92), "main")),
    _glyph("bus", "bus buses tram trams train trains truck trucks van", "red", (0.48, 0.22), "ground",
           ("rect", (0.0, 0.0, 1.0, 0.82), "main"),
           *[("rect", (x, 0.12, x + 0.14, 0.4), "light blue") for x in (0.06, 0.26, 0.46, 0.66)],
           ("ellipse", (0.1, 0.66, 0.28, 1.0), "black"), ("ellipse", (0.72, 0.66, 0.9, 1.0), "black")),
    _glyph("car", "car cars taxi taxis automobile", "blue", (0.26, 0.12), "ground",
           ("rect", (0.0, 0.35, 1.0, 0.78), "main"), ("poly", ((0.2, 0.35), (0.32, 0.0), (0.7, 0.0), (0.82, 0.35)),
                                                       "main"),
           ("ellipse", (0.1, 0.6, 0.3, 1.0), "black"), ("ellipse", (0.7, 0.6, 0.9, 1.0), "black")),
    _glyph("bicycle", "bicycle bicycles bike bikes", "black", (0.24, 0.14), "ground",
           ("ellipse", (0.0, 0.4, 0.4, 1.0), "main"), ("ellipse", (0.6, 0.4, 1.0, 1.0), "main"),
           ("erase", (0.06, 0.49, 0.34, 0.91), ""), ("erase", (0.66, 0.49, 0.94, 0.91), ""),
           ("line", ((0.2, 0.7), (0.45, 0.2), (0.8, 0.7)), 0.06, "red"),
           ("line", ((0.45, 0.2), (0.75, 0.2)), 0.06, "red")),
    _glyph("umbrella", "umbrella umbrellas parasol", "purple", (0.16, 0.18), "any",
           ("ellipse", (0.0, 0.0, 1.0, 0.8), "main"), ("erase", (-0.1, 0.4, 1.1, 1.3), ""),
           ("line", ((0.5, 0.4), (0.5, 0.95), (0.4, 1.0)), 0.07, "dark grey")),
    _glyph("boat", "boat boats ship ships sailboat", "white", (0.26, 0.24), "ground",
           ("poly", ((0.0, 0.7), (1.0, 0.7), (0.82, 1.0), (0.18, 1.0)), "brown"),
           ("poly", ((0.5, 0.0), (0.5, 0.65), (0.9, 0.65)), "main")),
    _glyph("rocket", "rocket rockets spaceship spaceships capsule capsules vehicle vehicles spacecraft "
           "shuttle", "silver", (0.1, 0.3), "sky",
           ("ellipse", (0.2, 0.0, 0.8, 0.4), "main"), ("rect", (0.2, 0.2, 0.8, 0.85), "main"),
           ("poly", ((0.2, 0.6), (0.0, 1.0), (0.2, 0.85)), "red"),
           ("poly", ((0.8, 0.6), (1.0, 1.0), (0.8, 0.85)), "red"), ("ellipse", (0.35, 0.3, 0.65, 0.45), "cyan")),
    _glyph("planet", "planet planets earth globe world", "blue", (0.28, 0.28), "sky",
           ("ellipse", (0.0, 0.0, 1.0, 1.0), "main"), ("ellipse", (0.15, 0.2, 0.5, 0.5), "green"),
           ("ellipse", (0.5, 0.55, 0.8, 0.8), "green")),
    _glyph("lamp", "lamp lamps lantern lanterns streetlight candle candles torch torches", "yellow",
           (0.06, 0.3), "ground",
           ("ellipse", (0.0, 0.0, 1.0, 0.18), "main"), ("rect", (0.38, 0.12, 0.62, 1.0), "dark grey")),
    _glyph("guitar", "guitar guitars lute lutes violin instrument", "orange", (0.08, 0.22), "any",
           ("ellipse", (0.0, 0.45, 1.0, 1.0), "main"), ("rect", (0.4, 0.0, 0.6, 0.5), "brown"),
           ("ellipse", (0.35, 0.62, 0.65, 0.82), "black")),
    _glyph("cup", "cup cups mug mugs glass goblet goblets vase bowl bowls", "white", (0.07, 0.08), "any",
           ("rect", (0.0, 0.0, 0.8, 1.0), "main"), ("ellipse", (0.6, 0.2, 1.0, 0.7), "main"),
           ("erase", (0.72, 0.33, 0.9, 0.57), "")),
    _glyph("sack", "sack sacks spice spices bag bags basket baskets goods pile silk silks food", "orange",
           (0.12, 0.1), "ground",
           ("poly", ((0.0, 1.0), (0.15, 0.3), (0.5, 0.0), (0.85, 0.3), (1.0, 1.0)), "main")),
)


# Nouns whose thing has a colour of its own when the text names none.
NOUN_COLOURS = {
    "astronaut": "white", "astronauts": "white", "knight": "silver", "knights": "silver", "lord": "purple",
    "lords": "purple", "lady": "pink", "ladies": "pink", "scientist": "white", "scientists": "white",
    "trader": "brown", "traders": "brown", "minstrel": "green", "vendor": "red", "vendors": "red",
    "earth": "blue", "tulip": "red", "tulips": "red", "rose": "red", "roses": "red", "blossom": "pink",
    "blossoms": "pink", "kitten": "orange", "robin": "orange", "parrot": "green", "taxi": "yellow",
    "taxis": "yellow", "horse": "brown", "horses": "brown", "donkey": "grey", "spice": "orange",
    "spices": "orange", "silk": "purple", "silks": "purple", "food": "orange", "hologram": "cyan",
    "holograms": "cyan", "pyramid": "tan", "pyramids": "tan", "hill": "green", "hills": "green",
}


def glyph_by_noun() -> dict[str, Glyph]:
    """Every noun the painter understands, mapped to its glyph."""
    return {noun: glyph for glyph in GLYPHS for noun in glyph.nouns}
