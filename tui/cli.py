"""The ``falco-tui`` command line.

``falco-tui [PATH ...]`` opens the dashboard; ``falco-tui summary PATH ...``
prints the same counts without the UI, for scripts and checks;
``falco-tui export PATH ... -o FILE`` writes the original lines of the alerts
that match ``--filter``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from tui import __version__
from tui.commands import ArgumentParser, print_error

UI_SWITCH_SECONDS = 0.001
"""The interpreter's thread switch interval while the dashboard runs."""

DASHBOARD_EPILOG = """\
With no PATH, falco-tui reads standard input when it is a pipe; otherwise it
follows the first of these files that exists:
{defaults}
If none exists it opens a demo on the bundled sample alerts.

Other commands:
  falco-tui summary PATH ... [--json]   counts without the UI
  falco-tui export PATH ... [--filter EXPR] -o FILE
                                        write matching original lines
  falco-tui explain RULE                 what a rule detects and what to check
  falco-tui report PATH --index N        Markdown report of one alert
  falco-tui tail PATH ... [--json]      print alerts as they arrive

Keys inside the dashboard: press ? for the full list.
"""


def build_dashboard_parser() -> argparse.ArgumentParser:
    """Build the parser for the dashboard (the default command)."""
    from tui.commands.explain import add_rules_option
    from tui.sources.files import DEFAULT_PATHS
    from tui.state.db import default_state_dir

    defaults = "\n".join(f"  {path}" for path in DEFAULT_PATHS)
    parser = ArgumentParser(
        prog="falco-tui",
        description="Terminal dashboard for Falco alerts.",
        epilog=DASHBOARD_EPILOG.format(defaults=defaults),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="alert file, directory (its *.json, *.jsonl and *.log files, and "
        "their rotated .gz files as history), glob, .gz file, or - for standard "
        "input; existing lines load as history, then new lines stream in",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="replay the bundled sample alerts at a live pace",
    )
    parser.add_argument(
        "--poll",
        action="store_true",
        help="poll files for changes (watchfiles' default of every 300 ms, plus "
        "a check each second) instead of inotify; for NFS and some container mounts",
    )
    parser.add_argument(
        "--state",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder for saved checklist ticks, triage statuses and mutes "
        f"(default: {default_state_dir()})",
    )
    parser.add_argument(
        "--bell",
        action="store_true",
        help="ring the terminal bell on Critical and more severe alerts, at most "
        "once every 30 seconds (b toggles it in the dashboard)",
    )
    add_rules_option(parser)
    parser.add_argument("--version", action="version", version=__version__)
    return parser


def build_summary_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui summary``."""
    parser = ArgumentParser(
        prog="falco-tui summary",
        description="Parse Falco output files and print alert counts, "
        "without the dashboard.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="alert file, directory, glob, or - for standard input",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (alerts, skipped, skipped_by_reason, "
        "by_priority, by_rule, by_source, by_host, first_time, last_time)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command named by ``argv`` and return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "summary":
        return run_summary(build_summary_parser().parse_args(args[1:]))
    if args and args[0] == "export":
        from tui.commands.export import build_export_parser, run_export

        return run_export(build_export_parser().parse_args(args[1:]))
    if args and args[0] == "explain":
        from tui.commands.explain import build_explain_parser, run_explain

        return run_explain(build_explain_parser().parse_args(args[1:]))
    if args and args[0] == "report":
        from tui.commands.report import build_report_parser, run_report

        return run_report(build_report_parser().parse_args(args[1:]))
    if args and args[0] == "tail":
        from tui.commands.tail import main as tail_main

        return tail_main(args[1:])
    return run_dashboard(build_dashboard_parser().parse_args(args))


def run_summary(options: argparse.Namespace) -> int:
    """Print counts for the given files; exit 1 when a path cannot be read."""
    from tui.parsing.reader import iter_stream
    from tui.sources.files import expand_file_paths
    from tui.storage.parallel_summary import summarize_file
    from tui.storage.summary import Summary

    summary = Summary()
    failed = False
    for path in expand_file_paths(options.paths):
        try:
            if path == "-":
                summary.add(iter_stream(sys.stdin.buffer, origin="-"))
            else:
                summary.merge(summarize_file(path))
        except OSError as error:
            failed = True
            reason = error.strerror or str(error)
            print_error(
                f"cannot read {path}: {reason}; check the path and its permissions"
            )

    if options.json:
        sys.stdout.write(orjson.dumps(summary.to_dict()).decode() + "\n")
    else:
        sys.stdout.write(summary.format_text())
    return 1 if failed else 0


def run_dashboard(options: argparse.Namespace) -> int:
    """Open the dashboard on the chosen sources and run until the user quits."""
    from tui.sources.demo import DemoSource, sample_alert_files
    from tui.sources.files import first_existing_default, make_sources
    from tui.sources.history import index_single_file
    from tui.state.db import StateError, default_state_dir

    state_dir = options.state or default_state_dir()
    paths = list(options.paths)
    demo = options.demo
    stdin_is_pipe = not sys.stdin.isatty()

    if not paths and not demo:
        if stdin_is_pipe:
            paths = ["-"]
        elif (found := first_existing_default()) is not None:
            paths = [str(found)]
        else:
            demo = True

    stdin_fd = None
    if "-" in paths:
        stdin_fd = take_stdin_from_terminal()
        if stdin_fd is None:
            return 2

    if demo:
        sources = [DemoSource(sample_alert_files())]
    else:
        # Rows keep each line on disk; a pipe's bytes are spooled to a file
        # under the state folder, unlinked as soon as it is created.
        sources = make_sources(
            paths,
            poll=options.poll,
            stdin_fd=stdin_fd,
            rows=True,
            spool_dir=Path(state_dir) / "tmp",
        )
        # A file's newest alerts show first while the rest is indexed.
        sources = index_single_file(sources)

    # Imported after the index workers started, so they parse while Textual
    # loads.
    from tui.app import make_app

    try:
        app = make_app(sources, state_dir=state_dir, demo=demo, bell=options.bell)
        app.load_rules(options.rules)
    except StateError as error:
        print_error(str(error))
        # Ends the index workers that index_single_file may have started.
        for source in sources:
            source.stop()
        return 2
    # Source threads parse while holding the interpreter lock. A shorter
    # switch interval than Python's 5 ms default lets the UI thread take the
    # lock sooner after a key press during a flood of alerts.
    sys.setswitchinterval(UI_SWITCH_SECONDS)
    app.run()
    return app.return_code or 0


def take_stdin_from_terminal() -> int | None:
    """Move piped standard input aside and give fd 0 back to the terminal.

    Textual reads keys from fd 0, so alerts piped into falco-tui must be read
    from a duplicate of the pipe while fd 0 is reopened on ``/dev/tty``.
    Returns the pipe's new fd, or None (after printing why) without a terminal.
    """
    if sys.stdin.isatty():
        print(
            "falco-tui: '-' reads alerts from standard input, but standard input "
            "is the terminal; pipe alerts in, for example: "
            "tail -F /var/log/falco.json | falco-tui -",
            file=sys.stderr,
        )
        return None
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError as error:
        print(
            f"falco-tui: no terminal for the keyboard ({error.strerror}); "
            "to read piped alerts without a terminal use: falco-tui summary -",
            file=sys.stderr,
        )
        return None
    pipe_fd = os.dup(0)
    os.dup2(terminal, 0)
    os.close(terminal)
    return pipe_fd
