"""Group repeated alerts by rule, host, container and executable, incrementally."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tui.parsing.alert import Alert

GroupKey = tuple[str, str, str, str]


def group_key(alert: Alert) -> GroupKey:
    """Return the (rule, host, container id, executable path) an alert repeats on."""
    container = alert.field("container.id", "container.name")
    executable = alert.field("proc.exepath", "proc.exe", "proc.name")
    return (
        alert.rule,
        alert.hostname or "",
        "" if container is None else str(container),
        "" if executable is None else str(executable),
    )


@dataclass(slots=True)
class Group:
    """Alerts sharing one ``GroupKey``, as store indices in arrival order."""

    key: GroupKey
    members: list[int] = field(default_factory=list)
    first_ns: int | None = None
    last_ns: int | None = None

    @property
    def count(self) -> int:
        """The number of member alerts."""
        return len(self.members)

    def add(self, index: int, time_ns: int | None) -> None:
        """Append one member and widen the first and last seen times."""
        self.members.append(index)
        if time_ns is None:
            return
        if self.first_ns is None or time_ns < self.first_ns:
            self.first_ns = time_ns
        if self.last_ns is None or time_ns > self.last_ns:
            self.last_ns = time_ns


class GroupIndex:
    """Groups of a store's alerts, in the order each group first appeared.

    ``add`` takes only the new indices, so keeping the groups current costs
    time per new alert, not per alert stored. ``read`` returns the alerts of
    many indices at once, in order; by default they are looked up one by one.
    """

    def __init__(
        self,
        alerts: Sequence[Alert],
        read: Callable[[Sequence[int]], Iterable[Alert]] | None = None,
    ) -> None:
        self._alerts = alerts
        self._read = read
        self.groups: list[Group] = []
        self._by_key: dict[GroupKey, Group] = {}

    def add(self, indices: Iterable[int]) -> None:
        """Put each new alert into its group, creating groups as needed."""
        indices = list(indices)
        if self._read is None:
            alerts: Iterable[Alert] = (self._alerts[index] for index in indices)
        else:
            alerts = self._read(indices)
        for index, alert in zip(indices, alerts, strict=True):
            key = group_key(alert)
            group = self._by_key.get(key)
            if group is None:
                group = Group(key)
                self._by_key[key] = group
                self.groups.append(group)
            group.add(index, alert.time_ns)

    def rebuild(self, indices: Iterable[int]) -> None:
        """Forget every group and regroup ``indices``."""
        self.groups = []
        self._by_key = {}
        self.add(indices)
