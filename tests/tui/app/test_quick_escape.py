"""Escape leaves the stage without Textual's full escape delay, and the keys whose sequences start with an
Escape byte still arrive whole (an arrow is never read as Escape and two letters)."""

from __future__ import annotations

import os

import pytest

from tests.tui.app.pseudo_terminal import quit_app, read_for, read_until, start_in_pty


@pytest.mark.slow
def test_an_arrow_steps_the_stage_and_a_lone_escape_leaves_it():
    app, leader = start_in_pty(["--demo", "--images", "halfcell"])
    try:
        assert b"PROMPT" in read_until(leader, b"PROMPT"), "the demo opens on the stage"
        os.write(leader, b" ")  # pause the demo: only keys change the screen from here
        read_for(leader, 1.0)
        os.write(leader, b"\x1b[C")  # Right, one write as a terminal sends it
        assert b"Turns" not in read_for(leader, 1.5), "the arrow was read as Escape: the stage was left"
        os.write(leader, b"\x1b")
        assert b"Turns" in read_until(leader, b"Turns"), "a lone Escape leaves the stage"
    finally:
        quit_app(app, leader)
    assert app.returncode == 0
