"""Follow a Falco-like writer that rotates and truncates its file, and count.

Usage: python bench/follow_soak.py [COUNT] [--seed N] [--op-rate R] [--poll]
    [--indexed] [--racing] [--sync-timeout SECONDS] [--events]

The writer process (tests/follow_writer.py) appends COUNT alerts in writes
split at random byte offsets, and rotates, copies and truncates, truncates or
deletes and recreates its file at random line boundaries (probability R per
write). A FileSource follows the file, or with --indexed the dashboard's
IndexedFileSource, whose rows are read back by byte offset. The script prints the alerts per
second delivered end to end (writer start to last alert delivered, including
the pauses where the writer waits for the follower before each operation),
and the alerts lost, duplicated or unexpected. With --racing the writer does
not wait for the follower before a copytruncate but writes a burst of alerts
first, so the follower must read them from logrotate's copy, and half of
those copytruncates are repeated at once, so the follower may find two copies
(``.2`` and ``.1``) when it next looks. Lost alerts are listed as number
ranges with the writer's operations around them; --events prints every
operation the writer logged.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from follow_writer import run_soak


def main() -> int:
    """Run one soak and print its figures; exit 1 on any loss or duplicate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "count", type=int, nargs="?", default=100_000, help="alerts to write"
    )
    parser.add_argument("--seed", type=int, default=1, help="writer seed (default 1)")
    parser.add_argument(
        "--op-rate",
        type=float,
        default=0.001,
        help="probability of a file operation per write (default 0.001)",
    )
    parser.add_argument("--poll", action="store_true", help="poll instead of inotify")
    parser.add_argument(
        "--indexed",
        action="store_true",
        help="follow with the dashboard's indexed source, whose rows are read "
        "back from the file by byte offset as they arrive (default: plain source)",
    )
    parser.add_argument(
        "--racing",
        action="store_true",
        help="write a burst of alerts between the last sync and each "
        "copytruncate, so the truncation races with the follower",
    )
    parser.add_argument(
        "--sync-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the follower to catch up before each file "
        "operation; a run that loses alerts waits this long once per loss "
        "(default 120)",
    )
    parser.add_argument(
        "--events",
        action="store_true",
        help="print the writer's log of operations, each with the number of "
        "the next alert written",
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="follow-soak-") as folder:
        result = run_soak(
            Path(folder),
            options.count,
            options.seed,
            op_rate=options.op_rate,
            poll=options.poll,
            timeout=options.sync_timeout,
            indexed=options.indexed,
            racing=options.racing,
        )

    delivered = sum(result.received.values())
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {_cpu_count()} CPUs"
    )
    print(f"alerts written: {len(result.expected)}")
    print(f"operations: {dict(sorted(result.operations.items()))}")
    print(f"seconds: {result.seconds:.2f}")
    print(f"alerts/s delivered: {delivered / result.seconds:,.0f}")
    print(f"lost: {len(result.missing)}")
    print(f"duplicates: {result.duplicates}")
    print(f"unexpected: {len(result.unexpected)}")
    print(f"invalid lines: {result.invalid}")
    print(f"sync timeouts: {result.stalls}")
    newer = sum("then the newer copies" in message for message in result.messages)
    print(f"truncations with newer copies read: {newer}")
    missed = sum("truncated again" in message for message in result.messages)
    print(f"copies of content never read from the file, read whole: {missed}")
    if options.indexed:
        print(f"rows not readable by offset: {result.unreadable}")
        print(f"rows that kept their text: {result.kept_text}")
    if result.missing:
        print(result.loss_report())
    if options.events:
        print("writer events (monotonic seconds, next alert number, operation):")
        print("\n".join(result.events))
    clean = not (
        result.missing
        or result.duplicates
        or result.unexpected
        or result.unreadable
        or result.invalid
    )
    return 0 if clean and not result.stalls else 1


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
