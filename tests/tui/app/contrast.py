"""Contrast as WCAG 2 measures it, of every character the app draws: the ratio of the relative luminances of
its colour and its background, from 1 (none) to 21 (black on white). Text needs at least 4.5."""

from __future__ import annotations

import unicodedata

from textual.app import App
from textual.color import Color

TEXT_CONTRAST = 4.5


def luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: tuple[int, int, int], background: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def is_text(characters: str) -> bool:
    """Letters and digits are text; block, box and bar characters (pictures, borders, bars) are not."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in characters)


def low_contrast_text(app: App[object]) -> list[str]:
    """Every run of text on the screen as the terminal gets it, after the app's colour filters, whose contrast
    with its own background is under 4.5:1 ("ratio colour/background: text"). A letter drawn in its background's
    own colour is not shown at all (an unticked box's X), so it is not text a person reads."""
    background = Color.parse(app.current_theme.background or "#000000")
    found = []
    for strip in app.screen._compositor.render_strips():
        segments = list(strip)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, background)
        for segment in segments:
            style = segment.style
            if style is None or not is_text(segment.text):
                continue
            assert style.color is not None and style.bgcolor is not None, f"no colour for {segment.text!r}"
            fore, back = style.color.get_truecolor(), style.bgcolor.get_truecolor()
            if style.reverse:
                fore, back = back, fore
            fore_rgb, back_rgb = (fore.red, fore.green, fore.blue), (back.red, back.green, back.blue)
            if style.dim:  # a terminal draws dim text about halfway to the background
                fore_rgb = (
                    round((fore_rgb[0] + back_rgb[0]) / 2),
                    round((fore_rgb[1] + back_rgb[1]) / 2),
                    round((fore_rgb[2] + back_rgb[2]) / 2),
                )
            ratio = contrast(fore_rgb, back_rgb)
            if ratio < TEXT_CONTRAST and fore_rgb != back_rgb:  # (drawn in its background's colour: not shown)
                found.append(f"{ratio:.2f} {fore_rgb}/{back_rgb}: {segment.text.strip()}")
    return found
