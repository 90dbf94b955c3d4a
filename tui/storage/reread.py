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
        with open(row.origin, "rb") as stream:
            stream.seek(row.offset)
            data = stream.read(row.length)
    except OSError as error:
        logger.warning("re-reading %s at %d failed: %s", row.origin, row.offset, error)
        return alert_from_row(row)

    text = decode_line(data, row.origin, row.line_no)
    if isinstance(text, str):
        return _matching_alert(row, text)
    logger.warning("%s changed: no alert at offset %d", row.origin, row.offset)
    return alert_from_row(row)


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
    """Parse ``text`` and return its alert with the row's rule and priority."""
    for item in parse_line(text, row.origin, row.line_no):
        same_rule = isinstance(item, Alert) and item.rule == row.rule
        if same_rule and item.priority is row.priority:
            return item
    logger.warning("%s line %d: no matching alert", row.origin, row.line_no)
    return alert_from_row(row)


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
