"""Sixel that stays inside its cells: whole bands, no graphics newline after the last, every register defined
before use and none of them the background's register 0."""

import re

from PIL import Image
from textual.geometry import Region

from tui.app.sixel import encode_sixel
from tui.app.terminal_probe import PictureSetup
from tui.app.widgets.sixel_picture import place_picture


def test_a_picture_is_whole_bands_with_no_newline_after_the_last():
    picture = Image.new("RGB", (30, 24), (200, 30, 30))
    picture.paste((0, 0, 255), (0, 0, 10, 24))
    sixels = encode_sixel(picture, 16)
    assert sixels.startswith('\x1bP0;1;0q"1;1;30;24') and sixels.endswith("\x1b\\")
    body = sixels[len('\x1bP0;1;0q"1;1;30;24') : -2]
    assert not body.endswith("-") and body.count("-") == 24 // 6 - 1
    defined = re.findall(r"#(\d+);2;", body)
    used = set(re.findall(r"#(\d+)(?![;\d])", body))
    assert defined[0] == "0" and "0" not in used and used <= set(defined)  # 0: the background, never drawn
    assert body.index(";2;") < body.index("~")  # registers first, then pixels


def test_a_picture_keeps_off_the_last_row_and_within_the_terminal_limit():
    setup = PictureSetup("sixel", "test", cell=(6, 13), sixel_limit=(300, 300))
    placement = place_picture((1024, 1024), Region(0, 1, 78, 39), screen_rows=40, setup=setup)
    assert placement is not None
    rows_drawn = -(-placement.height // 13)
    assert placement.row + rows_drawn <= 39  # the last row (39) is never reached
    assert placement.height % 6 == 0 and placement.width <= 300 and placement.height <= 300
