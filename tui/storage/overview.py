"""Figures for the overview screen: a time histogram by priority and top lists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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

NICE_STEPS_S = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
"""Bucket widths in seconds; the histogram takes the first that fits."""


@dataclass(slots=True)
class Bucket:
    """Alerts in one time slice, counted by priority band (``BANDS`` order)."""

    start_ns: int
    counts: list[int] = field(default_factory=lambda: [0] * len(BANDS))

    @property
    def total(self) -> int:
        """The number of alerts in the slice."""
        return sum(self.counts)


@dataclass(slots=True)
class Overview:
    """The histogram and top-N counts of a set of alerts."""

    buckets: list[Bucket]
    step_s: int
    """Width of one bucket in seconds."""
    untimed: int
    """Alerts without a time, left out of the histogram."""
    rules: list[tuple[str, int]]
    hosts: list[tuple[str, int]]
    containers: list[tuple[str, int]]
    total: int


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

    buckets, step_s = histogram(timed, max_buckets)
    return Overview(
        buckets=buckets,
        step_s=step_s,
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

    buckets, step_s = histogram(timed, max_buckets)
    hosts = Counter({strings[key]: count for key, count in host_ids.items()})
    del hosts[""]
    return Overview(
        buckets=buckets,
        step_s=step_s,
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
) -> tuple[list[Bucket], int]:
    """Split (time_ns, band) pairs into slices of a round width, oldest first."""
    if not timed:
        return [], 0
    first = min(time_ns for time_ns, _ in timed)
    last = max(time_ns for time_ns, _ in timed)
    span_s = (last - first) // 1_000_000_000 + 1
    # Past the longest nice step, use whole days so labels stay dates.
    days = -(-span_s // (max_buckets * 86400))
    step_s = next(
        (step for step in NICE_STEPS_S if step * max_buckets >= span_s),
        days * 86400,
    )
    step_ns = step_s * 1_000_000_000
    # Align slices to multiples of the step, so labels read as round times.
    origin = first - first % step_ns
    count = (last - origin) // step_ns + 1
    buckets = [Bucket(origin + number * step_ns) for number in range(count)]
    for time_ns, band in timed:
        buckets[(time_ns - origin) // step_ns].counts[band] += 1
    return buckets, step_s


def bar_widths(bucket: Bucket, scale: int, width: int) -> list[int]:
    """Return the cells each band gets in a bar ``width`` cells at ``scale`` alerts.

    A band with any alert gets at least one cell, so rare severe alerts show.
    """
    if scale <= 0:
        return [0] * len(BANDS)
    return [
        max(1, round(count * width / scale)) if count else 0 for count in bucket.counts
    ]
