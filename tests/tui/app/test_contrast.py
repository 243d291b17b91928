"""Every text colour on its background at least 4.5:1, in every theme the app offers: computed from the themes'
colours, and measured on what every screen actually draws."""

from __future__ import annotations

import pytest
from textual.theme import Theme

from tests.tui.app.contrast import TEXT_CONTRAST, contrast, low_contrast_text
from tests.tui.app.helpers import (
    browser_ready,
    leaderboard_ready,
    make_app,
    play_from_picker,
    saved_run,
    settle_images,
    wait_until,
)
from tui.app.screens.leaderboard_screen import LeaderboardScreen
from tui.app.screens.tournament_screen import TournamentScreen
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


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES, ids=[theme.name for theme in THEMES])
async def test_every_screen_draws_its_text_at_4_5_or_more(tmp_path, offline_line, tournament_run, theme):
    saved_run(tmp_path / "runs", offline_line, turns=2)
    app = make_app(tmp_path)
    seen: dict[str, list[str]] = {}

    async def look(name: str) -> None:
        await settle_images(pilot)
        seen[name] = low_contrast_text(app)

    async with app.run_test(size=(120, 34)) as pilot:
        app.theme = theme.name
        await look("picker")
        await pilot.press("tab")
        await look("picker, second list focused")
        await pilot.press("question_mark")
        await look("help")
        await pilot.press("escape")
        await play_from_picker(pilot, 2)
        await look("finished game")
        await pilot.press("f")
        await look("game on the stage")
        await pilot.press("escape", "escape", "ctrl+r")
        await wait_until(pilot, lambda: browser_ready(app))
        await look("browser")
        await pilot.press("enter")
        await look("replay")
        await pilot.press("f")
        await look("replay on the stage")
        app.notify("the model refused the picture", title="Game ended", severity="error")
        await look("error toast")
        app.push_screen(LeaderboardScreen(tournament_run))
        await wait_until(pilot, lambda: leaderboard_ready(app))
        await look("leaderboard")
        app.push_screen(
            TournamentScreen(app.catalog, {"t2i": "sketch-painter", "i2t": "sketch-reader", "embed": "minilm"}, 2)
        )
        await wait_until(pilot, lambda: isinstance(app.screen, TournamentScreen))
        await look("tournament plan")
    assert {name: found for name, found in seen.items() if found} == {}


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
