"""The app's filter, find, jump, overview, export and command palette actions.

``FalcoTuiApp`` mixes ``BrowseActions`` in; it expects the app to have
``store``, ``alert_list``, ``group_list``, ``detail``, ``checklist``,
``prompt_bar`` and ``refresh_status``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import SystemCommand
from textual.content import Content
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from tui.analysis.filter_hints import quote_sentence, zero_match_hints
from tui.parsing.alert import Alert
from tui.parsing.text import printable
from tui.screens.overview import OverviewScreen
from tui.screens.picker import Choice, PickerScreen
from tui.storage.blocks import iter_alerts
from tui.storage.export import ExportCounts, export_to_file, stored_rows
from tui.storage.overview import build_store_overview
from tui.storage.query import (
    Query,
    QueryError,
    combine,
    field_term,
    parse,
    parse_time,
    value_text,
)
from tui.storage.scan import Scan
from tui.storage.store import AlertStore
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.status import RANK_FILTER_TEXT, StatusItem, fit_status

FILTER_HELP = (
    "/ filters the list. ctrl+f finds without filtering; n and N then",
    "step through the matches. Both read the same terms:",
    "",
    "word             text anywhere in the alert, any case; : - . / [ ]",
    "                 need no escaping",
    '"two words"      a phrase that keeps its spaces',
    "-term  !term     leave out alerts that match the term",
    '\\-x  "-x"        text that starts with - (or !)',
    "a b or c         (a and b) or c; there are no parentheses",
    "rule:shell       field contains, any case",
    "fd.name~/etc/    field contains, exact case",
    "proc.name=gdb    field equals; != does not equal",
    "proc.pid>100     > >= < <= compare numbers",
    "priority>=error  by severity; emergency is the most severe",
    "since:15m        units s m h d, back from when it was applied",
    "from:T  to:T     T is ISO 8601 (UTC unless it has an offset)",
    "                 or HH:MM[:SS], today in local time",
    "",
    "Fields: Falco names (proc.name, fd.name, k8s.ns.name...) and",
    "rule, priority, host, container, image, source, tag, output,",
    "user, pod, ns. A field without a value equals <NA>. A word is a",
    "field term only when its name is one of these aliases or a",
    "dotted name of a Falco field class; foo.bar=1, http://x and",
    "aname[4]=<NA> are free text.",
    "",
    "Spaces separate terms, also after a field value, so quote a",
    'value with spaces: proc.cmdline="grep -ri x". When a filter',
    "matches nothing, a notice names the fields no alert has and",
    "offers the quoted form of a value that spaces split.",
    "",
    "Escape closes the prompt and keeps the filter; an empty filter",
    "shows every alert.",
    "",
    "w writes the shown JSON alerts' original lines as JSON Lines,",
    "which are UTF-8: a UTF-16 file's lines are converted, and",
    "plain-text alerts (json_output: false) are left out.",
    "",
    "In the overview (v), Enter adds the highlighted bar or top entry",
    "to the filter and - adds its opposite. In the detail pane, = and -",
    "do the same for a field of the selected alert.",
)
"""The filter language, for the help screen."""

EXPORT_PREFIX = "falco-alerts-"

PROMPT_ACTIONS = frozenset({"open_filter", "open_find", "open_jump", "open_export"})
"""Actions that open the prompt bar, bound with priority in the app."""

FILTER_CHUNK = 50_000
"""Alerts a filter pass checks between looks at whether it was cancelled."""


def scan_chunks(
    store: AlertStore, query: Query, checked: int, worker: Worker
) -> Iterator[tuple[int, list[int]]]:
    """Yield ``(end, matches)`` for each chunk of the first ``checked`` alerts.

    The scan decides column terms without reading lines, and reads the rest
    in blocks per file. A thread cannot be stopped from outside, so the
    chunks end early once ``worker`` is cancelled.
    """
    scan = Scan(store, query)
    for start in range(0, checked, FILTER_CHUNK):
        if worker.is_cancelled:
            return
        end = min(start + FILTER_CHUNK, checked)
        yield end, scan.select(range(start, end))


class BrowseActions:
    """Filter, find, jump to a time, overview, export, and palette commands."""

    filter_query: Query | None = None
    """The active filter, or None while every alert is shown."""
    find_query: Query | None = None
    """The term ``n`` and ``N`` look for."""
    find_matches: set[int] | None = None
    """Store indices the find term matches, or None while they are counted."""
    find_checked: int = 0
    """Store indices below this one have been checked for ``find_matches``."""
    filter_pending: bool = False
    """True while a background pass applies a new filter."""
    filter_progress: float = 0.0
    """The part of the stored alerts the running pass has checked, 0 to 1."""

    # --- prompts ----------------------------------------------------------

    def check_action(self: Any, action: str, parameters: tuple[object, ...]):
        """Let the prompt keys act only on the main screen with the prompt closed.

        They are priority bindings, so they run as the app reads the key and
        the keys typed after them reach the open prompt (see
        ``PromptBar.open``). Where they do not apply, the key goes on to the
        focused widget, such as the open prompt or a dialog's input.
        """
        if action in PROMPT_ACTIONS:
            prompt_bar = self.prompt_bar
            return not prompt_bar.is_open and self.screen is prompt_bar.screen
        return super().check_action(action, parameters)  # type: ignore[misc]

    def action_open_filter(self: Any) -> None:
        """Open the filter prompt holding the active filter."""
        self.prompt_bar.open(
            "filter", self.filter_query.text if self.filter_query else ""
        )

    def action_open_find(self: Any) -> None:
        """Open the find prompt holding the last find term."""
        self.prompt_bar.open("find", self.find_query.text if self.find_query else "")

    def action_open_jump(self: Any) -> None:
        """Open the prompt for a time to jump to."""
        self.prompt_bar.open("jump")

    def action_open_export(self: Any) -> None:
        """Open the prompt for the export path, with a new name in this folder."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.prompt_bar.open("export", f"{EXPORT_PREFIX}{stamp}.jsonl")

    # Handlers use Textual's naming convention because ``@on`` is only read
    # from classes that derive from MessagePump, and this mixin does not.
    def on_prompt_bar_entered(self: Any, message: PromptBar.Entered) -> None:
        """Apply what was entered; the prompt stays open when it was invalid."""
        handlers = {
            "filter": self.apply_filter,
            "find": self.apply_find,
            "jump": self.jump_to,
            "export": self.export_to,
        }
        if handlers[message.mode](message.value):
            self.prompt_bar.action_close()

    def on_prompt_bar_closed(self: Any) -> None:
        """Give the focus back to the alert list."""
        self.alert_list.focus()

    def report_invalid(self: Any, text: str, column: int = 0) -> None:
        """Show an error under the open prompt, pointing at 1-based ``column``.

        No notification is shown, because one would cover the prompt.
        """
        self.prompt_bar.show_error(text, column)

    # --- filter -----------------------------------------------------------

    def apply_filter(self: Any, text: str) -> bool:
        """Parse ``text`` and filter the list with it in the background.

        Returns False, keeping the last good filter, when ``text`` is invalid.
        """
        try:
            query = parse(text)
        except QueryError as error:
            self.report_invalid(f"Invalid filter, {error}", error.column)
            return False
        self.filter_query = None if query.empty else query
        self.filter_pending = True
        self.filter_progress = 0.0
        self.refresh_status()
        self.run_filter_pass(self.filter_query, self.alert_list.sort)
        return True

    def add_filter_term(self: Any, term: str | None) -> None:
        """Add ``term`` to the active filter with AND; None does nothing."""
        if term is None:
            return
        current = self.filter_query.text if self.filter_query else ""
        self.apply_filter(combine(current, term))

    @work(thread=True, exclusive=True, group="filter")
    def run_filter_pass(self: Any, query: Query | None, sort: str) -> None:
        """Check every stored alert against ``query`` off the UI thread."""
        worker = get_current_worker()
        checked = len(self.store)
        if query is None:
            rows = list(range(checked))
        else:
            rows = []
            for end, matches in scan_chunks(self.store, query, checked, worker):
                rows += matches
                self.call_from_thread(self.show_filter_progress, query, end / checked)
        if worker.is_cancelled:
            return
        rows.sort(key=self.store.sort_key(sort))
        self.call_from_thread(self.show_filter_pass, query, rows, checked, sort)

        # The hints may read every alert again, so the empty list shows first.
        if query is not None and checked and not rows:
            # Blocks of a few thousand alerts: the hints stop reading as soon
            # as every field name was seen, often in the first alerts.
            alerts = iter_alerts(self.store, range(checked), chunk=5_000)
            hints = zero_match_hints(query, alerts, lambda: worker.is_cancelled)
            if hints and not worker.is_cancelled:
                self.call_from_thread(self.show_filter_hints, query, hints)

    def show_filter_progress(self: Any, query: Query, done: float) -> None:
        """Show how much of the pass for ``query`` is done, from 0 to 1."""
        if query is self.filter_query and self.filter_pending:
            self.filter_progress = done
            self.refresh_status()

    def show_filter_pass(
        self: Any, query: Query | None, rows: list[int], checked: int, sort: str
    ) -> None:
        """Show the rows of a finished pass unless a newer filter replaced it."""
        if query is not self.filter_query:
            return
        if sort != self.alert_list.sort:
            rows.sort(key=self.store.sort_key(self.alert_list.sort))
        select = Scan(self.store, query).select if query else None
        self.alert_list.show_filtered(select, rows, checked)
        if self.group_list.display:
            self.group_list.rebuild(self.alert_list.visible_indices())
        self.filter_pending = False
        self.show_find_count()
        self.refresh_status()

    def show_filter_hints(self: Any, query: Query, hints: list[str]) -> None:
        """Warn why ``query`` matched no alert, unless a newer filter replaced it."""
        if query is not self.filter_query:
            return
        message = "No alert matches the filter. " + " ".join(hints)
        self.notify(printable(message), severity="warning", timeout=10, markup=False)

    def filter_item(self: Any) -> StatusItem | None:
        """Return ``filter: TEXT  N of M alerts`` for the status bar, or None.

        The filter text is cut with an ellipsis when the bar is too narrow.
        """
        if self.filter_query is None and not self.filter_pending:
            return None
        text = self.filter_query.text if self.filter_query else "(none)"
        if self.filter_pending:
            shown = f"filtering… {self.filter_progress:.0%}"
        else:
            shown = f"{self.alert_list.row_count:,} of {len(self.store):,} alerts"
        clip = ("filter: ", printable(text, 200), "bold $accent", Content(f"  {shown}"))
        return StatusItem(clip=clip, clip_rank=RANK_FILTER_TEXT)

    def filter_status(self: Any) -> Content | None:
        """Return the whole filter item of the status bar, or None."""
        filter_item = self.filter_item()
        return None if filter_item is None else fit_status([filter_item], None)

    # --- find and jump ----------------------------------------------------

    def apply_find(self: Any, text: str) -> bool:
        """Set the find term and select its next match after the selection."""
        try:
            query = parse(text)
        except QueryError as error:
            self.report_invalid(f"Invalid find term, {error}", error.column)
            return False
        self.find_query = None if query.empty else query
        self.find_matches = None
        if self.find_query is not None:
            self.count_find_matches(self.find_query)
            self.action_find_next()
        else:
            self.show_find_count()
        return True

    def action_find_next(self: Any, forward: bool = True) -> None:
        """Select the next shown alert that matches the find term."""
        if self.find_query is None:
            self.notify("Nothing to find yet: press ctrl+f and enter a term.")
            return
        scan = Scan(self.store, self.find_query)
        if not self.alert_list.find(scan.select, forward):
            message = f"No shown alert matches {printable(self.find_query.text, 60)}"
            quoted = quote_sentence(self.find_query.text)
            if quoted is not None:
                message += f". {printable(quoted, 160)}"
            self.notify(message, severity="warning", markup=False)
        self.show_find_count()
        self.refresh_status()

    def action_find_previous(self: Any) -> None:
        """Select the previous shown alert that matches the find term."""
        self.action_find_next(forward=False)

    @work(thread=True, exclusive=True, group="find")
    def count_find_matches(self: Any, query: Query) -> None:
        """Collect the store indices ``query`` matches, off the UI thread."""
        worker = get_current_worker()
        checked = len(self.store)
        matches: set[int] = set()
        for _end, chunk in scan_chunks(self.store, query, checked, worker):
            matches.update(chunk)
        if not worker.is_cancelled:
            self.call_from_thread(self.keep_find_matches, query, matches, checked)

    def keep_find_matches(self: Any, query: Query, matches: set[int], checked: int):
        """Keep the matches of a finished count unless the find term changed."""
        if query is not self.find_query:
            return
        self.find_matches = matches
        self.find_checked = checked
        self.show_find_count()

    def show_find_count(self: Any) -> None:
        """Show ``match N of M`` for the selection under the alert list.

        Alerts stored since the count are checked here. The figures change
        only at this call (a step, a filter or a sort), not as alerts arrive.
        """
        if self.find_query is None:
            self.alert_list.border_subtitle = ""
            return
        if self.find_matches is None:
            self.alert_list.border_subtitle = "counting matches…"
            return
        stored = len(self.store)
        if stored > self.find_checked:
            unchecked = range(self.find_checked, stored)
            self.find_matches.update(
                Scan(self.store, self.find_query).select(unchecked)
            )
        self.find_checked = stored
        position, total = self.alert_list.match_position(self.find_matches)
        if not total:
            label = "no match shown"
        elif position:
            label = f"match {position:,} of {total:,}"
        else:
            label = f"{total:,} matches"
        self.alert_list.border_subtitle = label

    def jump_to(self: Any, text: str) -> bool:
        """Select the first shown alert at or after the time in ``text``."""
        moment = parse_time(text.strip())
        if moment is None:
            self.report_invalid(
                f"Invalid time {printable(text, 40)!r}: write ISO 8601 "
                "(2026-04-06T19:32:00Z) or a local clock time HH:MM[:SS]"
            )
            return False
        seconds = int(moment.timestamp())
        time_ns = seconds * 1_000_000_000 + moment.microsecond * 1000
        if not self.alert_list.jump_to_time(time_ns):
            self.notify(
                f"No shown alert at or after {moment.isoformat()}", severity="warning"
            )
        self.refresh_status()
        return True

    # --- export -----------------------------------------------------------

    def export_to(self: Any, text: str) -> bool:
        """Check the path in ``text``, then write the shown alerts in the background.

        Returns False, keeping the prompt open, when the file exists or its
        folder is missing.
        """
        if not text.strip():
            self.report_invalid("Missing path: enter the file to write.")
            return False
        path = Path(text.strip()).expanduser()
        if path.exists():
            self.report_invalid(
                f"{printable(str(path))} exists; enter a new file name."
            )
            return False
        if not path.parent.is_dir():
            self.report_invalid(
                f"Folder {printable(str(path.parent))} not found; enter a path "
                "in an existing folder."
            )
            return False
        self.run_export(sorted(self.alert_list.visible_indices()), path)
        return True

    @work(thread=True, group="export")
    def run_export(self: Any, indices: list[int], path: Path) -> None:
        """Write the original lines of the alerts at ``indices``, in that order."""
        try:
            counts = export_to_file(stored_rows(self.store, indices), path)
        except OSError as error:
            # Includes a file created at ``path`` after export_to checked it.
            reason = error.strerror or str(error)
            message = f"Export failed: cannot write {printable(str(path))}: {reason}"
            self.call_from_thread(
                self.notify, message, severity="error", timeout=10, markup=False
            )
            return
        message = export_message(counts, printable(str(path)))
        severity = "warning" if counts.left_out else "information"
        self.call_from_thread(self.notify, message, severity=severity, markup=False)

    # --- overview and field picks -----------------------------------------

    def action_overview(self: Any) -> None:
        """Open the overview of the shown alerts; a chosen entry adds a filter."""
        self.run_overview(self.alert_list.visible_indices())

    @work(thread=True, exclusive=True, group="overview")
    def run_overview(self: Any, indices: list[int]) -> None:
        """Count the alerts at ``indices`` off the UI thread, then show them."""
        overview = build_store_overview(self.store, indices)
        self.call_from_thread(
            self.push_screen, OverviewScreen(overview), self.add_filter_term
        )

    def action_pick_field(self: Any, exclude: bool = False) -> None:
        """Choose a field of the shown alert to filter by, or to exclude."""
        alert = self.detail.alert
        if alert is None:
            self.notify("No alert selected.", severity="warning")
            return
        verb = "Exclude" if exclude else "Filter by"
        title = f"{verb} which field? (escape closes)"
        self.push_screen(
            PickerScreen(title, field_choices(alert, exclude)), self.add_filter_term
        )

    # --- command palette --------------------------------------------------

    def get_system_commands(self: Any, screen: Screen) -> Iterable[SystemCommand]:
        """Add every key binding of the app and its panes to the palette.

        Bindings whose description is already a command title are left out,
        so actions that another mixin lists appear once.
        """
        titles: set[str] = set()
        for command in super().get_system_commands(screen):  # type: ignore[misc]
            titles.add(command.title)
            yield command
        nodes = [
            ("", self),
            ("Alert list: ", self.alert_list),
            ("Detail: ", self.detail),
            ("Checklist: ", self.checklist),
            ("Groups: ", self.group_list),
        ]
        for command in binding_commands(nodes):
            if command.title not in titles:
                yield command


