"""``falco-tui report PATH --index N``: write the Markdown report of one alert."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.analysis.report import markdown_report, write_report_file
from tui.analysis.rulesfile import load_default_rules
from tui.commands import ArgumentParser, print_error
from tui.commands.explain import add_rules_option
from tui.parsing.alert import Alert
from tui.parsing.reader import iter_items, iter_stream
from tui.state.db import StateError, StateStore, default_state_dir


def build_report_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui report``."""
    parser = ArgumentParser(
        prog="falco-tui report",
        description="Write a Markdown report of one alert: summary, fields with "
        "their roles, analysis, MITRE ATT&CK, checklist with saved ticks, and "
        "the exception snippet.",
    )
    parser.add_argument(
        "path", metavar="PATH", help="alert file, or - for standard input"
    )
    parser.add_argument(
        "--index",
        metavar="N",
        type=int,
        required=True,
        help="which alert, counting alerts (not skipped lines) from 1 in file "
        "order, as the dashboard's list numbers them",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        default=None,
        help="write the report to FILE instead of standard output",
    )
    parser.add_argument(
        "--state",
        metavar="DIR",
        type=Path,
        default=None,
        help=f"folder with saved checklist ticks (default: {default_state_dir()})",
    )
    add_rules_option(parser)
    return parser


def nth_alert(path: str, index: int) -> tuple[Alert | None, int]:
    """Return the alert numbered ``index`` (from 1) and how many alerts were read."""
    if path == "-":
        items = iter_stream(sys.stdin.buffer, origin="-")
    else:
        items = iter_items(path)
    count = 0
    for item in items:
        if isinstance(item, Alert):
            count += 1
            if count == index:
                return item, count
    return None, count


def run_report(options: argparse.Namespace) -> int:
    """Print or write the report; exit 1 for a bad path or index, 2 for state."""
    if options.index < 1:
        return _fail("--index counts from 1; pass --index 1 for the first alert")
    try:
        alert, count = nth_alert(options.path, options.index)
    except OSError as error:
        reason = error.strerror or str(error)
        return _fail(f"cannot read {options.path}: {reason}")
    if alert is None:
        return _fail(
            f"{options.path} has {count} alerts, so there is no alert "
            f"number {options.index}"
        )

    try:
        with StateStore(options.state or default_state_dir()) as state:
            ticks = state.checklist(alert.fingerprint)
    except StateError as error:
        print_error(str(error))
        return 2

    rules = load_default_rules(options.rules)
    for message in rules.messages:
        print_error(f"rules file skipped: {message}")
    text = markdown_report(alert, ticks, rules)
    if options.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_report_file(options.output, text)
    except (OSError, UnicodeEncodeError) as error:
        reason = getattr(error, "strerror", None) or error
        return _fail(f"cannot write {options.output}: {reason}")
    print_error(f"wrote the report to {options.output}")
    return 0


def _fail(message: str) -> int:
    print_error(message)
    return 1
