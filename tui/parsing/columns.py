"""Index a byte range of an alert file straight into columns.

The history indexer reads a million lines, so the work per line decides how
long indexing takes. ``index_range`` decodes only the column values of each
standard Falco alert (``tui.parsing.standard``), and appends them to typed
arrays instead of building an ``AlertRow``. Any line that it does not
recognise goes through ``parse_located``, so the columns hold exactly the
rows ``iter_rows`` would yield.

The result is small to send between processes: typed arrays, and the
distinct strings once in a table local to the range.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import BinaryIO

from tui.parsing.alert import Skip
from tui.parsing.linefile import LineFile
from tui.parsing.located import (
    MAX_LINE_BYTES,
    PRIORITY_WORDS,
    AlertRow,
    LocatedLine,
    container_label,
    iter_line_runs,
    list_label,
    parse_located,
    quick_time,
)
from tui.parsing.standard import DECODE_ERRORS, decode_alert, is_utf8

NO_TIME = 2**63 - 1
"""The time column's value for an alert without a time, so it sorts last."""


@dataclass(slots=True)
class RowColumns:
    """Alert rows of one file as columns, in file order.

    The string columns hold ids into ``strings``; a missing source or host
    is "". Row ``k`` (from 0) is alert number ``first_number + k`` of its
    file, or unnumbered while ``first_number`` is 0 (see ``RowsNumbered``),
    or numbered in arrival order when it is ``NUMBER_ON_ARRIVAL`` (-1).
    Its line number is ``line_no[k] + line_base``.
    """

    origin: str
    strings: list[str]
    priority: array
    time_ns: array
    rule: array
    hostname: array
    source: array
    container: array
    process: array
    offset: array
    length: array
    line_no: array
    first_number: int = 0
    line_base: int = 0
    file: LineFile | None = None
    """The open file generation the lines are re-read from, or None: by path."""

    def __len__(self) -> int:
        return len(self.priority)


@dataclass(slots=True)
class IndexedPart:
    """The alerts, skips and line count of one byte range of a file.

    Line numbers in ``columns`` and ``skips`` count from 1 at the range's
    first line.
    """

    columns: RowColumns
    skips: list[Skip] = field(default_factory=list)
    lines: int = 0


class ColumnBuilder:
    """Arrays that collect the columns of one range, with its string table."""

    def __init__(self) -> None:
        self.priority = array("b")
        self.time_ns = array("q")
        self.rule = array("I")
        self.hostname = array("I")
        self.source = array("I")
        self.container = array("I")
        self.process = array("I")
        self.offset = array("q")
        self.length = array("I")
        self.line_no = array("I")
        self.ids: dict[str, int] = {}
        self.labels: dict[tuple, tuple | None] = {}
        """Column values by the raw fields they come from, see ``_labels``."""

    def intern(self, value: str) -> int:
        """Return the local id of ``value``, adding it on first sight."""
        ids = self.ids
        # A new string's id is the table's size before it is added.
        return ids.setdefault(value, len(ids))

    def append_row(self, row: AlertRow) -> None:
        """Append a row built by the general parser."""
        intern = self.intern
        self.priority.append(row.priority)
        self.time_ns.append(NO_TIME if row.time_ns is None else row.time_ns)
        self.rule.append(intern(row.rule))
        self.hostname.append(intern(row.hostname or ""))
        self.source.append(intern(row.source or ""))
        self.container.append(intern(row.container))
        self.process.append(intern(row.process))
        self.offset.append(row.offset)
        self.length.append(row.length)
        self.line_no.append(row.line_no)

    def build(self, origin: str) -> RowColumns:
        """Return the collected rows as columns of one range."""
        return RowColumns(
            origin=origin,
            strings=list(self.ids),
            priority=self.priority,
            time_ns=self.time_ns,
            rule=self.rule,
            hostname=self.hostname,
            source=self.source,
            container=self.container,
            process=self.process,
            offset=self.offset,
            length=self.length,
            line_no=self.line_no,
        )


