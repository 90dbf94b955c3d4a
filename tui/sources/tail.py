"""Follow files and folders as Falco appends alerts to them.

Each file is read to its end as history, then followed. A watchfiles watcher on
the parent folder wakes the reader when the file changes, is created, deleted
or renamed. A check every ``CHECK_INTERVAL_SECONDS`` covers what the watcher
cannot see (a symlinked file, a network file system, a dropped event).

Falco opens its ``file_output`` in append mode and does no rotation itself.
Logrotate either renames the file and has Falco reopen it (SIGUSR1, or
``keep_alive: false`` which reopens per alert) or copies and truncates it. The
follower handles both: a new inode at the path means rotation, a size below the
read offset means truncation.
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
from tui.parsing.lines import Line, LineSplitter
from tui.sources.base import Source, SourceState

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 1.0
"""The period of the safety-net check that runs without watcher events."""

RETRY_SECONDS = 3.0
"""How long a file in error waits before the next attempt to open it."""

READ_SIZE = 1 << 16

# The watcher waits this long after a change for more changes before it wakes
# the reader, and never longer than WATCH_DEBOUNCE_MS in total during a burst.
WATCH_STEP_MS = 20
WATCH_DEBOUNCE_MS = 100

DIRECTORY_PATTERNS = ("*.json", "*.jsonl", "*.log")
"""File names a folder source follows."""

FileId = tuple[int, int]
"""A file's (st_dev, st_ino), which stays the same across renames."""

StatusReport = Callable[["FileFollower"], None]


