"""The skipped-lines report: why lines were not alerts, with sample lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content

from tui.parsing.alert import Skip
from tui.parsing.text import printable
from tui.screens.report import ReportScreen

SAMPLE_WIDTH = 300
"""The maximum characters of a sample line shown."""


class SkippedScreen(ReportScreen):
    """Counts of skipped lines by reason, each with a few sample lines."""

    REPORT_TITLE = "Skipped lines (escape closes)"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,s", "dismiss", "Close"),
    ]

    def __init__(self, reasons: Sequence[tuple[str, int, Sequence[Skip]]]) -> None:
        super().__init__()
        self.reasons = reasons
        """(reason, count, sample skips) triples, most frequent first."""

    def build_text(self) -> Content:
        if not self.reasons:
            return Content("No lines were skipped: every line read was an alert.")
        parts: list[str | tuple[str, str]] = []
        for reason, count, samples in self.reasons:
            parts += [(f"\n{count:>8,}  ", "bold"), (printable(reason), "bold $accent")]
            parts.append("\n")
            for skip in samples:
                where = f"{printable(skip.origin, 80)}:{skip.line_no}"
                parts += [(f"          {where}  ", "$text-muted")]
                parts += [printable(skip.sample, SAMPLE_WIDTH), "\n"]
        return Content.assemble(*parts)
