"""The overview: a time histogram by priority and top rules, hosts, containers."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.content import Content

from tui.parsing.text import printable
from tui.screens.picker import Choice, PickerScreen
from tui.storage.overview import BANDS, Overview, bar_widths
from tui.storage.query import field_term

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


def histogram_lines(overview: Overview) -> list[Content]:
    """Return one bar per time slice, labelled with its UTC start and count."""
    if not overview.buckets:
        return [Content("  No alert has a time.")]
    scale = max(bucket.total for bucket in overview.buckets)
    time_format = "%m-%d %H:%M"
    if overview.step_s < 60:
        time_format = "%H:%M:%S"
    elif overview.step_s >= 86400:
        time_format = "%Y-%m-%d"
    lines = []
    for bucket in overview.buckets:
        start = datetime.fromtimestamp(bucket.start_ns // 1_000_000_000, tz=UTC)
        parts: list[str | tuple[str, str]] = [
            f"  {start.strftime(time_format):>11} {bucket.total:>7,} "
        ]
        widths = bar_widths(bucket, scale, BAR_WIDTH)
        for band, width in zip(BANDS, widths, strict=True):
            char, style = BAND_STYLES[band]
            parts.append((char * width, style))
        lines.append(Content.assemble(*parts))
    return lines


def step_text(seconds: int) -> str:
    """Return a bucket width in the largest whole unit: ``30 s``, ``5 min``, ``2 d``."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:,} {unit}"
    return f"{seconds:,} s"


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
    step = step_text(overview.step_s)
    heading = f"Alerts over time (UTC, {step} per bar, {overview.total:,} alerts)"
    choices: list[Choice] = [(Content.styled(heading, "bold $accent"), None)]
    choices += [(line, None) for line in histogram_lines(overview)]
    choices.append((legend(), None))
    if overview.untimed:
        choices.append((Content(f"  {overview.untimed:,} alerts without a time"), None))
    choices += top_choices("Top rules (Enter adds the filter)", overview.rules, "rule")
    choices += top_choices("Top hosts", overview.hosts, "hostname")
    choices += top_choices("Top containers", overview.containers, "container")
    return choices


class OverviewScreen(PickerScreen):
    """The overview; choosing a top entry returns its filter term."""

    def __init__(self, overview: Overview) -> None:
        super().__init__(
            "Overview of the shown alerts (escape closes)", overview_choices(overview)
        )
