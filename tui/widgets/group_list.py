"""A virtual list of repeat groups, each expandable to its alerts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.parsing.alert import Alert
from tui.parsing.text import printable
from tui.storage.groups import Group, GroupIndex, GroupKey
from tui.widgets.alert_list import fit, format_moment, format_time

# A row is a group (member None) or one member alert of an expanded group.
Row = tuple[Group, int | None]

GROUP_SORTS = ("first seen", "last seen", "count", "rule")
"""Group orders in the order the sort key cycles through them."""

GROUP_SORT_ARROWS = {"first seen": "↑", "last seen": "↓", "count": "↓", "rule": "↑"}
"""The header's mark of each sort, as in the alert list: ↑ ascending, ↓ descending."""

TIME_CELLS = 11
"""Width of the time columns, the alert list's: ``MM-DD HH:MM`` this year,
``YYYY-MM-DD`` for other years and ``HH:MM:SS`` today."""


def group_sort_key(sort: str) -> Callable[[Group], Any]:
    """Return the key that puts groups in ``sort`` order; untimed groups go last.

    First seen runs oldest first; last seen and count run newest and largest
    first, the way a live feed is read.
    """
    if sort == "first seen":
        return lambda group: (group.first_ns is None, group.first_ns or 0)
    if sort == "last seen":
        return lambda group: (group.last_ns is None, -(group.last_ns or 0))
    if sort == "count":
        return lambda group: -group.count
    if sort == "rule":
        return lambda group: group.key[0].casefold()
    raise ValueError(f"invalid group sort {sort!r}: expected one of {GROUP_SORTS}")


def format_ns(time_ns: int | None, now: datetime) -> str:
    """Format a nanosecond UTC time as the alert list's time column does."""
    if time_ns is None:
        return "?"
    return format_moment(datetime.fromtimestamp(time_ns / 1e9, UTC), now, TIME_CELLS)


