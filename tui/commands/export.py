"""``falco-tui export``: write the original lines of matching alerts to a file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from io import BufferedReader
from typing import BinaryIO

from tui.commands import ArgumentParser, print_error
from tui.parsing.alert import Alert, Skip
from tui.parsing.located import UTF16_BOMS, decode_line, iter_located_lines
from tui.parsing.parser import parse_line
from tui.parsing.reader import iter_items, iter_stream
from tui.sources.files import expand_file_paths
from tui.storage.export import ExportCounts, LineWriter
from tui.storage.query import QueryError, parse

PROGRAM = "falco-tui export"
"""The name error messages start with."""


def build_export_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui export``."""
    parser = ArgumentParser(
        prog="falco-tui export",
        description="Write the original lines of the JSON alerts that match a "
        "filter as JSON Lines (UTF-8), without the dashboard. Plain-text alerts "
        "are left out.",
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
        print_error(f"invalid --filter, {error}", PROGRAM)
        return 2

    failures: list[str] = []
    pairs = (
        (alert, line)
        for alert, line in read_alert_lines(options.paths, failures)
        if query(alert)
    )
    try:
        if options.output == "-":
            counts = write_pairs(pairs, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(options.output, "xb") as stream:
                counts = write_pairs(pairs, stream)
    except FileExistsError:
        print_error(f"{options.output} exists; choose a new file name", PROGRAM)
        return 2
    except OSError as error:
        reason = error.strerror or str(error)
        print_error(f"cannot write {options.output}: {reason}", PROGRAM)
        return 2

    for message in failures:
        print_error(message, PROGRAM)
    noun = "alert" if counts.written == 1 else "alerts"
    print(f"falco-tui export: wrote {counts.written:,} {noun}", file=sys.stderr)
    if counts.text:
        print(
            f"falco-tui export: left out {counts.text:,} plain-text alerts "
            "(json_output: false), which are not JSON",
            file=sys.stderr,
        )
    return 1 if failures else 0


def write_pairs(pairs: Iterable[tuple[Alert, bytes | None]], stream) -> ExportCounts:
    """Write each alert as its line's bytes when known; return the counts."""
    writer = LineWriter(stream)
    for alert, line in pairs:
        writer.write_alert(alert, line)
    return writer.counts


def read_alert_lines(
    paths: list[str], failures: list[str]
) -> Iterator[tuple[Alert, bytes | None]]:
    """Yield each alert of every path with its line's bytes, or None.

    Lines of plain files and standard input come with their bytes, so CRLF
    endings and bytes that are not UTF-8 survive. Gzip and UTF-16 files, and
    UTF-16 on standard input, yield decoded alerts only. Records paths that
    cannot be read in ``failures``.
    """
    for path in expand_file_paths(paths):
        try:
            if path == "-":
                yield from _stream_alert_lines(sys.stdin.buffer, "-")
            else:
                yield from _file_alert_lines(path)
        except OSError as error:
            reason = error.strerror or str(error)
            failures.append(
                f"cannot read {path}: {reason}; check the path and its permissions"
            )


def _file_alert_lines(path: str) -> Iterator[tuple[Alert, bytes | None]]:
    with open(path, "rb") as stream:
        if path.endswith(".gz") or stream.read(2) in UTF16_BOMS:
            items = iter_items(path)
            yield from ((item, None) for item in items if isinstance(item, Alert))
            return
        yield from _line_alerts(stream, path)


def _stream_alert_lines(
    stream: BufferedReader, origin: str
) -> Iterator[tuple[Alert, bytes | None]]:
    """Yield the alerts of a pipe with their bytes, or decoded for UTF-16."""
    # peek leaves the bytes in the buffer, because a pipe cannot seek back.
    if stream.peek(2)[:2] in UTF16_BOMS:
        items = iter_stream(stream, origin)
        yield from ((item, None) for item in items if isinstance(item, Alert))
        return
    # A file redirected to standard input may have been read in part already.
    start = stream.tell() if stream.seekable() else 0
    yield from _line_alerts(stream, origin, start)


def _line_alerts(
    stream: BinaryIO, origin: str, start: int = 0
) -> Iterator[tuple[Alert, bytes | None]]:
    """Yield each alert of ``stream`` from byte ``start``, with its line's bytes."""
    for line in iter_located_lines(stream, start, None, 1, origin):
        if isinstance(line, Skip):
            continue
        text = decode_line(line.data, origin, line.line_no)
        if isinstance(text, Skip):
            continue
        for item in parse_line(text, origin, line.line_no):
            if isinstance(item, Alert):
                yield item, line.data