class FileFollower:
    """Read one path to its end, then read what is appended, across rotations.

    A follower has no thread: its owner calls ``check`` after every watcher
    event and once a second. Complete lines go to ``deliver``; after each
    change of ``state`` or ``message`` the follower calls ``report``.
    """

    def __init__(
        self,
        path: Path,
        deliver: Callable[[list[Line | Skip], str], None],
        report: StatusReport,
        stop_event: threading.Event,
    ) -> None:
        self.path = path
        self.origin = str(path)
        # None until the first check, so the first state is always reported.
        self.state: SourceState | None = None
        self.message = ""
        self._deliver = deliver
        self._report = report
        self._stop_event = stop_event
        self._splitter = LineSplitter(self.origin)
        self._fd: int | None = None
        self._file_id: FileId | None = None
        self._offset = 0
        self._opened_once = False
        self._retry_at = 0.0

    @property
    def file_id(self) -> FileId | None:
        """The identity of the open file, or None when none is open."""
        return self._file_id if self._fd is not None else None

    def check(self) -> None:
        """Open the file if needed, read new bytes, and follow a rotation."""
        rotated = False
        while not self._stop_event.is_set():
            if self._fd is None and not self._open(rotated):
                return
            if not self._read_available():
                return
            if not self._path_has_new_file():
                return

            self._finish_old_file()
            rotated = True

    def close(self) -> None:
        """Close the open file, if any."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def rename(self, path: Path) -> None:
        """Follow the open file under ``path``, the name it was renamed to."""
        self.path = path
        self.origin = str(path)
        self._splitter.origin = self.origin
        self._set(SourceState.FOLLOWING, f"Following {path}.")

    def _open(self, rotated: bool) -> bool:
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
                "read it, or copy the file."
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
        self._start_reading((file_stat.st_dev, file_stat.st_ino), rotated)
        return True

    def _start_reading(self, file_id: FileId, rotated: bool) -> None:
        if file_id == self._file_id:
            # The same file as before an error: go on where reading stopped.
            assert self._fd is not None
            os.lseek(self._fd, self._offset, os.SEEK_SET)
            self._set(SourceState.FOLLOWING, f"Following {self.path} again.")
            return

        self._file_id = file_id
        self._offset = 0
        self._splitter.reset(first_line_no=1)
        if rotated:
            message = f"{self.path} was rotated; following the new file."
            self._set(SourceState.FOLLOWING, message)
        elif self._opened_once:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")
        else:
            self._set(SourceState.READING_HISTORY, f"Reading {self.path}.")
        self._opened_once = True

    def _read_available(self) -> bool:
        """Read what was appended; return False after a read error."""
        try:
            self._check_truncation()
            self._read_to_end()
        except OSError as error:
            self.close()
            self._fail(
                f"Reading {self.path} failed: {error.strerror or error}. "
                f"Retrying every {RETRY_SECONDS:.0f} seconds."
            )
            return False

        if self.state is SourceState.READING_HISTORY:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")
        return True

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
            self._deliver(self._splitter.feed(chunk), self.origin)

    def _check_truncation(self) -> None:
        assert self._fd is not None
        if os.fstat(self._fd).st_size >= self._offset:
            return

        # copytruncate rotation, or `> file`: the old content is gone, and the
        # buffered partial line belonged to it.
        os.lseek(self._fd, 0, os.SEEK_SET)
        self._offset = 0
        self._splitter.reset(first_line_no=1)
        self._set(
            SourceState.FOLLOWING,
            f"{self.path} was truncated; reading it again from the start.",
        )

    def _path_has_new_file(self) -> bool:
        """Return True when the path now names another file than the open one."""
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
            return False
        except OSError:
            # The path cannot be checked right now (for example a permission
            # change on the folder); reading the open handle goes on.
            return False

        if (path_stat.st_dev, path_stat.st_ino) != self._file_id:
            return True
        if self.state is SourceState.WAITING:
            self._set(SourceState.FOLLOWING, f"Following {self.path}.")
        return False

    def _finish_old_file(self) -> None:
        """Read the rotated-away file to its end and close it."""
        try:
            self._read_to_end()
        except OSError as error:
            logger.warning("reading the rotated %s failed: %s", self.path, error)

        # NOTE: lines a writer appends to the old file after this point are
        # lost, as with `tail -F`. Falco closes the old file on SIGUSR1, which
        # logrotate sends right after creating the new file.
        # The old file's unterminated last line can no longer be completed.
        self._deliver(self._splitter.flush(), self.origin)
        self.close()
        self._file_id = None

    def _wait_for_file(self) -> None:
        if self.state is not SourceState.WAITING:
            self._set(SourceState.WAITING, f"Waiting for {self.path} to be created.")

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
    systems that send no events (NFS, some container mounts).
    """

    def __init__(self, path: Path | str, poll: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self.label = str(self.path)
        self.poll = poll
        self._follower = FileFollower(
            self.path, self._deliver_lines, self._report, self._stop_event
        )

    def _run(self) -> None:
        try:
            self._check()
            folder = self.path.absolute().parent
            watch_folder(folder, self._stop_event, self.poll, self._check)
        finally:
            self._follower.close()

    def _check(self) -> None:
        self._follower.check()
        self._flush_items()

    def _report(self, follower: FileFollower) -> None:
        self._set_status(follower.state, follower.message)


class DirectorySource(Source):
    """Follow every file in a folder whose name matches ``patterns``.

    Files are read in name order, and files created later are followed too.
    """

    def __init__(
        self,
        folder: Path | str,
        patterns: tuple[str, ...] = DIRECTORY_PATTERNS,
        poll: bool = False,
    ) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.patterns = patterns
        self.poll = poll
        if patterns == DIRECTORY_PATTERNS:
            self.label = str(self.folder)
        else:
            self.label = str(self.folder / ",".join(patterns))
        self._followers: dict[Path, FileFollower] = {}
        self._history_read = False
        self._folder_error: str | None = None

    def _run(self) -> None:
        try:
            self._check()
            watch_folder(self.folder, self._stop_event, self.poll, self._check)
        finally:
            for follower in self._followers.values():
                follower.close()

    def _check(self) -> None:
        for path in self._list_matching_files():
            if path not in self._followers:
                self._add_follower(path)

        for follower in list(self._followers.values()):
            if self._stop_event.is_set():
                return
            follower.check()
            self._forget_if_deleted(follower)
        self._flush_items()

        self._history_read = True
        self._report(None)

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
        """
        if follower.state is SourceState.WAITING and not follower.path.exists():
            follower.close()
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
            path, self._deliver_lines, self._report, self._stop_event
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

    def _report(self, _follower: FileFollower | None) -> None:
        """Summarise the followers as one status for the folder."""
        if not self.folder.is_dir():
            self._set_status(
                SourceState.WAITING, f"Waiting for the folder {self.folder}."
            )
            return

        if self._folder_error is not None:
            self._set_status(SourceState.ERROR, self._folder_error)
            return

        for follower in self._followers.values():
            if follower.state is SourceState.ERROR:
                self._set_status(SourceState.ERROR, follower.message)
                return

        if not self._history_read:
            self._set_status(SourceState.READING_HISTORY, f"Reading {self.label}.")
            return

        count = sum(
            follower.state is not SourceState.WAITING
            for follower in self._followers.values()
        )
        noun = "file" if count == 1 else "files"
        self._set_status(
            SourceState.FOLLOWING, f"Following {count} {noun} in {self.label}."
        )
