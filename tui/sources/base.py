"""The source contract: a thread that reports parsed items and status changes.

A source never touches widgets. It calls ``on_items(source, items)`` with
batches of parsed alerts and skips (or compact rows in their place, see
``Source.delivers_rows``), and ``on_status(source, status)`` when its state
changes. Both callbacks run on the source's own thread, so the app must
hand the results to its UI thread (Textual's ``post_message`` is thread-safe).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tui.parsing.alert import Alert, Skip
from tui.parsing.columns import ColumnBuilder, RowColumns
from tui.parsing.linefile import NUMBER_ON_ARRIVAL
from tui.parsing.lines import Line, LocatedText
from tui.parsing.located import AlertRow, parse_text_row
from tui.parsing.parser import parse_line

logger = logging.getLogger(__name__)

Item = Alert | AlertRow | Skip

MAX_BATCH_ITEMS = 1000
"""The maximum number of items passed to one ``on_items`` call."""

MAX_BATCH_SECONDS = 0.05
"""The maximum time an item waits in a batch before ``on_items`` is called."""

STOP_TIMEOUT_SECONDS = 1.0

PROGRESS_INTERVAL_SECONDS = 0.2
"""The minimum time between two history progress reports (at most 5 a second)."""


class SourceState(StrEnum):
    """The state of a source, as shown to the user."""

    READING_HISTORY = "reading history"
    FOLLOWING = "following"
    WAITING = "waiting for file"
    ERROR = "error"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A snapshot of a source's state and counters."""

    state: SourceState
    message: str = ""
    """A plain sentence; for errors it names the file and what to do."""
    alerts: int = 0
    """Alerts delivered so far."""
    skipped: int = 0
    """Skipped lines delivered so far."""
    history_read: int = 0
    """Bytes of existing content read so far, for the indexing progress bar."""
    history_total: int = 0
    """Bytes of existing content at start; 0 when unknown (pipes, the demo)."""

    @property
    def is_notice(self) -> bool:
        """True for a message made by ``event_message``: a file event the user
        should see once (truncated, rotated, re-pointed)."""
        return is_event_message(self.message)


_EVENT_PREFIX = re.compile(r"\d\d:\d\d:\d\d ")


def is_event_message(message: str) -> bool:
    """Return True for a message made by ``event_message``."""
    return _EVENT_PREFIX.match(message) is not None


def event_message(message: str) -> str:
    """Prefix ``message`` with the local time, marking it as a file event.

    The time also makes a repeated event (a second truncation) a new status,
    which the source would otherwise drop as unchanged.
    """
    return f"{time.strftime('%H:%M:%S')} {message}"


ItemsCallback = Callable[["Source", list[Item]], None]
StatusCallback = Callable[["Source", SourceStatus], None]