def index_range(
    stream: BinaryIO,
    start: int,
    end: int,
    origin: str,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> IndexedPart:
    """Index the lines of ``stream`` in [start, end) into columns and skips.

    ``start`` and ``end`` must be line starts. Raises ``OSError`` when the
    stream cannot be read.
    """
    builder = ColumnBuilder()
    skips: list[Skip] = []
    next_line_no = 1
    for run in iter_line_runs(stream, start, end, 1, origin, max_line_bytes):
        if isinstance(run, Skip):
            skips.append(run)
            next_line_no = run.line_no + 1
            continue
        line_no, offset, pieces = run
        _index_run(builder, skips, origin, line_no, offset, pieces)
        next_line_no = line_no + len(pieces)
    return IndexedPart(builder.build(origin), skips, next_line_no - 1)


def _index_run(
    builder: ColumnBuilder,
    skips: list[Skip],
    origin: str,
    line_no: int,
    offset: int,
    pieces: list[bytes],
) -> None:
    """Append the rows of consecutive lines, the fast way when possible.

    The fast path takes what ``decode_standard`` accepts and computes the
    values ``_standard_row`` in ``located`` would. It is written out in one
    loop because a function call per line and per field is most of the cost.
    """
    decode = decode_alert
    rejected = DECODE_ERRORS
    labels = builder.labels
    priority_column = builder.priority.append
    time_column = builder.time_ns.append
    rule_column = builder.rule.append
    host_column = builder.hostname.append
    source_column = builder.source.append
    container_column = builder.container.append
    process_column = builder.process.append
    offset_column = builder.offset.append
    length_column = builder.length.append
    line_column = builder.line_no.append

    for data in pieces:
        length = len(data)
        time_ns = None
        # These checks are decode_standard's, inlined.
        if data.startswith(b'{"') and (data.isascii() or is_utf8(data)):
            try:
                alert = decode(data)
            except rejected:
                alert = None
            if alert is not None:
                fields = alert.output_fields
                raw = (
                    alert.rule,
                    alert.priority,
                    alert.hostname,
                    alert.source,
                    fields.container_id,
                    fields.container_name,
                    fields.proc_name,
                )
                values = labels.get(raw, False)
                if values is False:
                    values = _labels(builder, raw)
                if values is not None:
                    time_ns = quick_time(alert.time)

        if time_ns is None:
            line = LocatedLine(line_no, offset, length, data)
            for item in parse_located(line, origin):
                if isinstance(item, Skip):
                    skips.append(item)
                else:
                    builder.append_row(item)
        else:
            priority, rule, host, source, container, process = values
            priority_column(priority)
            time_column(time_ns)
            rule_column(rule)
            host_column(host)
            source_column(source)
            container_column(container)
            process_column(process)
            offset_column(offset)
            length_column(length)
            line_column(line_no)
        offset += length + 1
        line_no += 1


def _labels(builder: ColumnBuilder, raw: tuple) -> tuple | None:
    """Return the column values (string ids) for a standard alert's raw fields.

    ``raw`` is rule, priority, hostname and source from the document, then
    container.id, container.name and proc.name from its output fields, each
    a string or None. None means the alert takes the general parser. The
    result is remembered for the next alert with the same raw fields.
    """
    rule, priority_text, host, source, container_id, name, process = raw
    priority = PRIORITY_WORDS.get(priority_text)
    if priority is None or not rule or rule != rule.strip():
        builder.labels[raw] = None
        return None

    source = (source.strip() or None) if source is not None else None
    host = host.strip() if host is not None else ""
    if container_id == "" or container_id == "<NA>":
        container_id = None
    if name == "" or name == "<NA>":
        name = None
    if process is None or process == "" or process == "<NA>":
        process = ""
    else:
        process = list_label(process)
    container = container_label(container_id, name, source, "json")
    intern = builder.intern
    values = (
        priority,
        intern(rule),
        intern(host),
        intern(source or ""),
        intern(container),
        intern(process),
    )
    builder.labels[raw] = values
    return values
