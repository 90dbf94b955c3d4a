"""Read alert lines together with their byte position, and parse them cheaply.

The compact store keeps only a few columns per alert and re-reads the full
line by ``(origin, offset, length)`` when the alert is opened. This module
finds those positions while splitting a file, and builds an ``AlertRow`` (the
columns) straight from the decoded JSON for the common Falco layout, which
costs a fraction of building a full ``Alert``. Any line the fast path does not
recognise goes through ``parse_line``, so the results match it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.linefile import LineFile
from tui.parsing.lines import SAMPLE_CHARS, decode_utf8
from tui.parsing.parser import parse_line
from tui.parsing.reader import iter_items
from tui.parsing.standard import (
    DECODE_ERRORS,
    OutputFields,
    StandardAlert,
    decode_alert,
    decode_standard,
)
from tui.parsing.text import printable
from tui.parsing.timefmt import parse_rfc3339

READ_SIZE = 1 << 20

MAX_LINE_BYTES = 1 << 20
"""Lines longer than this are skipped as ``line too long``, like LineSplitter."""

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(slots=True)
class LocatedLine:
    """One complete line as bytes, with its 1-based number and byte range."""

    line_no: int
    offset: int
    length: int
    """Bytes from ``offset`` up to, not including, the newline."""
    data: bytes


@dataclass(slots=True)
class AlertRow:
    """The list columns of one alert, and where its line is in its file.

    ``number`` is the alert's 1-based position among the alerts of its file.
    It is 0 while unknown: rows read from the end of a file first get it once
    the part before them was counted (see ``RowsNumbered``).
    """

    rule: str
    priority: Priority
    time_ns: int | None
    source: str | None
    hostname: str | None
    container: str
    process: str
    origin: str
    offset: int
    length: int
    line_no: int
    number: int = 0
    """The alert's number in its file, 0 until known, or ``NUMBER_ON_ARRIVAL``."""
    invalid_bytes: int = 0
    """The number of bytes in the line that are not UTF-8, each read as U+FFFD."""
    raw: str | None = None
    """The line's text, kept when there is no file offset to re-read it by."""
    file: LineFile | None = None
    """The open file to re-read the line from; None re-reads it by ``origin``."""

    # Alert.time reads only time_ns, so the same property serves rows.
    time = Alert.time


@dataclass(frozen=True, slots=True)
class RowsNumbered:
    """A marker: the rows of ``origin`` that had no number follow ``base`` alerts.

    The store numbers those rows ``base + 1``, ``base + 2``... in the order it
    received them, and adds ``line_base`` to their line numbers, which counted
    from the first line read.
    """

    origin: str
    base: int
    line_base: int = 0


LineRun = tuple[int, int, list[bytes]]
"""Consecutive complete lines: the first one's number and byte offset, and
each line's bytes without its newline."""


