"""Every text colour on its background at least 4.5:1, in every theme the app offers, computed from the themes'
colours (test_every_screen.py measures what every screen actually draws, at three sizes, in both themes)."""

from __future__ import annotations

import pytest
from textual.theme import Theme

from tests.tui.app.contrast import TEXT_CONTRAST, contrast
from tests.tui.app.helpers import (
    make_app,
)
from tui.app.themes import GAME_COLOURS, THEMES

TEXT_COLOURS = (
    *GAME_COLOURS,
    "foreground",
    "text-muted",
    "text-disabled",
    "text-error",
    "text-warning",
    "text-success",
)
BACKGROUNDS = ("background", "surface", "panel")


def rgb(theme: Theme, name: str) -> tuple[int, int, int]:
    from textual.color import Color

    colour = Color.parse({**theme.to_color_system().generate(), **theme.variables}[name])
    return colour.r, colour.g, colour.b


@pytest.mark.parametrize("theme", THEMES, ids=[theme.name for theme in THEMES])
def test_the_themes_text_colours_reach_4_5_on_their_backgrounds(theme):
    ratios = {
        (fore, back): contrast(rgb(theme, fore), rgb(theme, back)) for fore in TEXT_COLOURS for back in BACKGROUNDS
    }
    ratios["block-cursor-foreground", "block-cursor-background"] = contrast(
        rgb(theme, "block-cursor-foreground"), rgb(theme, "block-cursor-background")
    )
    ratios["footer-key-foreground", "footer-background"] = contrast(
        rgb(theme, "footer-key-foreground"), rgb(theme, "footer-background")
    )
    low = {pair: round(ratio, 2) for pair, ratio in ratios.items() if ratio < TEXT_CONTRAST}
    assert not low


async def test_the_app_offers_only_its_own_two_themes(tmp_path):
    """Textual's theme picker would offer themes nobody checked; Ctrl+T switches between the app's two."""
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme" not in titles and "Quit" in titles
        assert app.theme == THEMES[0].name
        await pilot.press("ctrl+t")
        assert app.theme == THEMES[1].name
        await pilot.press("ctrl+t")
        assert app.theme == THEMES[0].name
