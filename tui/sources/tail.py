"""Follow files and folders as Falco appends alerts to them.

Each file is read to its end as history, then followed. A watchfiles watcher on
the parent folder wakes the reader when the file changes, is created, deleted
or renamed. A check every ``CHECK_INTERVAL_SECONDS`` covers what the watcher
cannot see (a symlinked file, a network file system, a dropped event).

Falco opens its ``file_output`` in append mode and does no rotation itself.
Logrotate either renames the file and has Falco reopen it (SIGUSR1, or
``keep_alive: false`` which reopens per alert) or copies and truncates it. The
follower handles both: a new inode at the path means rotation, and a size below
the read offset, or other bytes just before it than were read there, means
truncation. After a rotation the old file stays open and is drained until it
has been quiet for ``DRAIN_IDLE_SECONDS``, because Falco goes on writing to it
until it reopens the path.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from tui.parsing.alert import Skip
from tui.parsing.linefile import FileId, LineFile
from tui.parsing.lines import Line, LineSplitter, LocatedText
from tui.sources.base import Source, SourceState, event_message, is_event_message
from tui.sources.gzip_history import first_gzip_line, is_gzip_path, read_gzip_file
from tui.sources.rotated_copies import (
    TruncationCopies,
    find_truncation_copy,
    latest_compressed_copy,
    plain_copies,
)

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 1.0
"""The period of the safety-net check that runs without watcher events."""

RETRY_SECONDS = 3.0
"""How long a file in error waits before the next attempt to open it."""

READ_SIZE = 1 << 16

DRAIN_IDLE_SECONDS = 5.0
"""How long a rotated-away file must stay unchanged before it is closed."""

PARTIAL_LINE_IDLE_SECONDS = 2.0
"""Seconds an unterminated last line waits for its newline before it is
counted as it is. It is long enough for a writer that sends the newline in a
separate write."""

SAMPLE_BYTES = 4096
"""How many bytes at the file's start and before the read offset are compared
to detect a truncation."""

FROM_END_SCAN_BYTES = 1 << 16

GZIP_SETTLE_SECONDS = 1.0
"""How long a gzip file that appeared after start must keep its size and
modification time before it is read, so a file still being written (by
logrotate's compress or a copy) is read whole."""

# The watcher waits this long after a change for more changes before it wakes
# the reader, and never longer than WATCH_DEBOUNCE_MS in total during a burst.
WATCH_STEP_MS = 20
WATCH_DEBOUNCE_MS = 100

DIRECTORY_PATTERNS = (
    "*.json",
    "*.jsonl",
    "*.log",
    "*.json.gz",
    "*.json.*.gz",
    "*.json-*.gz",
    "*.jsonl.gz",
    "*.jsonl.*.gz",
    "*.jsonl-*.gz",
    "*.log.gz",
    "*.log.*.gz",
    "*.log-*.gz",
)
"""File names a folder source follows; gzip files (rotated history) are read once."""

StatusReport = Callable[["FileFollower"], None]

ProgressReport = Callable[["FileFollower"], None]


class _Drain:
    """A rotated-away file still open, read until it stays quiet."""

    def __init__(self, fd: int, splitter: LineSplitter, origin: str) -> None:
        self.fd = fd
        self.splitter = splitter
        self.origin = origin
        self.changed_at = time.monotonic()


class FileFollower:
    """Read one path to its end, then read what is appended, across rotations.

    A follower has no thread: its owner calls ``check`` after every watcher
    event and once a second. Complete lines go to ``deliver`` as
    ``LocatedText``: their byte range in the file, and in ``file`` the
    ``LineFile`` to re-read them from (None without ``line_files``, or when
    the bytes are gone). After each
    change of ``state`` or ``message`` the follower calls ``report``, and while
    it reads history it calls ``progress`` after every chunk.

    With ``from_end`` the content present at the first open is skipped: reading
    starts after its last complete line. With ``line_files`` each file
    generation gets a ``LineFile`` (one more open descriptor) for re-reading
    lines; without it ``LocatedText.file`` is None.
    """

    def __init__(
        self,
        path: Path,
        deliver: Callable[[list[Line | Skip], str], None],
        report: StatusReport,
        stop_event: threading.Event,
        progress: ProgressReport | None = None,
        from_end: bool = False,
        line_files: bool = False,
    ) -> None:
        self.path = path
        self.origin = str(path)
        # None until the first check, so the first state is always reported.
        self.state: SourceState | None = None
        self.message = ""
        self.from_end = from_end
        self.history_total = 0
        """Bytes in the file when it was first opened, unless skipped."""
        self._deliver = deliver
        self._report = report
        self._progress = progress
        self._stop_event = stop_event
        self._splitter = LineSplitter(self.origin, offsets=True)
        self._fd: int | None = None
        self._file_id: FileId | None = None
        self._link_target: str | None = None
        self._offset = 0
        self._sample = b""
        self._head = b""
        self._drains: list[_Drain] = []
        self._opened_once = False
        self._retry_at = 0.0
        self._partial_offset = -1
        self._partial_since = 0.0
        self._pending_reported = False
        self._line_files = line_files
        self._known_copy_heads: list[bytes] | None = None
        """The first bytes of the copies read or present at the last
        truncation, kept until a byte of the file after it is read; None
        otherwise (see ``_read_missed_copies``)."""
        self._copies_failed: set[Path] = set()
        """Copies that failed to open or read since the last truncation, each
        logged once although every check tries them again."""

    @property
    def file_id(self) -> FileId | None:
        """The identity of the open file, or None when none is open."""
        return self._file_id if self._fd is not None else None

    @property
    def history_read(self) -> int:
        """Bytes of the history read so far, at most ``history_total``."""
        if self.state is SourceState.READING_HISTORY:
            return min(self._offset, self.history_total)
        return self.history_total

    @property
    def draining(self) -> bool:
        """True while a rotated-away file is still open."""
        return bool(self._drains)

    def check(self) -> None:
        """Open the file if needed, read new bytes, and follow a rotation."""
        self.read_drains()
        reason: str | None = None
        while not self._stop_event.is_set():
            if self._fd is None and not self._open(reason):
                return
            if not self._read_available():
                return
            reason = self._replacement_reason()
            if reason is None:
                return

            self.retire()

    def finish(self) -> None:
        """Deliver each file's unterminated last line, then close the files.

        For a reader that stops: the lines are counted as ``summary`` counts
        a file's last line. A line cut where reading stopped before the end
        of the file is not delivered.
        """
        if self._fd is not None and _read_to_size(self._fd):
            self._deliver(self._splitter.flush(), self.origin)
        for drain in self._drains:
            if _read_to_size(drain.fd):
                self._deliver(drain.splitter.flush(), drain.origin)
        self.close()

    def close(self) -> None:
        """Close the open file and every drained one."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        for drain in self._drains:
            os.close(drain.fd)
        self._drains.clear()

    def rename(self, path: Path) -> None:
        """Follow the open file under ``path``, the name it was renamed to."""
        self.path = path
        self.origin = str(path)
        self._splitter.origin = self.origin
        if self._splitter.file is not None:
            self._splitter.file.path = self.origin
        self._set(SourceState.FOLLOWING, f"Following {path}.")

    def start_at(
        self, fd: int, offset: int, line_no: int, line_file: LineFile | None = None
    ) -> None:
        """Follow the open file ``fd`` from byte ``offset``, a line start.

        For a caller that read the file up to ``offset`` itself: the follower
        takes ``fd`` over and numbers the next line ``line_no``. Lines are
        located in ``line_file`` when given, so they share it with the rows the
        caller made.
        """
        file_stat = os.fstat(fd)
        self._fd = fd
        self._file_id = (file_stat.st_dev, file_stat.st_ino)
        self._link_target = _link_target(self.path)
        self._opened_once = True
        self._offset = offset
        self._remember_content()
        os.lseek(fd, offset, os.SEEK_SET)
        self._splitter.reset(first_line_no=line_no, first_offset=offset)
        self._splitter.file = line_file or self._open_line_file()
        self._set(SourceState.FOLLOWING, f"Following {self.path}.")

    def retire(self) -> None:
        """Keep the open file open as a drained file, to read its later appends.

        A writer that keeps the file open (Falco with ``keep_alive``, or until
        it reopens on SIGUSR1) appends to it after a rename.

        NOTE: a file renamed away and replaced twice before the follower opens
        it is never read. So is a drained file's new content when another
        program rewrites it in place (a copy into the rotated name), which the
        drain reads again. Logrotate moves the old rotated file away first.
        """
        if self._fd is None:
            return

        if self._splitter.file is not None:
            self._splitter.file.rotated = True
        self._drains.append(_Drain(self._fd, self._splitter, self.origin))
        self._fd = None
        self._file_id = None
        self._known_copy_heads = None
        self._splitter = LineSplitter(self.origin, offsets=True)

    def read_drains(self) -> None:
        """Read appends to rotated-away files, and close those unchanged for
        ``DRAIN_IDLE_SECONDS``."""
        now = time.monotonic()
        for drain in list(self._drains):
            try:
                grew = self._read_drain(drain)
            except OSError as error:
                logger.warning("reading the rotated %s failed: %s", drain.origin, error)
                grew = False
                drain.changed_at = 0.0

            if grew:
                drain.changed_at = now
            elif now - drain.changed_at >= DRAIN_IDLE_SECONDS:
                self._close_drain(drain)

    def _read_drain(self, drain: _Drain) -> bool:
        grew = False
        while not self._stop_event.is_set():
            chunk = os.read(drain.fd, READ_SIZE)
            if not chunk:
                return grew
            grew = True
            self._deliver(drain.splitter.feed(chunk), drain.origin)
        return grew

    def _close_drain(self, drain: _Drain) -> None:
        # The old file's unterminated last line can no longer be completed.
        self._deliver(drain.splitter.flush(), drain.origin)
        os.close(drain.fd)
        self._drains.remove(drain)

    def _open(self, reason: str | None) -> bool:
        """Open the path; return True when a regular file is open."""
        if self.state is SourceState.ERROR and time.monotonic() < self._retry_at:
            return False

        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            self._wait_for_file()
            return False
        except PermissionError:
            self._fail(
                f"Permission denied reading {self.path}: run as a user that can "
                f"read it, or copy the file. Retrying every {RETRY_SECONDS:.0f} "
                "seconds."
            )
            return False
        except OSError as error:
            self._fail(
                f"Cannot open {self.path}: {error.strerror or error}. Check the "
                "path and its permissions."
            )
            return False

        file_stat = os.fstat(fd)
        if not stat.S_ISREG(file_stat.st_mode):
            os.close(fd)
            self._reject_non_regular(file_stat.st_mode)
            return False

        self._fd = fd
        self._link_target = _link_target(self.path)
        self._start_reading((file_stat.st_dev, file_stat.st_ino), reason)
        return True

    def _start_reading(self, file_id: FileId, reason: str | None) -> None:
        if file_id == self._file_id:
            # The same file as before an error: go on where reading stopped.
            assert self._fd is not None
            os.lseek(self._fd, self._offset, os.SEEK_SET)
            self._set(SourceState.FOLLOWING, f"Following {self.path} again.")
            return

        self._file_id = file_id
        self._offset = 0
        self._sample = b""
        self._head = b""
        self._known_copy_heads = None
        self._splitter.reset(first_line_no=1, first_offset=0)
        self._splitter.file = self._open_line_file()
        if reason is not None:
            self._set(SourceState.FOLLOWING, reason)
        elif self._opened_once:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")
        elif self.from_end:
            self._skip_existing_content()
            self._set(SourceState.FOLLOWING, f"Following {self.path} from its end.")
        else:
            self.history_total = os.fstat(self._fd).st_size
            self._set(SourceState.READING_HISTORY, f"Reading {self.path}.")
        self._opened_once = True

    def _skip_existing_content(self) -> None:
        """Seek past the last complete line, so a line being written is kept."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        end = size
        while end > 0:
            start = max(0, end - FROM_END_SCAN_BYTES)
            block = os.pread(self._fd, end - start, start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                self._offset = start + newline + 1
                break
            end = start

        self._remember_content()
        self._splitter.reset(first_offset=self._offset)
        os.lseek(self._fd, self._offset, os.SEEK_SET)

    def _remember_content(self) -> None:
        """Keep the bytes that truncation checks compare, up to the offset."""
        assert self._fd is not None
        sample_start = max(0, self._offset - SAMPLE_BYTES)
        self._sample = os.pread(self._fd, self._offset - sample_start, sample_start)
        self._head = os.pread(self._fd, min(SAMPLE_BYTES, self._offset), 0)

    def _open_line_file(self) -> LineFile | None:
        """Return a ``LineFile`` for the open file, or None to keep lines as text."""
        assert self._fd is not None
        return self._line_file_for(self._fd, self.origin)

    def _line_file_for(self, fd: int, path: str) -> LineFile | None:
        """Return a ``LineFile`` for ``fd``, or None to keep lines as text."""
        if not self._line_files:
            return None
        try:
            return LineFile(fd, path)
        except OSError as error:
            # Out of descriptors: the rows keep their text instead.
            logger.warning("cannot keep %s open for re-reading: %s", path, error)
            return None

    def _read_available(self) -> bool:
        """Read what was appended; return False after a read error."""
        continued = self._splitter.continued_lines
        try:
            self._check_truncation()
            # Before the read, so a missed generation comes before the file's
            # lines, and after it, for a copytruncate during the read.
            self._read_missed_copies()
            self._read_to_end()
            self._read_missed_copies()
        except OSError as error:
            self.close()
            self._fail(
                f"Reading {self.path} failed: {error.strerror or error}. "
                f"Retrying every {RETRY_SECONDS:.0f} seconds."
            )
            return False

        if self._splitter.continued_lines != continued:
            self._report_continued_line()
        self._release_idle_partial_line()
        if self.state is SourceState.READING_HISTORY:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")
        return True

    def _release_idle_partial_line(self) -> None:
        """Deliver the unterminated last line once it waited too long for its newline.

        A file may end without a newline (a copy, an editor, a writer that
        died or pauses mid-line). After ``PARTIAL_LINE_IDLE_SECONDS`` without
        growth the line is counted as it is, as ``summary`` counts it. See
        ``LineSplitter.release_pending_line`` for a line that goes on later.
        Before that, once a check finds the file unchanged, the status
        reports the line as pending.
        """
        if not self._splitter.has_pending_line:
            self._partial_offset = -1
            self._end_pending_status()
            return
        now = time.monotonic()
        if self._offset != self._partial_offset:
            self._partial_offset = self._offset
            self._partial_since = now
            return
        if now - self._partial_since < PARTIAL_LINE_IDLE_SECONDS:
            self._report_pending_line()
            return

        self._deliver(self._splitter.release_pending_line(), self.origin)
        self._end_pending_status()

    def _report_pending_line(self) -> None:
        if self._pending_reported or self.state is not SourceState.FOLLOWING:
            return
        self._pending_reported = True
        self._set(
            SourceState.FOLLOWING,
            f"Following {self.path}. Its last line has no newline yet, so it "
            f"is counted once the file stays unchanged for "
            f"{PARTIAL_LINE_IDLE_SECONDS:g} seconds, or when reading stops.",
        )

    def _report_continued_line(self) -> None:
        if self.state is not SourceState.FOLLOWING:
            return
        message = (
            f"The last line of {self.path} went on after it was counted without "
            "its newline, so it is counted again, whole, when it ends."
        )
        self._set(SourceState.FOLLOWING, event_message(message))

    def _end_pending_status(self) -> None:
        if not self._pending_reported:
            return
        self._pending_reported = False
        if self.state is SourceState.FOLLOWING:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")

    def _read_to_end(self) -> None:
        """Read until end of file (or a stop request) and deliver whole lines.

        A partial last line stays in the splitter until its newline arrives.
        """
        assert self._fd is not None
        while not self._stop_event.is_set():
            chunk = os.read(self._fd, READ_SIZE)
            if not chunk:
                return
            self._offset += len(chunk)
            if len(chunk) >= SAMPLE_BYTES:
                self._sample = chunk[-SAMPLE_BYTES:]
            else:
                self._sample = (self._sample + chunk)[-SAMPLE_BYTES:]
            if len(self._head) < SAMPLE_BYTES:
                self._head = (self._head + chunk)[:SAMPLE_BYTES]
            self._deliver(self._splitter.feed(chunk), self.origin)
            if self._progress is not None and self.state is SourceState.READING_HISTORY:
                self._progress(self)

    def _check_truncation(self) -> None:
        """Start again at byte 0 when the content read so far is gone.

        A size below the read offset is a truncation. A file that was truncated
        and has grown past the old offset again is caught by comparing the
        bytes at its start and just before the offset with the ones read there.
        """
        assert self._fd is not None
        if self._offset == 0 or self._content_unchanged():
            return

        # copytruncate rotation, or `> file`: the old content is gone from
        # the path. Logrotate's copy, when one is beside the file, contains it
        # and what was appended after the last read. Copies made after that
        # one contain whole generations written between two checks.
        old_offset = self._offset
        self._known_copy_heads = [*self._copy_heads(), self._head]
        self._copies_failed.clear()
        copies = find_truncation_copy(self.path, old_offset, self._sample, self._head)
        os.lseek(self._fd, 0, os.SEEK_SET)
        self._offset = 0
        self._sample = b""
        self._head = b""
        if copies is None:
            message = self._end_generation_lost()
        else:
            recovered = self._end_generation_from_copy(
                copies.fd, copies.path, old_offset
            )
            newer_read, failed = self._read_newer_copies(copies.newer)
            message = self._copies_message(copies, recovered, newer_read, failed)
        self._splitter.reset(first_line_no=1, first_offset=0)
        self._splitter.file = self._open_line_file()
        self._set(SourceState.FOLLOWING, event_message(message))

    def _end_generation_lost(self) -> str:
        """Deliver the buffered partial line as text, since its bytes are gone."""
        old_file = self._splitter.file
        self._splitter.file = None
        self._deliver(self._splitter.flush(), self.origin)
        if old_file is not None:
            old_file.mark_truncated()
        message = (
            f"{self.path} was truncated; reading it again from the start. No "
            "copy with the bytes read was found beside it, so alerts written "
            "just before the truncation may be missing: look for them in the "
            "rotated copy (for example its .1 or -YYYYMMDD file)."
        )
        compressed = latest_compressed_copy(self.path)
        if compressed is not None:
            message += (
                f" The compressed copy modified last, {compressed}, is not read "
                "here and may contain them."
            )
        return message

    def _end_generation_from_copy(self, fd: int, copy: Path, old_offset: int) -> int:
        """Read the copy from ``old_offset`` to its end; return the bytes read.

        The lines get the numbers and offsets they had in the truncated file,
        which are the same in the copy. Rows read before re-read from the copy.
        """
        old_file = self._splitter.file
        try:
            if old_file is not None:
                old_file.move_to_copy(fd, str(copy))
            recovered = self._read_copy(fd, old_offset)
        finally:
            os.close(fd)
        self._deliver(self._splitter.flush(), self.origin)
        logger.info(
            "%s was truncated; read %d bytes appended before it from %s",
            self.path,
            recovered,
            copy,
        )
        return recovered

    def _read_newer_copies(
        self, copies: list[Path]
    ) -> tuple[list[tuple[Path, int]], list[Path]]:
        """Read each copy whole, oldest first, as a generation of the file.

        Returns the copies read with their sizes, and the copies that failed.
        A copy that starts like the file at the path is a copy of the file's
        current content: logrotate is still copying it, or has not truncated
        the file yet. That copy and any newer one are left for the file itself.
        """
        assert self._fd is not None
        current_head = os.pread(self._fd, SAMPLE_BYTES, 0)
        read: list[tuple[Path, int]] = []
        failed: list[Path] = []
        for copy in copies:
            try:
                fd = os.open(copy, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as error:
                logger.warning("opening the copy %s failed: %s", copy, error)
                failed.append(copy)
                continue

            try:
                if _starts_alike(os.pread(fd, SAMPLE_BYTES, 0), current_head):
                    break
                read.append((copy, self._read_whole_copy(fd, copy)))
            except OSError as error:
                logger.warning("reading the copy %s failed: %s", copy, error)
                failed.append(copy)
            finally:
                os.close(fd)
        return read, failed

    def _read_whole_copy(self, fd: int, copy: Path) -> int:
        """Deliver the lines of the copy open at ``fd``; return the bytes read.

        The copy's lines are numbered and located in the copy. The file's own
        splitter is left as it is, with any partial line it holds.
        """
        if self._known_copy_heads is not None:
            self._known_copy_heads.append(os.pread(fd, SAMPLE_BYTES, 0))
        splitter = LineSplitter(self.origin, offsets=True)
        splitter.file = self._line_file_for(fd, str(copy))
        size = self._read_copy(fd, 0, splitter)
        self._deliver(splitter.flush(), self.origin)
        logger.info("%s was truncated; read the copy %s whole", self.path, copy)
        return size

    def _copy_heads(self) -> list[bytes]:
        """Return the first bytes of each copy of the path that is not a copy
        of the open file's current content."""
        assert self._fd is not None
        heads: list[bytes] = []
        for copy in plain_copies(self.path):
            try:
                head = _read_head(copy)
            except OSError:
                continue
            # Read after the copy, so a copy finished and truncated in between
            # is not taken for a copy of the current content.
            current = os.pread(self._fd, SAMPLE_BYTES, 0)
            if not _starts_alike(head, current):
                heads.append(head)
        return heads

    def _read_missed_copies(self) -> None:
        """Read every copy of file content that was truncated before it was read.

        After a truncation the file is read again from byte 0. Until one byte
        of it is read, a copytruncate leaves nothing to compare in the file,
        and its copy is the only place that content is. So until then, and
        once after, each check reads every copy that starts unlike the copies
        known at the truncation and unlike the file's content, oldest first.
        Empty copies and the open file itself (renamed to a copy's name) are
        skipped.

        NOTE: this runs only after a truncation. A copytruncate of a new file
        (after a rename rotation) before its first read is not detected, and
        a missed copy that logrotate compressed at once is neither read nor
        named.
        """
        if self._known_copy_heads is None:
            return

        for copy in plain_copies(self.path):
            try:
                fd = os.open(copy, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as error:
                self._log_copy_error(copy, "opening", error)
                continue

            try:
                if self._is_missed_copy(fd):
                    size = self._read_whole_copy(fd, copy)
                    self._report_missed_copy(copy, size)
            except OSError as error:
                self._log_copy_error(copy, "reading", error)
            finally:
                os.close(fd)

        if self._offset > 0:
            # From now on a truncation changes the bytes read, which the
            # next check compares.
            self._known_copy_heads = None

    def _log_copy_error(self, copy: Path, action: str, error: OSError) -> None:
        if copy not in self._copies_failed:
            self._copies_failed.add(copy)
            logger.warning("%s the copy %s failed: %s", action, copy, error)

    def _is_missed_copy(self, fd: int) -> bool:
        """Return True when the copy open at ``fd`` contains file content not read."""
        assert self._fd is not None and self._known_copy_heads is not None
        file_stat = os.fstat(fd)
        if not stat.S_ISREG(file_stat.st_mode):
            return False
        if (file_stat.st_dev, file_stat.st_ino) == self._file_id:
            return False

        head = os.pread(fd, SAMPLE_BYTES, 0)
        if not head:
            return False
        if any(_starts_alike(head, known) for known in self._known_copy_heads):
            return False
        if _starts_alike(head, self._head):
            # A copy of the content read: the next truncation check finds it.
            return False
        # Read after the copy's start: a copy logrotate is still making
        # starts like the file until the file is truncated.
        return not _starts_alike(head, os.pread(self._fd, SAMPLE_BYTES, 0))

    def _report_missed_copy(self, copy: Path, size: int) -> None:
        message = (
            f"{self.path} was copied to {copy} and truncated again before any "
            f"of it was read here; read that copy whole ({size} bytes)."
        )
        self._set(SourceState.FOLLOWING, event_message(message))

    def _copies_message(
        self,
        copies: TruncationCopies,
        recovered: int,
        newer_read: list[tuple[Path, int]],
        failed: list[Path],
    ) -> str:
        """Describe which copies were read after a truncation, and which were not."""
        message = (
            f"{self.path} was truncated after it was copied to {copies.path}; "
            f"read the {recovered} bytes written before the truncation from "
            "that copy"
        )
        if newer_read:
            names = ", ".join(f"{copy} ({size} bytes)" for copy, size in newer_read)
            message += f", then the newer copies {names} whole"
        message += ", and reading the file again from the start."
        if failed:
            names = ", ".join(str(copy) for copy in failed)
            message += f" The newer copies {names} could not be read."
        if copies.compressed:
            names = ", ".join(str(copy) for copy in copies.compressed)
            message += (
                f" The compressed copies {names} are not read here, and may "
                "contain alerts written between the truncations."
            )
        return message

    def _read_copy(
        self, fd: int, offset: int, splitter: LineSplitter | None = None
    ) -> int:
        """Feed the copy's bytes from ``offset`` on to ``splitter``, by default
        the file's; return the count."""
        splitter = splitter or self._splitter
        total = 0
        while not self._stop_event.is_set():
            chunk = os.pread(fd, READ_SIZE, offset + total)
            if not chunk:
                break
            total += len(chunk)
            self._deliver(splitter.feed(chunk), self.origin)
        return total

    def _content_unchanged(self) -> bool:
        """Return True when the bytes read before still sit where they were.

        NOTE: a truncation is missed when the new content repeats the old
        bytes at both places compared, and the new content before the old
        offset is then lost. Falco's alerts differ in their nanosecond time
        near the end of each line, so only identical alerts repeat. A
        truncation that happens while a read is in progress is not detected
        either: the read goes on at the old offset in the new content.
        """
        assert self._fd is not None
        if os.fstat(self._fd).st_size < self._offset:
            return False
        if os.pread(self._fd, len(self._head), 0) != self._head:
            return False
        start = self._offset - len(self._sample)
        return os.pread(self._fd, len(self._sample), start) == self._sample

    def _replacement_reason(self) -> str | None:
        """Return why the path now names another file than the open one, or None."""
        try:
            path_stat = os.stat(self.path)
        except FileNotFoundError:
            # Renamed or deleted. A writer that keeps the file open may still
            # append to it, so the handle stays open until a new file appears.
            self._set(
                SourceState.WAITING,
                f"{self.path} was deleted or renamed; waiting for a new file "
                "at that path.",
            )
            return None
        except OSError:
            # The path cannot be checked right now (for example a permission
            # change on the folder); reading the open handle goes on.
            return None

        if (path_stat.st_dev, path_stat.st_ino) == self._file_id:
            if self.state is SourceState.WAITING:
                self._set(SourceState.FOLLOWING, f"Following {self.path}.")
            return None

        target = _link_target(self.path)
        if target is not None and target != self._link_target:
            return event_message(
                f"{self.path} now points to {target}; following it from its start."
            )
        return event_message(
            f"{self.path} was rotated or recreated; following the new file "
            "from its start."
        )

    def _wait_for_file(self) -> None:
        # A file created after start contains only new lines, so none is skipped.
        if not self._opened_once:
            self.from_end = False
        if self.state is not SourceState.WAITING:
            self._set(
                SourceState.WAITING,
                f"{self.path} does not exist yet; its alerts appear once it is "
                "created. If it should exist, check the path, or file_output "
                "in falco.yaml.",
            )

    def _reject_non_regular(self, mode: int) -> None:
        if stat.S_ISDIR(mode):
            self._fail(
                f"Cannot read {self.path}: it is a folder. Pass the folder itself "
                "to follow the files in it."
            )
        else:
            self._fail(
                f"Cannot follow {self.path}: it is not a regular file. Read a "
                f"named pipe as standard input: falco-tui - < {self.path}"
            )

    def _fail(self, message: str) -> None:
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._set(SourceState.ERROR, message)

    def _set(self, state: SourceState, message: str) -> None:
        if state == self.state and message == self.message:
            return
        self.state = state
        self.message = message
        self._report(self)


def _link_target(path: Path) -> str | None:
    """Return the target of the symlink at ``path``, or None for other files."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def _read_to_size(fd: int) -> bool:
    """Return True when the position of ``fd`` is at the file's current size."""
    try:
        return os.lseek(fd, 0, os.SEEK_CUR) >= os.fstat(fd).st_size
    except OSError:
        return False


def _read_head(path: Path) -> bytes:
    """Return the first ``SAMPLE_BYTES`` of the file at ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.pread(fd, SAMPLE_BYTES, 0)
    finally:
        os.close(fd)


def _starts_alike(first: bytes, second: bytes) -> bool:
    """Return True when neither is empty and the shorter starts the longer."""
    length = min(len(first), len(second))
    return length > 0 and first[:length] == second[:length]


def list_matching_files(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Return the files in ``folder`` whose names match a pattern, sorted by name.

    Matching is case-sensitive. Raises ``OSError`` when the folder cannot be
    listed.
    """
    names = [
        entry.name
        for entry in os.scandir(folder)
        if entry.is_file()
        and any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in patterns)
    ]
    return [folder / name for name in sorted(names)]


def watch_folder(
    folder: Path,
    stop_event: threading.Event,
    poll: bool,
    on_tick: Callable[[], None],
) -> None:
    """Call ``on_tick`` after changes in ``folder`` and every second, until stop.

    While the folder is missing, ``on_tick`` runs once a second. The watcher
    starts when the folder appears, and starts again if the folder is removed
    and created again.
    """
    while not stop_event.is_set():
        if not folder.is_dir():
            on_tick()
            stop_event.wait(CHECK_INTERVAL_SECONDS)
            continue

        try:
            _watch_existing_folder(folder, stop_event, poll, on_tick)
        except (OSError, RuntimeError) as error:
            # watchfiles raises FileNotFoundError when the folder vanished
            # before the watcher started. Other failures to set up a watch
            # are retried the same way.
            logger.warning("watching %s failed: %s; retrying", folder, error)
            stop_event.wait(CHECK_INTERVAL_SECONDS)


def _watch_existing_folder(
    folder: Path,
    stop_event: threading.Event,
    poll: bool,
    on_tick: Callable[[], None],
) -> None:
    watcher = watchfiles.watch(
        folder,
        watch_filter=None,
        debounce=WATCH_DEBOUNCE_MS,
        step=WATCH_STEP_MS,
        stop_event=stop_event,
        rust_timeout=int(CHECK_INTERVAL_SECONDS * 1000),
        yield_on_timeout=True,
        raise_interrupt=False,
        force_polling=poll,
        recursive=False,
    )
    # The file may have changed between the caller's first read and the
    # watcher's start, so check once before the first event.
    on_tick()
    for _changes in watcher:
        on_tick()
        if not folder.is_dir():
            return


class FileSource(Source):
    """Follow one file, which may not exist yet.

    With ``poll=True`` the watcher polls instead of using inotify, for file
    systems that send no events (NFS, some container mounts). With
    ``from_end=True`` the content present at start is skipped. A symlink's
    target in another folder sends no events to the watched folder, so its
    appends are seen by the check every ``CHECK_INTERVAL_SECONDS``. With
    ``rows=True`` it delivers rows that point at their lines in the file
    (see ``Source.delivers_rows``).
    """

    keeps_line_files = False
    """Whether delivered lines carry a ``LineFile``; subclasses that store
    rows by offset set it."""

    def __init__(
        self,
        path: Path | str,
        poll: bool = False,
        from_end: bool = False,
        *,
        rows: bool = False,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.label = str(self.path)
        self.poll = poll
        self.delivers_rows = rows
        self._follower = FileFollower(
            self.path,
            self._deliver_lines,
            self._report,
            self._stop_event,
            progress=self._report_progress,
            from_end=from_end,
            line_files=self.keeps_line_files or rows,
        )

    def _run(self) -> None:
        try:
            self._check()
            folder = self.path.absolute().parent
            watch_folder(folder, self._stop_event, self.poll, self._check)
        finally:
            self._follower.finish()

    def _check(self) -> None:
        self._follower.check()
        self._flush_items()

    def _report(self, follower: FileFollower) -> None:
        self._history_read = follower.history_read
        self._history_total = follower.history_total
        self._set_status(follower.state, follower.message)

    def _report_progress(self, follower: FileFollower) -> None:
        self._set_history_progress(follower.history_read, follower.history_total)


class DirectorySource(Source):
    """Follow every file in a folder whose name matches ``patterns``.

    Files are read in name order, and files created later are followed too.
    Gzip files (``*.gz``) present at start are read once as history. A gzip
    file that appears later is read too, unless its first line is the first
    line of a file already read: logrotate makes such files from rotated files
    whose lines were read while they were followed. Either way a notice names
    the file.

    With ``rows=True`` it delivers rows (see ``Source.delivers_rows``): each
    file generation gets a ``LineFile`` that rows point into, and a gzip
    file's rows keep their text, because offsets into the decompressed
    stream cannot be read back without decompressing it again.
    """

    def __init__(
        self,
        folder: Path | str,
        patterns: tuple[str, ...] = DIRECTORY_PATTERNS,
        poll: bool = False,
        from_end: bool = False,
        *,
        rows: bool = False,
    ) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.delivers_rows = rows
        self.patterns = patterns
        self.poll = poll
        self.from_end = from_end
        if patterns == DIRECTORY_PATTERNS:
            self.label = str(self.folder)
        else:
            self.label = str(self.folder / ",".join(patterns))
        self._followers: dict[Path, FileFollower] = {}
        self._retired: list[FileFollower] = []
        self._gzip_seen: set[Path] = set()
        self._gzip_settling: dict[Path, tuple[int, int, float]] = {}
        """Later gzip files not read yet: their size, mtime and since when."""
        self._first_lines: set[int] = set()
        """Hashes of the first line of every file (and file generation) read."""
        self._gzip_bytes_read = 0
        self._scanned = False
        self._folder_error: str | None = None

    def _run(self) -> None:
        try:
            self._check()
            watch_folder(self.folder, self._stop_event, self.poll, self._check)
        finally:
            # Each file's unterminated last line counts, as for a lone file.
            for follower in [*self._followers.values(), *self._retired]:
                follower.finish()

    def _check(self) -> None:
        files = self._list_matching_files()
        if not self._scanned:
            self._start_history(files)

        for path in files:
            if is_gzip_path(path):
                self._read_gzip_once(path)
            elif path not in self._followers:
                self._add_follower(path)

        for follower in list(self._followers.values()):
            if self._stop_event.is_set():
                return
            follower.check()
            self._forget_if_deleted(follower)
        self._read_retired()
        self._flush_items()

        self._scanned = True
        self._report(None)

    def _start_history(self, files: list[Path]) -> None:
        """Record the bytes to read as history; gzip files come first."""
        total = 0
        for path in files:
            try:
                total += path.stat().st_size
            except OSError:
                continue
        self._history_total = 0 if self.from_end else total
        if self.from_end:
            # Skipping history skips the compressed files too.
            self._gzip_seen.update(path for path in files if is_gzip_path(path))
        files.sort(key=lambda path: not is_gzip_path(path))

    def _deliver_lines(
        self, lines: list[Line | LocatedText | Skip], origin: str
    ) -> None:
        """Remember each file's first line, then parse and queue the lines."""
        for line in lines:
            if not isinstance(line, Skip) and line[0] == 1:
                self._first_lines.add(hash(line[1]))
        super()._deliver_lines(lines, origin)

    def _read_gzip_once(self, path: Path) -> None:
        if path in self._gzip_seen:
            return
        if not self._scanned:
            self._gzip_seen.add(path)
            self._read_gzip(path)
        elif self._gzip_settled(path):
            self._gzip_seen.add(path)
            self._read_later_gzip(path)

    def _gzip_settled(self, path: Path) -> bool:
        """Return True once ``path`` kept its size and mtime for the settle time.

        NOTE: a writer that pauses longer than ``GZIP_SETTLE_SECONDS`` in the
        middle of the file makes it read early, and the rest is reported as
        an unreadable gzip file.
        """
        try:
            file_stat = path.stat()
        except OSError:
            # Gone before it settled, or unreadable: the next scan retries.
            self._gzip_settling.pop(path, None)
            return False

        now = time.monotonic()
        shape = (file_stat.st_size, file_stat.st_mtime_ns)
        size, mtime_ns, since = self._gzip_settling.get(path, (-1, -1, now))
        if (size, mtime_ns) != shape:
            self._gzip_settling[path] = (*shape, now)
            return False
        if now - since < GZIP_SETTLE_SECONDS:
            return False
        del self._gzip_settling[path]
        return True

    def _read_later_gzip(self, path: Path) -> None:
        """Read a gzip file that appeared after start, unless it repeats one read."""
        try:
            first_line = first_gzip_line(path)
        except OSError as error:
            logger.warning("reading %s failed: %s", path, error)
            skip = Skip("unreadable gzip file", origin=str(path), sample=str(error))
            self._deliver([skip])
            return

        if first_line is not None and hash(first_line) in self._first_lines:
            logger.info("skipping %s: it repeats lines already read", path)
            message = f"Skipped {path}: it starts like a file already read, so "
            message += "it repeats alerts already shown."
        elif self.from_end:
            message = f"Skipped {path}: it contains older alerts, and this folder "
            message += "is read from its end."
        else:
            self._read_gzip(path)
            message = f"Read {path}, a compressed file that appeared after start."
        self._set_status(SourceState.FOLLOWING, event_message(message))

    def _read_gzip(self, path: Path) -> None:
        done_before = self._gzip_bytes_read

        def on_bytes(done: int) -> None:
            self._gzip_bytes_read = done_before + done
            self._report_progress(None)

        try:
            read_gzip_file(path, self._deliver_lines, self._stop_event, on_bytes)
        except OSError as error:
            logger.warning("reading %s failed: %s", path, error)
            skip = Skip("unreadable gzip file", origin=str(path), sample=str(error))
            self._deliver([skip])

    def _read_retired(self) -> None:
        """Drain files renamed to names that no longer match, until they are quiet."""
        for follower in list(self._retired):
            follower.read_drains()
            if not follower.draining:
                self._retired.remove(follower)

    def _list_matching_files(self) -> list[Path]:
        try:
            files = list_matching_files(self.folder, self.patterns)
        except FileNotFoundError:
            self._folder_error = None
            return []
        except OSError as error:
            self._folder_error = (
                f"Cannot list the folder {self.folder}: {error.strerror or error}. "
                "Check its permissions, or pass the files one by one."
            )
            return []

        self._folder_error = None
        return files

    def _forget_if_deleted(self, follower: FileFollower) -> None:
        """Drop a follower whose file was deleted or renamed to a non-matching name.

        Unlike a single followed file, a file in a folder is not waited for:
        if a file of that name appears again, the next scan follows it anew.
        The dropped file is drained, since its writer may still append to it.
        """
        if follower.state is SourceState.WAITING and not follower.path.exists():
            follower.retire()
            self._retired.append(follower)
            del self._followers[follower.path]

    def _add_follower(self, path: Path) -> None:
        renamed = self._find_renamed_follower(path)
        if renamed is not None:
            # A followed file was renamed to another matching name: keep
            # reading it where it was instead of reading it again from the start.
            del self._followers[renamed.path]
            renamed.rename(path)
            self._followers[path] = renamed
            return

        self._followers[path] = FileFollower(
            path,
            self._deliver_lines,
            self._report,
            self._stop_event,
            progress=self._report_progress,
            from_end=self.from_end and not self._scanned,
            line_files=self.delivers_rows,
        )

    def _find_renamed_follower(self, path: Path) -> FileFollower | None:
        try:
            path_stat = os.stat(path)
        except OSError:
            return None

        file_id = (path_stat.st_dev, path_stat.st_ino)
        for follower in self._followers.values():
            if follower.file_id == file_id and not follower.path.exists():
                return follower
        return None

    def _report_progress(self, _follower: FileFollower | None) -> None:
        read = self._gzip_bytes_read + sum(
            follower.history_read for follower in self._followers.values()
        )
        self._set_history_progress(min(read, self._history_total), self._history_total)

    def _report(self, follower: FileFollower | None) -> None:
        """Summarise the followers as one status for the folder.

        A follower's file event (rotated, truncated, copies read) is passed
        on first, so the user learns what happened to which file.
        """
        if follower is not None and is_event_message(follower.message):
            self._set_status(follower.state, follower.message)
        if not self.folder.is_dir():
            self._set_status(
                SourceState.WAITING, f"Waiting for the folder {self.folder}."
            )
            return

        if self._folder_error is not None:
            self._set_status(SourceState.ERROR, self._folder_error)
            return

        for other in self._followers.values():
            if other.state is SourceState.ERROR:
                self._set_status(SourceState.ERROR, other.message)
                return

        if not self._scanned:
            self._set_status(SourceState.READING_HISTORY, f"Reading {self.label}.")
            return

        self._history_read = self._history_total
        count = sum(
            follower.state is not SourceState.WAITING
            for follower in self._followers.values()
        )
        if count == 0:
            # Following an empty folder is correct (files may appear), but the
            # user should learn that nothing in it matched.
            names = [pattern for pattern in self.patterns if "gz" not in pattern]
            self._set_status(
                SourceState.WAITING,
                f"No file in {self.folder} matches {', '.join(names)} yet; new "
                "ones are picked up. Check the folder if alerts should be there.",
            )
            return
        noun = "file" if count == 1 else "files"
        self._set_status(
            SourceState.FOLLOWING, f"Following {count} {noun} in {self.label}."
        )
