"""The app in a pseudo-terminal, as a person runs it: the raw bytes it writes, and keys sent as a terminal
sends them."""

from __future__ import annotations

import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

ROOT = Path(__file__).parents[3]


def start_in_pty(arguments: list[str], rows: int = 40, columns: int = 120) -> tuple[subprocess.Popen[bytes], int]:
    """``aitelephone-tui arguments`` in a ``columns``×``rows`` pseudo-terminal: the process and the terminal's
    end to read what it writes and to type into."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
    environment.pop("ESCDELAY", None)
    code = f"from tui.app.app import main; main({arguments!r})"
    app = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(follower)
    return app, leader


def read_for(leader: int, seconds: float) -> bytes:
    """What the app writes within ``seconds`` (less when it closes the terminal)."""
    data = b""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([leader], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_until(leader: int, wanted: bytes, seconds: float = 30) -> bytes:
    """What the app writes until ``wanted`` appears in it, ``seconds`` at most."""
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        seen += read_for(leader, 0.2)
    return seen


def quit_app(app: subprocess.Popen[bytes], leader: int) -> bytes:
    """Ctrl+Q, then what the app wrote while quitting; it is killed if it has not quit 10 s later."""
    os.write(leader, b"\x11")
    written = read_for(leader, 0.5)
    try:
        app.wait(10)
    except subprocess.TimeoutExpired:
        app.kill()
    written += read_for(leader, 0.5)
    os.close(leader)
    return written
