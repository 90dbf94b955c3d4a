"""Keep every alert read so far, with counts and sorted, filtered views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from tui.parsing.alert import Alert, Priority, Skip

MAX_SKIP_SAMPLES = 20
"""Skipped lines kept per reason, so the user can see what was skipped."""

SORT_KEYS = ("arrival", "time", "priority", "rule")

# Sort keys return tuples that end in the arrival index, so ties keep their
# arrival order and sorting is stable across calls.
_SortKey = Callable[[int], tuple]


class AlertStore:
    """Store alerts in arrival order and count them by priority and source.

    An alert's index in ``alerts`` never changes; index + 1 is its number in
    the list. Skipped lines are only counted, with a few samples per reason.
    """

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.by_priority: Counter[Priority] = Counter()
        self.by_source: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self._skip_samples: dict[str, list[Skip]] = {}
        self._search_text: list[str | None] = []

    def __len__(self) -> int:
        return len(self.alerts)

    @property
    def skipped_total(self) -> int:
        """The number of skipped lines over all reasons."""
        return self.skipped.total()

    def add(self, items: Iterable[Alert | Skip]) -> list[int]:
        """Store ``items`` and return the indices of the new alerts, in order."""
        added: list[int] = []
        for item in items:
            if isinstance(item, Alert):
                added.append(self._add_alert(item))
            else:
                self._add_skip(item)
        return added

    def skip_samples(self, reason: str) -> list[Skip]:
        """Return up to ``MAX_SKIP_SAMPLES`` skipped lines for ``reason``."""
        return list(self._skip_samples.get(reason, ()))

    def view(
        self, sort: str = "arrival", reverse: bool = False, text: str = ""
    ) -> list[int]:
        """Return alert indices matching ``text``, ordered by ``sort``.

        ``text`` matches literally and case-insensitively anywhere in the
        rule, output, raw line or field names and values. ``sort`` is one of
        ``SORT_KEYS``; priority sorts the most severe first, and time puts
        alerts without a time last.
        """
        if sort not in SORT_KEYS:
            raise ValueError(f"invalid sort {sort!r}: expected one of {SORT_KEYS}")

        indices = range(len(self.alerts))
        if text:
            needle = text.casefold()
            indices = [index for index in indices if needle in self._text_of(index)]

        if sort == "arrival":
            ordered = list(indices)
            if reverse:
                ordered.reverse()
            return ordered
        return sorted(indices, key=self.sort_key(sort), reverse=reverse)

    def _add_alert(self, alert: Alert) -> int:
        self.alerts.append(alert)
        self._search_text.append(None)
        self.by_priority[alert.priority] += 1
        self.by_source[alert.source or "unknown"] += 1
        return len(self.alerts) - 1

    def _add_skip(self, skip: Skip) -> None:
        self.skipped[skip.reason] += 1
        samples = self._skip_samples.setdefault(skip.reason, [])
        if len(samples) < MAX_SKIP_SAMPLES:
            samples.append(skip)

    def _text_of(self, index: int) -> str:
        """Return the case-folded searchable text of an alert, built once."""
        cached = self._search_text[index]
        if cached is None:
            alert = self.alerts[index]
            parts = [alert.rule, alert.output, alert.raw]
            for name, value in alert.fields.items():
                parts.append(f"{name}={'' if value is None else value}")
            cached = "\n".join(parts).casefold()
            self._search_text[index] = cached
        return cached

    def sort_key(self, sort: str) -> _SortKey:
        """Return the key function ``view`` sorts indices with for ``sort``.

        The list widget uses it to insert new alerts at their sorted place
        without sorting everything again. ``arrival`` sorts by index.
        """
        alerts = self.alerts
        if sort == "arrival":
            return lambda i: (i,)
        if sort == "time":
            return lambda i: (alerts[i].time_ns is None, alerts[i].time_ns or 0, i)
        if sort == "priority":
            return lambda i: (alerts[i].priority.value, i)
        return lambda i: (alerts[i].rule.casefold(), i)

    # The alert list widget was written against the earlier private name.
    _sort_key = sort_key
