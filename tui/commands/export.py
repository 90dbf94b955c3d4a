"""``falco-tui export``: write the original lines of matching alerts to a file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from tui.parsing.alert import Alert
from tui.parsing.reader import iter_items, iter_stream
from tui.sources.files import expand_file_paths
from tui.storage.export import write_lines
from tui.storage.query import QueryError, parse


def build_export_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui export``."""
    parser = argparse.ArgumentParser(
        prog="falco-tui export",
        description="Write the original lines of the alerts that match a filter "
        "as JSON Lines, without the dashboard.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="alert file, directory, glob, or - for standard input",
    )
    parser.add_argument(
        "--filter",
        default="",
        metavar="EXPR",
        help="keep only alerts matching EXPR, in the dashboard's filter "
        "language (default: every alert); write --filter=EXPR when EXPR "
        "starts with -",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="file to write; it must not exist yet; - writes to standard output",
    )
    return parser


def run_export(options: argparse.Namespace) -> int:
    """Export matching alerts; exit 2 on an invalid filter or output, 1 on a bad input."""
    try:
        query = parse(options.filter)
    except QueryError as error:
        print(f"falco-tui export: invalid --filter, {error}", file=sys.stderr)
        return 2

    failures: list[str] = []
    alerts = (alert for alert in read_alerts(options.paths, failures) if query(alert))
    try:
        if options.output == "-":
            count = write_lines(alerts, sys.stdout)
        else:
            with open(options.output, "x", encoding="utf-8", newline="\n") as stream:
                count = write_lines(alerts, stream)
    except FileExistsError:
        print(
            f"falco-tui export: {options.output} exists; choose a new file name",
            file=sys.stderr,
        )
        return 2
    except OSError as error:
        reason = error.strerror or str(error)
        print(
            f"falco-tui export: cannot write {options.output}: {reason}",
            file=sys.stderr,
        )
        return 2

    for message in failures:
        print(f"falco-tui export: {message}", file=sys.stderr)
    noun = "alert" if count == 1 else "alerts"
    print(f"falco-tui export: wrote {count:,} {noun}", file=sys.stderr)
    return 1 if failures else 0


def read_alerts(paths: list[str], failures: list[str]) -> Iterator[Alert]:
    """Yield the alerts of every path; record paths that cannot be read."""
    for path in expand_file_paths(paths):
        try:
            if path == "-":
                items = iter_stream(sys.stdin.buffer, origin="-")
            else:
                items = iter_items(path)
            for item in items:
                if isinstance(item, Alert):
                    yield item
        except OSError as error:
            reason = error.strerror or str(error)
            failures.append(
                f"cannot read {path}: {reason}; check the path and its permissions"
            )
