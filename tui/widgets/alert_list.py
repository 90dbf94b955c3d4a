"""A virtual list of alerts: one rendered line per visible row, none per alert."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.parsing.alert import Alert, Priority
from tui.parsing.columns import NO_TIME
from tui.parsing.located import AlertRow, container_label, row_from_alert
from tui.parsing.text import printable
from tui.storage.store import AlertStore
from tui.widgets.priority_style import LEVELS, SHAPES, label_style

SORTS = ("time", "priority", "rule")
"""Sort orders in the order the sort key cycles through them."""

SORT_ARROWS = {"time": "↑", "priority": "↓", "rule": "↑"}
"""The header's mark of each sort: ↑ ascending (oldest first, rules A to Z),
↓ descending (the most severe priority first)."""

FIND_BATCH = 2_000
"""Rows ``find`` hands to the filter at once, so their lines are read in blocks."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the list: its name, header title, width in cells, alignment."""

    name: str
    title: str
    width: int
    right: bool = False


def plan_columns(width: int, number_width: int) -> list[Column]:
    """Fit the columns into ``width`` cells, dropping host, then container, first.

    The rule column takes whatever the fixed columns leave, at least 16 cells.
    """
    time_width = 11
    if width >= 120:
        time_width = 19
    elif width >= 100:
        time_width = 14
    fixed = [
        Column("number", "#", number_width, right=True),
        Column("time", "UTC time", time_width),
        Column("priority", "prio", 5),
    ]
    optional = [
        Column("process", "process", 15 if width >= 120 else 12),
        Column("container", "container", 20 if width >= 140 else 14),
        Column("host", "host", 20 if width >= 140 else 16),
    ]

    # Drop host, then container, then process until the rule column fits.
    while True:
        used = sum(column.width + 1 for column in fixed + optional)
        if width - used >= 16 or not optional:
            break
        optional.pop()

    rule_width = max(width - sum(column.width + 1 for column in fixed + optional), 4)
    return [*fixed, Column("rule", "rule", rule_width), *optional]


def fit(text: str, width: int, right: bool = False) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells, marking a cut with an ellipsis."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if right else text + padding


def format_time(alert: Alert | AlertRow, now: datetime, width: int) -> str:
    """Format the alert's UTC time to fit ``width`` cells (11, 14 or 19)."""
    moment = alert.time
    if moment is None:
        return "?"
    return format_moment(moment, now, width)


def format_moment(moment: datetime, now: datetime, width: int) -> str:
    """Format a UTC time to fit ``width`` cells (11, 14 or 19), relative to ``now``.

    Today's times show ``HH:MM:SS``. Older ones add the date: in full at 19
    cells; within the current year as ``MM-DD HH:MM:SS`` at 14 cells and
    ``MM-DD HH:MM`` at 11. An alert from another year shows ``YYYY-MM-DD``
    at both widths, because its date matters more than the time of day, and
    a two-digit year reads like a day (the detail pane has the full time).
    """
    if moment.date() == now.date():
        return moment.strftime("%H:%M:%S")
    if width >= 19:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.year != now.year:
        return moment.strftime("%Y-%m-%d")
    if width < 14:
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%m-%d %H:%M:%S")


def container_name(alert: Alert) -> str:
    """Return the container's name, or ``host`` for a syscall event on the host."""
    return container_label(
        alert.field("container.id"),
        alert.field("container.name"),
        alert.source,
        alert.kind,
    )


def cell_value(column: str, alert: Alert) -> str:
    """Return the printable text of one non-time column for ``alert``."""
    return row_cell_value(column, row_from_alert(alert))


def row_cell_value(column: str, row: AlertRow) -> str:
    """Return the printable text of one non-time column from a store row."""
    if column == "priority":
        return row.priority.short
    if column == "rule":
        return printable(row.rule, 256)
    if column == "host":
        return printable(row.hostname, 64)
    if column == "container":
        return row.container
    if column == "process":
        return row.process
    return ""


