"""Time filter passes over a file indexed into the compact store.

Usage: python bench/store_filter_bench.py FILE [--mode scan|alerts] [--filter F]

The file is indexed the way the history indexer does it (rows that keep only
the line's offset), then each filter runs once over every stored alert.
``alerts`` checks the compiled predicate on each re-read alert, with one
file open per alert. ``scan`` uses ``tui.storage.scan``: it decides column
terms on the rows and reads the remaining lines in blocks.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.parsing.located import iter_rows
from tui.storage.query import parse
from tui.storage.store import AlertStore

FILTERS = (
    "priority>=error host:worker-03",
    "rule:shell",
    "proc.name=bash",
    "container:redis",
    "/etc/shadow",
    "nosuchtextanywhere",
    "fd.name~/etc/",
)


def run_alerts(store: AlertStore, text: str) -> int:
    """Count matches by checking the predicate on every re-read alert."""
    predicate = parse(text).predicate
    alerts = store.alerts
    return sum(1 for index in range(len(store)) if predicate(alerts[index]))


def run_scan(store: AlertStore, text: str) -> int:
    """Count matches with the column-first scan."""
    from tui.storage.scan import Scan

    return len(Scan(store, parse(text)).select(range(len(store))))


def main(argv: list[str] | None = None) -> int:
    """Index FILE, then print the time of one pass per filter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="JSON Lines file of Falco alerts")
    parser.add_argument("--mode", choices=("scan", "alerts"), default="scan")
    parser.add_argument("--filter", action="append", help="filter to time (repeatable)")
    args = parser.parse_args(argv)

    store = AlertStore()
    started = time.perf_counter()
    store.add(iter_rows(args.path))
    elapsed = time.perf_counter() - started
    print(f"indexed {len(store):,} alerts in {elapsed:.1f} s")
    print(f"load average {os.getloadavg()[0]:.2f}")

    run = run_scan if args.mode == "scan" else run_alerts
    for text in args.filter or FILTERS:
        started = time.perf_counter()
        kept = run(store, text)
        elapsed = time.perf_counter() - started
        print(f"{elapsed:7.2f} s  {kept:>9,} kept  {text}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
