"""Priority label styles that stay readable in every theme and colour mode.

A theme's error and warning colours are picked as accents, not as text: in
``textual-dark`` the error red has a contrast of 3.1:1 on the surface and in
``textual-light`` the warning orange 1.4:1. The labels here take the theme's
colour and move it toward black or white until it reaches ``TARGET_CONTRAST``.
In 16 colours the theme's reds and orange all round to one red, so the labels
use the terminal's own red and yellow. With NO_COLOR they keep the text's
colour and differ only in weight, underline and reverse video.
"""

from __future__ import annotations

from rich.color import ColorSystem
from rich.style import Style
from textual.color import Color

from tui.parsing.alert import Priority

MIN_CONTRAST = 4.5
"""The WCAG 2 contrast ratio for normal text (level AA)."""

TARGET_CONTRAST = 5.0
"""The ratio aimed for, with a margin above ``MIN_CONTRAST``."""

LEVELS = {
    Priority.EMERGENCY: "critical",
    Priority.ALERT: "critical",
    Priority.CRITICAL: "critical",
    Priority.ERROR: "error",
    Priority.WARNING: "warning",
    Priority.NOTICE: "notice",
    Priority.INFORMATIONAL: "info",
    Priority.DEBUG: "info",
}
"""The five label styles: the three most severe priorities share one."""

SHAPES = {
    "critical": Style(bold=True, reverse=True),
    "error": Style(bold=True, underline=True),
    "warning": Style(bold=True),
    "notice": Style(),
    "info": Style(),
}
"""Text attributes that tell the levels apart without colour."""

STANDARD_COLOURS = {
    "critical": Color(255, 85, 85),
    "error": Color(255, 85, 85),
    "warning": Color(255, 255, 85),
}
"""Bright red and bright yellow for 16-colour mode, as the true colours of
Rich's 16-colour palette, so Rich rounds them to exactly ANSI 9 and 11. The
ANSI names themselves would pass through Textual's ANSI theme and round to
other colours. The other levels keep the text's colour."""


def relative_luminance(colour: Color) -> float:
    """Return the WCAG 2 relative luminance of ``colour`` (0 black, 1 white)."""

    def channel(value: int) -> float:
        scaled = value / 255
        if scaled <= 0.03928:
            return scaled / 12.92
        return ((scaled + 0.055) / 1.055) ** 2.4

    red, green, blue = colour.rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(first: Color, second: Color) -> float:
    """Return the WCAG 2 contrast ratio of two colours, from 1.0 to 21.0."""
    lighter, darker = sorted(
        (relative_luminance(first), relative_luminance(second)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def rounded(colour: Color, color_system: str | None) -> Color:
    """Return ``colour`` as a terminal of ``color_system`` (Rich's names) shows it."""
    if color_system != "256":
        return colour
    downgraded = colour.rich_color.downgrade(ColorSystem.EIGHT_BIT)
    return Color.from_rich_color(downgraded)


def readable(
    colour: Color,
    background: Color,
    color_system: str | None = "truecolor",
    target: float = TARGET_CONTRAST,
) -> Color:
    """Return ``colour`` blended toward black or white until it reaches ``target``.

    The blend goes toward whichever of black and white contrasts more with
    ``background``, in steps of 5%, so the hue stays as long as it can. The
    contrast is measured after rounding both colours to ``color_system``.
    """
    colour = background.blend(colour, colour.a)
    black, white = Color(0, 0, 0), Color(255, 255, 255)
    shown_background = rounded(background, color_system)
    toward = max(
        (black, white),
        key=lambda end: contrast_ratio(rounded(end, color_system), shown_background),
    )
    for step in range(21):
        blended = colour.blend(toward, step / 20)
        shown = rounded(blended, color_system)
        if contrast_ratio(shown, shown_background) >= target:
            return blended
    return toward


def label_style(
    level: str,
    theme_colour: Color | None,
    background: Color,
    color_system: str | None,
    no_color: bool,
) -> Style:
    """Return the style of one priority label on ``background``.

    ``theme_colour`` is the level's colour from the theme, or None for the
    text's colour. ``color_system`` is Rich's name for the terminal's colours
    (``standard`` is 16 colours).
    """
    shape = SHAPES[level]
    if no_color:
        return shape
    if color_system == "standard":
        colour = STANDARD_COLOURS.get(level)
        return shape + Style(color=colour.rich_color) if colour else shape
    if theme_colour is None:
        return shape
    colour = readable(theme_colour, background, color_system)
    return shape + Style(color=colour.rich_color)
