"""Keep every alert read so far, with counts and sorted, filtered views.

Alerts are stored as compact rows: a few columns in typed arrays, with
repeated strings (rule, host, source, container, process, file) stored once.
A row read from a file (by the history indexer, or while a file, a folder's
files or several files are followed) or from standard input (through its
spool file) keeps only where its line is: a ``LineFile`` (the file, open,
even after it was rotated away), an offset and a length. A row whose line
has no offset (a UTF-16 file, a gzip file, a line whose bytes were truncated
away before they were indexed) keeps its text. ``alert(index)`` re-parses
the line when the alert is opened. Alerts delivered whole (the demo) are
kept whole, so their memory grows with what arrived.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.columns import NO_TIME, RowColumns
from tui.parsing.linefile import NUMBER_ON_ARRIVAL, LineFile
from tui.parsing.located import AlertRow, RowsNumbered, row_from_alert
from tui.storage.remap import count_bytes, count_ids, remap_ids
from tui.storage.reread import read_alert

MAX_SKIP_SAMPLES = 20
"""Skipped lines kept per reason, so the user can see what was skipped."""

SORT_KEYS = ("arrival", "time", "priority", "rule")

ALERT_CACHE_SIZE = 256
"""Alerts re-read from disk that stay materialized, most recently used first."""

MAX_OPEN_LINE_FILES = 8
"""Files rows are re-read from that stay open. Past this the oldest is closed,
and its rows are re-read by path while the path still names that file.

NOTE: an open rotated file that was deleted keeps its disk space until it is
closed, so this also bounds the space held for deleted rotated files."""

# Sort keys return tuples that end in the arrival index, so ties keep their
# arrival order and sorting is stable across calls.
_SortKey = Callable[[int], tuple]

StoreItem = Alert | AlertRow | RowColumns | Skip | RowsNumbered


class Interner:
    """Map strings to small integer ids and back, storing each string once."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._ids: dict[str, int] = {}

    def id(self, value: str) -> int:
        """Return the id of ``value``, adding it on first sight."""
        found = self._ids.get(value)
        if found is not None:
            return found
        found = len(self.values)
        self._ids[value] = found
        self.values.append(value)
        return found

    def ids(self, values: list[str]) -> list[int]:
        """Return the id of each of ``values``, adding new ones, in one pass."""
        ids = self._ids
        known = len(ids)
        setdefault = ids.setdefault
        # A new string's id is the dictionary's size before it is added.
        found = [setdefault(value, len(ids)) for value in values]
        if len(ids) > known:
            self.values.extend(islice(ids, known, None))
        return found


class StoreColumns(NamedTuple):
    """The store's live column arrays, for scans over many alerts at once.

    String columns hold ids into ``strings``. The arrays grow as alerts
    arrive, so read only indices below the length seen when the scan began.
    """

    strings: list[str]
    priority: array
    time: array
    rule: array
    host: array
    source: array
    container: array
    process: array
    origin: array
    offset: array
    length: array
    file: array
    """Ids into ``line_files``; 0 (None) means the line is read by path."""
    line_files: list[LineFile | None]


