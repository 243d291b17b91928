"""The Textual app: `aitelephone-tui`."""

import tui.app.quick_escape  # noqa: F401 - sets ESCDELAY before Textual is imported
from tui.app.terminal_probe import import_textual_image_quietly

import_textual_image_quietly()  # before any module of the app imports textual-image
