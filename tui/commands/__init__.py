"""Subcommands of ``falco-tui`` that run without the dashboard."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from tui.parsing.text import printable


def print_error(message: str, program: str = "falco-tui") -> None:
    """Print ``program: message`` to standard error, control characters escaped.

    Messages name paths, filters and rules files that came from the command
    line or from alerts, and an escape sequence in them must not reach the
    terminal.
    """
    print(f"{program}: {printable(message)}", file=sys.stderr)


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose error messages escape control characters.

    argparse repeats a rejected argument in its message, and an argument can
    hold an escape sequence that would otherwise reach the terminal.
    """

    def error(self, message: str) -> NoReturn:
        """Print the usage and ``message`` with control characters escaped."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")
