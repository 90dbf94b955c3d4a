"""An open file that alert rows re-read their lines from, by byte offset.

A row keeps only its line's offset and length. Re-opening the path to read
the line fails once the file was rotated away (renamed or deleted), so the
follower hands out one ``LineFile`` per file it opens. It keeps a duplicate
of the follower's descriptor and reads with ``os.pread``, which works on a
renamed or deleted file as long as the descriptor stays open.
"""

from __future__ import annotations

import os
import threading
import weakref

FileId = tuple[int, int]
"""A file's (st_dev, st_ino), which stays the same across renames."""

NUMBER_ON_ARRIVAL = -1
"""An ``AlertRow.number`` that makes the store number the row in arrival
order, as it numbers whole alerts. Sources that read several files or a pipe
set it, because a row's position in its own file is not its place in the list.
"""


class StaleFileError(OSError):
    """The bytes a row points at are gone: the file was truncated since."""


class LineFile:
    """One generation of a followed file: an open descriptor and its identity.

    A generation ends when the file is truncated, because the old bytes are
    gone (``mark_truncated``). ``close`` releases the descriptor but keeps the
    file readable by path while the path still names the same file, so a cap
    on open files costs only the rotated-away generations.
    """

    def __init__(self, fd: int, path: str, reopenable: bool = True) -> None:
        """Duplicate ``fd``, so the caller may close its own descriptor.

        ``reopenable=False`` is for a file without a name (a spool file
        unlinked at creation): ``close`` then keeps the descriptor, since the
        bytes cannot be read by path, and only ``discard`` closes it.
        """
        file_stat = os.fstat(fd)
        self.path = path
        self.file_id: FileId = (file_stat.st_dev, file_stat.st_ino)
        self.reopenable = reopenable
        self.truncated = False
        self.discarded = False
        """True once ``discard`` closed the file for good."""
        self.rotated = False
        """True once the path names another file, after a rename rotation."""
        self._lock = threading.Lock()
        self._fd: int | None = os.dup(fd)
        # Without a close call, the descriptor is closed when the object is
        # garbage-collected: no row and no follower refers to it any more.
        self._finalizer = weakref.finalize(self, os.close, self._fd)

    @property
    def is_open(self) -> bool:
        """True while the descriptor is open."""
        return self._fd is not None

    def read(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes at ``offset`` in this generation of the file.

        Raises ``StaleFileError`` after a truncation, and ``OSError`` when the
        descriptor is closed and the path no longer names the same file.
        """
        with self._lock:
            if self.truncated:
                raise StaleFileError(
                    f"{self.path} was truncated after the line was read"
                )
            if self.discarded:
                raise StaleFileError(f"the file behind {self.path} was deleted")
            if self._fd is not None:
                return os.pread(self._fd, length, offset)
        return self._read_by_path(offset, length)

    def _read_by_path(self, offset: int, length: int) -> bytes:
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            file_stat = os.fstat(fd)
            if (file_stat.st_dev, file_stat.st_ino) != self.file_id:
                raise FileNotFoundError(
                    f"{self.path} names another file now: the file was rotated away"
                )
            return os.pread(fd, length, offset)
        finally:
            os.close(fd)

    def move_to_copy(self, fd: int, path: str) -> None:
        """Read this generation from ``fd`` from now on, a copy of its bytes.

        For a file truncated after logrotate's ``copytruncate`` copied it: the
        caller checked that the copy contains the bytes read from this file.
        """
        file_stat = os.fstat(fd)
        with self._lock:
            self._close_locked()
            self.path = path
            self.file_id = (file_stat.st_dev, file_stat.st_ino)
            self.truncated = False
            self._fd = os.dup(fd)
            self._finalizer = weakref.finalize(self, os.close, self._fd)

    def mark_truncated(self) -> None:
        """End this generation: its bytes were overwritten or cut off."""
        with self._lock:
            self.truncated = True
            self._close_locked()

    def close(self) -> None:
        """Close the descriptor; later reads open the path if it is the same file.

        A file that is not ``reopenable`` stays open: use ``discard``.
        """
        if not self.reopenable:
            return
        with self._lock:
            self._close_locked()

    def discard(self) -> None:
        """Close the descriptor for good; later reads raise ``StaleFileError``.

        For a spool file whose source stopped: closing its last descriptor
        frees its disk space.
        """
        with self._lock:
            self.discarded = True
            self._close_locked()

    def _close_locked(self) -> None:
        # The lock keeps a pread on another thread from using a descriptor
        # number that was closed and reused for another file.
        if self._fd is not None:
            self._finalizer()
            self._fd = None
