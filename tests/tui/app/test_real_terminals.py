"""The picture in real terminals: xterm draws Sixel, kitty 0.26 gets half cells; both keep the half-cell
layout and show every turn's picture (see ``tests/real_terminals.py``). Skipped where the terminals are not
installed (.ci/run installs them)."""

import pytest

from tests.real_terminals import CASES, missing_tools, run_case

JUDGED_IN_THE_SUITE = ("xterm-120x40", "kitty-120x40", "xterm-120x40-game")


@pytest.mark.slow
@pytest.mark.parametrize("case", [case for case in CASES if case.name in JUDGED_IN_THE_SUITE], ids=lambda c: c.name)
def test_pictures_keep_the_layout_and_show_each_turn(case, tmp_path):
    if missing := missing_tools((case.terminal,)):
        pytest.skip(f"not installed: {', '.join(missing)}")
    problems, screenshots = run_case(case, tmp_path)
    assert problems == []
    assert len(screenshots) == len(case.keys) + 1
