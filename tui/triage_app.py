"""Triage in the dashboard: statuses, notes, mutes, bulk changes, groups, bell.

``TriageActions`` is mixed into ``FalcoTuiApp``. It keeps a copy of the saved
statuses and active mutes, and polls the state file so that a change made by
another instance (another SSH session on the same state folder) shows within
``STATE_POLL_INTERVAL`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.parsing.alert import Alert, Priority
from tui.parsing.text import printable
from tui.screens.triage import (
    ChoiceScreen,
    ConfirmScreen,
    MutesScreen,
    TextInputScreen,
    history_parts,
)
from tui.state.db import StateError
from tui.state.triage import (
    MUTE_DURATIONS,
    Mute,
    MuteEntity,
    Status,
    entity_value,
    parse_duration,
)
from tui.widgets.group_list import GroupList

if TYPE_CHECKING:
    from tui.app import FalcoTuiApp

STATE_POLL_INTERVAL = 1.0
"""Seconds between checks of the state file for changes by other instances."""

BELL_INTERVAL = 30.0
"""Minimum seconds between two bells, so a burst of alerts rings once."""

# No key here is ctrl+b, the tmux prefix, so every key reaches the app in tmux.
TRIAGE_BINDINGS = [
    Binding("a", "set_status('acknowledged')", "Acknowledge", show=False),
    Binding("x", "set_status('resolved')", "Resolve", show=False),
    Binding("F", "set_status('false positive')", "False positive", show=False),
    Binding("u", "set_status('new')", "Mark as new", show=False),
    Binding("i", "edit_note", "Note", show=False),
    Binding("B", "bulk_status", "Bulk status", show=False),
    Binding("R", "toggle_groups", "Group repeats", show=False),
    Binding("m", "mute", "Mute", show=False),
    Binding("M", "show_mutes", "Mutes", show=False),
    Binding("b", "toggle_bell", "Bell", show=False),
]
"""
| Key(s) | Description |
| :- | :- |
| a, x, F, u | Set the selection's status: acknowledged, resolved, false positive, new. |
| i | Edit the selection's note. |
| B | Set the status of every shown alert, after a confirmation. |
| R | Group repeats by rule, host, container and executable, or ungroup. |
| m | Mute the selected alert's rule for its host, image or executable. |
| M | List the active mutes and lift one. |
| b | Ring the terminal bell on Critical and more severe alerts, or stop. |
"""


class TriageActions:
    """Triage state and actions of the dashboard app."""

    def init_triage(self: FalcoTuiApp, bell: bool) -> None:
        """Load statuses and mutes, and create the group list (from ``__init__``)."""
        self.statuses: dict[str, tuple[Status, str]] = self.state.statuses()
        self.mutes: list[Mute] = []
        self._mutes_by_rule: dict[str, list[Mute]] = {}
        self.muted_count = 0
        """Alerts hidden by the active mutes."""
        self.bell_enabled = bell
        self._last_bell = float("-inf")
        self._data_version = self.state.data_version()
        self._reported_state_errors: set[tuple[str, str]] = set()
        self.group_list = GroupList(self.store.alerts, id="groups")
        self.group_list.display = False
        self.group_list.status_marker = self.group_marker
        self.alert_list.hidden = self.is_muted
        self.alert_list.status_marker = self.alert_marker
        self.detail.extra_parts = self.triage_detail_parts
        self._load_mutes()

    def start_triage(self: FalcoTuiApp) -> None:
        """Start polling the state file (from ``on_mount``)."""
        self.group_list.border_title = "Groups"
        self.set_interval(STATE_POLL_INTERVAL, self.poll_state)

    # Lookups used by the widgets while rendering.

    def status_of(self: FalcoTuiApp, alert: Alert) -> Status:
        """Return the saved status of ``alert``, or new when none was saved."""
        saved = self.statuses.get(alert.fingerprint)
        return saved[0] if saved else Status.NEW

    def alert_marker(self: FalcoTuiApp, alert: Alert) -> str:
        """Return the list marker of an alert's status, empty for new."""
        return self.status_of(alert).marker

    def group_marker(self: FalcoTuiApp, members: Sequence[int]) -> str:
        """Return the members' common status marker, or MIX when they differ."""
        alerts = self.store.alerts
        first = self.status_of(alerts[members[0]])
        for index in members[1:]:
            if self.status_of(alerts[index]) is not first:
                return "MIX"
        return first.marker

    def is_muted(self: FalcoTuiApp, index: int) -> bool:
        """Return True when an active mute hides the alert at store ``index``."""
        if not self._mutes_by_rule:
            # The usual case, checked first because this runs for each alert.
            return False
        # The rule comes from the store's columns, so alerts of unmuted rules
        # are not re-read from disk.
        mutes = self._mutes_by_rule.get(self.store.rule(index))
        if not mutes:
            return False
        alert = self.store.alerts[index]
        return any(mute.matches(alert) for mute in mutes)

    def triage_detail_parts(self: FalcoTuiApp, alert: Alert) -> list:
        """Return the detail pane lines with the status, note and history."""
        saved = self.statuses.get(alert.fingerprint)
        parts: list = [("Status ", "bold"), (str(self.status_of(alert)), "bold")]
        if saved and saved[1]:
            parts.append(f" ({printable(saved[1], 500)})")
        parts.append("\n")
        try:
            history = self.state.status_history(alert.fingerprint)
        except StateError as error:
            self.report_state_error("Status history not loaded", error)
            return [*parts, "  (history not loaded: the state file failed)\n"]
        return parts + history_parts(history)

    def triage_status_parts(self: FalcoTuiApp) -> list:
        """Return the status bar parts for muted alerts and the bell."""
        parts: list = []
        if self.muted_count:
            parts.append((f" │ {self.muted_count:,} muted", "bold"))
        if self.bell_enabled:
            parts.append(" │ bell")
        return parts

    # Live updates.

    def on_new_alerts(self: FalcoTuiApp, indices: Sequence[int]) -> None:
        """Count muted new alerts, update the groups and ring the bell."""
        shown = [index for index in indices if not self.is_muted(index)]
        self.muted_count += len(indices) - len(shown)
        if self.group_list.display:
            # Groups follow the list, so they leave out what the filter drops.
            matcher = self.alert_list.matcher
            alerts = self.store.alerts
            grouped = [i for i in shown if matcher is None or matcher(alerts[i])]
            self.group_list.add_alerts(grouped)
        # Rows carry the priority without re-reading each alert's line, and
        # the generator builds none while the bell is off.
        self._ring_bell(self.store.row(index) for index in shown)

    def poll_state(self: FalcoTuiApp) -> None:
        """Reload statuses and mutes when another instance changed them, or a
        mute expired."""
        try:
            self._poll_state()
        except StateError as error:
            self.report_state_error("State not reloaded", error)

    def report_state_error(self: FalcoTuiApp, title: str, error: StateError) -> None:
        """Log a state file error and notify the user once per title and message."""
        self.log.error(f"{title}: {error}")
        key = (title, str(error))
        if key in self._reported_state_errors:
            return
        self._reported_state_errors.add(key)
        self.notify(str(error), title=title, severity="error", markup=False)

    def _poll_state(self: FalcoTuiApp) -> None:
        version = self.state.data_version()
        changed = version != self._data_version
        now = self.state.clock()
        expired = any(not mute.active(now) for mute in self.mutes)
        if changed:
            self._data_version = version
            self.statuses = self.state.statuses()
            self._redraw_statuses()
            self.checklist.reload_ticks()
        # Regrouping and recounting visit every alert, so skip them unless the
        # set of active mutes really changed.
        if (changed or expired) and self.state.active_mutes() != self.mutes:
            self._reload_mutes()

    def _ring_bell(self: FalcoTuiApp, alerts: Iterable[Alert]) -> None:
        if not self.bell_enabled:
            return
        if not any(alert.priority <= Priority.CRITICAL for alert in alerts):
            return
        now = time.monotonic()
        if now - self._last_bell >= BELL_INTERVAL:
            self._last_bell = now
            self.bell()

    def _redraw_statuses(self: FalcoTuiApp) -> None:
        self.alert_list.redraw_rows()
        self.group_list.redraw_rows()
        self.detail.refresh_body()

    def _load_mutes(self: FalcoTuiApp) -> None:
        self.mutes = self.state.active_mutes()
        self._mutes_by_rule = {}
        for mute in self.mutes:
            self._mutes_by_rule.setdefault(mute.rule, []).append(mute)
        self.muted_count = sum(
            1 for index in range(len(self.store)) if self.is_muted(index)
        )

    def _reload_mutes(self: FalcoTuiApp) -> None:
        self._load_mutes()
        self.alert_list.reload_rows()
        if self.group_list.display:
            self.group_list.rebuild(self.alert_list.visible_indices())
        for screen in self.screen_stack:
            if isinstance(screen, MutesScreen):
                screen.show_mutes(self.mutes, self.muted_count)
        self.refresh_status()

    # Targets of an action.

    def selected_alerts(self: FalcoTuiApp) -> list[Alert]:
        """Return the alerts a status key changes: a whole group on a group
        row, else the selected alert."""
        if self.group_list.display:
            rows = self.group_list.rows
            row = self.group_list.cursor_row
            if not 0 <= row < len(rows):
                return []
            group, member = rows[row]
            members = group.members if member is None else [member]
            return [self.store.alerts[index] for index in members]
        alert = self.alert_list.selected_alert
        return [] if alert is None else [alert]

    def _save_status(
        self: FalcoTuiApp, alerts: Sequence[Alert], status: Status, note: str
    ) -> bool:
        """Save and show a status; return False when the state file failed."""
        keys = [alert.fingerprint for alert in alerts]
        try:
            self.state.set_statuses(keys, status, note)
        except StateError as error:
            self.report_state_error("Status not saved", error)
            return False
        for key in keys:
            self.statuses[key] = (status, note)
        # Our own write does not move data_version, so no reload follows.
        self._redraw_statuses()
        return True

    # Actions.

    def action_set_status(self: FalcoTuiApp, status: str) -> None:
        """Set the status of the selected alert, or each alert of a group."""
        alerts = self.selected_alerts()
        if not alerts:
            self.notify("No alert selected.", severity="warning")
            return
        if not self._save_status(alerts, Status(status), ""):
            return
        noun = "alert" if len(alerts) == 1 else "alerts"
        self.notify(f"{len(alerts):,} {noun} set to {status}.", timeout=3)

    def action_edit_note(self: FalcoTuiApp) -> None:
        """Ask for a note and save it with each selected alert's current status."""
        alerts = self.selected_alerts()
        if not alerts:
            self.notify("No alert selected.", severity="warning")
            return
        saved = self.statuses.get(alerts[0].fingerprint)

        def save(note: str | None) -> None:
            if note is None:
                return
            # Members of a group may differ in status, and a note keeps each.
            by_status: dict[Status, list[Alert]] = {}
            for alert in alerts:
                by_status.setdefault(self.status_of(alert), []).append(alert)
            for status, same in by_status.items():
                if not self._save_status(same, status, note):
                    return

        noun = "alert" if len(alerts) == 1 else f"{len(alerts):,} alerts"
        question = f"Note for the {noun} (statuses stay as they are):"
        self.push_screen(TextInputScreen(question, saved[1] if saved else ""), save)

    def action_bulk_status(self: FalcoTuiApp) -> None:
        """Set one status on every alert the list shows, after a confirmation."""
        # NOTE: "shown" is what the flat list holds: all alerts minus muted
        # ones, and minus filtered-out ones once the list has a filter.
        indices = self.alert_list.visible_indices()
        alerts = [self.store.alerts[index] for index in indices]
        if not alerts:
            self.notify("No alerts are shown.", severity="warning")
            return
        choices = [(str(status), str(status)) for status in Status]
        question = f"Set the status of all {len(indices):,} shown alerts to:"

        def confirm(choice: str | None) -> None:
            if choice is None:
                return
            self.push_screen(
                ConfirmScreen(f"Set {len(indices):,} alerts to {choice}?"),
                lambda yes: yes and self._save_status(alerts, Status(choice), ""),
            )

        self.push_screen(ChoiceScreen(question, choices), confirm)

    def action_toggle_groups(self: FalcoTuiApp) -> None:
        """Switch between the flat list and repeat groups."""
        grouped = not self.group_list.display
        if grouped:
            self.group_list.rebuild(self.alert_list.visible_indices())
        self.group_list.display = grouped
        self.alert_list.display = not grouped
        (self.group_list if grouped else self.alert_list).focus()

    def action_mute(self: FalcoTuiApp) -> None:
        """Mute the selected alert's rule for one entity and a duration."""
        alerts = self.selected_alerts()
        if not alerts:
            self.notify("No alert selected.", severity="warning")
            return
        alert = alerts[-1]
        entities = [
            (str(entity), f"{entity}: {printable(value, 100)}")
            for entity in MuteEntity
            if (value := entity_value(alert, entity)) is not None
        ]
        if not entities:
            self.notify(
                "This alert has no host, image or executable to mute.",
                severity="warning",
            )
            return
        rule = printable(alert.rule, 120)

        def choose_duration(entity: str | None) -> None:
            if entity is None:
                return
            value = entity_value(alert, MuteEntity(entity))
            durations = [(text, text) for text in MUTE_DURATIONS]
            durations.append(("custom", "custom…"))
            self.push_screen(
                ChoiceScreen(f"Mute {rule} for {entity} for:", durations),
                lambda duration: self._ask_custom(alert, entity, value, duration),
            )

        self.push_screen(ChoiceScreen(f"Mute {rule} for:", entities), choose_duration)

    def _ask_custom(
        self: FalcoTuiApp, alert: Alert, entity: str, value: str, duration: str | None
    ) -> None:
        if duration is None:
            return
        if duration != "custom":
            self._save_mute(alert, entity, value, duration)
            return
        self.push_screen(
            TextInputScreen("Mute for how long (such as 90m, 2h, 3d)?", duration=True),
            lambda text: text and self._save_mute(alert, entity, value, text),
        )

    def _save_mute(
        self: FalcoTuiApp, alert: Alert, entity: str, value: str, duration: str
    ) -> None:
        until = self.state.clock() + parse_duration(duration)
        try:
            self.state.add_mute(alert.rule, MuteEntity(entity), value, until)
            self._reload_mutes()
        except StateError as error:
            self.report_state_error("Mute not saved", error)
            return
        self.notify(
            f"Muted {printable(alert.rule, 80)} for {entity} "
            f"{printable(value, 80)} for {duration}.",
            markup=False,
            timeout=4,
        )

    def action_show_mutes(self: FalcoTuiApp) -> None:
        """List the active mutes."""
        self.push_screen(MutesScreen(self.mutes, self.muted_count))

    def lift_mute(self: FalcoTuiApp, mute_id: int) -> None:
        """Lift one mute and show its alerts again."""
        try:
            self.state.lift_mute(mute_id)
            self._reload_mutes()
        except StateError as error:
            self.report_state_error("Mute not lifted", error)

    def action_toggle_bell(self: FalcoTuiApp) -> None:
        """Turn the bell on Critical and more severe alerts on or off."""
        self.bell_enabled = not self.bell_enabled
        self.notify(f"Bell {'on' if self.bell_enabled else 'off'}.", timeout=2)
        self.refresh_status()

    def on_group_list_highlighted(self: FalcoTuiApp, message: GroupList.Highlighted):
        """Show the selected group's alert in the detail pane and the checklist."""
        self.detail.show_alert(message.alert)
        self.checklist.show_alert(message.alert)

    def get_system_commands(self: FalcoTuiApp, screen: Screen):
        """Add every triage action to the command palette."""
        yield from super().get_system_commands(screen)
        commands = [
            ("Acknowledge", "Set the selection to acknowledged (a)", "acknowledged"),
            ("Resolve", "Set the selection to resolved (x)", "resolved"),
            (
                "False positive",
                "Set the selection to false positive (F)",
                "false positive",
            ),
            ("Mark as new", "Set the selection back to new (u)", "new"),
        ]
        for title, help_text, status in commands:
            yield SystemCommand(
                title, help_text, lambda status=status: self.action_set_status(status)
            )
        yield SystemCommand(
            "Note", "Edit the selection's note (i)", self.action_edit_note
        )
        yield SystemCommand(
            "Bulk status",
            "Set the status of every shown alert (B)",
            self.action_bulk_status,
        )
        yield SystemCommand(
            "Group repeats",
            "Group or ungroup repeated alerts (R)",
            self.action_toggle_groups,
        )
        yield SystemCommand(
            "Mute", "Mute the selected alert's rule (m)", self.action_mute
        )
        yield SystemCommand("Mutes", "List and lift mutes (M)", self.action_show_mutes)
        yield SystemCommand(
            "Bell",
            "Ring on Critical and more severe alerts (b)",
            self.action_toggle_bell,
        )
