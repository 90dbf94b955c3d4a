"""Time the export of indexed alerts as their original lines.

Usage: python bench/export_bench.py [--count N] [--crlf] [--workdir DIR]

It writes N alerts from ``generate_alerts.py`` to a file (CRLF endings with
``--crlf``), indexes it into a store as the dashboard's history indexer
does, and times ``export_rows`` over every alert into a file in DIR. It
checks that the export equals the input file byte for byte.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_alerts import NS, Generator, encode

from tui.parsing.located import iter_rows
from tui.storage.export import export_to_file, stored_rows
from tui.storage.store import AlertStore


def write_input(path: Path, count: int, ending: bytes) -> None:
    """Write ``count`` generated alerts to ``path``, each line ending in ``ending``."""
    start_ns = int(datetime(2026, 4, 6, tzinfo=UTC).timestamp()) * NS
    alerts = Generator(1).alerts(count, start_ns)
    with open(path, "wb") as stream:
        stream.writelines(encode(alert).encode("utf-8") + ending for alert in alerts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="alerts")
    parser.add_argument("--crlf", action="store_true", help="end lines in CRLF")
    parser.add_argument("--workdir", type=Path, help="folder for the two files")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=options.workdir) as folder:
        source = Path(folder) / "alerts.jsonl"
        target = Path(folder) / "export.jsonl"
        write_input(source, options.count, b"\r\n" if options.crlf else b"\n")

        start = time.perf_counter()
        store = AlertStore()
        store.add(iter_rows(str(source)))
        indexed = time.perf_counter() - start

        start = time.perf_counter()
        counts = export_to_file(stored_rows(store, range(len(store))), target)
        exported = time.perf_counter() - start

        exact = target.read_bytes() == source.read_bytes()
        size = source.stat().st_size / 1e6

    print(f"alerts {len(store):,}, file {size:,.1f} MB, byte-exact {exact}")
    print(f"index {indexed:.2f} s, export {exported:.2f} s ({counts.written:,})")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
