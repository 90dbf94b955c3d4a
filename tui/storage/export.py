"""Write alerts back out as JSON Lines holding their original lines.

An alert indexed from a file (``IndexedFileSource``, used when the dashboard
opens one plain file) is written as the bytes of its line, read again from
the file. That includes alerts that arrived while the file was followed. A
line that ended in CRLF keeps its CRLF. Bytes that are not UTF-8 (read as
U+FFFD) are written unchanged too. Other alerts (standard input,
folders and several files, gzip and UTF-16 files) keep only their decoded
text, which is written as UTF-8 ending in LF. JSON Lines is UTF-8, so a UTF-16 file's lines come out
as UTF-8.

Only JSON alerts are written: a plain-text alert (Falco's ``json_output:
false``) is not a JSON document, so it is counted and left out. When the
alert's JSON shares its line with other text (a collector prefix such as
``falco_1 | ``, or a Falco log line glued to it), only the JSON is written.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from tui.parsing.alert import Alert
from tui.parsing.lines import decode_utf8
from tui.parsing.located import AlertRow, LocatedLine, decode_line, quick_row
from tui.storage.reread import find_matching_alert
from tui.storage.store import AlertStore

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ExportCounts:
    """How many alerts an export wrote and how many it left out, by reason."""

    written: int = 0
    text: int = 0
    """Plain-text alerts left out, because they are not JSON."""
    unreadable: int = 0
    """Indexed alerts whose line could not be read back from their file."""

    @property
    def left_out(self) -> int:
        """The number of alerts not written, over all reasons."""
        return self.text + self.unreadable


class LineWriter:
    """Write alerts' original JSON lines to a binary stream and count them."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.counts = ExportCounts()

    def write_alert(self, alert: Alert, line: bytes | None = None) -> None:
        """Write ``alert``, as ``line`` (its line's bytes from the file) if given.

        ``line`` is the line without its ``\\n``, so a CRLF line ends in
        ``\\r``. A plain-text alert is counted in ``counts.text`` instead.
        """
        if alert.kind != "json":
            self.counts.text += 1
            return

        document = json_text(alert)
        if document is None:
            self.counts.text += 1
            return

        if line is not None and _is_whole_line(line, document):
            self.write_line(line)
            return
        ending = b"\r\n" if line is not None and line.endswith(b"\r") else b"\n"
        self.stream.write(document.encode("utf-8") + ending)
        self.counts.written += 1

    def write_line(self, line: bytes) -> None:
        """Write the bytes of a line known to be one JSON alert, unchanged."""
        self.stream.write(line + b"\n")
        self.counts.written += 1

    def skip_unreadable(self) -> None:
        """Count an alert whose line could not be read back."""
        self.counts.unreadable += 1


def json_text(alert: Alert) -> str | None:
    """Return the JSON document of a JSON alert's line, or None if none is found.

    The parser keeps the whole line as ``raw``, collector prefix included, but
    keeps only the JSON part of a line that a Falco log line was glued to.
    """
    text = alert.raw.strip().lstrip("\ufeff")
    if text.startswith("{"):
        return text

    # A collector prefix (syslog, docker-compose, kubectl) ends before the
    # first brace, and none of those prefixes contains a brace.
    brace = text.find("{")
    if brace < 0:
        return None
    candidate = text[brace:]
    if not _is_json(candidate):
        return None
    return candidate


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson rejects integers beyond 64 bits, which the parser accepts.
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return False
    return True


def _is_whole_line(line: bytes, document: str) -> bool:
    """Return True when ``line`` is ``document`` with at most white space around."""
    if b"\x00" in line or line.startswith(codecs.BOM_UTF8):
        # NUL padding from copytruncate and a file's UTF-8 BOM are not part
        # of the alert, and either would make the exported line invalid JSON.
        return False
    # Bytes that are not UTF-8 match the U+FFFD they were parsed as, so the
    # line is still copied byte for byte.
    return decode_utf8(line).strip() == document


def export_rows(
    rows: Iterable[tuple[AlertRow, Alert | None]], stream: BinaryIO
) -> ExportCounts:
    """Write the original lines of ``rows`` to a binary ``stream``; return counts.

    Each item is a stored row and its alert, or None for a row indexed from a
    file (``offset`` >= 0 and no kept text): its line is read again from the
    file and parsed, and counted as unreadable when the file no longer contains
    the same alert there.
    """
    writer = LineWriter(stream)
    lines = LineReader()
    try:
        for row, alert in rows:
            if alert is not None:
                writer.write_alert(alert)
                continue
            _write_indexed(writer, lines, row)
    finally:
        lines.close()
    return writer.counts


def stored_rows(
    store: AlertStore, indices: Iterable[int]
) -> Iterable[tuple[AlertRow, Alert | None]]:
    """Yield each stored row at ``indices`` for ``export_rows``, in that order.

    A row indexed from a file comes with None, because ``export_rows`` reads
    its line itself; any other row comes with its alert.
    """
    for index in indices:
        row = store.row(index)
        if row.offset >= 0 and row.raw is None:
            yield row, None
        else:
            yield row, store.alert(index)


def export_to_file(
    rows: Iterable[tuple[AlertRow, Alert | None]], path: Path | str
) -> ExportCounts:
    """Write ``rows`` as ``export_rows`` does to a new file ``path``.

    Raises FileExistsError rather than overwrite a file, and OSError when the
    file cannot be written.
    """
    with open(path, "xb") as stream:
        return export_rows(rows, stream)


def _write_indexed(writer: LineWriter, lines: LineReader, row: AlertRow) -> None:
    data = lines.read(row)
    if data is None:
        writer.skip_unreadable()
        return

    # A line the indexer's fast path reads is one standard JSON alert with
    # only white space around it, so it is written as is, without a parse.
    located = LocatedLine(row.line_no, row.offset, row.length, data)
    quick = quick_row(located, row.origin)
    if quick is not None and _same_alert(quick, row):
        writer.write_line(data)
        return

    text = decode_line(data, row.origin, row.line_no)
    alert = find_matching_alert(row, text) if isinstance(text, str) else None
    if alert is None:
        logger.warning("%s changed: no alert at offset %d", row.origin, row.offset)
        writer.skip_unreadable()
        return
    writer.write_alert(alert, data)


def _same_alert(found: AlertRow, row: AlertRow) -> bool:
    return (
        found.rule == row.rule
        and found.priority is row.priority
        and found.time_ns == row.time_ns
    )


class LineReader:
    """Read lines by byte range, keeping the last file open between reads."""

    def __init__(self) -> None:
        self._path = ""
        self._stream: BinaryIO | None = None

    def read(self, row: AlertRow) -> bytes | None:
        """Return the bytes of ``row``'s line, or None when they cannot be read."""
        try:
            if row.file is not None:
                # A followed file's generation: rotated or deleted files stay
                # readable through its descriptor.
                data = row.file.read(row.offset, row.length)
                return data if len(data) == row.length else None
            if self._stream is None or self._path != row.origin:
                self.close()
                self._stream = open(row.origin, "rb")  # noqa: SIM115 - kept open
                self._path = row.origin
            self._stream.seek(row.offset)
            data = self._stream.read(row.length)
        except OSError as error:
            logger.warning(
                "re-reading %s at %d failed: %s", row.origin, row.offset, error
            )
            return None
        if len(data) != row.length:
            return None
        return data

    def close(self) -> None:
        """Close the open file, if any."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
