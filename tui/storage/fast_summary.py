"""Count the alerts of a byte range of a plain file for ``falco-tui summary``.

The summary needs five values per alert and no byte offsets, so this module
reads big blocks, splits them into lines without building a ``LocatedLine``
each, and counts standard Falco JSON alerts by their raw ``(rule, priority,
source, hostname)`` values. Each distinct combination is checked and
converted once, when it is first seen. Every other line goes through
``parse_located``, as in the dashboard's index, so the figures are the same
as those of ``Summary.add(iter_rows(path))``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.lines import SAMPLE_CHARS

# The fast path checks the column values exactly as located._standard_row
# does, with its helpers.
from tui.parsing.located import (
    MAX_LINE_BYTES,
    PRIORITY_WORDS,
    AlertRow,
    LocatedLine,
    parse_located,
    quick_time,
    text_or_none,
)
from tui.parsing.standard import DECODE_ERRORS, decode_alert, is_utf8
from tui.parsing.text import printable
from tui.storage.summary import Summary

BLOCK_SIZE = 4 << 20
"""Bytes read at a time. Bigger blocks mean fewer, larger ``split`` calls."""

Columns = tuple[str, Priority, str | None, str | None]
"""The checked rule, priority, source and hostname of one alert."""


def summarize_range(
    path: str,
    start: int = 0,
    end: int | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Summary:
    """Count the alerts and skips of ``path`` from byte ``start`` up to ``end``.

    ``start`` must be a line start. With ``end`` None the file is read to its
    end. Raises ``OSError`` when the file cannot be read.
    """
    tally = ColumnTally()
    with open(path, "rb") as stream:
        for batch in iter_line_batches(stream, start, end, path, max_line_bytes):
            if isinstance(batch, Skip):
                tally.summary.add((batch,))
            else:
                tally.add_lines(batch, path)
    return tally.finish()


class ColumnTally:
    """Counts of alerts by their four columns, plus a ``Summary`` for the rest.

    ``finish`` folds the counts into the summary in the order each column
    value was first seen, so the ties in ``Summary.to_dict`` keep the order
    they have when alerts are added one by one.
    """

    def __init__(self) -> None:
        self.summary = Summary()
        """Skips and times are added at once, alert counts only by ``finish``."""
        self._raw_counts: dict[tuple[Any, ...], int] = {}
        self._raw_columns: dict[tuple[Any, ...], Columns | None] = {}
        """Each raw value tuple seen, checked: None when the fast path rejects it."""
        self._counts: dict[Columns, int] = {}
        """Alerts by checked columns, in the order the columns were first seen."""

    def add_lines(self, lines: list[bytes], origin: str) -> None:
        """Count the alerts and skips of complete lines (without their newline).

        This loop runs once per line of files of millions of lines, so the
        time range is kept in locals and the shape checks are written inline.
        """
        raw_counts = self._raw_counts
        first_ns = self.summary.first_ns
        last_ns = self.summary.last_ns
        decode = decode_alert
        rejected = DECODE_ERRORS

        for data in lines:
            # These checks are decode_standard's, inlined.
            alert = None
            if data.startswith(b'{"') and (data.isascii() or is_utf8(data)):
                try:
                    alert = decode(data)
                except rejected:
                    alert = None
            if alert is None:
                self._add_slow(data, origin)
                continue

            time_ns = quick_time(alert.time)
            raw = (alert.rule, alert.priority, alert.source, alert.hostname)
            if time_ns is None or self._columns(raw) is None:
                self._add_slow(data, origin)
                continue

            raw_counts[raw] = raw_counts.get(raw, 0) + 1
            if first_ns is None or time_ns < first_ns:
                first_ns = time_ns
            if last_ns is None or time_ns > last_ns:
                last_ns = time_ns

        for time_ns in (first_ns, last_ns):
            if time_ns is not None:
                self.summary.add_time(time_ns)

    def finish(self) -> Summary:
        """Fold the alert counts into the summary and return it."""
        counts = self._counts
        for raw, count in self._raw_counts.items():
            columns = self._raw_columns[raw]
            counts[columns] = counts.get(columns, 0) + count
        self._raw_counts.clear()

        summary = self.summary
        for (rule, priority, source, hostname), count in counts.items():
            summary.add_count(rule, priority, source, hostname, count)
        counts.clear()
        return summary

    def _columns(self, raw: tuple[Any, ...]) -> Columns | None:
        """Return the checked columns of ``raw``, or None for the slow path."""
        columns = self._raw_columns.get(raw, False)
        if columns is False:
            columns = self._check(raw)
        return columns

    def _check(self, raw: tuple[Any, ...]) -> Columns | None:
        """Check a new raw value tuple once and remember its columns."""
        columns = _standard_columns(*raw)
        self._raw_columns[raw] = columns
        if columns is not None:
            # Registering here keeps the first-seen order across both paths.
            self._counts.setdefault(columns, 0)
        return columns

    def _add_slow(self, data: bytes, origin: str) -> None:
        """Count one line that is not a standard alert, as the index would."""
        # Skip line numbers and offsets are not part of the summary.
        items = parse_located(LocatedLine(0, 0, len(data), data), origin)
        for item in items:
            if isinstance(item, (Alert, AlertRow)):
                self._add_row(item)
            else:
                self.summary.add((item,))

    def _add_row(self, row: Alert | AlertRow) -> None:
        columns = (row.rule, row.priority, row.source, row.hostname)
        self._counts[columns] = self._counts.get(columns, 0) + 1
        if row.invalid_bytes:
            self.summary.repaired += 1
        if row.time_ns is not None:
            self.summary.add_time(row.time_ns)


def _standard_columns(
    rule: str, priority: str, source: str | None, hostname: str | None
) -> Columns | None:
    """Check the four raw values as ``_standard_row`` does, or return None."""
    level = PRIORITY_WORDS.get(priority)
    if level is None or not isinstance(rule, str) or not rule or rule != rule.strip():
        return None
    return rule, level, text_or_none(source), text_or_none(hostname)


def iter_line_batches(
    stream: BinaryIO,
    start: int,
    end: int | None,
    origin: str = "",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[list[bytes] | Skip]:
    """Yield the lines of ``stream`` from byte ``start`` up to ``end`` in lists.

    Lines come without their newline, in file order, and a last line without
    a newline is yielded too. A line longer than ``max_line_bytes`` becomes a
    ``line too long`` skip in its place, and memory stays bounded by
    ``max_line_bytes`` plus ``BLOCK_SIZE``. Line numbers in skips count from 1
    at ``start``.
    """
    stream.seek(start)
    remaining = None if end is None else end - start
    line_no = 1
    pending = b""
    discarding = False

    while remaining is None or remaining > 0:
        chunk = stream.read(
            BLOCK_SIZE if remaining is None else min(BLOCK_SIZE, remaining)
        )
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)

        lines = chunk.split(b"\n")
        tail = lines.pop()
        if lines:
            if discarding:
                # The first piece ends the over-long line already reported.
                discarding = False
                del lines[0]
                line_no += 1
            elif pending:
                lines[0] = pending + lines[0]
            pending = b""
            yield from _split_long(lines, line_no, origin, max_line_bytes)
            line_no += len(lines)

        if discarding:
            continue
        if len(pending) + len(tail) > max_line_bytes:
            yield _too_long(pending + tail[: SAMPLE_CHARS * 4], origin, line_no)
            pending = b""
            discarding = True
            continue
        pending += tail

    if pending and not discarding:
        yield [pending]


def _split_long(
    lines: list[bytes], line_no: int, origin: str, max_line_bytes: int
) -> Iterator[list[bytes] | Skip]:
    """Yield ``lines`` as one list, or in pieces around the over-long ones."""
    if not lines:
        return
    if max(map(len, lines)) <= max_line_bytes:
        yield lines
        return

    batch: list[bytes] = []
    for number, data in enumerate(lines, line_no):
        if len(data) <= max_line_bytes:
            batch.append(data)
            continue
        if batch:
            yield batch
            batch = []
        yield _too_long(data, origin, number)
    if batch:
        yield batch


def _too_long(data: bytes, origin: str, line_no: int) -> Skip:
    sample = data[: SAMPLE_CHARS * 4].decode("utf-8", "replace")[:SAMPLE_CHARS]
    return Skip("line too long", origin, line_no, printable(sample))
