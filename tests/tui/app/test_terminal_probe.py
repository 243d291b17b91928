"""What the terminal answers decides how pictures are drawn; anything missing, late or garbled means half cells."""

import os
import pty
import threading
import time

from tui.app.terminal_probe import TerminalAnswers, ask_terminal, choose_pictures, parse_answers

XTERM = b"\x1bP>|XTerm(379)\x1b\\\x1b[?1;0;1024S\x1b[?2;0;720;520S\x1b[?63;1;2;4;6;9;15;16;22;28c"
KITTY_026 = b"\x1bP>|kitty(0.26.5)\x1b\\\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;c"
KITTY_035 = b"\x1bP>|kitty(0.35.2)\x1b\\\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;c"


def test_xterm_as_a_vt340_draws_sixel_within_its_limits():
    answers = parse_answers(XTERM, window_pixels=(40, 120, 720, 520))
    setup = choose_pictures("auto", answers)
    assert setup.mode == "sixel"
    assert (setup.cell, setup.sixel_limit, setup.colour_registers) == ((6, 13), (720, 520), 256)
    assert "XTerm(379)" in setup.describe()


def test_kitty_before_0_28_has_no_placeholders_and_gets_half_cells():
    setup = choose_pictures("auto", parse_answers(KITTY_026))
    assert setup.mode == "halfcell"
    assert "without Unicode placeholders" in setup.reason


def test_kitty_with_placeholders_draws_kitty_graphics():
    assert choose_pictures("auto", parse_answers(KITTY_035)).mode == "kitty"


def test_silence_garbage_and_unbelievable_numbers_mean_half_cells():
    assert choose_pictures("auto", parse_answers(b"")).mode == "halfcell"
    assert choose_pictures("auto", parse_answers(b"\x1b[?4c"[:-1] + b"\xff\x00garbage")).mode == "halfcell"
    # Sixel, but a cell 0 pixels wide and a 10^9-pixel graphic are not believed: no cell size, so half cells.
    answers = parse_answers(b"\x1b[6;0;0t\x1b[?2;0;999999999;1S\x1b[?4c")
    assert (answers.cell, answers.sixel_limit) == (None, None)
    assert choose_pictures("auto", answers).mode == "halfcell"


def test_a_forced_mode_is_kept_whatever_the_terminal_says():
    assert choose_pictures("sixel", TerminalAnswers()).mode == "sixel"
    assert choose_pictures("unicode", parse_answers(XTERM)).reason == "chosen with --images"


def _terminal_answering(reply: bytes | None, delay: float) -> tuple[int, int, threading.Thread]:
    """A pseudo-terminal whose far end answers ``reply`` ``delay`` seconds after the queries arrive."""
    main, follower = pty.openpty()

    def answer() -> None:
        os.read(main, 4096)
        if reply is not None:
            time.sleep(delay)
            os.write(main, reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return main, follower, thread


def test_the_probe_reads_a_real_terminal_answer():
    main, follower, thread = _terminal_answering(XTERM, 0.0)
    try:
        answers = ask_terminal(follower, follower, timeout=5.0)
    finally:
        thread.join(5)
        os.close(main)
        os.close(follower)
    assert answers.answered and answers.sixel and answers.version == "XTerm(379)"


def test_a_terminal_that_never_answers_costs_the_timeout_and_no_more():
    main, follower, thread = _terminal_answering(None, 0.0)
    started = time.monotonic()
    try:
        answers = ask_terminal(follower, follower, timeout=0.3)
    finally:
        os.close(main)
        os.close(follower)
    assert not answers.answered
    assert choose_pictures("auto", answers).mode == "halfcell"
    assert time.monotonic() - started < 5.0  # bounded by the timeout, never a hang
