"""Make attacker-controlled text safe to show in a terminal.

Alert values come from the monitored system: command lines, file names and pod
names are chosen by whoever ran them. ``printable`` turns every character that
a terminal would act on into a visible escape, so nothing in an alert can move
the cursor, ring the bell, change colours or reorder text.
"""

from __future__ import annotations

import re
from typing import Any

from tui.parsing.nesting import limit_nesting

# C0 controls, DEL, C1 controls, the Unicode format characters that
# reorder or hide text (bidi overrides and isolates, zero-width joiners,
# line and paragraph separators, the BOM), and surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        # A file name byte that is not UTF-8 reaches a str as a lone surrogate
        # (os.fsdecode), which no UTF-8 output can encode.
        return "\ufffd"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(value: Any, limit: int | None = None) -> str:
    """Return ``value`` as text with every control character escaped.

    ``None`` becomes an empty string, and a list or object its ``str`` with
    levels nested too deeply cut (see ``limit_nesting``). With ``limit``, the
    result is cut to that many characters and ends with an ellipsis when it
    was longer.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        text = str(limit_nesting(value))
    if limit is not None and len(text) > limit * 4:
        # Escaping can only lengthen text, so trim huge values before the regex.
        text = text[: limit * 4]
    text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


def path_text(path: str) -> str:
    """Return ``path`` as text that UTF-8 can encode.

    ``os.fsdecode`` turns each byte of a file name that is not UTF-8 into a
    lone surrogate; each becomes U+FFFD, as in ``printable``. Control
    characters are kept, for outputs such as JSON that escape them.
    """
    return _SURROGATE.sub("\ufffd", path)


_SURROGATE = re.compile("[\ud800-\udfff]")
