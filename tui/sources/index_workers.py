"""Index byte ranges of one file in worker processes, one per CPU core.

Parsing is CPU-bound Python, and the dashboard's UI thread shares the
interpreter lock with the indexing thread. Worker processes parse the ranges
on other cores and send back compact columns (``IndexedPart``), so the app's
process only merges them.

Workers start through a fork server, because forking the app's process
copies its threads' locks in whatever state they are in. The server must
start before Textual replaces ``sys.stderr`` (``start_server``), because
``multiprocessing`` passes the descriptor of ``sys.stderr`` to the processes
it starts, and Textual's replacement has none. Each worker opens the file by
path and checks that it is still the file the app opened.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor

from tui.parsing.columns import IndexedPart, index_range

MAX_WORKERS = 4

IN_FLIGHT_PER_WORKER = 2
"""Ranges queued per worker: enough to keep it busy, few enough that the
results waiting to be merged stay small."""

EARLY_IN_FLIGHT_PER_WORKER = 16
"""Ranges queued per worker when indexing starts before the app, which
merges nothing while it loads. Sixteen 4 MiB ranges took a worker about
0.4 s in one measurement, as long as the app took to load on that machine."""

WORKER_NICENESS = 10
"""Added to the workers' nice value, so the app's threads, which load the
app, draw the screen and merge parts, win a core the workers also want.

NOTE: other busy processes on the machine also win over the workers, so
indexing slows more under outside load than at the default priority."""

WAIT_SECONDS = 0.1
"""How often the waiting thread checks whether it should stop."""

FileId = tuple[int, int]

logger = logging.getLogger(__name__)


class FileReplaced(Exception):
    """The path now names another file than the one being indexed."""


def worker_count() -> int:
    """Return how many worker processes to use: one per core, at most 4."""
    return min(os.cpu_count() or 1, MAX_WORKERS)


def start_server() -> bool:
    """Start the fork server that worker processes are forked from, if needed.

    Returns False, and logs why, when it cannot start. The history is then
    indexed on the source's thread.
    """
    # The server imports this module once, so each worker forked from it
    # starts with the indexer imported.
    multiprocessing.set_forkserver_preload([__name__])
    try:
        multiprocessing.forkserver.ensure_running()
    except (OSError, ValueError) as error:
        logger.warning("starting index worker processes failed: %s", error)
        return False
    return True


def index_in_workers(
    path: str,
    file_id: FileId,
    ranges: list[tuple[int, int]],
    origin: str,
    stopped: Callable[[], bool],
    workers: int,
) -> Iterator[tuple[int, int, IndexedPart | None]]:
    """Yield ``(start, end, part)`` for each range, in the order of ``ranges``.

    See ``WorkerIndex.parts``.
    """
    yield from WorkerIndex(path, file_id, ranges, origin, workers).parts(stopped)


class WorkerIndex:
    """Ranges of one file being indexed by a pool of worker processes.

    The pool starts, and the first ranges are submitted, when the object is
    built, so the workers can parse while the caller does other work.
    """

    def __init__(
        self,
        path: str,
        file_id: FileId,
        ranges: list[tuple[int, int]],
        origin: str,
        workers: int,
        in_flight_per_worker: int = IN_FLIGHT_PER_WORKER,
    ) -> None:
        self.ranges = ranges
        self._path = path
        self._file_id = file_id
        self._origin = origin
        self._queue = iter(ranges)
        self._pending: deque[tuple[int, int, Future]] = deque()
        self._closed = False
        self._pool = _start_pool(workers)
        if self._pool is None:
            return
        for _ in range(workers * in_flight_per_worker):
            if not self._submit_next():
                break

    def parts(
        self, stopped: Callable[[], bool]
    ) -> Iterator[tuple[int, int, IndexedPart | None]]:
        """Yield ``(start, end, part)`` for each range, in the order of ``ranges``.

        ``part`` is None when a worker found the file replaced or could not
        read it, and the caller then indexes that range from its own open
        file. The iteration ends early once ``stopped()`` returns True, and
        queued ranges are cancelled. It yields nothing after ``close``.
        """
        if self._closed:
            return
        if self._pool is None:
            for start, end in self._queue:
                yield start, end, None
            return

        try:
            while self._pending and not self._closed:
                start, end, future = self._pending.popleft()
                part = _result(future, stopped, self._path, start, end)
                if stopped():
                    return
                self._submit_next()
                yield start, end, part
        finally:
            self.close()

    def close(self) -> None:
        """Cancel the queued ranges and let the pool's processes exit."""
        self._closed = True
        if self._pool is not None:
            # A range already running finishes in its worker, which takes a
            # few MiB of parsing. This thread does not wait for it.
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit_next(self) -> bool:
        """Submit the next range; return False when none is left."""
        for start, end in self._queue:
            future = _submit(
                self._pool, self._path, self._file_id, start, end, self._origin
            )
            self._pending.append((start, end, future))
            return True
        return False


def _start_pool(workers: int) -> ProcessPoolExecutor | None:
    """Return a pool of ``workers`` processes, or None, logged, when it fails."""
    if not start_server():
        return None
    context = multiprocessing.get_context("forkserver")
    try:
        return ProcessPoolExecutor(
            workers, mp_context=context, initializer=_lower_priority
        )
    except (OSError, ValueError, NotImplementedError) as error:
        # ProcessPoolExecutor raises NotImplementedError where named
        # semaphores are unavailable (CPython 3.11 _check_system_limits).
        logger.warning("starting index worker processes failed: %s", error)
        return None


def _lower_priority() -> None:
    try:
        os.nice(WORKER_NICENESS)
    except OSError as error:
        logger.warning("lowering the index worker's priority failed: %s", error)


def _submit(
    pool: ProcessPoolExecutor,
    path: str,
    file_id: FileId,
    start: int,
    end: int,
    origin: str,
) -> Future:
    try:
        return pool.submit(index_file_range, path, file_id, start, end, origin)
    except (BrokenExecutor, OSError, ValueError) as error:
        # A worker died or could not start, so the caller indexes this
        # range instead.
        failed: Future = Future()
        failed.set_exception(error)
        return failed


def _result(
    future: Future, stopped: Callable[[], bool], path: str, start: int, end: int
) -> IndexedPart | None:
    """Wait for one range's part, or return None when it failed or on stop."""
    while not stopped():
        try:
            return future.result(timeout=WAIT_SECONDS)
        except TimeoutError:
            continue
        except (OSError, ValueError, FileReplaced, BrokenExecutor) as error:
            logger.warning(
                "indexing bytes %d-%d of %s in a worker failed (%r); "
                "indexing them on the source's thread instead",
                start,
                end,
                path,
                error,
            )
            return None
    return None


def index_file_range(
    path: str, file_id: FileId, start: int, end: int, origin: str
) -> IndexedPart:
    """Index [start, end) of the file at ``path`` in a worker process.

    Raises ``FileReplaced`` when ``path`` is no longer the file ``file_id``
    names (rotated or replaced since the app opened it), and ``OSError`` when
    it cannot be read.
    """
    with open(path, "rb") as stream:
        status = os.fstat(stream.fileno())
        if (status.st_dev, status.st_ino) != file_id:
            raise FileReplaced(path)
        return index_range(stream, start, end, origin)
