"""Cut lists and objects nested too deeply to handle in alert values.

orjson 3.13 decodes JSON nested up to 1024 levels, but code that walks such
a value raises long before that. ``repr``, ``json.dumps`` and Rich's pretty
printer raise ``RecursionError`` near Python's limit of 1000 frames, and
orjson's encoder raises ``TypeError`` from 255 levels on. Falco's own
alerts nest a value two or three levels at most, so the parser replaces any
list or object deeper than ``MAX_NESTING`` levels with the text ``TOO_DEEP``. Every later
step (fingerprint, display, report, export as JSON) then walks a bounded
value.
"""

from __future__ import annotations

from typing import Any

MAX_NESTING = 32
"""Levels of lists and objects one alert value may have, itself included."""

TOO_DEEP = f"<nested more than {MAX_NESTING} levels deep, not shown>"
"""The text that replaces a list or object nested deeper than allowed."""


def limit_nesting(value: Any, levels: int = MAX_NESTING) -> Any:
    """Return ``value``, or a copy with lists and objects below ``levels`` cut.

    A list or object at level ``levels + 1`` (``value`` itself is level 1)
    becomes ``TOO_DEEP``. ``value`` is never changed, and is returned as it
    is when nothing had to be cut, so a normal alert costs no copy. The
    recursion stops at ``levels``, so it is safe on any input.
    """
    if not isinstance(value, (dict, list)):
        return value
    if levels <= 0:
        return TOO_DEEP

    copy = None
    keys = value.keys() if isinstance(value, dict) else range(len(value))
    for key in keys:
        item = value[key]
        if not isinstance(item, (dict, list)):
            continue
        limited = limit_nesting(item, levels - 1)
        if limited is not item:
            if copy is None:
                copy = value.copy()
            copy[key] = limited
    return value if copy is None else copy