class Source:
    """A thread that reads one input and reports through two callbacks.

    Subclasses set ``label`` and implement ``_run``, which reads until
    ``self._stop_event`` is set or the input ends. They hand complete lines to
    ``_deliver_lines`` (or parsed items to ``_deliver``), call
    ``_flush_items`` when no more input is ready, and ``_set_status`` on every
    state change.
    """

    label: str = ""

    delivers_rows = False
    """Whether ``_deliver_lines`` makes compact ``AlertRow`` items instead of
    full alerts. A row of a line located in a ``LineFile`` keeps only the
    line's byte range, and any other row keeps the line's text. The dashboard's
    store takes rows, and the ``tail`` command prints full alerts."""

    def __init__(self) -> None:
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_items: ItemsCallback | None = None
        self._on_status: StatusCallback | None = None
        self._batch: list[Item] = []
        self._batch_started = 0.0
        self._alerts = 0
        self._skipped = 0
        self._state = SourceState.WAITING
        self._message = ""
        self._history_read = 0
        self._history_total = 0
        self._progress_reported_at = 0.0

    @property
    def status(self) -> SourceStatus:
        """The current state with up-to-date counters."""
        return SourceStatus(
            self._state,
            self._message,
            self._alerts,
            self._skipped,
            self._history_read,
            self._history_total,
        )

    def start(self, on_items: ItemsCallback, on_status: StatusCallback) -> None:
        """Start the reading thread; callbacks run on that thread."""
        if self._thread is not None:
            raise RuntimeError(f"The source {self.label} was already started.")

        self._on_items = on_items
        self._on_status = on_status
        self._thread = threading.Thread(
            target=self._thread_main, name=f"source {self.label}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Ask the thread to stop and wait up to ``timeout`` seconds for it."""
        self._stop_event.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("source %s did not stop within %ss", self.label, timeout)

    @property
    def finished(self) -> bool:
        """True once the thread has returned: the input ended, failed for good, or
        the source was stopped."""
        return self._thread is not None and not self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        """True once ``stop`` was called."""
        return self._stop_event.is_set()

    def _run(self) -> None:
        raise NotImplementedError

    def _thread_main(self) -> None:
        logger.info("source %s started", self.label)
        try:
            self._run()
        except Exception as error:
            logger.exception("source %s failed", self.label)
            self._flush_items()
            self._set_status(
                SourceState.ERROR,
                f"Reading {self.label} failed: {error}. Restart falco-tui to retry.",
            )
        else:
            self._flush_items()
        logger.info("source %s stopped", self.label)

    def _set_status(self, state: SourceState, message: str) -> None:
        """Record a state change and report it, with pending items sent first."""
        if state == self._state and message == self._message:
            return

        self._flush_items()
        self._state = state
        self._message = message
        if state is SourceState.ERROR:
            logger.warning("source %s: %s", self.label, message)
        if self._on_status is not None:
            self._on_status(self, self.status)

    def _set_history_progress(self, read: int, total: int) -> None:
        """Record bytes of history read and report them, at most 5 times a second.

        The report goes out with the queued items first, so the counters in it
        match what the callbacks delivered.
        """
        self._history_read = read
        self._history_total = total
        now = time.monotonic()
        if now - self._progress_reported_at < PROGRESS_INTERVAL_SECONDS:
            return

        self._progress_reported_at = now
        self._flush_items()
        if self._on_status is not None:
            self._on_status(self, self.status)

    def _deliver_lines(self, lines: list[Line | Skip], origin: str) -> None:
        """Parse complete lines from a ``LineSplitter`` and queue the results."""
        if self.delivers_rows:
            rows = parse_rows(lines, origin)
            for row in rows:
                if isinstance(row, AlertRow):
                    row.number = NUMBER_ON_ARRIVAL
            self._deliver(rows)
            return

        items: list[Item] = []
        for entry in lines:
            if isinstance(entry, Skip):
                items.append(entry)
            else:
                # A ``LocatedText`` from a file starts with the same two fields.
                items.extend(parse_line(entry[1], origin, entry[0]))
        self._deliver(items)

    def _deliver(self, items: list[Item]) -> None:
        """Queue items and send the batch when it is full or old enough."""
        if not items:
            return

        for item in items:
            if isinstance(item, (Alert, AlertRow)):
                self._alerts += 1
            else:
                self._skipped += 1

        if not self._batch:
            self._batch_started = time.monotonic()
        self._batch.extend(items)

        while len(self._batch) >= MAX_BATCH_ITEMS:
            batch = self._batch[:MAX_BATCH_ITEMS]
            self._batch = self._batch[MAX_BATCH_ITEMS:]
            self._send(batch)
            self._batch_started = time.monotonic()
        if self._batch and time.monotonic() - self._batch_started >= MAX_BATCH_SECONDS:
            self._flush_items()

    def _flush_items(self) -> None:
        """Send the queued items now, because no more input is ready."""
        if self._batch:
            batch, self._batch = self._batch, []
            self._send(batch)

    def _send(self, batch: list[Item]) -> None:
        if self.delivers_rows:
            # Rows wait in the app's queue until its next refresh, so a
            # batch of columns costs far less memory there than row objects.
            batch = pack_rows(batch)
        if self._on_items is not None:
            self._on_items(self, batch)


def parse_rows(
    lines: list[Line | LocatedText | Skip], origin: str
) -> list[AlertRow | Skip]:
    """Parse lines from a ``LineSplitter`` into ``AlertRow`` and ``Skip`` items.

    A row points at its line when the line was located in a ``LineFile``, and
    keeps the line's text otherwise. Rows come with ``number`` 0.
    """
    items: list[AlertRow | Skip] = []
    for entry in lines:
        if isinstance(entry, Skip):
            items.append(entry)
        elif isinstance(entry, LocatedText):
            items.extend(
                parse_text_row(
                    entry.text,
                    origin,
                    entry.line_no,
                    entry.offset,
                    entry.length,
                    entry.file,
                )
            )
        else:
            items.extend(parse_text_row(entry[1], origin, entry[0]))
    return items


def pack_rows(items: list[Item]) -> list[Item | RowColumns]:
    """Pack runs of arrival-numbered rows that point into one file as columns.

    Rows that keep their text, and every other item, stay as they are, in
    the same order, so the store assigns the same indices either way.
    """
    packed: list[Item | RowColumns] = []
    run: list[AlertRow] = []
    for item in items:
        if not _is_located_row(item):
            packed.extend(_run_columns(run))
            run = []
            packed.append(item)
            continue
        if run and (item.origin != run[0].origin or item.file is not run[0].file):
            packed.extend(_run_columns(run))
            run = []
        run.append(item)
    packed.extend(_run_columns(run))
    return packed


def _is_located_row(item: Item) -> bool:
    return (
        type(item) is AlertRow
        and item.raw is None
        and item.offset >= 0
        and item.number == NUMBER_ON_ARRIVAL
    )


def _run_columns(run: list[AlertRow]) -> list[RowColumns]:
    """Return rows of one origin and file as one ``RowColumns``, or nothing."""
    if not run:
        return []
    builder = ColumnBuilder()
    for row in run:
        builder.append_row(row)
    columns = builder.build(run[0].origin)
    columns.file = run[0].file
    columns.first_number = NUMBER_ON_ARRIVAL
    return [columns]
