"""Re-read an alert's full line from its file, given its compact row."""

from __future__ import annotations

import logging

from tui.parsing.alert import Alert
from tui.parsing.located import AlertRow, decode_line
from tui.parsing.parser import parse_line

logger = logging.getLogger(__name__)

UNREADABLE_NOTE = (
    "The line of this alert could not be read back from its file (it was "
    "rotated, truncated or changed); only the list columns are shown."
)


def read_alert(row: AlertRow) -> Alert:
    """Parse the line of ``row``, read from its file unless kept, into the alert.

    When the file no longer contains the same alert at that offset, return an
    alert built from the row's columns with a note in ``extra``.
    """
    if row.raw is not None:
        return _matching_alert(row, row.raw)
    try:
        data = _read_bytes(row)
    except OSError as error:
        logger.warning("re-reading %s at %d failed: %s", row.origin, row.offset, error)
        return alert_from_row(row)

    text = decode_line(data, row.origin, row.line_no)
    if isinstance(text, str):
        return _matching_alert(row, text)
    logger.warning("%s changed: no alert at offset %d", row.origin, row.offset)
    return alert_from_row(row)


def _read_bytes(row: AlertRow) -> bytes:
    """Read the row's line from its open file, or from its path without one."""
    if row.file is not None:
        return row.file.read(row.offset, row.length)
    with open(row.origin, "rb") as stream:
        stream.seek(row.offset)
        return stream.read(row.length)


def alert_from_line(row: AlertRow, data: bytes) -> Alert:
    """Parse ``data``, the bytes at ``row``'s offset, as ``read_alert`` would.

    For callers that read many lines of a file in one block.
    """
    text = decode_line(data, row.origin, row.line_no)
    if isinstance(text, str):
        return _matching_alert(row, text)
    logger.warning("%s changed: no alert at offset %d", row.origin, row.offset)
    return alert_from_row(row)


def _matching_alert(row: AlertRow, text: str) -> Alert:
    """Parse ``text`` and return its alert with the row's rule, priority and time."""
    alert = find_matching_alert(row, text)
    if alert is not None:
        alert.line_source = line_source(row)
        return alert
    logger.warning("%s line %d: no matching alert", row.origin, row.line_no)
    return alert_from_row(row)


def line_source(row: AlertRow) -> str:
    """Return where the row's line is read from, or "" for its own file."""
    if row.file is None:
        return ""
    if row.file.path != row.origin:
        return f"{row.file.path}:{row.line_no}"
    if row.file.rotated:
        return f"{row.origin} before rotation, line {row.line_no}"
    return ""


def find_matching_alert(row: AlertRow, text: str) -> Alert | None:
    """Parse ``text``; return its alert with the row's rule, priority and time.

    Return None when the line contains no such alert. Comparing the time too
    keeps a line that replaced the row's line after a truncation from
    passing as the row's alert.
    """
    for item in parse_line(text, row.origin, row.line_no):
        same_rule = isinstance(item, Alert) and item.rule == row.rule
        if same_rule and item.priority is row.priority and item.time_ns == row.time_ns:
            return item
    return None


def alert_from_row(row: AlertRow) -> Alert:
    """Build an alert from the list columns alone, noting the line is missing."""
    return Alert(
        rule=row.rule,
        priority=row.priority,
        time_ns=row.time_ns,
        source=row.source,
        hostname=row.hostname,
        origin=row.origin,
        line_no=row.line_no,
        extra={"note": UNREADABLE_NOTE},
    )
