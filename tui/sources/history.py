"""Index a big file's existing lines, newest first, then follow it.

``FileSource`` reads history front to back, so the newest alerts of a large
file would show last. ``IndexedFileSource`` reads the last ``TAIL_BYTES``
first, then the rest from the start, and hands the open file to the normal
follower at the offset where indexing stopped. It delivers ``AlertRow`` items
(columns plus the line's byte range) instead of full alerts, for the history
and for the lines the follower reads, so the store keeps each line on disk.
The rows share one ``LineFile`` per file generation, which stays open after a
rotation, so older alerts can still be opened.

Rows from the tail are numbered once the part before them was counted (a
``RowsNumbered`` marker), so alert N is the Nth alert of the file in the end.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from tui.parsing.alert import Skip
from tui.parsing.linefile import LineFile
from tui.parsing.lines import Line, LocatedText
from tui.parsing.located import (
    UTF16_BOMS,
    AlertRow,
    RowsNumbered,
    iter_located_lines,
    line_start_at_or_after,
    parse_located,
    parse_text_row,
)
from tui.sources.base import Source, SourceState, SourceStatus
from tui.sources.tail import FileSource

TAIL_BYTES = 1 << 20
"""The end part of the file indexed first, so the newest alerts show at once."""

DELIVER_ITEMS = 500
"""Rows collected before they are handed to the source's batching."""

PROGRESS_SECONDS = 0.2
"""The minimum time between two progress reports while indexing."""


class IndexedFileSource(FileSource):
    """Follow one existing file, indexing its history newest part first."""

    keeps_line_files = True

    def __init__(self, path: Path | str, poll: bool = False) -> None:
        super().__init__(path, poll)
        self.history_read = 0
        """Bytes of history indexed so far."""
        self.history_total = 0
        """Bytes of history at start: the file up to its last newline."""
        self._last_progress = 0.0
        self._lines_indexed = 0
        self._line_file: LineFile | None = None

    @property
    def status(self) -> SourceStatus:
        """The current state, with the indexing progress in bytes."""
        return dataclasses.replace(
            super().status,
            history_read=self.history_read,
            history_total=self.history_total,
        )

    def _run(self) -> None:
        fd = self._index_history()
        if fd is not None:
            self._hand_over(fd)
        super()._run()

    def _index_history(self) -> int | None:
        """Index the file up to its last newline; return the open fd, or None.

        None means the plain follower should read the file itself: it cannot
        be opened, is empty, or starts with a UTF-16 byte order mark.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        stream = os.fdopen(fd, "rb", buffering=0, closefd=False)

        end = _history_end(stream, os.fstat(fd).st_size)
        stream.seek(0)
        if end == 0 or stream.read(2) in UTF16_BOMS:
            os.close(fd)
            return None

        self.history_total = end
        try:
            self._line_file = LineFile(fd, str(self.path))
        except OSError:
            # Out of descriptors: rows are re-read by path instead.
            self._line_file = None
        self._set_status(SourceState.READING_HISTORY, f"Indexing {self.path}.")
        tail_start = line_start_at_or_after(stream, max(end - TAIL_BYTES, 0))
        try:
            self._index_parts(stream, tail_start, end)
        except OSError:
            # The follower reports the error and retries from the start.
            os.close(fd)
            return None
        os.lseek(fd, end, os.SEEK_SET)
        return fd

    def _index_parts(self, stream, tail_start: int, end: int) -> None:
        """Index [tail_start, end) unnumbered, then [0, tail_start) in order."""
        origin = self.origin_label
        tail_skips: list[Skip] = []
        tail_rows: list[AlertRow] = []
        tail_lines = 0
        for item in self._rows(stream, tail_start, end):
            tail_lines = item.line_no
            if isinstance(item, Skip):
                tail_skips.append(item)
            else:
                tail_rows.append(item)
        self._deliver(tail_rows)
        self._flush_items()

        front_alerts = 0
        front_lines = 0
        batch: list[AlertRow | Skip] = []
        for item in self._rows(stream, 0, tail_start):
            if isinstance(item, AlertRow):
                front_alerts += 1
                item.number = front_alerts
            front_lines = item.line_no
            batch.append(item)
            if len(batch) >= DELIVER_ITEMS:
                self._deliver(batch)
                batch = []
        self._deliver(batch)

        self._lines_indexed = front_lines + tail_lines
        # Tail skips were held back until their line numbers were known.
        shifted = [
            dataclasses.replace(skip, line_no=skip.line_no + front_lines)
            for skip in tail_skips
        ]
        self._deliver([*shifted, RowsNumbered(origin, front_alerts, front_lines)])
        self._flush_items()
        self.history_read = self.history_total

    def _deliver(self, items: list) -> None:
        super()._deliver(items)
        # The base class counts every item that is not an Alert as skipped.
        rows = sum(1 for item in items if isinstance(item, AlertRow))
        markers = sum(1 for item in items if isinstance(item, RowsNumbered))
        self._alerts += rows
        self._skipped -= rows + markers

    def _deliver_lines(
        self, lines: list[Line | LocatedText | Skip], origin: str
    ) -> None:
        """Parse lines from the follower into rows, numbered in arrival order.

        A row points at its line in the file when the follower located it,
        and keeps the line's text otherwise.
        """
        items: list[AlertRow | Skip] = []
        number = self._alerts
        for entry in lines:
            if isinstance(entry, Skip):
                items.append(entry)
                continue
            if isinstance(entry, LocatedText):
                parsed = parse_text_row(
                    entry.text,
                    origin,
                    entry.line_no,
                    entry.offset,
                    entry.length,
                    entry.file,
                )
            else:
                parsed = parse_text_row(entry[1], origin, entry[0])
            for item in parsed:
                if isinstance(item, AlertRow):
                    number += 1
                    item.number = number
                items.append(item)
        self._deliver(items)

    def _rows(self, stream, start: int, end: int):
        """Yield rows and skips of [start, end), reporting progress as it goes."""
        origin = self.origin_label
        for line in iter_located_lines(stream, start, end, origin=origin):
            if self.stopped:
                return
            if isinstance(line, Skip):
                yield line
                continue
            for item in parse_located(line, origin):
                if isinstance(item, AlertRow):
                    item.file = self._line_file
                yield item
            self.history_read += line.length + 1
            self._report_progress()

    def _report_progress(self) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = now
        self._flush_items()
        if self._on_status is not None:
            self._on_status(self, self.status)

    @property
    def origin_label(self) -> str:
        """The origin written into rows: the path as given."""
        return str(self.path)

    def _hand_over(self, fd: int) -> None:
        """Give the open file to the follower, positioned after the history."""
        self._follower.start_at(
            fd, self.history_total, self._lines_indexed + 1, self._line_file
        )


def _history_end(stream, size: int) -> int:
    """Return the offset just after the last newline within ``size`` bytes.

    A last line without a newline may still be being written, so the
    follower reads it instead.
    """
    position = size
    while position > 0:
        start = max(position - (1 << 16), 0)
        stream.seek(start)
        block = stream.read(position - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def index_single_file(sources: list[Source]) -> list[Source]:
    """Replace a lone ``FileSource`` on a plain (not gzip) file with the indexed one.

    Only a single file qualifies, because indexed alerts are numbered within
    their file while other sources number alerts in arrival order.
    """
    if len(sources) != 1 or type(sources[0]) is not FileSource:
        return sources
    source = sources[0]
    if source.path.suffix == ".gz":
        return sources
    return [IndexedFileSource(source.path, poll=source.poll)]
