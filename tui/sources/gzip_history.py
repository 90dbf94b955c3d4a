"""Read gzip-compressed rotated files (``events.json.1.gz``) as history.

Logrotate's ``compress`` option leaves older alerts in gzip files that are
never appended to. They are read once, from start to end, and never followed.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from tui.parsing.alert import Skip
from tui.parsing.lines import Line, LineSplitter
from tui.sources.base import Source, SourceState

READ_SIZE = 1 << 16

FIRST_LINE_MAX_BYTES = 1 << 20
"""How many decompressed bytes ``first_gzip_line`` reads at most."""

GZIP_SUFFIX = ".gz"

LinesCallback = Callable[[list[Line | Skip], str], None]


def is_gzip_path(path: Path | str) -> bool:
    """Return True when the file name ends in ``.gz``."""
    return str(path).endswith(GZIP_SUFFIX)


def read_gzip_file(
    path: Path,
    deliver: LinesCallback,
    stop_event: threading.Event,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Decompress ``path`` and deliver its lines until its end or a stop request.

    ``on_bytes`` receives the compressed bytes read so far, after each chunk.
    Raises ``OSError`` when the file cannot be opened, or is not valid gzip
    (``gzip.BadGzipFile`` and truncated streams are reported as ``OSError``).
    """
    origin = str(path)
    splitter = LineSplitter(origin)
    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        while not stop_event.is_set():
            try:
                chunk = stream.read1(READ_SIZE)
            except (EOFError, zlib.error) as error:
                raise OSError(f"invalid gzip data: {error}") from error
            if not chunk:
                break
            deliver(splitter.feed(chunk), origin)
            if on_bytes is not None:
                on_bytes(raw.tell())
    if not stop_event.is_set():
        deliver(splitter.flush(), origin)


def first_gzip_line(path: Path) -> str | None:
    """Return the first line of ``path`` that decodes, or None if there is none.

    Only the first ``FIRST_LINE_MAX_BYTES`` decompressed bytes are read.
    Raises ``OSError`` like ``read_gzip_file``.
    """
    splitter = LineSplitter(str(path))
    read = 0
    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        while read < FIRST_LINE_MAX_BYTES:
            try:
                chunk = stream.read1(READ_SIZE)
            except (EOFError, zlib.error) as error:
                raise OSError(f"invalid gzip data: {error}") from error
            read += len(chunk)
            lines = splitter.feed(chunk) if chunk else splitter.flush()
            for line in lines:
                if not isinstance(line, Skip):
                    return line[1]
            if not chunk:
                return None
    return None


class GzipSource(Source):
    """Read one gzip file as history, then end.

    With ``rows=True`` it delivers rows that keep their line's text (see
    ``Source.delivers_rows``). They cannot point into the file, because a
    byte offset in the decompressed stream is read back only by
    decompressing the file up to it.
    """

    def __init__(self, path: Path | str, *, rows: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self.label = str(self.path)
        self.delivers_rows = rows

    def _run(self) -> None:
        self._set_status(SourceState.READING_HISTORY, f"Reading {self.path}.")
        try:
            total = self.path.stat().st_size
            read_gzip_file(
                self.path,
                self._deliver_lines,
                self._stop_event,
                lambda done: self._set_history_progress(done, total),
            )
        except OSError as error:
            self._set_status(
                SourceState.ERROR,
                f"Reading {self.path} failed: {error.strerror or error}. "
                "Check that it is a readable gzip file.",
            )
            return

        self._history_read = total
        self._history_total = total
        self._set_status(
            SourceState.ENDED, f"Read {self.path} (compressed history) to its end."
        )
