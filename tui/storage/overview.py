"""Figures for the overview screen: a time histogram by priority and top lists."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from tui.parsing.alert import Alert, Priority
from tui.storage.blocks import iter_alerts
from tui.storage.store import NO_TIME

if TYPE_CHECKING:
    from tui.storage.store import AlertStore

BANDS = ("critical+", "error", "warning", "notice", "info")
"""Priority bands of the histogram, most severe first."""

_BAND_OF = {
    Priority.EMERGENCY: 0,
    Priority.ALERT: 0,
    Priority.CRITICAL: 0,
    Priority.ERROR: 1,
    Priority.WARNING: 2,
    Priority.NOTICE: 3,
    Priority.INFORMATIONAL: 4,
    Priority.DEBUG: 4,
}

FIXED_UNITS_S = {"s": 1, "min": 60, "h": 3600, "d": 86400, "week": 7 * 86400}
"""Seconds in each bin unit of fixed length; months and years vary."""

STEPS = (
    ("s", 1),
    ("s", 5),
    ("s", 10),
    ("s", 30),
    ("min", 1),
    ("min", 5),
    ("min", 10),
    ("min", 30),
    ("h", 1),
    ("h", 3),
    ("h", 6),
    ("h", 12),
    ("d", 1),
    ("week", 1),
    ("month", 1),
    ("month", 3),
    ("month", 6),
    ("year", 1),
)
"""Bin widths as (unit, count); the histogram takes the first that fits."""

NS = 1_000_000_000

MONDAY_OFFSET_S = 3 * 86400
"""Seconds from a Monday to the Unix epoch, a Thursday, so weeks start on Monday."""


@dataclass(frozen=True, slots=True)
class Step:
    """The width of one histogram bin: ``count`` calendar ``unit``s."""

    unit: str
    """One of ``s``, ``min``, ``h``, ``d``, ``week``, ``month`` or ``year``."""
    count: int

    @property
    def seconds(self) -> int | None:
        """The width in seconds, or None for months and years, which vary."""
        unit_s = FIXED_UNITS_S.get(self.unit)
        return None if unit_s is None else unit_s * self.count

    @property
    def text(self) -> str:
        """The width for people: ``30 s``, ``1 week``, ``3 months``."""
        if self.unit in ("week", "month", "year") and self.count != 1:
            return f"{self.count:,} {self.unit}s"
        return f"{self.count:,} {self.unit}"


@dataclass(slots=True)
class Bucket:
    """Alerts in one time slice, counted by priority band (``BANDS`` order)."""

    start_ns: int
    end_ns: int
    """The start of the next slice: a slice covers start_ns <= t < end_ns."""
    counts: list[int] = field(default_factory=lambda: [0] * len(BANDS))

    @property
    def total(self) -> int:
        """The number of alerts in the slice."""
        return sum(self.counts)


@dataclass(slots=True)
class Overview:
    """The histogram and top-N counts of a set of alerts."""

    buckets: list[Bucket]
    step: Step | None
    """Width of one bucket, or None when no alert has a time."""
    untimed: int
    """Alerts without a time, left out of the histogram."""
    rules: list[tuple[str, int]]
    hosts: list[tuple[str, int]]
    containers: list[tuple[str, int]]
    total: int

    @property
    def step_s(self) -> int | None:
        """Width of one bucket in seconds; None for months, years or no bucket."""
        return None if self.step is None else self.step.seconds


def container_of(alert: Alert) -> str | None:
    """Return the container's name, else its id, else None."""
    name = alert.field("container.name")
    if name is not None:
        return str(name)
    container_id = alert.field("container.id")
    return None if container_id is None else str(container_id)


def build_overview(
    alerts: Iterable[Alert], max_buckets: int = 12, top: int = 5
) -> Overview:
    """Count ``alerts`` into at most ``max_buckets`` time slices and top lists."""
    rules: Counter[str] = Counter()
    hosts: Counter[str] = Counter()
    containers: Counter[str] = Counter()
    timed: list[tuple[int, int]] = []
    total = 0

    for alert in alerts:
        total += 1
        rules[alert.rule] += 1
        if alert.hostname:
            hosts[alert.hostname] += 1
        container = container_of(alert)
        if container is not None:
            containers[container] += 1
        if alert.time_ns is not None:
            timed.append((alert.time_ns, _BAND_OF[alert.priority]))

    buckets, step = histogram(timed, max_buckets)
    return Overview(
        buckets=buckets,
        step=step,
        untimed=total - len(timed),
        rules=rules.most_common(top),
        hosts=hosts.most_common(top),
        containers=containers.most_common(top),
        total=total,
    )


def build_store_overview(
    store: AlertStore, indices: Sequence[int], max_buckets: int = 12, top: int = 5
) -> Overview:
    """Count the alerts at ``indices`` as ``build_overview`` does, from columns.

    Only alerts whose container the column does not settle are read, in
    blocks per file.
    """
    columns = store.columns()
    strings = columns.strings
    containers = _store_containers(store, indices)
    bands = [_BAND_OF[priority] for priority in Priority]
    times = columns.time
    priorities = columns.priority
    timed = [
        (times[index], bands[priorities[index]])
        for index in indices
        if times[index] != NO_TIME
    ]
    rule_ids = Counter(columns.rule[index] for index in indices)
    host_ids = Counter(columns.host[index] for index in indices)

    buckets, step = histogram(timed, max_buckets)
    hosts = Counter({strings[key]: count for key, count in host_ids.items()})
    del hosts[""]
    return Overview(
        buckets=buckets,
        step=step,
        untimed=len(indices) - len(timed),
        rules=Counter(
            {strings[key]: count for key, count in rule_ids.items()}
        ).most_common(top),
        hosts=hosts.most_common(top),
        containers=Counter(name for name in containers if name is not None).most_common(
            top
        ),
        total=len(indices),
    )