class AlertList(ScrollView, can_focus=True):
    """The alert table, rendered line by line so it can hold millions of alerts.

    Rows are store indices kept in sort order; the cursor follows an alert, not
    a row number, so new alerts never move the selection.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous alert", show=False),
        Binding("down,j", "cursor_down", "Next alert", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First alert", show=False),
        Binding("end,G", "last", "Last alert", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up, k | Select the previous alert. |
    | down, j | Select the next alert. |
    | pageup, pagedown | Move the selection one page. |
    | home, g | Select the first alert. |
    | end, G | Select the last alert. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert-list--header",
        "alert-list--cursor",
        "alert-list--critical",
        "alert-list--error",
        "alert-list--warning",
        "alert-list--notice",
        "alert-list--info",
    }

    DEFAULT_CSS = """
    AlertList {
        overflow-x: hidden;
        background: $surface;
        & > .alert-list--header {
            text-style: bold;
            background: $panel;
        }
        & > .alert-list--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .alert-list--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: bold;
        }
        &:nocolor > .alert-list--cursor {
            text-style: bold reverse;
        }
        /* Only the colours come from here: priority_style.py makes them
           readable on the background and sets each level's text style. */
        & > .alert-list--critical {
            color: $error;
        }
        & > .alert-list--error {
            color: $error;
        }
        & > .alert-list--warning {
            color: $warning;
        }
        & > .alert-list--notice {
            color: $accent;
        }
        & > .alert-list--info {
            color: $text-muted;
        }
    }
    """

    HELP_HIDDEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"scroll_left", "scroll_right", "page_left", "page_right"}
    )
    """Inherited ScrollView actions left out of help: rows never scroll sideways."""

    follow: reactive[bool] = reactive(True, init=False)
    """Keep the newest alert selected and in view as alerts arrive."""

    sort: reactive[str] = reactive("time", init=False)
    """The sort order, one of ``SORTS``."""

    class Highlighted(Message):
        """Posted when the selected alert changes; ``alert`` is None when empty."""

        def __init__(
            self, alert_list: AlertList, alert: Alert | None, arrival: bool = False
        ) -> None:
            super().__init__()
            self.alert_list = alert_list
            self.alert = alert
            self.arrival = arrival
            """True when arriving alerts moved the selection, not a key or filter."""

        @property
        def control(self) -> AlertList:
            """The alert list that posted the message."""
            return self.alert_list

        def can_replace(self, message: Message) -> bool:
            # Only the latest selection matters when follow mode moves fast.
            return isinstance(message, AlertList.Highlighted)

    def __init__(
        self,
        store: AlertStore,
        *,
        follow: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._store = store
        self._alerts = store.alerts
        """The store's alerts; rows refer to them by index."""
        self._order: array[int] = array("I")
        """Store indices in display order, 4 bytes each."""
        self._newest = -1
        """The store index of the most recently added alert, or -1."""
        self.cursor_row = -1
        """The selected row, or -1 while the list is empty."""
        self._highlighted: int | None = None
        self._columns: list[Column] = []
        self._plan_key: tuple[int, int] | None = None
        self._cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(maxsize=1024)
        self._priority_styles: dict[tuple[str, bool], Style] = {}
        self.select: Callable[[Sequence[int]], list[int]] | None = None
        """The active filter: returns the given store indices it keeps, in
        order; only those become rows. None shows every alert."""
        self.set_reactive(AlertList.follow, follow)
        self.hidden: Callable[[int], bool] | None = None
        """Return True for a store index to leave out (a muted alert)."""
        self.status_marker: Callable[[Alert], str] | None = None
        """Return the short triage status shown before an alert's rule."""

    @property
    def row_count(self) -> int:
        """The number of rows in the list."""
        return len(self._order)

    @property
    def selected_alert(self) -> Alert | None:
        """The alert under the cursor, or None while the list is empty."""
        if 0 <= self.cursor_row < len(self._order):
            return self._alerts[self._order[self.cursor_row]]
        return None

    def alert_at_row(self, row: int) -> Alert:
        """Return the alert shown in ``row`` (0 is the first alert row)."""
        return self._alerts[self._order[row]]

    def add_alerts(self, indices: Sequence[int]) -> None:
        """Show the alerts at these store indices, keeping selection and scroll.

        In follow mode the newest alert becomes the selection instead. Alerts
        the active filter rejects are left out.
        """
        indices = self._visible(indices)
        if not indices:
            return
        new, positions = self._insert(indices)
        # The store tracks the newest alert: the largest index, except for
        # older rows that the history indexer adds after a file's end.
        newest_changed = self._store.newest != self._newest
        self._newest = self._store.newest
        self._update_virtual_size()

        if self.follow and self.sort == "time":
            # Alerts from several files arrive out of time order, so follow
            # mode selects the latest time, not the last alert to arrive.
            self._shift_cursor(bisect_right(positions, self.cursor_row))
            self._select_row(self._follow_row(), user=False, arrival=True)
        elif self.follow and newest_changed and self._newest in new:
            ordinal = new.index(self._newest)
            self._select_row(positions[ordinal] + ordinal, user=False, arrival=True)
        elif self.cursor_row < 0:
            self._select_row(0, user=False, arrival=True)
        else:
            # Each new row at or above the selection pushes it down by one.
            self._shift_cursor(bisect_right(positions, self.cursor_row))
        self.refresh()

    def set_sort(self, sort: str, rebuild: bool = False) -> None:
        """Reorder the rows by ``sort`` and keep the same alert selected.

        With ``rebuild``, every stored alert is checked again against the
        mutes and the filter, on this thread.
        """
        if sort not in SORTS:
            raise ValueError(f"invalid sort {sort!r}: expected one of {SORTS}")
        anchor = self._order[self.cursor_row] if self.cursor_row >= 0 else None
        self.sort = sort
        if self.select is not None and not rebuild:
            # The rows already pass the filter and the mutes: reorder them
            # rather than run the filter over every alert again.
            self._order = array("I", sorted(self._order, key=self._sort_key()))
        else:
            view = self._store.view(sort)
            self._order = array("I", self._visible(view))
        self._cache.clear()
        if anchor is not None and anchor in self._order:
            self.cursor_row = self._row_of(anchor)
            self._scroll_cursor_into_view(center=True)
        self.refresh()

    def visible_indices(self) -> list[int]:
        """Return the store indices of the alerts the list shows, in row order."""
        return list(self._order)

    def _visible(self, indices: Sequence[int]) -> list[int]:
        """Return the store indices that are neither muted nor filtered out."""
        hidden = self.hidden
        if hidden is not None:
            indices = [index for index in indices if not hidden(index)]
        if self.select is None:
            return list(indices)
        # The filter checks a whole batch at once, reading lines in blocks.
        return self.select(indices)

    def reload_rows(self) -> None:
        """Rebuild the rows after ``hidden`` changed, keeping the selection."""
        self.set_sort(self.sort, rebuild=True)
        if self._newest not in self._order:
            self._newest = max(self._order, default=-1)
        self._update_virtual_size()
        # Clamp the selection, and select the first row of a list that was
        # empty before (-1 when it is still empty).
        self.cursor_row = min(max(self.cursor_row, 0), len(self._order) - 1)
        self._post_highlighted()

    def redraw_rows(self) -> None:
        """Draw every row again, after statuses changed."""
        self._cache.clear()
        self.refresh()

    def cycle_sort(self) -> str:
        """Switch to the next sort order in ``SORTS`` and return its name."""
        self.set_sort(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])
        return self.sort

    def _insert(self, indices: Sequence[int]) -> tuple[list[int], list[int]]:
        """Merge ``indices`` into the rows; return them sorted, with the row each
        went before in the old order (so equal rows mean adjacent inserts).

        Every index in ``indices`` must be larger than every index already in
        the rows, as for alerts stored after the rows were built.
        """
        key = self._sort_key()
        column = self._column_key()
        # Sort keys end in the index, so a stable sort of ascending indices by
        # the column value alone gives the same order, with fewer Python calls.
        new = sorted(indices)
        if column is not _same_index:
            new.sort(key=column)
        old = self._order
        if not old or key(new[0]) >= key(old[-1]):
            # The usual case for a live feed in time order: append, no search.
            positions = [len(old)] * len(new)
            old.extend(new)
            return new, positions

        # A new index is larger than every old one, so a new row goes after
        # the old rows with the same column value. The searches can then
        # compare column values alone, which costs no Python call per step
        # for the time and priority sorts.
        first = bisect_right(old, column(new[0]), key=column)
        if first == bisect_right(old, column(new[-1]), key=column):
            # Positions grow with the key, so every new row lands at one
            # place: the history indexer's older rows arrive like this.
            self._order = old[:first] + array("I", new) + old[first:]
            return new, [first] * len(new)

        positions = self._positions(new, column)
        merged: array[int] = array("I")
        start = 0
        for position, index in zip(positions, new, strict=True):
            # Slices copy in C, so the merge is linear in the row count
            # without calling the key on every old row.
            merged.extend(old[start:position])
            merged.append(index)
            start = position
        merged.extend(old[start:])
        self._order = merged
        return new, positions

    def _positions(self, new: list[int], column: Callable[[int], Any]) -> list[int]:
        """Return the row each of the sorted ``new`` indices goes before."""
        old = self._order
        positions = []
        low = 0
        for index in new:
            # The positions never decrease, so each search starts at the last.
            low = bisect_right(old, column(index), low, key=column)
            positions.append(low)
        return positions

    def _column_key(self) -> Callable[[int], Any]:
        """Return the store's column key for the sort; for arrival, the index."""
        column = self._store.column_key(self.sort)
        return _same_index if column is None else column

    def _sort_key(self) -> Callable[[int], Any]:
        # New rows must land where ``AlertStore.view`` would put them.
        return self._store.sort_key(self.sort)

    def _row_of(self, index: int) -> int:
        if self._order and self._order[-1] == index:
            return len(self._order) - 1
        return self._order.index(index)

    def _shift_cursor(self, shift: int) -> None:
        if not shift:
            return
        self.cursor_row += shift
        # Rows landed above the selection: scroll by as many, so the selected
        # alert stays on the same screen line.
        self.scroll_to(y=self.scroll_offset.y + shift, animate=False, force=True)

    def _update_virtual_size(self) -> None:
        # One extra line for the header row.
        size = Size(self.size.width, len(self._order) + 1)
        if size == self.virtual_size:
            return
        if not self._only_scrollbar_changes(size):
            self.virtual_size = size
            return

        # Setting ``virtual_size`` requests a layout of the whole screen, which
        # repaints every widget. While the list only grows past a full screen,
        # nothing but its scrollbar changes, so update that alone.
        self.set_reactive(AlertList.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _only_scrollbar_changes(self, size: Size) -> bool:
        """Return True when ``size`` keeps the list overflowing, at the same width."""
        # NOTE: this relies on Textual 8's private ``_scroll_update``, which
        # its own layout calls to resize the scrollbars.
        height = self.scrollable_content_region.height
        return (
            self.is_mounted
            and self.show_vertical_scrollbar
            and size.width == self.virtual_size.width
            and self.virtual_size.height > height
            and size.height > height
        )

    def _select_row(self, row: int, user: bool, arrival: bool = False) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        old_row = self.cursor_row
        self.cursor_row = row
        if old_row != row:
            self._refresh_row(old_row)
            self._refresh_row(row)
        if user and self.follow and not self._is_follow_row(row):
            self.follow = False
        self._scroll_cursor_into_view()
        self._post_highlighted(arrival)

    def _refresh_row(self, row: int) -> None:
        if row >= 0:
            self.refresh_line(row + 1)

    def _post_highlighted(self, arrival: bool = False) -> None:
        index = self._order[self.cursor_row] if self.cursor_row >= 0 else None
        if index != self._highlighted:
            self._highlighted = index
            self.post_message(self.Highlighted(self, self.selected_alert, arrival))

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = self.scroll_offset.y
        row = self.cursor_row
        if center and not top <= row < top + visible:
            target = row - visible // 2
        elif row < top:
            target = row
        elif row >= top + visible:
            target = row - visible + 1
        else:
            return
        self.scroll_to(y=max(target, 0), animate=False, force=True)

    def action_cursor_up(self) -> None:
        """Select the previous row."""
        self._select_row(self.cursor_row - 1, user=True)

    def action_cursor_down(self) -> None:
        """Select the next row."""
        self._select_row(self.cursor_row + 1, user=True)

    def action_page_up(self) -> None:
        """Move the selection up by one screen."""
        page = max(self.scrollable_content_region.height - 2, 1)
        self._select_row(self.cursor_row - page, user=True)

    def action_page_down(self) -> None:
        """Move the selection down by one screen."""
        page = max(self.scrollable_content_region.height - 2, 1)
        self._select_row(self.cursor_row + page, user=True)

    def action_first(self) -> None:
        """Select the first row."""
        self._select_row(0, user=True)

    def action_last(self) -> None:
        """Select the last row."""
        self._select_row(len(self._order) - 1, user=True)

    def on_click(self, event: events.Click) -> None:
        """Select the clicked row, or cycle the sort on a header click."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            self.cycle_sort()
            return
        row = self.scroll_offset.y + offset.y - 1
        if row < len(self._order):
            self._select_row(row, user=True)

    def on_resize(self, event: events.Resize) -> None:
        """Resize the scrollable area and keep the selected row on screen."""
        self._update_virtual_size()

        # Rows added before the first layout, or a smaller window, can leave
        # the selection (the newest alert, in follow mode) below the screen.
        if self.cursor_row >= 0:
            self.call_after_refresh(self._scroll_cursor_into_view)

    def notify_style_update(self) -> None:
        """Drop cached lines, whose colours came from the old styles."""
        super().notify_style_update()
        self._cache.clear()
        self._priority_styles.clear()

    def watch_follow(self, follow: bool) -> None:
        """Jump to the newest alert when follow mode is switched on."""
        if follow and self._order:
            self._select_row(self._follow_row(), user=False)

    def _is_follow_row(self, row: int) -> bool:
        """Return True when ``row`` is the one follow mode selects."""
        if self.sort == "time":
            return row == self._follow_row()
        return self._order[row] == self._newest

    def _follow_row(self) -> int:
        """Return the row follow mode selects, or -1 while there are no rows.

        Sorted by time, that is the latest alert with a time (the rows are in
        ascending time, and alerts without one sort last). In the other sorts
        it is the newest alert to arrive.
        """
        if not self._order:
            return -1
        if self.sort != "time":
            if self._newest in self._order:
                return self._row_of(self._newest)
            return len(self._order) - 1
        untimed = bisect_left(self._order, NO_TIME, key=self._column_key())
        return untimed - 1 if untimed > 0 else len(self._order) - 1

    def render_line(self, y: int) -> Strip:
        """Render the header (line 0) or the alert row under screen line ``y``."""
        width = self.scrollable_content_region.width
        self._plan_columns(width)
        if y == 0:
            return self._render_header(width)

        row = self.scroll_offset.y + y - 1
        if row >= len(self._order):
            return Strip.blank(width, self.rich_style)

        index = self._order[row]
        # The day is part of the key because "today" drops the date.
        now = datetime.now(UTC)
        # The number is part of the key because tail rows get theirs late.
        number = self._store.number(index)
        selected = row == self.cursor_row
        key = (index, number, selected, width, self.has_focus, now.date())
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(index, row == self.cursor_row, width, now)
            self._cache[key] = strip
        return strip

    def _plan_columns(self, width: int) -> None:
        # The number column widens as the count gains digits.
        plan_key = (width, max(len(str(len(self._alerts))), 3))
        if plan_key != self._plan_key:
            self._plan_key = plan_key
            self._columns = plan_columns(*plan_key)
            self._cache.clear()

    def _render_header(self, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("alert-list--header")
        cells = []
        for column in self._columns:
            # The arrow marks the sort column and its direction.
            title = column.title + (
                SORT_ARROWS[self.sort] if column.name == self.sort else ""
            )
            cells.append(fit(title, column.width, column.right))
        return Strip([Segment(" ".join(cells), style)]).adjust_cell_length(width, style)

    def _render_row(
        self, index: int, selected: bool, width: int, now: datetime
    ) -> Strip:
        # The row's columns come from the store without reading the alert's line.
        alert = self._store.row(index)
        base = self.rich_style
        if selected:
            base = base + self.get_component_rich_style("alert-list--cursor")
        priority_style = base + self._priority_style(alert.priority, selected)

        segments: list[Segment] = []
        for position, column in enumerate(self._columns):
            if position:
                segments.append(Segment(" ", base))
            text = self._cell_text(column, alert, index, now)
            style = priority_style if column.name == "priority" else base
            segments.append(Segment(fit(text, column.width, column.right), style))
        return Strip(segments).adjust_cell_length(width, base)

    def _priority_style(self, priority: Priority, selected: bool) -> Style:
        level = LEVELS[priority]
        style = self._priority_styles.get((level, selected))
        if style is None:
            style = self._new_priority_style(level, selected)
            self._priority_styles[level, selected] = style
        return style

    def _new_priority_style(self, level: str, selected: bool) -> Style:
        css = self.get_component_rich_style(f"alert-list--{level}")
        colour = Color.from_rich_color(css.color) if css.color else None
        background = Color.from_rich_color(self.rich_style.bgcolor)
        if selected:
            # On the cursor the label keeps the row's text colour, made
            # readable on the cursor's background, and the level's text
            # attributes: a theme's cursor can be fainter than 4.5:1.
            cursor = self.rich_style + self.get_component_rich_style(
                "alert-list--cursor"
            )
            colour = Color.from_rich_color(cursor.color)
            background = Color.from_rich_color(cursor.bgcolor)
            if self.app.console.color_system == "standard":
                return SHAPES[level]
        return label_style(
            level,
            colour,
            background,
            self.app.console.color_system,
            self.app.no_color,
        )

    def _cell_text(
        self, column: Column, alert: AlertRow, index: int, now: datetime
    ) -> str:
        if column.name == "number":
            number = self._store.number(index)
            # Rows read from the end of a file first wait for their number.
            return "…" if number is None else str(number)
        if column.name == "time":
            return format_time(alert, now, column.width)
        if column.name == "rule" and self.status_marker is not None:
            # The status is keyed by the full alert's fingerprint, so this
            # re-reads the line of each visible row (the store caches them).
            marker = self.status_marker(self._store.alert(index))
            if marker:
                return f"[{marker}] {row_cell_value(column.name, alert)}"
        return row_cell_value(column.name, alert)

    # --- filter, find and jump --------------------------------------------

    def show_filtered(
        self,
        select: Callable[[Sequence[int]], list[int]] | None,
        rows: list[int],
        checked: int,
    ) -> None:
        """Show only alerts ``select`` keeps, from a pass done elsewhere.

        ``rows`` are the accepted store indices below ``checked``, in the
        current sort order; alerts stored since that pass are checked here.
        Muted alerts (``hidden``) stay out.
        The selection stays on the same alert when it still matches.
        """
        anchor = self._order[self.cursor_row] if self.cursor_row >= 0 else None
        self.select = select
        hidden = self.hidden
        self._order = array("I", [i for i in rows if hidden is None or not hidden(i)])
        later = range(checked, len(self._alerts))
        added = self._visible(later)
        if added:
            self._insert(added)
        self._newest = max(self._order, default=-1)
        self._highlighted = None
        self.cursor_row = -1
        self._cache.clear()
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, force=True)
        if self.follow and self._order:
            self._select_row(self._follow_row(), user=False)
        elif anchor is not None and anchor in self._order:
            self._select_row(self._order.index(anchor), user=False)
            self._scroll_cursor_into_view(center=True)
        elif self._order:
            self._select_row(0, user=False)
        else:
            self.post_message(self.Highlighted(self, None))
        self.refresh()

    def find(
        self, select: Callable[[Sequence[int]], list[int]], forward: bool = True
    ) -> bool:
        """Select the next row (or previous) whose alert ``select`` keeps.

        ``select`` returns the store indices it keeps from those given. The
        search starts after the selection and wraps around the list once,
        checking ``FIND_BATCH`` rows per call. Returns False, leaving the
        selection alone, when no row matches.
        """
        count = len(self._order)
        step = 1 if forward else -1
        start = self.cursor_row
        if start < 0:
            # With nothing selected, the first step lands on the first or last row.
            start = -1 if forward else 0
        for first in range(1, count + 1, FIND_BATCH):
            offsets = range(first, min(first + FIND_BATCH, count + 1))
            rows = [(start + step * offset) % count for offset in offsets]
            matches = set(select([self._order[row] for row in rows]))
            for row in rows:
                if self._order[row] in matches:
                    self._select_row(row, user=True)
                    return True
        return False

    def match_position(self, matches: set[int]) -> tuple[int, int]:
        """Return the selection's 1-based place among the shown ``matches`` and
        how many are shown. The place is 0 when the selection is not a match."""
        order = self._order
        cursor = max(self.cursor_row, 0)
        before = sum(1 for index in order[:cursor] if index in matches)
        after = sum(1 for index in order[cursor:] if index in matches)
        selected = 0 <= self.cursor_row < len(order) and order[cursor] in matches
        return (before + 1 if selected else 0), before + after

    def jump_to_time(self, time_ns: int) -> bool:
        """Select the earliest shown alert at or after ``time_ns``.

        Returns False when every shown alert is older or has no time.
        """
        row = self._first_row_at_or_after(time_ns)
        if row < 0:
            return False
        self._select_row(row, user=True)
        self._scroll_cursor_into_view(center=True)
        return True

    def _first_row_at_or_after(self, time_ns: int) -> int:
        store = self._store
        if self.sort == "time":
            # Time order puts untimed alerts last, so a binary search finds it.
            # The store's time key is (time, index).
            row = bisect_left(self._order, (time_ns, -1), key=self._sort_key())
            if row < len(self._order) and store.time_ns(self._order[row]) is not None:
                return row
            return -1

        best_row = -1
        best_ns = 0
        for row, index in enumerate(self._order):
            # The time column avoids re-reading every alert's line.
            alert_ns = store.time_ns(index)
            if alert_ns is None or alert_ns < time_ns:
                continue
            if best_row < 0 or alert_ns < best_ns:
                best_row, best_ns = row, alert_ns
        return best_row


def _same_index(index: int) -> int:
    """Return ``index``: the column key of the arrival order."""
    return index
