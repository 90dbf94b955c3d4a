"""The status bar: counts, skipped lines, filter, source states and follow mode."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

from tui.parsing.alert import Priority
from tui.parsing.text import printable
from tui.sources.base import SourceState, SourceStatus
from tui.storage.store import AlertStore

Part = str | tuple[str, str]

_PRIORITY_STYLES = {
    Priority.EMERGENCY: "bold $error",
    Priority.ALERT: "bold $error",
    Priority.CRITICAL: "bold $error",
    Priority.ERROR: "$error",
    Priority.WARNING: "$warning",
}

_STATE_STYLES = {
    SourceState.ERROR: "bold $error",
    SourceState.WAITING: "$warning",
    SourceState.ENDED: "$text-muted",
}

SEPARATOR = (" │ ", "$text-muted")


def priority_parts(store: AlertStore) -> list[Part]:
    """Return the count of each priority seen, most severe first, as ``WARN 3``."""
    parts: list[Part] = []
    for priority in Priority:
        count = store.by_priority.get(priority, 0)
        if count:
            style = _PRIORITY_STYLES.get(priority, "")
            parts += [(priority.short.strip(), style), f" {count:,} "]
    return parts


def short_label(label: str) -> str:
    """Return the last part of a path label (``stdin`` and ``demo`` unchanged)."""
    name = label.rstrip("/").rsplit("/", 1)[-1]
    return name or label


def source_parts(label: str, status: SourceStatus | None) -> list[Part]:
    """Return ``name: state``, with the reason when the source failed.

    Only the file or folder name is shown, to keep the bar on one line; the
    skipped-lines screen (s) and notifications give the full path.
    """
    label = short_label(label)
    if status is None:
        return [printable(label, 40), ": starting"]
    text = str(status.state)
    if status.state is SourceState.ERROR and status.message:
        text = f"error: {status.message}"
    if status.state is SourceState.READING_HISTORY and status.history_total:
        text = f"{text} {progress_bar(status.history_read, status.history_total)}"
    return [
        printable(label, 40),
        ": ",
        (printable(text, 200), _STATE_STYLES.get(status.state, "")),
    ]


PROGRESS_CELLS = 10


def progress_bar(done: int, total: int) -> str:
    """Return ``done`` of ``total`` as a percentage and a bar of block characters."""
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    filled = round(fraction * PROGRESS_CELLS)
    bar = "█" * filled + "░" * (PROGRESS_CELLS - filled)
    return f"{fraction:4.0%} {bar}"


def status_content(
    store: AlertStore,
    sources: Iterable[tuple[str, SourceStatus | None]],
    follow: bool,
) -> Content:
    """Build the status line from the store's counts and each source's state."""
    noun = "alert" if len(store) == 1 else "alerts"
    parts: list[Part] = [(f"{len(store):,} {noun}", "bold"), " "]
    parts += priority_parts(store)
    if store.skipped_total:
        parts += [SEPARATOR, f"{store.skipped_total:,} skipped"]
    # The footer names the keys and the list header shows the sort, so the
    # figures here stay short enough for one line at 80 columns.
    parts += [SEPARATOR, ("follow" if follow else "paused", "bold" if follow else "")]
    parts += sources_parts(list(sources))
    return Content.assemble(*parts)


def sources_parts(sources: list[tuple[str, SourceStatus | None]]) -> list[Part]:
    """Return each source's state, folding healthy sources into one count.

    One source is named with its state. With several, those that follow or
    read normally become "N sources following" and only the ones waiting, in
    error or ended are named, so the bar stays on one line at 80 columns.
    """
    if len(sources) <= 1:
        parts: list[Part] = []
        for label, status in sources:
            parts += [SEPARATOR, *source_parts(label, status)]
        return parts

    quiet = {SourceState.FOLLOWING, SourceState.READING_HISTORY}
    healthy = [
        status for _, status in sources if status is not None and status.state in quiet
    ]
    parts = []
    if healthy:
        reading = any(s.state is SourceState.READING_HISTORY for s in healthy)
        verb = "reading" if reading else "following"
        noun = "source" if len(healthy) == 1 else "sources"
        parts += [SEPARATOR, f"{len(healthy)} {noun} {verb}"]
    for label, status in sources:
        if status is None or status.state not in quiet:
            parts += [SEPARATOR, *source_parts(label, status)]
    return parts


class StatusBar(Static):
    """One or two lines of live figures at the top of the screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        max-height: 3;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id, markup=False)
        self._shown_text: str | None = None

    def show(self, content: Content) -> None:
        """Show ``content``, skipping the redraw when nothing changed.

        A new layout of the screen is requested only when the words change
        width, because only then can the bar wrap to another height. Counts
        change at every refresh while following, and a layout costs much more
        than redrawing the bar.
        """
        plain = content.plain
        if plain == self._shown_text:
            return
        layout = self._shown_text is None or word_widths(plain) != word_widths(
            self._shown_text
        )
        self._shown_text = plain
        self.update(content, layout=layout)


def word_widths(text: str) -> list[int]:
    """Return the cell width of each space-separated word of ``text``."""
    return [cell_len(word) for word in text.split(" ")]
