"""Read alerts from standard input (or another binary stream) until it ends.

A pipe cannot be read twice, so a source that delivers rows copies what it
reads to a spool file and points its rows into it. The spool file is created
in ``spool_dir`` and unlinked at once. It has no name, and the system frees
its space when the source stops or the process exits, even after a crash.
"""

from __future__ import annotations

import logging
import os
import select
import tempfile
from pathlib import Path
from typing import BinaryIO

from tui.parsing.linefile import LineFile
from tui.parsing.lines import LineSplitter
from tui.sources.base import STOP_TIMEOUT_SECONDS, Source, SourceState

logger = logging.getLogger(__name__)

READ_SIZE = 1 << 16

# How long one select() waits for input. It bounds how long stop() waits for
# the thread and how long a partial batch stays queued.
SELECT_TIMEOUT_SECONDS = 0.05

STDIN_ORIGIN = "-"

# File descriptor 0 itself, because sys.stdin may have been replaced.
STDIN_FILENO = 0

SPOOL_PREFIX = "falco-tui-stdin-"
"""The name a spool file has between its creation and its unlink."""


class StdinSource(Source):
    """Read a pipe in a thread until end of file.

    The first input given is read: the named pipe at ``pipe_path`` (opened by
    the thread), the descriptor ``fd`` (owned and closed by the source), or the
    binary ``stream``. With none of them, the source duplicates fd 0 when it is
    created, so it keeps reading the pipe even if the app later points fd 0 at
    the terminal.

    A stream with a descriptor is read through ``os.read``, so bytes already
    buffered inside the stream object would be missed: pass a stream nothing
    has been read from. A stream without one (such as ``io.BytesIO``) is read
    with its own ``read1`` or ``read``.

    With ``rows=True`` it delivers rows (see ``Source.delivers_rows``) that
    point into a spool file in ``spool_dir`` (the system's temporary folder
    by default). ``stop`` closes the spool file, which frees its space, and
    rows read after that open with the unreadable note. When the spool file
    cannot be created or written, the rows keep their text instead.
    """

    def __init__(
        self,
        stream: BinaryIO | None = None,
        *,
        fd: int | None = None,
        pipe_path: Path | None = None,
        rows: bool = False,
        spool_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.pipe_path = pipe_path
        self.label = "stdin" if pipe_path is None else str(pipe_path)
        self.origin = STDIN_ORIGIN if pipe_path is None else str(pipe_path)
        self.delivers_rows = rows
        self.spool_dir = spool_dir
        self._splitter = LineSplitter(self.origin, offsets=rows)
        self._spool_fd: int | None = None
        self._spool: LineFile | None = None
        self._stream = stream
        self._fd: int | None = None
        self._owns_fd = False

        if pipe_path is not None:
            # Opened by the thread, because opening a named pipe blocks until
            # a writer opens it too.
            self._owns_fd = True
        elif fd is not None:
            self._fd = fd
            self._owns_fd = True
        elif stream is None:
            self._fd = os.dup(STDIN_FILENO)
            self._owns_fd = True
        else:
            self._fd = _fileno_or_none(stream)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the thread, or close the duplicated descriptor if never started.

        The spool file is closed too, which deletes it.
        """
        super().stop(timeout)
        if self._thread is None and self._owns_fd and self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._spool is not None:
            self._spool.discard()

    def _run(self) -> None:
        name = "standard input" if self.pipe_path is None else str(self.pipe_path)
        self._set_status(SourceState.FOLLOWING, f"Reading {name}.")
        if self.delivers_rows:
            self._open_spool()
        try:
            self._read_input(name)
        finally:
            self._close_spool_writer()

    def _read_input(self, name: str) -> None:
        try:
            if self.pipe_path is not None:
                # NOTE: stop() cannot interrupt this open. A pipe that never
                # gets a writer leaves the (daemon) thread blocked here.
                self._fd = os.open(self.pipe_path, os.O_RDONLY | os.O_CLOEXEC)
            if self._fd is not None:
                self._read_fd(self._fd)
            else:
                assert self._stream is not None
                self._read_stream(self._stream)
        except OSError as error:
            self._flush_items()
            self._set_status(
                SourceState.ERROR,
                f"Reading {name} failed: {error.strerror or error}. "
                "Restart falco-tui with the input piped again.",
            )
            return
        finally:
            if self._owns_fd and self._fd is not None:
                os.close(self._fd)

        if self.stopped:
            return
        self._deliver_lines(self._splitter.flush(), self.origin)
        self._flush_items()
        self._set_status(SourceState.ENDED, f"{name[0].upper()}{name[1:]} ended.")

    def _read_fd(self, fd: int) -> None:
        """Read until end of file, waking every ``SELECT_TIMEOUT_SECONDS``.

        select() keeps the thread responsive to stop() while the writer is
        quiet, and lets a partial batch go out when input pauses.
        """
        while not self.stopped:
            readable, _, _ = select.select([fd], [], [], SELECT_TIMEOUT_SECONDS)
            if not readable:
                self._flush_items()
                continue

            chunk = os.read(fd, READ_SIZE)
            if not chunk:
                return
            self._spool_chunk(chunk)
            self._deliver_lines(self._splitter.feed(chunk), self.origin)

    def _read_stream(self, stream: BinaryIO) -> None:
        # NOTE: a stream without a file descriptor cannot be waited on, so a
        # blocking read here delays stop() until the stream returns data.
        read = getattr(stream, "read1", stream.read)
        while not self.stopped:
            chunk = read(READ_SIZE)
            if not chunk:
                return
            self._spool_chunk(chunk)
            self._deliver_lines(self._splitter.feed(chunk), self.origin)

    def _open_spool(self) -> None:
        """Create the spool file, unlinked at once, and locate lines in it."""
        folder = self.spool_dir or Path(tempfile.gettempdir())
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=SPOOL_PREFIX, dir=folder)
        except OSError as error:
            logger.warning(
                "creating a spool file in %s failed: %s. Rows of %s keep their text",
                folder,
                error,
                self.label,
            )
            return

        os.unlink(path)
        self._spool_fd = fd
        # The rows name the pipe, not the spool, so the raw view labels the
        # line by the input it came from.
        self._spool = LineFile(fd, self.origin, reopenable=False)
        self._splitter.file = self._spool

    def _spool_chunk(self, chunk: bytes) -> None:
        """Append ``chunk`` to the spool file before its lines are split.

        After a failed write (a full disk) spooling stops, and later lines
        keep their text: rows already stored still read the bytes written.
        """
        if self._spool_fd is None:
            return
        view = memoryview(chunk)
        try:
            while view:
                written = os.write(self._spool_fd, view)
                view = view[written:]
        except OSError as error:
            logger.warning(
                "writing the spool file of %s failed: %s. Later rows keep their text",
                self.label,
                error,
            )
            self._close_spool_writer()
            self._splitter.file = None

    def _close_spool_writer(self) -> None:
        """Close the descriptor that writes the spool file; its ``LineFile`` stays."""
        if self._spool_fd is not None:
            os.close(self._spool_fd)
            self._spool_fd = None


def _fileno_or_none(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        # io.BytesIO and similar in-memory streams have no file descriptor.
        return None
