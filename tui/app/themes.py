"""The app's two themes: Textual's dark and light, with every text colour raised to at least 4.5:1 on the
background it is drawn on (projectors wash colours out), and the game's own colours: the text that was drawn
(red in the article's figures), the caption that came back (green) and the drift bar."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

# Colours the app's own widgets use, by theme variable name; each is checked against its backgrounds in tests.
GAME_COLOURS = ("telephone-drawn", "telephone-caption", "telephone-bar", "telephone-muted")


def _derived(base: str, name: str, primary: str, variables: dict[str, str]) -> Theme:
    theme = BUILTIN_THEMES[base]
    return Theme(
        name=name,
        primary=primary,
        secondary=theme.secondary,
        warning=theme.warning,
        error=theme.error,
        success=theme.success,
        accent=theme.accent,
        foreground=theme.foreground,
        background=theme.background,
        surface=theme.surface,
        panel=theme.panel,
        boost=theme.boost,
        dark=theme.dark,
        variables={**theme.variables, **variables},
    )


DARK = _derived(
    "textual-dark",
    "telephone-dark",
    "#0A62AE",  # Textual's #0178D4 under white text is 3.8:1; this blue is 6:1
    {
        "telephone-drawn": "#FF8A80",
        "telephone-caption": "#7EE787",
        "telephone-bar": "#FFC857",
        "telephone-muted": "#B0B0B0",
        "text-muted": "#B0B0B0",
        "text-disabled": "#9A9A9A",
        "text-error": "#FF8FA3",
        "block-cursor-foreground": "#FFFFFF",
        "footer-key-foreground": "#FFB454",
        "footer-description-foreground": "#E8E8E8",
    },
)
LIGHT = _derived(
    "textual-light",
    "telephone-light",
    "#004578",
    {
        "telephone-drawn": "#A3201A",
        "telephone-caption": "#14632A",
        "telephone-bar": "#6B4500",
        "telephone-muted": "#474747",
        "text-muted": "#474747",
        "text-disabled": "#4F4F4F",
        "text-error": "#8E1F33",
        "text-success": "#1E5E30",
        "text-warning": "#6B4500",
        "block-cursor-foreground": "#FFFFFF",
        "footer-key-foreground": "#004F8B",
        "footer-description-foreground": "#1F1F1F",
    },
)
THEMES = (DARK, LIGHT)
