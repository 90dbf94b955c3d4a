"""Time compiled filters over many generated alerts.

Usage: python bench/filter_bench.py [--count N] [--distinct D]

It parses D distinct alerts from ``generate_alerts.py`` and repeats them up to
N list entries, so the run needs the memory of D alerts, not N. Each filter's
predicate runs once over all N entries, as the dashboard's filter pass does.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_alerts import NS, Generator, encode

from tui.parsing.alert import Alert
from tui.parsing.parser import parse_line
from tui.storage.query import parse

FILTERS = (
    "priority>=warning",
    "rule:shell",
    "proc.name=bash",
    "/etc/shadow",
    "nosuchtextanywhere",
    "-rule:shell fd.name~/etc/ or tag:T1059",
    "since:30d host:worker",
)


def build_alerts(count: int, distinct: int) -> list[Alert]:
    """Return ``count`` alerts cycling through ``distinct`` generated ones."""
    start_ns = int(datetime(2026, 4, 6, tzinfo=UTC).timestamp()) * NS
    unique: list[Alert] = []
    for number, alert in enumerate(Generator(1).alerts(distinct, start_ns)):
        for item in parse_line(encode(alert), "bench", number + 1):
            if isinstance(item, Alert):
                unique.append(item)
    repeats = -(-count // len(unique))
    return (unique * repeats)[:count]


def main(argv: list[str] | None = None) -> int:
    """Print the time each filter takes over the alerts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="list entries")
    parser.add_argument("--distinct", type=int, default=20_000, help="unique alerts")
    args = parser.parse_args(argv)

    alerts = build_alerts(args.count, args.distinct)
    print(f"{len(alerts):,} alerts ({args.distinct:,} distinct)")
    for text in FILTERS:
        predicate = parse(text)
        started = time.perf_counter()
        kept = sum(1 for alert in alerts if predicate(alert))
        elapsed = time.perf_counter() - started
        rate = len(alerts) / elapsed
        print(f"{elapsed:7.2f} s  {rate:12,.0f}/s  {kept:>9,} kept  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
