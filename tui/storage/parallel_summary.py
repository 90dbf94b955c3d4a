"""Summarize one big file on several CPU cores.

Parsing is CPU-bound Python, so one process uses one core. A big plain file
is split at line starts into one byte range per worker process. Each worker
counts its range, and the parent merges the counts. Skip samples and line
numbers are not part of the summary, so the split changes no figure.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tui.parsing.located import UTF16_BOMS, iter_rows, split_at_lines
from tui.storage.fast_summary import summarize_range
from tui.storage.summary import Summary

PARALLEL_MIN_BYTES = 32 << 20
"""Files smaller than this are summarized in one process: forking costs more."""

MAX_WORKERS = 4


def summarize_file(path: str | Path, workers: int | None = None) -> Summary:
    """Count the alerts and skips of the file at ``path``.

    ``workers`` defaults to the number of CPU cores (at most ``MAX_WORKERS``).
    Raises ``OSError`` when the file cannot be read.
    """
    path = str(path)
    workers = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    size = os.stat(path).st_size
    if not _splittable(path):
        summary = Summary()
        summary.add(iter_rows(path))
        return summary
    if workers < 2 or size < PARALLEL_MIN_BYTES:
        return summarize_range(path)

    ranges = _split(path, size, workers)
    # fork starts workers without re-importing the app. The summary command
    # runs no other threads, so forking is safe.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(len(ranges), mp_context=context) as pool:
        parts = list(pool.map(summarize_range, [path] * len(ranges), *zip(*ranges)))

    summary = parts[0]
    for part in parts[1:]:
        summary.merge(part)
    return summary


def _splittable(path: str) -> bool:
    """Return True for a plain file whose byte ranges can be read separately."""
    if path.endswith(".gz"):
        return False
    with open(path, "rb") as stream:
        return stream.read(2) not in UTF16_BOMS


def _split(path: str, size: int, workers: int) -> list[tuple[int, int | None]]:
    """Return up to ``workers`` (start, end) byte ranges that begin at line starts."""
    with open(path, "rb") as stream:
        ranges: list[tuple[int, int | None]] = list(
            split_at_lines(stream, 0, size, workers)
        )
    # The last range reads to the end, including bytes appended since the stat.
    ranges[-1] = (ranges[-1][0], None)
    return ranges
