"""``falco-tui tail``: follow alert sources and print each alert as it arrives.

It uses the dashboard's sources (files across rotations, folders, globs, gzip
history, standard input) without the UI: history first, then live alerts, one
line per alert on standard output. Status changes and the final count of
skipped lines go to standard error, so standard output stays machine-readable.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import signal
import sys
import threading
from collections import Counter
from typing import Any, TextIO

import orjson

from tui.commands import ArgumentParser
from tui.parsing.alert import Alert, Skip
from tui.parsing.text import path_text, printable
from tui.parsing.timefmt import format_ns
from tui.sources.base import Source, SourceState, SourceStatus

WAIT_STEP_SECONDS = 0.1
"""How often the main thread checks whether every source has finished."""


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui tail``."""
    parser = ArgumentParser(
        prog="falco-tui tail",
        description="Follow Falco output without the dashboard and print each "
        "alert as it arrives: existing lines first, then new ones. Exits when "
        "every input has ended (standard input closed, gzip files read), or on "
        "Ctrl-C or SIGTERM. The exit status is 0, or 1 when an input failed "
        "(for example an invalid gzip file).",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="alert file (followed across rotation and truncation, may not "
        "exist yet), directory (its *.json, *.jsonl and *.log files, and their "
        "rotated .gz files as history), glob, .gz file (read once), or - for "
        "standard input",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per alert (time, time_ns, priority, rule, "
        "source, hostname, tags, output, output_fields, uuid, origin, line_no, "
        "fingerprint, and the original line as raw) instead of a readable line",
    )
    parser.add_argument(
        "--from-end",
        action="store_true",
        help="skip the lines that files contain at start and print only new alerts "
        "(default: print existing alerts first)",
    )
    parser.add_argument(
        "--poll",
        action="store_true",
        help="poll files for changes (watchfiles' default of every 300 ms, plus "
        "a check each second) instead of inotify; for NFS and some container "
        "mounts (default: inotify)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not print source status changes and the skipped-line summary "
        "on standard error (default: print them)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run ``falco-tui tail`` with ``argv`` (without the subcommand name)."""
    return run_tail(build_parser().parse_args(argv))


def run_tail(options: argparse.Namespace) -> int:
    """Follow the sources until they all end or the user interrupts."""
    from tui.sources.files import make_sources

    if "-" in options.paths and sys.stdin.isatty():
        print(
            "falco-tui tail: '-' reads alerts from standard input, but standard "
            "input is the terminal; pipe alerts in, for example: "
            "tail -F /var/log/falco.json | falco-tui tail -",
            file=sys.stderr,
        )
        return 2

    # Source warnings repeat the status messages printed below, so only
    # errors the sources log (a crashed reader) are printed by logging.
    logging.basicConfig(level=logging.ERROR, format="falco-tui: %(message)s")
    printer = AlertPrinter(sys.stdout, sys.stderr, options.json, options.quiet)
    sources = make_sources(options.paths, poll=options.poll, from_end=options.from_end)
    stop = threading.Event()
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for source in sources:
            source.start(printer.on_items, printer.on_status)
        _wait(sources, stop, printer)
    except KeyboardInterrupt:
        pass
    finally:
        for source in sources:
            source.stop()
        signal.signal(signal.SIGTERM, previous_handler)

    if printer.output_closed:
        # Python flushes stdout at exit. Pointing it at /dev/null keeps the
        # closed pipe from raising a second BrokenPipeError there.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    printer.print_summary()
    failed = any(source.status.state is SourceState.ERROR for source in sources)
    return 1 if failed else 0


def _wait(sources: list[Source], stop: threading.Event, printer: AlertPrinter) -> None:
    """Wait for Ctrl-C, SIGTERM, a closed output, or the end of every source."""
    while not stop.wait(WAIT_STEP_SECONDS):
        if printer.output_closed or _reader_gone(printer.output):
            printer.output_closed = True
            return
        if all(source.finished for source in sources):
            return


def _reader_gone(output: TextIO) -> bool:
    """Return True when ``output`` is a pipe whose reader has closed it.

    Without this check `falco-tui tail FILE | head -1` would run until the
    next alert failed to write; poll() reports POLLERR on the write end of a
    pipe as soon as its reader exits.
    """
    try:
        descriptor = output.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLERR)
    return any(events & select.POLLERR for _, events in poller.poll(0))


class AlertPrinter:
    """Print alerts from source threads, one whole line at a time."""

    def __init__(
        self, output: TextIO, errors: TextIO, as_json: bool, quiet: bool
    ) -> None:
        self.output = output
        self.errors = errors
        self.as_json = as_json
        self.quiet = quiet
        self.alerts = 0
        self.skipped: Counter[str] = Counter()
        self.output_closed = False
        self._messages: dict[int, str] = {}
        self._lock = threading.Lock()

    def on_items(self, _source: Source, items: list[Alert | Skip]) -> None:
        """Print a batch of alerts and count its skipped lines."""
        lines: list[str] = []
        for item in items:
            if isinstance(item, Alert):
                lines.append(alert_json(item) if self.as_json else alert_line(item))
            else:
                self.skipped[item.reason] += 1

        with self._lock:
            self.alerts += len(lines)
            if lines and not self.output_closed:
                self._write("".join(line + "\n" for line in lines))

    def on_status(self, source: Source, status: SourceStatus) -> None:
        """Print a source's new status message; progress repeats are left out."""
        with self._lock:
            # A source may report a state change before it has a message.
            if not status.message or self.quiet:
                return
            if self._messages.get(id(source)) == status.message:
                return
            self._messages[id(source)] = status.message
            print(f"falco-tui: {printable(status.message)}", file=self.errors)

    def print_summary(self) -> None:
        """Print the alert count and skipped lines by reason on standard error."""
        if self.quiet:
            return

        skipped = sum(self.skipped.values())
        alerts = _count(self.alerts, "alert", "alerts")
        lines = _count(skipped, "line", "lines")
        summary = f"falco-tui: {alerts}, {lines} skipped"
        if skipped:
            reasons = ", ".join(
                f"{count} {printable(reason)}"
                for reason, count in self.skipped.most_common()
            )
            summary += f" ({reasons})"
        print(summary, file=self.errors)

    def _write(self, text: str) -> None:
        try:
            self.output.write(text)
            self.output.flush()
        except BrokenPipeError:
            # The reader went away (for example `| head`), so stop quietly.
            self.output_closed = True


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def alert_line(alert: Alert) -> str:
    """Format an alert as one readable line: time, priority, rule, host, output."""
    moment = format_ns(alert.time_ns) if alert.time_ns is not None else "-"
    host = printable(alert.hostname) or "-"
    return (
        f"{moment} {alert.priority.label} {printable(alert.rule)} "
        f"[{host}] {printable(alert.output)}"
    )


def alert_json(alert: Alert) -> str:
    """Format an alert as one normalized JSON object with the original line."""
    document: dict[str, Any] = {
        "time": format_ns(alert.time_ns) if alert.time_ns is not None else None,
        "time_ns": alert.time_ns,
        "priority": alert.priority.label,
        "rule": alert.rule,
        "source": alert.source,
        "hostname": alert.hostname,
        "tags": list(alert.tags),
        "output": alert.output,
        "output_fields": alert.fields,
        "uuid": alert.uuid,
        "origin": path_text(alert.origin),
        "line_no": alert.line_no,
        "fingerprint": alert.fingerprint,
        "raw": alert.raw,
    }
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        # orjson rejects integers beyond 64 bits; the json module keeps them.
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