class GroupList(ScrollView, can_focus=True):
    """Repeat groups with count, first and last seen, rendered line by line.

    Only the rows are kept (groups plus members of expanded groups), never a
    widget per row, and new alerts update the counts in place.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous row", show=False),
        Binding("down,j", "cursor_down", "Next row", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding("enter,right", "expand", "Expand group", show=False),
        Binding("left", "collapse", "Collapse group", show=False),
    ]

    HELP_HIDDEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"scroll_left", "scroll_right", "page_left", "page_right"}
    )
    """Inherited ScrollView actions left out of help: rows never scroll sideways."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "group-list--header",
        "group-list--cursor",
    }

    DEFAULT_CSS = """
    GroupList {
        overflow-x: hidden;
        background: $surface;
        & > .group-list--header {
            text-style: bold;
            background: $panel;
        }
        & > .group-list--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .group-list--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: bold;
        }
        &:nocolor > .group-list--cursor {
            text-style: bold reverse;
        }
    }
    """

    class Highlighted(Message):
        """Posted when the selected row changes. ``alert`` is None when empty."""

        def __init__(self, alert: Alert | None, group: Group | None) -> None:
            super().__init__()
            self.alert = alert
            self.group = group

    def __init__(
        self,
        alerts: Sequence[Alert],
        *,
        read: Callable[[Sequence[int]], Iterable[Alert]] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._alerts = alerts
        self.index = GroupIndex(alerts, read)
        self._expanded: set[GroupKey] = set()
        self._rows: list[Row] = []
        self.cursor_row = -1
        self.status_marker: Callable[[Sequence[int]], str] | None = None
        """Return the members' common status marker, or MIX when they differ."""
        self._group_markers: dict[GroupKey, tuple[int, str]] = {}
        """Each group's marker with the member count it was computed for."""
        self.sort = GROUP_SORTS[0]
        """The group order, one of ``GROUP_SORTS``, kept as counts and times grow."""

    @property
    def rows(self) -> list[Row]:
        """The rows in display order."""
        return self._rows

    @property
    def selected_group(self) -> Group | None:
        """The group of the row under the cursor."""
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row][0]
        return None

    @property
    def selected_alert(self) -> Alert | None:
        """The member under the cursor, or the newest member of a group row."""
        if not 0 <= self.cursor_row < len(self._rows):
            return None
        group, member = self._rows[self.cursor_row]
        return self._alerts[group.members[-1] if member is None else member]

    def rebuild(self, indices: Sequence[int]) -> None:
        """Regroup ``indices`` (the alerts the flat list shows)."""
        self.index.rebuild(indices)
        self._group_markers.clear()
        self._update_rows()

    def add_alerts(self, indices: Sequence[int]) -> None:
        """Count new alerts into their groups and redraw."""
        if indices:
            self.index.add(indices)
            self._update_rows()

    def redraw_rows(self) -> None:
        """Draw every row again, after statuses changed."""
        self._group_markers.clear()
        self.refresh()

    def cycle_sort(self) -> str:
        """Switch to the next order in ``GROUP_SORTS`` and return its name."""
        self.sort = GROUP_SORTS[(GROUP_SORTS.index(self.sort) + 1) % len(GROUP_SORTS)]
        self._update_rows()
        return self.sort

    def _update_rows(self) -> None:
        anchor = self._rows[self.cursor_row] if self.cursor_row >= 0 else None
        screen_line = self.cursor_row - self.scroll_offset.y
        # A stable sort, so groups that tie stay in the order they appeared.
        # NOTE: each update sorts every group again. Sorting 100,000 groups
        # by last seen took about 45 ms on a shared 2-core machine, so a
        # very large grouped view costs that per refresh tick with new alerts.
        groups = sorted(self.index.groups, key=group_sort_key(self.sort))
        rows: list[Row] = []
        for group in groups:
            rows.append((group, None))
            if group.key in self._expanded:
                rows.extend((group, member) for member in group.members)
        self._rows = rows
        self.virtual_size = Size(self.size.width, len(rows) + 1)

        # Keep the same row selected, on the same screen line, as groups grow,
        # move in the sort order and expand.
        if anchor is not None and anchor in rows:
            self.cursor_row = rows.index(anchor)
            top = max(self.cursor_row - screen_line, 0)
            self.scroll_to(y=top, animate=False, force=True, immediate=True)
        else:
            self.cursor_row = min(max(self.cursor_row, 0), len(rows) - 1)
        self.refresh()
        self._post_highlighted()

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self.selected_alert, self.selected_group))

    def _select_row(self, row: int) -> None:
        if not self._rows:
            return
        self.cursor_row = max(0, min(row, len(self._rows) - 1))
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, force=True)
        elif self.cursor_row >= top + visible:
            target = self.cursor_row - visible + 1
            self.scroll_to(y=target, animate=False, force=True)
        self.refresh()
        self._post_highlighted()

    def action_cursor_up(self) -> None:
        """Select the previous row."""
        self._select_row(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        """Select the next row."""
        self._select_row(self.cursor_row + 1)

    def action_page_up(self) -> None:
        """Move the selection up by one screen."""
        page = max(self.scrollable_content_region.height - 2, 1)
        self._select_row(self.cursor_row - page)

    def action_page_down(self) -> None:
        """Move the selection down by one screen."""
        page = max(self.scrollable_content_region.height - 2, 1)
        self._select_row(self.cursor_row + page)

    def action_first(self) -> None:
        """Select the first row."""
        self._select_row(0)

    def action_last(self) -> None:
        """Select the last row."""
        self._select_row(len(self._rows) - 1)

    def action_expand(self) -> None:
        """Show the selected group's alerts below it."""
        group = self.selected_group
        if group is not None and group.key not in self._expanded:
            self._expanded.add(group.key)
            self._update_rows()

    def action_collapse(self) -> None:
        """Hide the selected group's alerts and select the group row."""
        group = self.selected_group
        if group is None or group.key not in self._expanded:
            return
        self._expanded.discard(group.key)
        self._update_rows()
        self._select_row(self._rows.index((group, None)))

    def on_click(self, event: events.Click) -> None:
        """Select the clicked row, or expand or collapse an already selected group."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row >= len(self._rows):
            return
        if row == self.cursor_row and self._rows[row][1] is None:
            group = self._rows[row][0]
            if group.key in self._expanded:
                self.action_collapse()
            else:
                self.action_expand()
            return
        self._select_row(row)

    def on_resize(self, event: events.Resize) -> None:
        """Resize the scrollable area to the new width."""
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)

    def render_line(self, y: int) -> Strip:
        """Render the header (line 0) or the row under screen line ``y``."""
        width = self.scrollable_content_region.width
        if y == 0:
            style = self.rich_style + self.get_component_rich_style(
                "group-list--header"
            )
            return Strip([Segment(fit(self._header_text(), width), style)])

        row = self.scroll_offset.y + y - 1
        if row >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if row == self.cursor_row:
            style = style + self.get_component_rich_style("group-list--cursor")
        group, member = self._rows[row]
        now = datetime.now(UTC)
        text = (
            self._group_text(group, now)
            if member is None
            else self._member_text(member, now)
        )
        return Strip([Segment(fit(text, width), style)])

    def _header_text(self) -> str:
        titles = {
            sort: sort + (GROUP_SORT_ARROWS[sort] if sort == self.sort else "")
            for sort in GROUP_SORTS
        }
        return (
            f"  {titles['count']:>6} {titles['last seen']:<{TIME_CELLS}} "
            f"{titles['first seen']:<{TIME_CELLS}} {titles['rule']} │ host │ "
            "container │ "
            "executable"
        )

    def _group_marker(self, group: Group) -> str:
        # Only members added since the last look are checked, so a large
        # group costs nothing per redraw while statuses stay unchanged.
        if self.status_marker is None:
            return ""
        counted, marker = self._group_markers.get(group.key, (0, ""))
        if counted < group.count:
            added = self.status_marker(group.members[counted:])
            if counted and added != marker:
                added = "MIX"
            marker = added
            self._group_markers[group.key] = (group.count, marker)
        return f"[{marker}] " if marker else ""

    def _marker(self, members: Sequence[int]) -> str:
        marker = self.status_marker(members) if self.status_marker else ""
        return f"[{marker}] " if marker else ""

    def _group_text(self, group: Group, now: datetime) -> str:
        # A text arrow, so the expanded state shows without colour.
        arrow = "▾" if group.key in self._expanded else "▸"
        # A dash marks a missing host, container or executable.
        rule, host, container, executable = (
            printable(part, 64) or "-" for part in group.key
        )
        return (
            f"{arrow} {group.count:>6,} {format_ns(group.last_ns, now):<{TIME_CELLS}} "
            f"{format_ns(group.first_ns, now):<{TIME_CELLS}} "
            f"{self._group_marker(group)}"
            f"{printable(rule, 256)} │ {host} │ {container} │ {executable}"
        )

    def _member_text(self, member: int, now: datetime) -> str:
        alert = self._alerts[member]
        return (
            f"    #{member + 1:<6} {format_time(alert, now, TIME_CELLS):<{TIME_CELLS}} "
            f"{alert.priority.short} {self._marker([member])}"
            f"{printable(alert.output or alert.rule, 512)}"
        )