def iter_located_lines(
    stream: BinaryIO,
    start: int,
    end: int | None,
    first_line_no: int = 1,
    origin: str = "",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[LocatedLine | Skip]:
    """Yield the lines of ``stream`` from byte ``start`` up to byte ``end``.

    ``start`` must be a line start. With ``end`` None the stream is read to
    its end; a last line without a newline is yielded too. Over-long lines
    become one ``Skip`` each and memory stays bounded by ``max_line_bytes``
    plus ``READ_SIZE``.
    """
    for run in iter_line_runs(
        stream, start, end, first_line_no, origin, max_line_bytes
    ):
        if isinstance(run, Skip):
            yield run
            continue
        line_no, offset, pieces = run
        for data in pieces:
            yield LocatedLine(line_no, offset, len(data), data)
            offset += len(data) + 1
            line_no += 1


def iter_line_runs(
    stream: BinaryIO,
    start: int,
    end: int | None,
    first_line_no: int = 1,
    origin: str = "",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[LineRun | Skip]:
    """Yield the lines of ``stream`` like ``iter_located_lines``, a block at a time.

    Each ``LineRun`` is every complete line of one read, so a caller that
    loops over many lines pays for one object per read instead of per line.
    With ``start`` 0 the stream may be a pipe, which cannot seek.
    """
    if start or stream.seekable():
        stream.seek(start)
    offset = start
    line_no = first_line_no
    pending = b""
    discarding = False
    remaining = None if end is None else end - start

    while remaining is None or remaining > 0:
        size = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
        chunk = stream.read(size)
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)

        pieces = chunk.split(b"\n")
        last = pieces.pop()
        if pieces and discarding:
            # The first piece ends the over-long line, which was skipped.
            offset += len(pieces[0]) + 1
            line_no += 1
            del pieces[0]
            discarding = False
        elif pieces and pending:
            pieces[0] = pending + pieces[0]
            pending = b""
        if pieces:
            yield line_no, offset, pieces
            offset += sum(map(len, pieces)) + len(pieces)
            line_no += len(pieces)

        if discarding:
            offset += len(last)
            continue
        if len(pending) + len(last) > max_line_bytes:
            head = (pending + last[: SAMPLE_CHARS * 4])[: SAMPLE_CHARS * 4]
            yield Skip(
                "line too long",
                origin,
                line_no,
                printable(head.decode("utf-8", "replace")[:SAMPLE_CHARS]),
            )
            # The discarded line still counts its bytes, so offsets stay exact.
            offset += len(pending) + len(last)
            pending = b""
            discarding = True
            continue
        pending += last

    if pending and not discarding:
        yield line_no, offset, [pending]


def iter_rows(
    path: str | Path, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[AlertRow | Alert | Skip]:
    """Yield the rows and skips of the file at ``path``, in line order.

    Gzip and UTF-16 files go through ``iter_items`` (full alerts), because
    their byte offsets do not point into the file as stored. Raises
    ``OSError`` when the file cannot be opened or read.
    """
    path = str(path)
    with open(path, "rb") as stream:
        head = stream.read(2)
        if path.endswith(".gz") or head in UTF16_BOMS:
            yield from iter_items(path, max_line_bytes=max_line_bytes)
            return
        for line in iter_located_lines(stream, 0, None, 1, path, max_line_bytes):
            if isinstance(line, Skip):
                yield line
            else:
                yield from parse_located(line, path)


def line_start_at_or_after(stream: BinaryIO, position: int) -> int:
    """Return the start of the first line that begins at or after ``position``."""
    if position == 0:
        return 0
    stream.seek(position - 1)
    while True:
        block = stream.read(1 << 16)
        if not block:
            return stream.tell()
        newline = block.find(b"\n")
        if newline >= 0:
            return stream.tell() - len(block) + newline + 1


def split_at_lines(
    stream: BinaryIO, start: int, end: int, count: int
) -> list[tuple[int, int]]:
    """Split [start, end) into up to ``count`` ranges that begin at line starts.

    ``start`` must be a line start. Ranges are about equal in bytes, and
    fewer than ``count`` when a line spans a planned boundary.
    """
    starts = [start]
    for number in range(1, count):
        position = line_start_at_or_after(
            stream, start + (end - start) * number // count
        )
        if starts[-1] < position < end:
            starts.append(position)
    return list(zip(starts, [*starts[1:], end], strict=True))


def decode_line(data: bytes, origin: str, line_no: int) -> str | Skip:
    """Decode one raw line as ``LineSplitter`` would, or return why it is skipped."""
    saw_nul = b"\x00" in data
    if saw_nul:
        data = data.replace(b"\x00", b"")
    # A carriage return is one byte that no multi-byte sequence contains, so
    # removing it before decoding keeps the repair count of ``decode_utf8``.
    text = decode_utf8(data.removesuffix(b"\r"))
    if not text and saw_nul:
        return Skip("NUL padding", origin, line_no, "")
    return text


def parse_located(line: LocatedLine, origin: str) -> list[AlertRow | Skip]:
    """Parse a located line into rows and skips, the fast way when possible."""
    row = quick_row(line, origin)
    if row is not None:
        return [row]

    text = decode_line(line.data, origin, line.line_no)
    if isinstance(text, Skip):
        return [text]
    items: list[AlertRow | Skip] = []
    for item in parse_line(text, origin, line.line_no):
        if isinstance(item, Alert):
            items.append(row_from_alert(item, line.offset, line.length))
        else:
            items.append(item)
    return items


def row_from_alert(alert: Alert, offset: int = -1, length: int = 0) -> AlertRow:
    """Build the list columns of ``alert``; offset -1 means no file to re-read."""
    return AlertRow(
        rule=alert.rule,
        priority=alert.priority,
        time_ns=alert.time_ns,
        source=alert.source,
        hostname=alert.hostname,
        container=container_label(
            alert.field("container.id"),
            alert.field("container.name"),
            alert.source,
            alert.kind,
        ),
        process=_text(alert.field("proc.name")),
        origin=alert.origin,
        offset=offset,
        length=length,
        line_no=alert.line_no,
        invalid_bytes=alert.invalid_bytes,
    )


def container_label(container_id: Any, name: Any, source: str | None, kind: str) -> str:
    """Return the container's name, or ``host`` for a syscall event on the host."""
    if container_id == "host":
        return "host"
    if name is not None and name != "host":
        return list_label(name)
    if container_id is None and source in (None, "syscall"):
        return "host" if kind == "json" else ""
    return list_label(name or container_id)


_STANDARD_LOWER_KEYS = frozenset(
    {"rule", "priority", "time", "output", "output_fields", "tags", "source"}
    | {"hostname", "uuid"}
)

# Priority spellings Falco writes: label, name, lower-case name, and "Info".
PRIORITY_WORDS = {
    spelling: member
    for member in Priority
    for spelling in (member.label, member.name, member.name.lower())
}
PRIORITY_WORDS["Info"] = Priority.INFORMATIONAL

_SECOND_CACHE: dict[str, int | None] = {}
_SECOND_CACHE_MAX = 100_000


def parse_text_row(
    text: str,
    origin: str,
    line_no: int,
    offset: int = -1,
    length: int = 0,
    file: LineFile | None = None,
) -> list[AlertRow | Skip]:
    """Parse a decoded line into rows and skips.

    For lines that arrive while a file is followed. When the line's byte range
    in ``file`` is known (``offset`` 0 or more), the rows point at it, and the
    store re-reads the line when the alert is opened. Otherwise the rows keep
    the text.
    """
    keep_text = offset < 0 or file is None
    if keep_text:
        offset, length, file = -1, 0, None

    if text.startswith('{"'):
        row = _text_document_row(text, origin, offset, length, line_no)
        if row is not None:
            row.file = file
            row.raw = text if keep_text else None
            row.invalid_bytes = getattr(text, "invalid_bytes", 0)
            return [row]

    items: list[AlertRow | Skip] = []
    for item in parse_line(text, origin, line_no):
        if isinstance(item, Alert):
            row = row_from_alert(item, offset, length)
            row.file = file
            row.raw = item.raw if keep_text else None
            items.append(row)
        else:
            items.append(item)
    return items


def quick_row(line: LocatedLine, origin: str) -> AlertRow | None:
    """Build a row from a standard Falco JSON alert, or None to take the slow path."""
    data = line.data
    if not data.startswith(b'{"'):
        return None
    alert = decode_standard(data)
    return _json_row(alert, data, origin, line.offset, line.length, line.line_no)


def _text_document_row(
    text: str, origin: str, offset: int, length: int, line_no: int
) -> AlertRow | None:
    """Build a row from a decoded line that starts like a JSON object, or None."""
    # Any str is valid Unicode: bytes that were not UTF-8 are already U+FFFD
    # here, and the caller copies the count of them onto the row.
    try:
        alert = decode_alert(text)
    except (*DECODE_ERRORS, UnicodeEncodeError):
        alert = None
    return _json_row(alert, text, origin, offset, length, line_no)


def _json_row(
    alert: StandardAlert | None,
    data: bytes | str,
    origin: str,
    offset: int,
    length: int,
    line_no: int,
) -> AlertRow | None:
    """Build a row from the column decoder's result, or from orjson without one.

    A line the column decoder rejected may still be a standard alert with
    values it does not take (a number as hostname), which orjson reads.
    """
    if alert is None:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        alert = _standard_alert(document)
        if alert is None:
            return None
    return _standard_row(alert, origin, offset, length, line_no)


def _standard_alert(document: Any) -> StandardAlert | None:
    """Return the column values of an orjson document, or None.

    It accepts only the shape ``parse_line`` reads the same way: an object
    with exactly the standard lower-case keys, string rule, priority and
    time, and ``output_fields`` an object whose container and process fields
    are strings or missing. Source and hostname may be of any type.
    """
    if not isinstance(document, dict) or not _STANDARD_LOWER_KEYS.issuperset(document):
        return None

    get = document.get
    fields = get("output_fields")
    if not isinstance(fields, dict) or not _text_columns(fields):
        return None
    rule, priority, time_text = get("rule"), get("priority"), get("time")
    if not all(isinstance(value, str) for value in (rule, priority, time_text)):
        return None
    return StandardAlert(
        rule=rule,
        priority=priority,
        time=time_text,
        output_fields=OutputFields(
            container_id=fields.get("container.id"),
            container_name=fields.get("container.name"),
            proc_name=fields.get("proc.name"),
        ),
        hostname=get("hostname"),
        source=get("source"),
    )


def _standard_row(
    alert: StandardAlert, origin: str, offset: int, length: int, line_no: int
) -> AlertRow | None:
    """Check the column values of a standard alert and build its row, or None.

    Both decoders end here, so a line gives the same row whichever one read
    it. Source and hostname may be of any type when orjson read the line.
    """
    rule = alert.rule
    priority = PRIORITY_WORDS.get(alert.priority)
    if priority is None or not rule or rule != rule.strip():
        return None
    time_ns = quick_time(alert.time)
    if time_ns is None:
        return None

    fields = alert.output_fields
    source = text_or_none(alert.source)
    return AlertRow(
        rule=rule,
        priority=priority,
        time_ns=time_ns,
        source=source,
        hostname=text_or_none(alert.hostname),
        container=container_label(
            _present(fields.container_id),
            _present(fields.container_name),
            source,
            "json",
        ),
        process=_text(_present(fields.proc_name)),
        origin=origin,
        offset=offset,
        length=length,
        line_no=line_no,
    )


def _present(value: str | None) -> str | None:
    # Matches Alert.field: "<NA>", null and "" count as missing.
    return None if value == "" or value == "<NA>" else value


def _text_columns(fields: dict[str, Any]) -> bool:
    """Return True when the fields the list shows are strings or missing.

    orjson reads an integer beyond 64 bits as a float, and ``parse_line``
    keeps it exact, so only the general parser gives other values their label.
    """
    for name in ("container.id", "container.name", "proc.name"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            return False
    return True


def quick_time(text: str) -> int | None:
    """Parse Falco's ``YYYY-MM-DDTHH:MM:SS.fffffffffZ``, caching whole seconds."""
    if len(text) != 30 or text[19] != "." or text[29] != "Z":
        return parse_rfc3339(text)
    fraction = text[20:29]
    if not fraction.isdigit():
        return parse_rfc3339(text)

    second = text[:19]
    base = _SECOND_CACHE.get(second, -1)
    if base == -1:
        if len(_SECOND_CACHE) >= _SECOND_CACHE_MAX:
            _SECOND_CACHE.clear()
        base = parse_rfc3339(second + "Z")
        _SECOND_CACHE[second] = base
    if base is None:
        return None
    return base + int(fraction)


def _text(value: Any) -> str:
    return "" if value is None else list_label(value)


_LABELS: dict[Any, str] = {}
_LABELS_MAX = 100_000


def list_label(value: Any) -> str:
    """Return ``printable(value, 64)``, cached because names repeat a lot."""
    if not isinstance(value, str):
        # Lists and maps cannot be dictionary keys, and 1 would find True's.
        return printable(value, 64)
    label = _LABELS.get(value)
    if label is None:
        if len(_LABELS) >= _LABELS_MAX:
            _LABELS.clear()
        label = printable(value, 64)
        _LABELS[value] = label
    return label


def text_or_none(value: Any) -> str | None:
    """Return a string value stripped, or None for blanks and other types."""
    if isinstance(value, str):
        return value.strip() or None
    return None
