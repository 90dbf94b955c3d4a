"""Accumulate the figures printed by the ``summary`` command."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.located import AlertRow
from tui.parsing.text import printable
from tui.parsing.timefmt import format_ns

UNKNOWN = "unknown"
"""The label for a missing source or hostname."""


class Summary:
    """Count alerts and skipped lines without keeping the alerts themselves."""

    def __init__(self) -> None:
        self.alerts = 0
        self.repaired = 0
        """The number of alerts whose line had bytes that are not UTF-8."""
        self.skipped: Counter[str] = Counter()
        self.by_priority: Counter[Priority] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.by_source: Counter[str] = Counter()
        self.by_host: Counter[str] = Counter()
        self.first_ns: int | None = None
        self.last_ns: int | None = None

    def add(self, items: Iterable[Alert | AlertRow | Skip]) -> None:
        """Count every alert (full or as a row) and skip in ``items``."""
        for item in items:
            if isinstance(item, (Alert, AlertRow)):
                self._add_alert(item)
            else:
                self.skipped[item.reason] += 1

    def merge(self, other: Summary) -> None:
        """Add the counts and time range of ``other`` to this summary."""
        self.alerts += other.alerts
        self.repaired += other.repaired
        self.skipped.update(other.skipped)
        self.by_priority.update(other.by_priority)
        self.by_rule.update(other.by_rule)
        self.by_source.update(other.by_source)
        self.by_host.update(other.by_host)
        for time_ns in (other.first_ns, other.last_ns):
            if time_ns is not None:
                self.add_time(time_ns)

    def add_count(
        self,
        rule: str,
        priority: Priority,
        source: str | None,
        hostname: str | None,
        count: int,
    ) -> None:
        """Count ``count`` alerts that share a rule, priority, source and host."""
        self.alerts += count
        self.by_priority[priority] += count
        self.by_rule[rule] += count
        self.by_source[source or UNKNOWN] += count
        self.by_host[hostname or UNKNOWN] += count

    def add_time(self, time_ns: int) -> None:
        """Widen the time range to include ``time_ns``."""
        if self.first_ns is None or time_ns < self.first_ns:
            self.first_ns = time_ns
        if self.last_ns is None or time_ns > self.last_ns:
            self.last_ns = time_ns

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as plain JSON-ready values.

        Counters are ordered by count (largest first), priorities by severity.
        Times are ISO 8601 UTC with a ``Z``, or None when no alert had a time.
        """
        by_priority = {
            priority.label: self.by_priority[priority]
            for priority in sorted(self.by_priority)
        }
        return {
            "alerts": self.alerts,
            "with_invalid_utf8": self.repaired,
            "skipped": self.skipped.total(),
            "skipped_by_reason": dict(self.skipped.most_common()),
            "by_priority": by_priority,
            "by_rule": dict(self.by_rule.most_common()),
            "by_source": dict(self.by_source.most_common()),
            "by_host": dict(self.by_host.most_common()),
            "first_time": None if self.first_ns is None else format_ns(self.first_ns),
            "last_time": None if self.last_ns is None else format_ns(self.last_ns),
        }

    def format_text(self) -> str:
        """Return the figures as a plain-text report with aligned columns."""
        figures = self.to_dict()
        lines = [
            f"Alerts:  {figures['alerts']}",
            f"Skipped: {figures['skipped']}",
            f"First:   {figures['first_time'] or '-'}",
            f"Last:    {figures['last_time'] or '-'}",
        ]
        if figures["with_invalid_utf8"]:
            # Listed only when present, so clean input keeps its short report.
            repaired = figures["with_invalid_utf8"]
            lines.insert(1, f"  with invalid UTF-8 (shown as U+FFFD): {repaired}")
        sections = (
            ("By priority", "by_priority"),
            ("By rule", "by_rule"),
            ("By source", "by_source"),
            ("By host", "by_host"),
            ("Skipped lines by reason", "skipped_by_reason"),
        )
        for title, key in sections:
            if figures[key]:
                lines.append("")
                lines.extend(_table(title, figures[key]))
        return "\n".join(lines) + "\n"

    def _add_alert(self, alert: Alert | AlertRow) -> None:
        self.add_count(alert.rule, alert.priority, alert.source, alert.hostname, 1)
        if alert.invalid_bytes:
            self.repaired += 1
        if alert.time_ns is not None:
            self.add_time(alert.time_ns)


def _table(title: str, counts: dict[str, int]) -> list[str]:
    """Format one titled block of right-aligned counts and escaped names."""
    width = max(len(str(count)) for count in counts.values())
    rows = [f"{title}:"]
    for name, count in counts.items():
        rows.append(f"  {count:>{width}}  {printable(name)}")
    return rows
