"""The dashboard app: alert list, detail pane and checklist, fed by sources."""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Footer, Static

import tui
from tui.analysis.report import markdown_report, write_report_file
from tui.analysis.rulesfile import RuleSet, load_default_rules
from tui.browse import FILTER_HELP, BrowseActions
from tui.messages import SourceStatusChanged
from tui.parsing.alert import Alert, Skip
from tui.parsing.text import printable
from tui.screens.help import HelpScreen
from tui.screens.skipped import SkippedScreen
from tui.sources.base import SourceState, SourceStatus
from tui.state.db import StateError, StateStore
from tui.storage.store import AlertStore
from tui.triage_app import TRIAGE_BINDINGS, TriageActions
from tui.widgets import textual_fixes
from tui.widgets.alert_list import AlertList
from tui.widgets.checklist import Checklist
from tui.widgets.detail import AlertDetail
from tui.widgets.group_list import GroupList
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.status import StatusBar, status_items

textual_fixes.install()

DEMO_BANNER = "Demo: bundled sample alerts. For real ones run: falco-tui PATH"

MOUSE_HELP = (
    "Click an alert to select it; click the list header to change the sort.",
    "Click a checklist item to tick or untick it.",
    "Scroll any pane with the wheel.",
)

FLUSH_INTERVAL = 0.1
"""Seconds between moves of pending source items into the store and the list."""

FOLLOW_DETAIL_SECONDS = 1.0
"""In follow mode, the minimum time between two detail pane updates, so a
flood of arriving alerts does not rebuild the panes at every refresh tick."""

HISTORY_FLUSH_TICKS = 5
"""While a source indexes history and rows already show, the refresh ticks
per move into the store. Fewer, bigger merges leave the cores to the index
workers, because each merge also redraws the list and the status bar."""

MAX_PENDING_BATCHES = 1000
"""Batches a source may queue before its thread waits for the UI to catch up."""


def stylesheet_path() -> Path:
    """Return the app stylesheet: beside the package when installed, else the repo's."""
    package_dir = Path(tui.__file__).parent
    installed = package_dir / "styles" / "app.tcss"
    if installed.exists():
        return installed
    return package_dir.parent / "styles" / "app.tcss"