def export_message(counts: ExportCounts, path: str) -> str:
    """Return the notification for a finished export to ``path``."""
    message = f"Exported {_alerts(counts.written)} to {path}."
    if counts.text:
        message += (
            f" Left out {_alerts(counts.text)} in Falco's plain-text format"
            " (json_output: false), which is not JSON."
        )
    if counts.unreadable:
        message += (
            f" Left out {_alerts(counts.unreadable)} whose line could not be"
            " read back from its file (rotated, truncated or changed)."
        )
    return message


def _alerts(count: int) -> str:
    return f"{count:,} alert" if count == 1 else f"{count:,} alerts"


def field_choices(alert: Alert, exclude: bool) -> list[Choice]:
    """Return one line per field of ``alert``, valued as a keep or drop term."""
    pairs: list[tuple[str, Any]] = [
        ("rule", alert.rule),
        ("priority", alert.priority.label),
    ]
    if alert.hostname:
        pairs.append(("hostname", alert.hostname))
    if alert.source:
        pairs.append(("source", alert.source))
    pairs += [("tag", tag) for tag in alert.tags]
    pairs += list(alert.fields.items())
    choices: list[Choice] = []
    for name, value in pairs:
        line = Content.assemble(
            (printable(name, 40), "bold"), " = ", printable(value_text(value), 80)
        )
        choices.append((line, field_term(name, value, exclude)))
    return choices


def binding_commands(nodes: list[tuple[str, Any]]) -> Iterable[SystemCommand]:
    """Yield a palette command per described action of each (prefix, node).

    An action bound by both a widget and its base class is listed once, with
    the widget's own description (a checklist's "Tick or untick" rather than
    its option list's "Select"). Actions a widget leaves out of help
    (``HELP_HIDDEN_ACTIONS``) stay out.
    """
    for prefix, node in nodes:
        hidden = getattr(node, "HELP_HIDDEN_ACTIONS", frozenset())
        by_action: dict[str, tuple[str, Any]] = {}
        # Merged bindings list base classes first, so a later binding of the
        # same action with another description comes from the subclass.
        for key, binding in type(node)._merged_bindings or []:
            if not binding.description or binding.action in hidden:
                continue
            known = by_action.get(binding.action)
            if known is None or known[1].description != binding.description:
                by_action[binding.action] = (key, binding)
        for action, (key, binding) in by_action.items():
            yield SystemCommand(
                prefix + binding.description,
                f"key: {binding.key_display or key}",
                partial(node.run_action, action),
            )