def _store_containers(store: AlertStore, indices: Sequence[int]) -> list[str | None]:
    """Return ``container_of`` of each alert, reading only what columns leave open."""
    columns = store.columns()
    strings = columns.strings
    known = [
        _column_container(
            strings[columns.container[index]], strings[columns.source[index]]
        )
        for index in indices
    ]
    unknown = [index for index, name in zip(indices, known) if name is _UNKNOWN]
    read = dict(zip(unknown, map(container_of, iter_alerts(store, unknown))))
    return [
        read[index] if name is _UNKNOWN else name for index, name in zip(indices, known)
    ]


_UNKNOWN = "\0unknown"
"""Marks a container the column does not settle (no label contains a NUL)."""


def _column_container(label: str, source: str) -> str | None:
    """Return ``container_of`` from the container column, or ``_UNKNOWN``.

    The column contains ``container_label``: ``printable(name, 64)`` for most
    alerts, but ``host`` both for host events and for alerts without a
    container id, and "" for text alerts without an id, whose name may be
    ``host``. Escaped or cut labels differ from the value.
    """
    if not label:
        # "" comes from text alerts only when the source is missing or syscall.
        return _UNKNOWN if source in ("", "syscall") else None
    if label == "host" or len(label) >= 64 or "\\" in label:
        return _UNKNOWN
    return label


def histogram(
    timed: list[tuple[int, int]], max_buckets: int
) -> tuple[list[Bucket], Step | None]:
    """Split (time_ns, band) pairs into calendar slices, oldest first.

    The slice width is the first of ``STEPS`` that covers the span in at most
    ``max_buckets`` slices (whole years past that). Slices start on round
    times in UTC: whole minutes, midnights, Mondays, first days of a month.
    """
    if not timed:
        return [], None
    first = min(time_ns for time_ns, _ in timed)
    last = max(time_ns for time_ns, _ in timed)
    step = next(
        (
            Step(unit, count)
            for unit, count in STEPS
            if len(slice_starts(first, last, Step(unit, count))) <= max_buckets + 1
        ),
        None,
    )
    if step is None:
        # Aligning the first slice to a multiple of the step can add a slice,
        # so widen the step until the slices fit.
        years = year_of(last) - year_of(first) + 1
        step = Step("year", -(-years // max_buckets))
        while len(slice_starts(first, last, step)) > max_buckets + 1:
            step = Step("year", step.count + 1)

    starts = slice_starts(first, last, step)
    buckets = [Bucket(start, end) for start, end in pairwise(starts)]
    for time_ns, band in timed:
        buckets[bisect_right(starts, time_ns) - 1].counts[band] += 1
    return buckets, step


def slice_starts(first: int, last: int, step: Step) -> list[int]:
    """Return the start of each slice from ``first`` to ``last``, plus one end.

    Stops early once the list passes ``STEP_LIMIT`` entries, since such a
    step is too fine to use anyway.
    """
    starts: list[int] = []
    start = slice_floor(first, step)
    while True:
        starts.append(start)
        if start > last or len(starts) > STEP_LIMIT:
            return starts
        following = next_slice(start, step)
        # Past year 9999 month_start stops moving, so the last slice ends
        # just after the newest alert there.
        start = following if following > start else last + 1


STEP_LIMIT = 1000
"""Slices ``slice_starts`` builds at most while it tries a step."""


def slice_floor(time_ns: int, step: Step) -> int:
    """Return the start of the slice that contains ``time_ns``."""
    seconds = time_ns // NS
    width = step.seconds
    if step.unit == "week":
        return ((seconds + MONDAY_OFFSET_S) // width * width - MONDAY_OFFSET_S) * NS
    if width is not None:
        return seconds // width * width * NS
    moment = datetime.fromtimestamp(seconds, UTC)
    if step.unit == "month":
        month = (moment.month - 1) // step.count * step.count + 1
        return month_start(moment.year, month)
    year = moment.year // step.count * step.count
    return month_start(year, 1)


def next_slice(start_ns: int, step: Step) -> int:
    """Return the start of the slice after the one that starts at ``start_ns``."""
    width = step.seconds
    if width is not None:
        return start_ns + width * NS
    moment = datetime.fromtimestamp(start_ns // NS, UTC)
    if step.unit == "month":
        months = moment.year * 12 + moment.month - 1 + step.count
        return month_start(months // 12, months % 12 + 1)
    return month_start(moment.year + step.count, 1)


def month_start(year: int, month: int) -> int:
    """Return epoch nanoseconds of the first day of a month, at midnight UTC.

    Years outside 1 to 9999, which ``datetime`` cannot represent, are clamped.
    """
    year = min(max(year, 1), 9999)
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * NS


def year_of(time_ns: int) -> int:
    """Return the UTC year of a nanosecond time."""
    return datetime.fromtimestamp(time_ns // NS, UTC).year


def bar_widths(bucket: Bucket, scale: int, width: int) -> list[int]:
    """Return the cells each band gets in a bar ``width`` cells at ``scale`` alerts.

    A band with any alert gets at least one cell, so rare severe alerts show.
    """
    if scale <= 0:
        return [0] * len(BANDS)
    return [
        max(1, round(count * width / scale)) if count else 0 for count in bucket.counts
    ]
