"""The Textual app: `aitelephone-tui`."""

from tui.app.terminal_probe import import_textual_image_quietly

import_textual_image_quietly()  # before any module of the app imports textual-image
