"""Index a big file's existing lines, newest first, then follow it.

``FileSource`` reads history front to back, so the newest alerts of a large
file would show last. ``IndexedFileSource`` reads the last ``TAIL_BYTES``
first, then the rest from the start, and hands the open file to the normal
follower at the offset where indexing stopped. It delivers the rows as
``RowColumns`` (the list columns plus each line's byte range) instead of full
alerts, so the store keeps each line on disk. A big file's history is parsed
by worker processes (``index_workers``), a few MiB per range. Lines the
follower reads arrive as ``AlertRow`` items with their byte range. All rows
share one ``LineFile`` per file generation, which stays open after a
rotation, so older alerts can still be opened.

Rows from the tail are numbered once the part before them was counted (a
``RowsNumbered`` marker), so alert N is the Nth alert of the file in the end.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tui.parsing.alert import Skip
from tui.parsing.columns import IndexedPart, RowColumns, index_range
from tui.parsing.linefile import LineFile
from tui.parsing.lines import Line, LocatedText
from tui.parsing.located import (
    UTF16_BOMS,
    AlertRow,
    RowsNumbered,
    line_start_at_or_after,
    split_at_lines,
)
from tui.sources.base import (
    STOP_TIMEOUT_SECONDS,
    Source,
    SourceState,
    SourceStatus,
    parse_rows,
)
from tui.sources.index_workers import (
    EARLY_IN_FLIGHT_PER_WORKER,
    FileId,
    WorkerIndex,
    index_in_workers,
    start_server,
    worker_count,
)
from tui.sources.tail import FileSource

TAIL_BYTES = 1 << 20
"""The end part of the file indexed first, so the newest alerts show at once."""

PART_BYTES = 4 << 20
"""The size of the ranges the history is indexed in: the unit of progress,
of delivery to the app and of work for a worker process."""

PARALLEL_MIN_BYTES = 32 << 20
"""Histories smaller than this are indexed on the source's thread, because
starting worker processes costs more than it saves."""

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
        self._opened: tuple[int, int] | None = None
        """The open file and its history's end, from ``start_workers``."""
        self._early: WorkerIndex | None = None
        """The front ranges already given to workers by ``start_workers``."""
        self._early_start: threading.Thread | None = None
        """The thread that starts ``_early``, joined before ``_early`` is read."""

    @property
    def status(self) -> SourceStatus:
        """The current state, with the indexing progress in bytes."""
        return dataclasses.replace(
            super().status,
            history_read=self.history_read,
            history_total=self.history_total,
        )

    def start_workers(self) -> None:
        """Open the file and give the front of its history to worker processes.

        The caller runs this before the app starts, so the workers parse
        while the app loads. ``start`` then indexes the tail and takes the
        workers' parts. Nothing starts when the history is too small for
        workers, and ``stop`` ends the workers if the source never ran.
        """
        opened = _open_history(self.path)
        if opened is None:
            return
        self._opened = opened
        fd, end = opened
        workers = worker_count()
        stream = os.fdopen(fd, "rb", buffering=0, closefd=False)
        tail_start = _tail_start(stream, end)
        if workers < 2 or tail_start < PARALLEL_MIN_BYTES:
            return
        status = os.fstat(fd)
        ranges = _front_ranges(stream, tail_start)
        # Starting the pool waits for the fork server to import the indexer,
        # 0.12-0.16 s in one measurement, so it runs on a thread while the app
        # loads.
        self._early_start = threading.Thread(
            target=self._start_early,
            args=(ranges, (status.st_dev, status.st_ino), workers),
            name=f"index-workers {self.path}",
            daemon=True,
        )
        self._early_start.start()

    def _start_early(
        self, ranges: list[tuple[int, int]], file_id: FileId, workers: int
    ) -> None:
        """Start the worker pool and queue the first ranges (on its own thread)."""
        self._early = WorkerIndex(
            str(self.path),
            file_id,
            ranges,
            self.origin_label,
            workers,
            EARLY_IN_FLIGHT_PER_WORKER,
        )

    def _early_index(self) -> WorkerIndex | None:
        """Return the workers ``start_workers`` started, once they are started."""
        if self._early_start is not None:
            self._early_start.join()
        return self._early

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the thread, and the workers ``start_workers`` started."""
        super().stop(timeout)
        early = self._early_index()
        if early is not None:
            early.close()

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
        opened = self._opened or _open_history(self.path)
        if opened is None:
            return None
        fd, end = opened
        stream = os.fdopen(fd, "rb", buffering=0, closefd=False)

        self.history_total = end
        try:
            self._line_file = LineFile(fd, str(self.path))
        except OSError:
            # Out of descriptors: rows are re-read by path instead.
            self._line_file = None
        self._set_status(SourceState.READING_HISTORY, f"Indexing {self.path}.")
        tail_start = _tail_start(stream, end)
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
        tail = index_range(stream, tail_start, end, origin)
        tail.columns.file = self._line_file
        self._deliver([tail.columns])
        self._flush_items()
        self._add_progress(end - tail_start)

        front_alerts = 0
        front_lines = 0
        for start, stop, part in self._front_parts(stream, tail_start):
            columns = part.columns
            columns.file = self._line_file
            columns.first_number = front_alerts + 1
            columns.line_base = front_lines
            self._deliver([*_shift(part.skips, front_lines), columns])
            self._flush_items()
            front_alerts += len(columns)
            front_lines += part.lines
            self._add_progress(stop - start)
        if self.stopped:
            return

        self._lines_indexed = front_lines + tail.lines
        # Tail skips were held back until their line numbers were known.
        shifted = _shift(tail.skips, front_lines)
        self._deliver([*shifted, RowsNumbered(origin, front_alerts, front_lines)])
        self._flush_items()
        self.history_read = self.history_total

    def _front_parts(self, stream, end: int) -> Iterator[tuple[int, int, IndexedPart]]:
        """Yield the indexed parts of [0, end) in file order, until stopped.

        A big file is indexed by worker processes, a small one on this
        thread, where a worker's start-up would cost more than it saves.
        """
        ranges = _front_ranges(stream, end)
        workers = worker_count()
        early = self._early_index()
        if early is not None and early.ranges == ranges:
            parts = early.parts(lambda: self.stopped)
        elif workers < 2 or end < PARALLEL_MIN_BYTES:
            parts = ((start, stop, None) for start, stop in ranges)
        else:
            status = os.fstat(stream.fileno())
            parts = index_in_workers(
                str(self.path),
                (status.st_dev, status.st_ino),
                ranges,
                self.origin_label,
                lambda: self.stopped,
                workers,
            )

        for start, stop, part in parts:
            if self.stopped:
                return
            if part is None:
                part = index_range(stream, start, stop, self.origin_label)
            yield start, stop, part

    def _deliver(self, items: list) -> None:
        super()._deliver(items)
        # The base class counts alerts and rows, and every other item as
        # skipped, so a batch of rows and a marker are counted here.
        rows = 0
        others = 0
        for item in items:
            if isinstance(item, RowColumns):
                rows += len(item)
                others += 1
            elif isinstance(item, RowsNumbered):
                others += 1
        self._alerts += rows
        self._skipped -= others

    def _deliver_lines(
        self, lines: list[Line | LocatedText | Skip], origin: str
    ) -> None:
        """Parse lines from the follower into rows, numbered in arrival order.

        A row points at its line in the file when the follower located it,
        and keeps the line's text otherwise.
        """
        items = parse_rows(lines, origin)
        number = self._alerts
        for item in items:
            if isinstance(item, AlertRow):
                number += 1
                item.number = number
        self._deliver(items)

    def _add_progress(self, read: int) -> None:
        self.history_read += read
        self._report_index_progress()

    def _report_index_progress(self) -> None:
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


def _open_history(path: Path) -> tuple[int, int] | None:
    """Open ``path``; return the fd and the offset after its last newline.

    Returns None, with the file closed, when it cannot be opened, is empty,
    or starts with a UTF-16 byte order mark.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    stream = os.fdopen(fd, "rb", buffering=0, closefd=False)

    end = _history_end(stream, os.fstat(fd).st_size)
    stream.seek(0)
    if end == 0 or stream.read(2) in UTF16_BOMS:
        os.close(fd)
        return None
    return fd, end


def _tail_start(stream, end: int) -> int:
    """Return where the tail that is indexed first starts."""
    return line_start_at_or_after(stream, max(end - TAIL_BYTES, 0))


def _front_ranges(stream, end: int) -> list[tuple[int, int]]:
    """Split [0, end) at line starts into ranges of about ``PART_BYTES``."""
    return split_at_lines(stream, 0, end, -(-end // PART_BYTES))


def _shift(skips: list[Skip], lines: int) -> list[Skip]:
    """Return ``skips`` with ``lines`` added to their line numbers."""
    return [dataclasses.replace(skip, line_no=skip.line_no + lines) for skip in skips]


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
    if _uses_workers(source.path):
        # The fork server must start before the app replaces sys.stderr, as
        # the index_workers module explains.
        start_server()
    indexed = IndexedFileSource(source.path, poll=source.poll)
    indexed.start_workers()
    return [indexed]


def _uses_workers(path: Path) -> bool:
    """Return True when the history of ``path`` will be indexed by workers."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size >= PARALLEL_MIN_BYTES and worker_count() >= 2