class FalcoTuiApp(BrowseActions, TriageActions, App[None]):
    """A live dashboard of Falco alerts with analysis and a mitigation checklist."""

    CSS_PATH = stylesheet_path()
    TITLE = "falco-tui"

    # Below 120 columns the list and the lower panes split the height evenly
    # (see styles/app.tcss).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (120, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("tab", "focus_next", "Next pane", show=False),
        Binding("shift+tab", "focus_previous", "Previous pane", show=False),
        Binding("f", "toggle_follow", "Follow"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("r", "toggle_raw", "Raw"),
        Binding("s", "show_skipped", "Skipped"),
        Binding("z", "zoom", "Zoom pane"),
        Binding("slash", "open_filter", "Filter", key_display="/", priority=True),
        Binding("ctrl+f", "open_find", "Find", show=False, priority=True),
        Binding("n", "find_next", "Next match", show=False),
        Binding("N", "find_previous", "Previous match", show=False),
        Binding("t", "open_jump", "Jump to time", show=False, priority=True),
        Binding("v", "overview", "Overview", show=False),
        Binding(
            "w",
            "open_export",
            "Write shown alerts to a file",
            show=False,
            priority=True,
        ),
        Binding("e", "export_report", "Report"),
        *TRIAGE_BINDINGS,
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | q | Quit. |
    | ? | Show every key. |
    | tab, shift+tab | Move between the list, detail and checklist panes. |
    | f | Turn follow mode on or off. |
    | o | Sort by the next of time, priority and rule; groups by first seen, last seen, count and rule. In the header, ↑ marks ascending order (oldest first, A to Z) and ↓ descending (most severe, newest or largest first). |
    | r | Switch the detail pane between analysis and the raw line. |
    | s | Show skipped lines by reason. |
    | z | Fill the screen with the focused pane, or restore the layout. |
    | e | Write a Markdown report of the selected alert to the state folder. |
    | / | Filter the list (see the filter language in help). |
    | ctrl+f | Find alerts without filtering; n and N step through them. |
    | t | Jump to the first alert at or after a time. |
    | v | Show the overview: histogram and top rules, hosts, containers. |
    | w | Write the shown alerts' original lines to a file. |
    """

    def __init__(
        self,
        sources: Sequence[Any],
        state: StateStore,
        *,
        banner: str | None = None,
        bell: bool = False,
    ) -> None:
        super().__init__()
        self.sources = list(sources)
        """Sources to start on mount and stop on exit."""
        self.state = state
        self.store = AlertStore()
        self.banner = banner
        self.source_status: dict[int, SourceStatus] = {}
        """The latest status of each source, by ``id(source)``."""
        self._pending: deque[list[Alert | Skip]] = deque()
        """Item batches from source threads, moved into the store by a timer."""
        self._ticks_since_flush = 0
        self._reported_errors: set[tuple[int, str]] = set()
        self._detail_shown_at = float("-inf")
        self._detail_timer: Timer | None = None
        self.rules: RuleSet | None = None
        """The user's Falco rules files, once ``load_rules`` has run."""

        # Direct references, because query_one only searches the active
        # screen and would miss these while the help or skipped screen is up.
        self.status_bar = StatusBar(id="status")
        self.alert_list = AlertList(self.store, follow=bool(sources), id="alerts")
        self.detail = AlertDetail(id="detail")
        self.checklist = Checklist(state, id="checklist")
        self.prompt_bar = PromptBar(id="prompt")
        self.init_triage(bell)

    def compose(self) -> ComposeResult:
        if self.banner:
            yield Static(Content(printable(self.banner)), id="banner", markup=False)
        yield self.status_bar
        yield self.alert_list
        yield self.group_list
        with Horizontal(id="lower"):
            yield self.detail
            yield self.checklist
        yield self.prompt_bar
        yield self.prompt_bar.error_line
        yield Footer()

    def on_mount(self) -> None:
        """Start the refresh timer and the sources."""
        # The modules, widgets and rules loaded so far live as long as the app.
        # Freezing them keeps the collector's full passes, which hold the
        # interpreter lock, from walking them again while alerts arrive.
        gc.collect()
        gc.freeze()
        self.alert_list.border_title = "Alerts"
        self.detail.border_title = "Detail"
        self.alert_list.focus()
        # See styles/app.tcss: 16-colour terminals get visible pane borders.
        few_colours = self.console.color_system in ("standard", "windows")
        self.set_class(few_colours, "-few-colours")
        self.set_interval(FLUSH_INTERVAL, self.flush_pending)
        self.start_triage()
        self.refresh_status()
        for source in self.sources:
            source.start(self._receive_items, self._receive_status)

    def on_unmount(self) -> None:
        """Stop the sources, close the state file and unfreeze the collector."""
        for source in self.sources:
            source.stop()
        self.state.close()
        # Frozen objects are never collected, so an app run inside a longer
        # process (the tests) gives them back when it ends.
        gc.unfreeze()

    def _receive_items(self, source: Any, items: list[Alert | Skip]) -> None:
        # Runs on the source's thread: only the deque is touched here.
        self._pending.append(items)
        on_source_thread = threading.get_ident() != self._thread_id
        while (
            on_source_thread
            and len(self._pending) > MAX_PENDING_BATCHES
            and not source.stopped
        ):
            # Backpressure: let the UI drain the queue before reading on.
            time.sleep(FLUSH_INTERVAL / 2)

    def _receive_status(self, source: Any, status: SourceStatus) -> None:
        # Runs on the source's thread, and post_message is thread-safe.
        self.post_message(SourceStatusChanged(source, status))

    def add_items(self, items: list[Alert | Skip]) -> None:
        """Queue items as a source would; they show at the next refresh tick."""
        self._pending.append(items)

    def flush_pending(self) -> None:
        """Move queued items into the store and the list, then redraw the status.

        While history is indexed, only every ``HISTORY_FLUSH_TICKS``th call
        does so, once the first rows show.
        """
        self._ticks_since_flush += 1
        if self._ticks_since_flush < HISTORY_FLUSH_TICKS and self._indexing_history():
            return
        self._ticks_since_flush = 0

        items: list[Alert | Skip] = []
        while self._pending:
            items.extend(self._pending.popleft())
        if items:
            indices = self.store.add(items)
            self.alert_list.add_alerts(indices)
            self.on_new_alerts(indices)
        self.refresh_status()

    def _indexing_history(self) -> bool:
        """Return True while a source indexes history and the list has rows."""
        if not len(self.store):
            return False
        return any(
            status.state is SourceState.READING_HISTORY
            for status in self.source_status.values()
        )

    def refresh_status(self) -> None:
        """Redraw the status bar from the store, sources, follow mode and sort."""
        sources = [
            (source.label, self.source_status.get(id(source)))
            for source in self.sources
        ]
        filter_item = self.filter_item()
        items = status_items(
            self.store,
            sources,
            self.alert_list.follow,
            filtered=filter_item is not None,
            priority_styles=self.status_bar.priority_styles(),
        )
        items += self.triage_status_items()
        if filter_item is not None:
            items.insert(0, filter_item)
        self.status_bar.show_items(items)

    @on(SourceStatusChanged)
    def record_source_status(self, message: SourceStatusChanged) -> None:
        """Keep the new status and tell the user once about each error."""
        self.source_status[id(message.source)] = message.status
        status = message.status
        key = (id(message.source), status.message)
        alarming = status.state in (SourceState.ERROR, SourceState.WAITING)
        if status.is_notice and key not in self._reported_errors:
            self._reported_errors.add(key)
            self.notify(
                printable(status.message),
                title=f"File changed: {printable(message.source.label, 60)}",
                timeout=8,
                markup=False,
            )
        elif alarming and key not in self._reported_errors:
            self._reported_errors.add(key)
            failed = status.state is SourceState.ERROR
            title = "Source failed" if failed else "Waiting for file"
            self.notify(
                printable(status.message),
                title=f"{title}: {printable(message.source.label, 60)}",
                severity="error" if failed else "warning",
                timeout=10,
                markup=False,
            )
        self.refresh_status()

    @on(events.DescendantFocus)
    def pause_follow_for_work(self, event: events.DescendantFocus) -> None:
        """Turn follow off when the user moves to the detail or checklist pane.

        Otherwise the next arriving alert would replace the pane under the
        user, and a tick meant for one alert could land on another.
        """
        if event.widget in (self.detail, self.checklist) and self.alert_list.follow:
            self.alert_list.follow = False
            self.refresh_status()

    @on(AlertList.Highlighted)
    def show_selected_alert(self, message: AlertList.Highlighted) -> None:
        """Show the selected alert in the detail pane and the checklist.

        In follow mode the selection moves with arriving alerts, so for those
        moves the panes update at most once per ``FOLLOW_DETAIL_SECONDS``,
        with the latest. A move by a key or a filter shows at once.
        """
        wait = self._detail_shown_at + FOLLOW_DETAIL_SECONDS - time.monotonic()
        if message.arrival and self.alert_list.follow and wait > 0:
            if self._detail_timer is None:
                self._detail_timer = self.set_timer(wait, self._show_latest_selection)
            return
        self._show_alert(message.alert)

    def _show_latest_selection(self) -> None:
        self._detail_timer = None
        # The grouped view shows its own selection in the panes meanwhile.
        if self.alert_list.display:
            self._show_alert(self.alert_list.selected_alert)

    def _show_alert(self, alert: Alert | None) -> None:
        self._detail_shown_at = time.monotonic()
        self.detail.show_alert(alert)
        self.checklist.show_alert(alert)

    def action_toggle_follow(self) -> None:
        """Turn follow mode on or off."""
        self.alert_list.follow = not self.alert_list.follow
        self.refresh_status()

    def action_cycle_sort(self) -> None:
        """Sort the list, or the groups while they show, by the next order."""
        if self.group_list.display:
            self.group_list.cycle_sort()
            return
        self.alert_list.cycle_sort()
        self.show_find_count()
        self.refresh_status()

    def action_toggle_raw(self) -> None:
        """Switch the detail pane between analysis and the raw line."""
        self.detail.raw = not self.detail.raw

    def action_show_skipped(self) -> None:
        """Open the skipped-lines report."""
        reasons = [
            (reason, count, self.store.skip_samples(reason))
            for reason, count in self.store.skipped.most_common()
        ]
        sources = [
            (source.label, getattr(source, "status", None)) for source in self.sources
        ]
        self.push_screen(SkippedScreen(reasons, sources))

    def action_help(self) -> None:
        """Open the key help."""
        sections = [
            ("Everywhere", FalcoTuiApp),
            ("Alert list", AlertList),
            ("Groups (R)", GroupList),
            ("Detail pane", AlertDetail),
            ("Checklist", Checklist),
        ]
        notes = [("Filter and find", FILTER_HELP)]
        self.push_screen(HelpScreen(sections, MOUSE_HELP, notes))

    def action_zoom(self) -> None:
        """Fill the screen with the focused pane, or restore the layout."""
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        focused = self.focused
        if focused is not None and not self.screen.maximize(focused, container=False):
            self.notify("This pane cannot be zoomed.", severity="warning")

    def load_rules(self, paths: Sequence[str | Path] = ()) -> None:
        """Load Falco's default rules files and ``paths`` for the detail pane."""
        self.rules = load_default_rules(paths)
        self.detail.rules = self.rules

    @on(events.Mount)
    def report_rules_problems(self) -> None:
        """Tell the user about each rules file that could not be used."""
        if self.rules is None:
            return
        for message in self.rules.messages:
            self.log.warning(f"rules file skipped: {message}")
            self.notify(
                printable(message),
                title="Rules file skipped",
                severity="warning",
                timeout=10,
                markup=False,
            )

    def action_export_report(self) -> None:
        """Write the selected alert's Markdown report under the state folder."""
        alert = self.detail.alert
        if alert is None:
            self.notify("No alert selected yet.", severity="warning")
            return
        try:
            ticks = self.state.checklist(alert.fingerprint)
            path = self.write_report(markdown_report(alert, ticks, self.rules), alert)
        except (StateError, OSError, UnicodeEncodeError) as error:
            self.log.error(f"report of {alert.fingerprint} failed: {error}")
            self.notify(
                str(error), title="Report not written", severity="error", markup=False
            )
            return
        self.notify(str(path), title="Report written", markup=False)

    def write_report(self, text: str, alert: Alert) -> Path:
        """Write ``text`` to a new file in ``reports`` under the state folder."""
        folder = self.state.state_dir / "reports"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        path = folder / f"falco-alert-{stamp}-{alert.fingerprint[:8]}.md"
        write_report_file(path, text)
        return path


def make_app(
    sources: list,
    state_dir: Path,
    demo: bool = False,
    banner: str | None = None,
    bell: bool = False,
) -> FalcoTuiApp:
    """Build the dashboard on ``sources`` with checklist state under ``state_dir``.

    Raises ``StateError`` when the state folder or file cannot be used. With
    ``demo`` and no ``banner``, a banner tells the user the alerts are samples.
    ``bell`` rings the terminal bell on Critical and more severe alerts.
    """
    if demo and banner is None:
        banner = DEMO_BANNER
    return FalcoTuiApp(sources, StateStore(state_dir), banner=banner, bell=bell)
