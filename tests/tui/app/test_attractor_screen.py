"""The attractor view beside the leaderboard, driven with Pilot on a run whose grouping is known."""

from __future__ import annotations

from textual.widgets import DataTable, Label, Static

from tests.tui.app.helpers import make_app, scenes_tournament, wait_until
from tui.app.screens.attractor_screen import AttractorScreen
from tui.app.screens.leaderboard_screen import LeaderboardScreen


async def test_attractors_open_from_the_leaderboard_and_regroup_with_the_threshold(tmp_path, catalog):
    app = make_app(tmp_path, replay=scenes_tournament(tmp_path, catalog))
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("ctrl+l", "a")  # the browser's leaderboard key (letters filter the list)
        screen = app.screen
        assert isinstance(screen, AttractorScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        rows = [table.get_row_at(index) for index in range(2)]
        prompts = sorted(" ".join(row[3].plain.split()) for row in rows)  # (wrapped to the column's width)
        assert prompts == ["room-apple, room-cat", "space-moon, space-rocket"]
        assert "2 attractors in 4 games" in str(screen.query_one("#status", Label).content)
        caption = screen.query_one("#exemplar-caption", Static).content
        await pilot.press("down")
        assert screen.query_one("#exemplar-caption", Static).content != caption, "each attractor its exemplar"

        await pilot.press(*["minus"] * 8)
        await wait_until(pilot, lambda: screen.report is not None and screen.report.threshold < 0.1)
        assert table.row_count == 0 and "4 unique end states" in str(screen.query_one("#status", Label).content)
        assert "no two of its 4 games end alike" in str(screen.query_one("#why-none", Label).content)
        await pilot.press("escape")
        assert isinstance(app.screen, LeaderboardScreen)
