"""The overview: a time histogram by priority and top rules, hosts, containers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList

from tui.parsing.text import printable
from tui.screens.picker import Choice, PickerScreen
from tui.storage.overview import BANDS, Bucket, Overview, bar_widths
from tui.storage.query import field_term, negate

BAR_WIDTH = 40
"""Cells of the longest bar: with the time and count columns it fits 80 columns."""

BAND_STYLES = {
    "critical+": ("█", "bold $error"),
    "error": ("▓", "$error"),
    "warning": ("▒", "$warning"),
    "notice": ("░", "$accent"),
    "info": ("·", "$text-muted"),
}
"""A character and a colour per band; the characters tell bands apart without colour."""


def legend() -> Content:
    """Return the line that names each band's character."""
    parts: list[str | tuple[str, str]] = ["  "]
    for band in BANDS:
        char, style = BAND_STYLES[band]
        parts += [(char * 2, style), f" {band}  "]
    return Content.assemble(*parts)


LABEL_FORMATS = {
    "s": "%H:%M:%S",
    "min": "%m-%d %H:%M",
    "h": "%m-%d %H:%M",
    "d": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
    "year": "%Y",
}
"""The ``strftime`` format of a bar's start for each bin unit, at most 11 cells."""


NO_ALERTS_SHOWN = (
    "  No alerts are shown. To show every alert, clear the filter",
    "  (/, then ctrl+u and enter) and lift mutes (M).",
)
"""The histogram's lines when the filter or mutes hide every alert."""


def histogram_lines(overview: Overview) -> list[Content]:
    """Return one bar per time slice, labelled with its UTC start and count."""
    if not overview.total:
        return [Content(line) for line in NO_ALERTS_SHOWN]
    if not overview.buckets or overview.step is None:
        return [Content("  No alert has a time.")]
    scale = max(bucket.total for bucket in overview.buckets)
    time_format = LABEL_FORMATS[overview.step.unit]
    lines = []
    for bucket in overview.buckets:
        start = datetime.fromtimestamp(bucket.start_ns // 1_000_000_000, tz=UTC)
        label = start.strftime(time_format)
        if overview.step.unit == "year" and overview.step.count > 1:
            label = f"{start.year}-{start.year + overview.step.count - 1}"
        parts: list[str | tuple[str, str]] = [f"  {label:>11} {bucket.total:>7,} "]
        widths = bar_widths(bucket, scale, BAR_WIDTH)
        for band, width in zip(BANDS, widths, strict=True):
            char, style = BAND_STYLES[band]
            parts.append((char * width, style))
        lines.append(Content.assemble(*parts))
    return lines


def bucket_range(bucket: Bucket) -> str:
    """Return the ``from:`` and ``to:`` terms that cover one time slice."""
    start = datetime.fromtimestamp(bucket.start_ns // 1_000_000_000, tz=UTC)
    end = datetime.fromtimestamp(bucket.end_ns // 1_000_000_000, tz=UTC)
    # to: is inclusive and has microsecond precision, so stop 1 µs early.
    return f"from:{iso(start)} to:{iso(end - timedelta(microseconds=1))}"


def iso(moment: datetime) -> str:
    """Return an aware UTC time as ISO 8601 with a ``Z``."""
    return moment.replace(tzinfo=None).isoformat() + "Z"


def top_choices(title: str, entries: list[tuple[str, int]], field: str) -> list[Choice]:
    """Return a heading and one choosable line per entry, valued as a filter term."""
    choices: list[Choice] = [(Content.styled(title, "bold $accent"), None)]
    if not entries:
        choices.append((Content("  none"), None))
    for name, count in entries:
        line = Content.assemble(f"  {count:>7,}  ", printable(name, 60))
        choices.append((line, field_term(field, name)))
    return choices


def overview_choices(overview: Overview) -> list[Choice]:
    """Return every line of the overview; top entries carry a filter term."""
    heading = f"Alerts over time (UTC, {overview.total:,} alerts)"
    if overview.step is not None:
        step = overview.step.text
        heading = f"Alerts over time (UTC, {step} per bar, {overview.total:,} alerts)"
    help_line = "  Enter keeps the highlighted bar or entry, - leaves it out."
    choices: list[Choice] = [
        (Content.styled(heading, "bold $accent"), None),
        (Content.styled(help_line, "$text-muted"), None),
    ]
    bars = histogram_lines(overview)
    ranges = [bucket_range(bucket) for bucket in overview.buckets]
    # A bar with alerts filters to its time slice; an empty bar has nothing to show.
    for number, line in enumerate(bars):
        has_alerts = bool(overview.buckets) and overview.buckets[number].total > 0
        choices.append((line, ranges[number] if has_alerts else None))
    choices.append((legend(), None))
    if overview.untimed:
        choices.append((Content(f"  {overview.untimed:,} alerts without a time"), None))
    choices += top_choices("Top rules", overview.rules, "rule")
    choices += top_choices("Top hosts", overview.hosts, "hostname")
    choices += top_choices("Top containers", overview.containers, "container")
    return choices


class OverviewScreen(PickerScreen):
    """The overview; choosing a bar or top entry returns its filter term."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("minus", "exclude", "Leave the entry out", key_display="-"),
    ]

    def action_exclude(self) -> None:
        """Return the highlighted entry's term negated, to leave it out."""
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None:
            return
        value = self.choices[highlighted][1]
        if value is None:
            return
        self.dismiss(negate(value))

    def __init__(self, overview: Overview) -> None:
        super().__init__(
            "Overview of the shown alerts (escape closes)", overview_choices(overview)
        )
