"""The status bar: counts, skipped lines, filter, source states and follow mode."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from textual.color import Color
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from tui.parsing.alert import Priority
from tui.parsing.text import printable
from tui.sources.base import SourceState, SourceStatus
from tui.storage.store import AlertStore
from tui.widgets.priority_style import LEVELS, label_style

Part = str | tuple[str, str | Style]

_STATE_STYLES = {
    SourceState.ERROR: "bold $error",
    SourceState.WAITING: "$warning",
    SourceState.ENDED: "$text-muted",
}

SEPARATOR = (" │ ", "$text-muted")


@dataclass(frozen=True, slots=True)
class StatusItem:
    """One piece of the status bar, with the shorter forms it may take.

    ``forms`` run from longest to shortest, each with the rank from which it
    may be used. When the bar is too wide, ``fit_status`` steps through the
    ranks from lowest to highest and takes shorter forms until the line fits,
    so a low rank gives way first. An empty form drops the item. An item
    with ``clip`` instead shows a (prefix, text, style, suffix) whose text is
    cut with an ellipsis from ``clip_rank``, down to ``MIN_CLIP_CELLS``.
    """

    forms: tuple[tuple[int, Content], ...] = ()
    join: Part = SEPARATOR
    """The separator before the item when the item built before it is shown."""
    clip: tuple[str, str, str, Content] | None = None
    clip_rank: int = 0


MIN_CLIP_CELLS = 8
"""Cells of clipped text (such as the filter) kept however narrow the bar."""

# Ranks, in the order the bar gives way:
# 0. healthy sources go;
# 1. the total that "N of M alerts" repeats goes;
# 2. priority counts lose their spaces, and the bell goes;
# 3. source names go;
# 4. under a filter, the priority counts (of all alerts) go;
# 5. the filter text is cut;
# 6. a failed source's reason goes;
# 7. the least severe priority counts go.
# The alert, shown, skipped and muted counts and the follow state stay.
RANK_HEALTHY_SOURCE = 0
RANK_REPEATED_TOTAL = 1
RANK_COMPACT = 2
RANK_SOURCE_NAME = 3
RANK_FILTERED_PRIORITY_DROP = 4
RANK_FILTER_TEXT = 5
RANK_SOURCE_MESSAGE = 6
RANK_PRIORITY_DROP = 7


def item(*parts: Part, join: Part = SEPARATOR) -> StatusItem:
    """Return an item that never shortens."""
    return StatusItem(((0, Content.assemble(*parts)),), join=join)


def priority_item(
    store: AlertStore,
    join: Part = " ",
    styles: Mapping[Priority, Style] | None = None,
    filtered: bool = False,
) -> StatusItem | None:
    """Return the count of each priority seen, most severe first, as ``WARN 3``.

    Shorter forms join label and count (``WARN3``), then leave out the least
    severe priorities one at a time, because the total stays in the bar.
    ``styles`` gives each label's style (see ``StatusBar.priority_styles``).
    With ``filtered`` the counts start with ``all:``, because they count every
    alert and not only the shown ones.
    """
    styles = styles or {}
    counts: list[tuple[Priority, int]] = [
        (priority, store.by_priority.get(priority, 0)) for priority in Priority
    ]
    counts = [(priority, count) for priority, count in counts if count]
    if not counts:
        return None

    def form(shown: list[tuple[Priority, int]], gap: str) -> Content:
        parts: list[Part] = []
        for priority, count in shown:
            if parts:
                parts.append(" ")
            label = priority.short.strip()
            style = styles.get(priority)
            parts += [(label, style) if style else label, f"{gap}{count:,}"]
        if filtered:
            parts.insert(0, "all: ")
        return Content.assemble(*parts)

    # Under a filter the counts are of all alerts, so they give way before
    # the filter text is cut, and may go entirely.
    drop_rank = RANK_FILTERED_PRIORITY_DROP if filtered else RANK_PRIORITY_DROP
    forms = [(0, form(counts, " ")), (RANK_COMPACT, form(counts, ""))]
    for kept in range(len(counts) - 1, 0, -1):
        forms.append((drop_rank, form(counts[:kept], "")))
    if filtered:
        forms.append((drop_rank, Content("")))
    return StatusItem(tuple(forms), join=join)


def short_label(label: str) -> str:
    """Return the last part of a path label (``stdin`` and ``demo`` unchanged)."""
    name = label.rstrip("/").rsplit("/", 1)[-1]
    return name or label


def source_item(label: str, status: SourceStatus | None) -> StatusItem:
    """Return ``name: state``, with the reason when the source failed.

    Only the file or folder name is shown; the skipped-lines screen (s) and
    notifications give the full path. A following source drops out of a
    narrow bar, and others lose their name and then the failure's reason.
    """
    label = printable(short_label(label), 40)
    if status is None:
        forms = (
            (0, Content(f"{label}: starting")),
            (RANK_SOURCE_NAME, Content("starting")),
        )
        return StatusItem(forms)
    state = str(status.state)
    text = state
    if status.state is SourceState.ERROR and status.message:
        text = f"error: {status.message}"
    if status.state is SourceState.READING_HISTORY and status.history_total:
        text = f"{text} {progress_bar(status.history_read, status.history_total)}"
    style = _STATE_STYLES.get(status.state, "")
    full = Content.assemble(label, ": ", (printable(text, 200), style))
    forms = [(0, full)]
    if status.state is SourceState.FOLLOWING:
        forms.append((RANK_HEALTHY_SOURCE, Content("")))
    else:
        forms.append((RANK_SOURCE_NAME, Content.styled(printable(text, 200), style)))
        forms.append((RANK_SOURCE_MESSAGE, Content.styled(state, style)))
    return StatusItem(tuple(forms))


PROGRESS_CELLS = 10


def progress_bar(done: int, total: int) -> str:
    """Return ``done`` of ``total`` as a percentage and a bar of block characters."""
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    filled = round(fraction * PROGRESS_CELLS)
    bar = "█" * filled + "░" * (PROGRESS_CELLS - filled)
    return f"{fraction:4.0%} {bar}"


def status_items(
    store: AlertStore,
    sources: Iterable[tuple[str, SourceStatus | None]],
    follow: bool,
    filtered: bool = False,
    priority_styles: Mapping[Priority, Style] | None = None,
) -> list[StatusItem]:
    """Build the status items from the store's counts and each source's state.

    With ``filtered``, the filter item before these shows ``N of M alerts``,
    so the total here may drop out of a narrow bar.
    """
    noun = "alert" if len(store) == 1 else "alerts"
    total = Content.styled(f"{len(store):,} {noun}", "bold")
    items = [StatusItem(((0, total),))]
    if filtered:
        items = [StatusItem(((0, total), (RANK_REPEATED_TOTAL, Content(""))))]
    priorities = priority_item(store, styles=priority_styles, filtered=filtered)
    if priorities is not None:
        items.append(priorities)
    if store.skipped_total:
        items.append(item(f"{store.skipped_total:,} skipped"))
    # The footer names the keys and the list header shows the sort, so the
    # sort is not repeated here.
    items.append(item(("follow" if follow else "paused", "bold" if follow else "")))
    items += sources_items(list(sources))
    return items


def status_content(
    store: AlertStore,
    sources: Iterable[tuple[str, SourceStatus | None]],
    follow: bool,
) -> Content:
    """Build the whole status line, unshortened."""
    return fit_status(status_items(store, sources, follow), width=None)


def sources_items(sources: list[tuple[str, SourceStatus | None]]) -> list[StatusItem]:
    """Return each source's state, folding healthy sources into one count.

    One source is named with its state. With several, those that follow or
    read normally become "N sources following" and only the ones waiting, in
    error or ended are named.
    """
    if len(sources) <= 1:
        return [source_item(label, status) for label, status in sources]

    quiet = {SourceState.FOLLOWING, SourceState.READING_HISTORY}
    healthy = [
        status for _, status in sources if status is not None and status.state in quiet
    ]
    items: list[StatusItem] = []
    if healthy:
        reading = any(s.state is SourceState.READING_HISTORY for s in healthy)
        verb = "reading" if reading else "following"
        noun = "source" if len(healthy) == 1 else "sources"
        text = Content(f"{len(healthy)} {noun} {verb}")
        drop = RANK_SOURCE_MESSAGE if reading else RANK_HEALTHY_SOURCE
        items.append(StatusItem(((0, text), (drop, Content("")))))
    for label, status in sources:
        if status is None or status.state not in quiet:
            items.append(source_item(label, status))
    return items


def fit_status(items: list[StatusItem], width: int | None) -> Content:
    """Join ``items`` into one line of at most ``width`` cells, where it can.

    Items take shorter forms rank by rank (see ``StatusItem``). Within a
    rank the clipped texts are cut last. Once every rank is done, they take
    back what later ranks freed. None as the width keeps every item whole. A
    line whose items cannot shrink further stays wider than ``width``.
    """
    chosen = [0] * len(items)
    clipped: list[int | None] = [None] * len(items)
    if width is None:
        return _join(items, chosen, clipped)

    def excess() -> int:
        return _join(items, chosen, clipped).cell_length - width

    ranks = sorted(
        {rank for entry in items for rank, _ in entry.forms[1:]}
        | {entry.clip_rank for entry in items if entry.clip is not None}
    )
    for rank in ranks:
        for number, entry in enumerate(items):
            forms = entry.forms
            while excess() > 0 and chosen[number] + 1 < len(forms):
                if forms[chosen[number] + 1][0] > rank:
                    break
                chosen[number] += 1
        for number, entry in enumerate(items):
            if entry.clip is not None and entry.clip_rank <= rank and excess() > 0:
                clipped[number] = _clip_cells(entry, excess())

    # Give the clipped texts back the cells that later ranks freed.
    for number, entry in enumerate(items):
        if clipped[number] is not None:
            clipped[number] = None
            clipped[number] = _clip_cells(entry, max(excess(), 0))
    return _join(items, chosen, clipped)


def _clip_cells(entry: StatusItem, excess: int) -> int | None:
    assert entry.clip is not None
    text_cells = cell_len(entry.clip[1])
    if excess <= 0:
        return None
    return max(MIN_CLIP_CELLS, text_cells - excess)


def _join(
    items: list[StatusItem], chosen: list[int], clipped: list[int | None]
) -> Content:
    parts: list[Content | Part] = []
    previous_shown = False
    for number, entry in enumerate(items):
        if entry.clip is not None:
            content = _clip_content(entry.clip, clipped[number])
        else:
            content = entry.forms[chosen[number]][1]
        if not content.cell_length:
            previous_shown = False
            continue
        if parts:
            # An item's own join follows only the item it was built after.
            parts.append(entry.join if previous_shown else SEPARATOR)
        parts.append(content)
        previous_shown = True
    return Content.assemble(*parts)


def _clip_content(clip: tuple[str, str, str, Content], cells: int | None) -> Content:
    prefix, text, style, suffix = clip
    if cells is not None and cell_len(text) > cells:
        text = set_cell_size(text, cells - 1) + "…"
    return Content.assemble(prefix, (text, style), suffix)


class StatusBar(Static):
    """One line of live figures at the top of the screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id, markup=False)
        self._shown_text: str | None = None
        self._items: list[StatusItem] = []
        self._priority_styles: dict[Priority, Style] | None = None

    def priority_styles(self) -> dict[Priority, Style]:
        """Return each priority label's style, readable on the bar's background."""
        if self._priority_styles is None:
            background = Color.from_rich_color(self.rich_style.bgcolor)
            variables = self.app.theme_variables
            colours = {"critical": "error", "error": "error", "warning": "warning"}
            styles = {}
            for priority in Priority:
                level = LEVELS[priority]
                name = colours.get(level)
                colour = Color.parse(variables[name]) if name else None
                rich_style = label_style(
                    level,
                    colour,
                    background,
                    self.app.console.color_system,
                    self.app.no_color,
                )
                styles[priority] = Style.from_rich_style(rich_style)
            self._priority_styles = styles
        return self._priority_styles

    def notify_style_update(self) -> None:
        """Drop the label styles, whose colours came from the old theme."""
        super().notify_style_update()
        self._priority_styles = None

    def show_items(self, items: list[StatusItem]) -> None:
        """Show ``items`` shortened to the bar's width."""
        self._items = items
        self._fit()

    def on_resize(self) -> None:
        """Shorten the items again for the new width."""
        self._fit()

    def _fit(self) -> None:
        width = self.content_region.width
        # Before the first layout the width is unknown: keep every item whole.
        self.show(fit_status(self._items, width if width > 0 else None))

    def show(self, content: Content) -> None:
        """Show ``content``, skipping the redraw when nothing changed.

        The bar is one line high and as wide as the screen whatever its text,
        so a new text never needs a layout of the screen. Counts change at
        every refresh while following, and a layout costs much more than
        redrawing the bar.
        """
        plain = content.plain
        if plain == self._shown_text:
            return
        self._shown_text = plain
        self.update(content, layout=False)
