"""Write alerts back out as JSON Lines holding their original lines."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tui.parsing.alert import Alert


def export_lines(alerts: Iterable[Alert], path: Path | str) -> int:
    """Write each alert's original line to a new file ``path``; return the count.

    Raises FileExistsError rather than overwrite a file, and OSError when the
    file cannot be written. Lines are written as UTF-8 ending in ``\\n``.
    """
    # NOTE: lines read as UTF-16 or ending in CRLF come out as UTF-8 with LF,
    # because the store keeps the decoded line without its line ending.
    count = 0
    with open(path, "x", encoding="utf-8", newline="\n") as stream:
        count = write_lines(alerts, stream)
    return count


def write_lines(alerts: Iterable[Alert], stream) -> int:
    """Write each alert's original line to a text ``stream``; return the count."""
    count = 0
    for alert in alerts:
        stream.write(alert.raw)
        stream.write("\n")
        count += 1
    return count
