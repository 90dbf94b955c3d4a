"""The skipped-lines report: why lines were not alerts, with sample lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content

from tui.parsing.alert import Skip
from tui.parsing.text import printable
from tui.screens.report import ReportScreen
from tui.sources.base import SourceStatus

SAMPLE_WIDTH = 300
"""The maximum characters of a sample line shown."""


class SkippedScreen(ReportScreen):
    """Counts of skipped lines by reason, each with a few sample lines."""

    REPORT_TITLE = "Sources and skipped lines (escape closes)"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,s", "dismiss", "Close"),
    ]

    def __init__(
        self,
        reasons: Sequence[tuple[str, int, Sequence[Skip]]],
        sources: Sequence[tuple[str, SourceStatus | None]] = (),
    ) -> None:
        super().__init__()
        self.reasons = reasons
        """(reason, count, sample skips) triples, most frequent first."""
        self.sources = sources
        """(label, status) of every source, since the status bar folds them."""

    def build_text(self) -> Content:
        parts: list[str | tuple[str, str]] = [("Sources\n", "bold $accent")]
        for label, status in self.sources:
            state = "starting" if status is None else str(status.state)
            parts += [(f"  {printable(label, 120)}: ", "bold"), state, "\n"]
            if status is not None and status.message:
                parts += [
                    ("    " + printable(status.message, 400) + "\n", "$text-muted")
                ]
            if status is not None:
                counts = f"    {status.alerts:,} alerts, {status.skipped:,} skipped\n"
                parts += [(counts, "$text-muted")]

        parts += [("\nSkipped lines\n", "bold $accent")]
        if not self.reasons:
            parts.append("  No lines were skipped: every line read was an alert.\n")
            return Content.assemble(*parts)
        for reason, count, samples in self.reasons:
            parts += [(f"\n{count:>8,}  ", "bold"), (printable(reason), "bold $accent")]
            parts.append("\n")
            for skip in samples:
                where = f"{printable(skip.origin, 80)}:{skip.line_no}"
                parts += [(f"          {where}  ", "$text-muted")]
                parts += [printable(skip.sample, SAMPLE_WIDTH), "\n"]
        return Content.assemble(*parts)
