"""Escape leaves the stage without Textual's full escape delay, and the keys whose sequences start with an
Escape byte still arrive whole (an arrow is never read as Escape and two letters)."""

from __future__ import annotations

import os
import pty
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

import pytest

from tests.tui.app.test_hostile_replay import _read

WAIT_SECONDS = 30


def _read_until(leader: int, wanted: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + WAIT_SECONDS
    while wanted not in seen and time.monotonic() < deadline:
        seen += _read(leader, 0.2)
    return seen


@pytest.mark.slow
def test_an_arrow_steps_the_stage_and_a_lone_escape_leaves_it():
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    environment.pop("ESCDELAY", None)
    code = "from tui.app.app import main; main(['--demo', '--images', 'halfcell'])"
    app = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
        cwd=Path(__file__).parents[3],
        start_new_session=True,
    )
    os.close(follower)
    try:
        assert b"PROMPT" in _read_until(leader, b"PROMPT"), "the demo opens on the stage"
        os.write(leader, b" ")  # pause the demo: only keys change the screen from here
        _read(leader, 1.0)
        os.write(leader, b"\x1b[C")  # Right, one write as a terminal sends it
        stepped = _read(leader, 1.5)
        assert b"Turns" not in stepped, "the arrow was read as Escape: the stage was left"
        os.write(leader, b"\x1b")
        assert b"Turns" in _read_until(leader, b"Turns"), "a lone Escape leaves the stage"
        os.write(leader, b"\x11")  # ctrl+q
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
        os.close(leader)
    assert app.returncode == 0