class AlertSequence(Sequence[Alert]):
    """The store's alerts as a read-only sequence, materialized on access."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._store.alert(i) for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"alert index {index} out of range")
        return self._store.alert(index)

    def __iter__(self) -> Iterator[Alert]:
        for index in range(len(self)):
            yield self._store.alert(index)


class AlertStore:
    """Store alerts in arrival order and count them by priority and source.

    An alert's index never changes. Skipped lines are only counted, with a
    few samples per reason.
    """

    def __init__(self) -> None:
        self.alerts = AlertSequence(self)
        """Every alert, by index; opening one may re-read its line from disk."""
        self.by_priority: Counter[Priority] = Counter()
        self.by_source: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self._skip_samples: dict[str, list[Skip]] = {}

        self.strings = Interner()
        self._priority = array("b")
        self._time = array("q")
        self._rule = array("I")
        self._host = array("I")
        self._source = array("I")
        self._container = array("I")
        self._process = array("I")
        self._origin = array("I")
        self._offset = array("q")
        self._length = array("I")
        self._line_no = array("I")
        self._number = array("I")
        self._file = array("I")
        # Entry 0 is "no open file": the row re-reads its line by path.
        self._line_files: list[LineFile | None] = [None]
        self._line_file_ids: dict[int, int] = {}
        self._resident: dict[int, Alert] = {}
        self._raw: dict[int, str] = {}
        self._unnumbered: dict[str, list[int]] = {}
        self._cache: OrderedDict[int, Alert] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._search_text: dict[int, str] = {}
        self.newest = -1
        """The index of the newest alert, or -1: the last one added, except
        that indexer rows from before a file's already-read end are older."""

    def __len__(self) -> int:
        return len(self._priority)

    @property
    def skipped_total(self) -> int:
        """The number of skipped lines over all reasons."""
        return self.skipped.total()

    def add(self, items: Iterable[StoreItem]) -> list[int]:
        """Store ``items`` and return the indices of the new alerts, in order."""
        added: list[int] = []
        run: list[AlertRow] = []
        for item in items:
            if type(item) is AlertRow:
                run.append(item)
                continue
            # Rows go in before any later item, which may renumber them.
            if run:
                added.extend(self._add_rows(run))
                run = []
            if type(item) is RowColumns:
                added.extend(self._add_columns(item))
            elif isinstance(item, Alert):
                added.append(self._add_row(row_from_alert(item), item))
            elif isinstance(item, Skip):
                self._add_skip(item)
            else:
                self._number_rows(item)
        if run:
            added.extend(self._add_rows(run))
        return added

    def _add_rows(self, rows: list[AlertRow]) -> range:
        """Append rows without a kept alert, one column at a time."""
        start = len(self._priority)
        intern = self.strings.ids
        self._priority.extend([row.priority for row in rows])
        self._time.extend(
            [NO_TIME if row.time_ns is None else row.time_ns for row in rows]
        )
        self._rule.extend(intern([row.rule for row in rows]))
        self._host.extend(intern([row.hostname or "" for row in rows]))
        self._source.extend(intern([row.source or "" for row in rows]))
        self._container.extend(intern([row.container for row in rows]))
        self._process.extend(intern([row.process for row in rows]))
        self._origin.extend(intern([row.origin for row in rows]))
        self._offset.extend([row.offset for row in rows])
        self._length.extend([row.length for row in rows])
        self._line_no.extend([row.line_no for row in rows])
        self._file.extend([self._line_file_id(row.file) for row in rows])

        for index, row in enumerate(rows, start):
            self._set_number_and_text(index, row, None)
        self.by_priority.update([row.priority for row in rows])
        self.by_source.update([row.source or "unknown" for row in rows])
        return range(start, start + len(rows))

    def _add_columns(self, columns: RowColumns) -> range:
        """Append indexer rows given as columns, mapping their string ids."""
        start = len(self._priority)
        count = len(columns)
        if not count:
            return range(start, start)

        mapping = self.strings.ids(columns.strings)
        self._priority.extend(columns.priority)
        self._time.extend(columns.time_ns)
        for target, local in (
            (self._rule, columns.rule),
            (self._host, columns.hostname),
            (self._source, columns.source),
            (self._container, columns.container),
            (self._process, columns.process),
        ):
            target.extend(remap_ids(local, mapping))
        self._origin.extend(array("I", [self.strings.id(columns.origin)]) * count)
        self._file.extend(array("I", [self._line_file_id(columns.file)]) * count)
        self._offset.extend(columns.offset)
        self._length.extend(columns.length)
        if columns.line_base:
            base = columns.line_base
            self._line_no.extend(array("I", [line + base for line in columns.line_no]))
        else:
            self._line_no.extend(columns.line_no)

        self._number_columns(columns, start, count)
        self.by_priority.update(
            {Priority(value): n for value, n in count_bytes(columns.priority).items()}
        )
        values = columns.strings
        for value, n in count_ids(columns.source, len(values)).items():
            self.by_source[values[value] or "unknown"] += n
        return range(start, start + count)

    def _number_columns(self, columns: RowColumns, start: int, count: int) -> None:
        """Number rows given as columns, as ``_set_number_and_text`` does per row."""
        indices = range(start, start + count)
        if columns.first_number == NUMBER_ON_ARRIVAL:
            self._number.extend(array("I", range(start + 1, start + count + 1)))
            self.newest = indices[-1]
            return
        if columns.first_number == 0:
            self._number.extend(array("I", [0]) * count)
            self._unnumbered.setdefault(columns.origin, []).extend(indices)
            self.newest = indices[-1]
            return

        first = columns.first_number
        self._number.extend(array("I", range(first, first + count)))
        if columns.origin not in self._unnumbered:
            self.newest = indices[-1]

    def alert(self, index: int) -> Alert:
        """Return the full alert at ``index``, re-reading its line if needed."""
        resident = self._resident.get(index)
        if resident is not None:
            return resident

        # The filter pass calls this from a worker thread while the UI thread
        # draws, so the cache's read-modify steps hold a lock.
        with self._cache_lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached

        alert = read_alert(self.row(index))
        with self._cache_lock:
            self._cache[index] = alert
            if len(self._cache) > ALERT_CACHE_SIZE:
                self._cache.popitem(last=False)
        return alert

    def row(self, index: int) -> AlertRow:
        """Return the list columns of the alert at ``index``."""
        values = self.strings.values
        time_ns = self._time[index]
        return AlertRow(
            rule=values[self._rule[index]],
            priority=Priority(self._priority[index]),
            time_ns=None if time_ns == NO_TIME else time_ns,
            source=values[self._source[index]] or None,
            hostname=values[self._host[index]] or None,
            container=values[self._container[index]],
            process=values[self._process[index]],
            origin=values[self._origin[index]],
            offset=self._offset[index],
            length=self._length[index],
            line_no=self._line_no[index],
            number=self._number[index],
            raw=self._raw.get(index),
            file=self._line_files[self._file[index]],
        )

    def columns(self) -> StoreColumns:
        """Return the live column arrays, which ``tui.storage.scan`` reads."""
        return StoreColumns(
            self.strings.values,
            self._priority,
            self._time,
            self._rule,
            self._host,
            self._source,
            self._container,
            self._process,
            self._origin,
            self._offset,
            self._length,
            self._file,
            self._line_files,
        )

    def _line_file_id(self, line_file: LineFile | None) -> int:
        """Return the id of ``line_file`` in ``_line_files``, adding it if new."""
        if line_file is None:
            return 0
        # The list keeps each file alive, so its id() stays unique.
        found = self._line_file_ids.get(id(line_file))
        if found is not None:
            return found

        found = len(self._line_files)
        self._line_files.append(line_file)
        self._line_file_ids[id(line_file)] = found
        self._close_old_line_files()
        return found

    def _close_old_line_files(self) -> None:
        """Close the oldest open files beyond ``MAX_OPEN_LINE_FILES``.

        Files that cannot be re-opened by path (spool files) stay open and do
        not count.
        """
        open_files = [
            file
            for file in self._line_files[1:]
            if file and file.is_open and file.reopenable
        ]
        for line_file in open_files[:-MAX_OPEN_LINE_FILES]:
            line_file.close()

    def number(self, index: int) -> int | None:
        """Return the alert's number as the list shows it, None while unknown.

        Alerts from the history indexer are numbered in file order (alert N
        is the Nth alert of its file), even when the end of the file was read
        first. Other alerts are numbered in arrival order.
        """
        number = self._number[index]
        return None if number == 0 else number

    def rule(self, index: int) -> str:
        """Return the alert's rule name without re-reading its line."""
        return self.strings.values[self._rule[index]]

    def time_ns(self, index: int) -> int | None:
        """Return the alert's time in epoch nanoseconds, or None."""
        time_ns = self._time[index]
        return None if time_ns == NO_TIME else time_ns

    def skip_samples(self, reason: str) -> list[Skip]:
        """Return up to ``MAX_SKIP_SAMPLES`` skipped lines for ``reason``."""
        return list(self._skip_samples.get(reason, ()))

    def view(
        self, sort: str = "arrival", reverse: bool = False, text: str = ""
    ) -> list[int]:
        """Return alert indices matching ``text``, ordered by ``sort``.

        ``text`` matches literally and case-insensitively anywhere in the
        rule, output, raw line or field names and values. ``sort`` is one of
        ``SORT_KEYS``; priority sorts the most severe first, and time puts
        alerts without a time last. Searching re-reads lines kept on disk,
        so it costs a read and a parse per such alert.
        """
        if sort not in SORT_KEYS:
            raise ValueError(f"invalid sort {sort!r}: expected one of {SORT_KEYS}")

        indices: Sequence[int] = range(len(self))
        if text:
            needle = text.casefold()
            indices = [index for index in indices if needle in self._text_of(index)]

        if sort == "arrival":
            ordered = list(indices)
        else:
            # sorted is stable and the indices arrive in order, so a plain
            # column lookup gives the same order as ``sort_key`` but faster.
            ordered = sorted(indices, key=self.column_key(sort))
        if reverse:
            # Keys end in the index, so they are unique and reversing the
            # list equals sorting in reverse.
            ordered.reverse()
        return ordered

    def column_key(self, sort: str) -> Callable[[int], object] | None:
        """Return a key that sorts ascending indices like ``sort_key``.

        The key omits the index, so ties keep arrival order only in a stable
        sort of ascending indices. It is faster than ``sort_key`` because the
        time and priority keys are a column's own ``__getitem__``. For
        ``arrival`` it returns None, because the index itself is the key.
        """
        if sort == "arrival":
            return None
        if sort == "time":
            return self._time.__getitem__
        if sort == "priority":
            return self._priority.__getitem__
        folded = [value.casefold() for value in self.strings.values]
        rules = self._rule
        return lambda index: folded[rules[index]]

    def _add_row(self, row: AlertRow, resident: Alert | None) -> int:
        index = len(self._priority)
        intern = self.strings.id
        self._priority.append(row.priority)
        time_ns = row.time_ns
        self._time.append(NO_TIME if time_ns is None else time_ns)
        self._rule.append(intern(row.rule))
        self._host.append(intern(row.hostname or ""))
        self._source.append(intern(row.source or ""))
        self._container.append(intern(row.container))
        self._process.append(intern(row.process))
        self._origin.append(intern(row.origin))
        self._offset.append(row.offset)
        self._length.append(row.length)
        self._line_no.append(row.line_no)
        self._file.append(self._line_file_id(row.file))

        self._set_number_and_text(index, row, resident)
        self.by_priority[row.priority] += 1
        self.by_source[row.source or "unknown"] += 1
        return index

    def _set_number_and_text(
        self, index: int, row: AlertRow, resident: Alert | None
    ) -> None:
        """Record the row's number, kept alert or text, and whether it is newest."""
        if resident is not None:
            self._resident[index] = resident
        elif row.raw is not None:
            self._raw[index] = row.raw

        if row.offset < 0 or row.number == NUMBER_ON_ARRIVAL:
            # Not from the history indexer: numbered in arrival order.
            self._number.append(index + 1)
            self.newest = index
            return

        self._number.append(row.number)
        if row.number == 0:
            self._unnumbered.setdefault(row.origin, []).append(index)
            self.newest = index
        elif row.origin not in self._unnumbered:
            self.newest = index

    def _number_rows(self, marker: RowsNumbered) -> None:
        waiting = self._unnumbered.pop(marker.origin, [])
        for position, index in enumerate(waiting, start=marker.base + 1):
            self._number[index] = position
            self._line_no[index] += marker.line_base
            # A copy read before the shift carries the old line number.
            with self._cache_lock:
                self._cache.pop(index, None)

    def _add_skip(self, skip: Skip) -> None:
        self.skipped[skip.reason] += 1
        samples = self._skip_samples.setdefault(skip.reason, [])
        if len(samples) < MAX_SKIP_SAMPLES:
            samples.append(skip)

    def _text_of(self, index: int) -> str:
        """Return the case-folded searchable text of an alert.

        It is cached only for alerts kept in memory, because caching it for
        every alert on disk would cost as much memory as the file.
        """
        cached = self._search_text.get(index)
        if cached is not None:
            return cached

        alert = self.alert(index)
        parts = [alert.rule, alert.output, alert.raw]
        for name, value in alert.fields.items():
            parts.append(f"{name}={'' if value is None else value}")
        text = "\n".join(parts).casefold()
        if index in self._resident:
            self._search_text[index] = text
        return text

    def sort_key(self, sort: str) -> _SortKey:
        """Return the key function ``view`` sorts indices with for ``sort``.

        The list widget uses it to insert new alerts at their sorted place
        without sorting everything again. ``arrival`` sorts by index.
        """
        if sort == "arrival":
            return lambda i: (i,)
        if sort == "time":
            times = self._time
            return lambda i: (times[i], i)
        if sort == "priority":
            priorities = self._priority
            return lambda i: (priorities[i], i)
        rules = self._rule
        values = self.strings.values
        return lambda i: (values[rules[i]].casefold(), i)

    # The alert list widget was written against the earlier private name.
    _sort_key = sort_key
