"""Escape without the wait: a lone Escape byte might start a key's escape sequence, so the terminal driver
holds it until nothing follows. Textual waits ``ESCDELAY`` (100 ms) and then notices only at its next poll of
the input, up to 100 ms more: Escape took 180 ms to leave the stage. Here the input is polled every 10 ms
while an Escape is pending, and ``ESCDELAY`` defaults to 25 ms (the value often advised for tmux's
escape-time; a terminal sends a key's whole sequence in one write). A user's own ``ESCDELAY`` wins."""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

os.environ.setdefault("ESCDELAY", "25")  # read when Textual is first imported: this module comes before it

from textual._parser import ParseError  # noqa: E402
from textual._xterm_parser import XTermParser  # noqa: E402
from textual.drivers.linux_driver import LinuxDriver  # noqa: E402

IDLE_POLL_SECONDS = 0.1  # Textual's own
PENDING_POLL_SECONDS = 0.01  # while the parser holds an Escape


class QuickEscapeDriver(LinuxDriver):
    def run_input_thread(self) -> None:
        """Textual's input loop, with a short poll while the parser may be holding an Escape."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        holding_escape = False

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            nonlocal holding_escape
            for _key, mask in events:
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(self.fileno, 4096), final=final)
                    if not data:
                        break
                    holding_escape = data.endswith("\x1b")
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                holding_escape = False
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(PENDING_POLL_SECONDS if holding_escape else IDLE_POLL_SECONDS))
            selector.unregister(self.fileno)
            process(selector.select(IDLE_POLL_SECONDS), final=True)
        finally:
            selector.close()
            try:
                for _ in parser.feed(""):
                    pass
            except (EOFError, ParseError):  # the end of input, as Textual ends it
                pass
