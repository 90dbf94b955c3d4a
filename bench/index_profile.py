"""Time the history indexer's per-line work against a plain orjson loop.

Usage: ``PYTHONPATH=$PWD python bench/index_profile.py FILE [--profile]``.
It prints the seconds of each step without the app: the orjson loop,
``iter_rows`` alone, ``index_range`` alone (one process), and
``IndexedFileSource`` feeding an ``AlertStore`` (worker processes for files
of 32 MiB or more).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import threading
import time

import orjson

from tui.parsing.columns import index_range
from tui.parsing.located import iter_rows
from tui.sources.history import IndexedFileSource
from tui.storage.store import AlertStore


def orjson_loop(path: str) -> float:
    """Return the seconds a plain loop of ``orjson.loads`` over the lines takes."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for line in stream:
            orjson.loads(line)
    return time.perf_counter() - started


def rows_only(path: str) -> float:
    """Return the seconds ``iter_rows`` takes to yield every row."""
    started = time.perf_counter()
    for _ in iter_rows(path):
        pass
    return time.perf_counter() - started


def columns_only(path: str) -> float:
    """Return the seconds ``index_range`` takes over the whole file, one process."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        index_range(stream, 0, os.fstat(stream.fileno()).st_size, path)
    return time.perf_counter() - started


def index_into_store(path: str) -> tuple[float, int]:
    """Return the seconds and alert count of indexing ``path`` into a store."""
    store = AlertStore()
    done = threading.Event()
    lock = threading.Lock()

    def on_items(source, items) -> None:
        with lock:
            store.add(items)

    def on_status(source, status) -> None:
        if status.state == "following":
            done.set()

    started = time.perf_counter()
    source = IndexedFileSource(path)
    source.start(on_items, on_status)
    done.wait()
    elapsed = time.perf_counter() - started
    source.stop()
    return elapsed, len(store)


def main() -> None:
    """Print the timings for one file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--profile", action="store_true", help="cProfile iter_rows")
    args = parser.parse_args()

    print(f"load average: {os.getloadavg()[0]:.2f}")
    loop = orjson_loop(args.file)
    print(f"orjson loop:     {loop:.2f} s")
    rows = rows_only(args.file)
    print(f"iter_rows:       {rows:.2f} s ({rows / loop:.2f}x)")
    columns = columns_only(args.file)
    print(f"index_range:     {columns:.2f} s ({columns / loop:.2f}x)")
    indexed, count = index_into_store(args.file)
    print(f"index to store:  {indexed:.2f} s ({indexed / loop:.2f}x), {count} alerts")
    if args.profile:
        cProfile.runctx(
            "rows_only(path)", globals(), {"path": args.file}, "/tmp/index.prof"
        )
        pstats.Stats("/tmp/index.prof").sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
