"""The detail pane: analysis of the selected alert, its fields, and the raw line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import orjson
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.widgets import Static

from tui.analysis.analyze import Analysis, FieldRole, analyze
from tui.analysis.exceptions import exception_snippet
from tui.analysis.fields import GROUPS, field_info
from tui.analysis.knowledge import RuleEntry
from tui.analysis.rulesfile import RULE_KEYS, RuleSet, add_loaded_rule
from tui.parsing.alert import Alert
from tui.parsing.text import printable
from tui.storage.reread import UNREADABLE_NOTE
from tui.widgets.checklist import COPY_NOTE

Part = str | tuple[str, str]
"""A piece of pane text: plain, or (text, Textual style)."""

HEADING = "bold $accent"
LABEL = "bold"
MUTED = "$text-muted"
NOT_AVAILABLE = "<NA>"


def field_text(value: Any) -> str:
    """Return a field value as safe display text; lists and maps as JSON."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, (list, tuple, dict)):
        try:
            value = orjson.dumps(value).decode()
        except TypeError:
            value = repr(value)
    return printable(value)


def absent_as_text(value: str | None) -> str:
    """Return ``value``, or a phrase saying the alert lacks it (older Falco, text)."""
    return "not in the alert" if value is None else value


def heading(title: str) -> list[Part]:
    """Return a section heading line (``title`` is our text, never alert text)."""
    return [("\n" + title + "\n", HEADING)]


def labelled(label: str, value: Any, note: str = "") -> list[Part]:
    """Return one ``label: value`` line, with an optional muted note."""
    parts: list[Part] = [(f"  {label}: ", LABEL), field_text(value)]
    if note:
        parts.append((f"  ({note})", MUTED))
    parts.append("\n")
    return parts


def title_parts(alert: Alert) -> list[Part]:
    """Return the rule name and the priority, time and host lines."""
    moment = alert.time
    when = "unknown" if moment is None else moment.isoformat()
    if alert.time_ns is not None:
        when = f"{when[:19]}.{alert.time_ns % 1_000_000_000:09d} UTC"
    parts: list[Part] = [(printable(alert.rule) + "\n", "bold")]
    parts += labelled("priority", alert.priority.label)
    parts += labelled("time", when, "inferred" if alert.time_inferred else "")
    parts += labelled("host", absent_as_text(alert.hostname))
    return parts


def origin_parts(alert: Alert) -> list[Part]:
    """Return the source, file position, tags and Falco's own output text."""
    parts = heading("Alert")
    parts += labelled("source", absent_as_text(alert.source))
    parts += labelled("read from", f"{alert.origin}:{alert.line_no}")
    if alert.tags:
        parts += labelled("tags", ", ".join(alert.tags))
    parts += heading("Output")
    parts += ["  ", field_text(alert.output), "\n"]
    return parts


def rule_parts(entry: RuleEntry | None) -> list[Part]:
    """Return what the rule detects and its common benign causes, when known."""
    if entry is None:
        return []
    parts = heading("What the rule detects")
    parts += ["  ", entry.detects, "\n"]
    if entry.attacker_goal:
        parts += ["  Attacker's usual aim: ", entry.attacker_goal, "\n"]
    if entry.benign:
        parts += heading("Common benign causes")
        for benign in entry.benign:
            parts += ["  • ", benign.cause, "\n"]
            parts += [("    How to tell: " + benign.tell + "\n", MUTED)]
    return parts


def role_lines(roles: list[FieldRole]) -> list[Part]:
    """Return each role as ``field: value`` with the field's meaning below it."""
    parts: list[Part] = []
    for role in roles:
        if role.inferred:
            # An inferred value is not the field's value (a pid read out of a
            # command line), so the field is named as its origin instead.
            parts += ["  ", field_text(role.value)]
            parts += [(f"  (from {printable(role.field)}, inferred)\n", MUTED)]
        else:
            parts += labelled(printable(role.field), role.value)
        parts += [("      " + printable(role.role) + "\n", MUTED)]
    return parts


def bullet_lines(lines: list[str]) -> list[Part]:
    """Return each line as a bullet."""
    parts: list[Part] = []
    for line in lines:
        parts += ["  • ", printable(line), "\n"]
    return parts


def analysis_parts(analysis: Analysis) -> list[Part]:
    """Return the analysis: summary, actor, human, target, ATT&CK, why, questions."""
    parts: list[Part] = [*heading("Analysis"), "  ", printable(analysis.summary), "\n"]
    if analysis.actor:
        parts += heading("Who acted")
        parts += role_lines(analysis.actor)
    if analysis.human:
        parts += heading("The human behind it")
        parts += ["  ", printable(analysis.human), "\n"]
    if analysis.target:
        parts += heading("Target")
        parts += role_lines(analysis.target)
    if analysis.mitre:
        parts += heading("MITRE ATT&CK")
        for ref in analysis.mitre:
            parts += labelled(ref.id, ref.name, ref.kind)
    if analysis.why:
        parts += heading("Why it matters")
        parts += ["  ", printable(analysis.why), "\n"]
    if analysis.questions:
        parts += heading("First questions")
        parts += bullet_lines(analysis.questions)
    if analysis.notes:
        parts += heading("Notes")
        parts += bullet_lines(analysis.notes)
    return parts


def group_fields(alert: Alert) -> dict[str, list[tuple[str, Any]]]:
    """Sort the alert's fields into display groups, in ``GROUPS`` order."""
    grouped: dict[str, list[tuple[str, Any]]] = {group: [] for group in GROUPS}
    for name, value in alert.fields.items():
        group = field_info(name).group
        grouped.setdefault(group, []).append((name, value))
    for name, value in alert.extra.items():
        grouped.setdefault("other", []).append((name, value))
    return {group: rows for group, rows in grouped.items() if rows}


def fields_parts(alert: Alert) -> list[Part]:
    """Return every field of the alert under its group heading."""
    parts: list[Part] = []
    for group, rows in group_fields(alert).items():
        parts += heading(f"Fields: {group}")
        for name, value in rows:
            parts += labelled(printable(name), value)
    return parts


def raw_parts(alert: Alert) -> list[Part]:
    """Return the original line exactly as read, with control characters escaped.

    It is not re-indented: a JSON round trip would turn integers past 64 bits
    into floats and change how numbers are written.
    """
    place = alert.line_source or f"{alert.origin}:{alert.line_no}"
    label = f"Raw line ({printable(place)})"
    if not alert.raw:
        # Every parsed alert keeps its line, so an empty one was not read back.
        return [*heading(label), UNREADABLE_NOTE, "\n"]
    return [*heading(label), printable(alert.raw), "\n"]


def loaded_rule_parts(rules: RuleSet | None, alert: Alert) -> list[Part]:
    """Return the rule as loaded from the user's rules files, key by key."""
    loaded = rules.rule(alert.rule) if rules is not None else None
    if loaded is None:
        return []
    parts = heading("Rule in your rules files")
    parts += labelled("enabled", "yes" if loaded.enabled else "no")
    for key in RULE_KEYS:
        if key == "enabled" or key not in loaded.values:
            continue
        value = loaded.values[key]
        if isinstance(value, str):
            # Conditions span many lines in rules files; one line reads better.
            value = " ".join(value.split())
        origin = ", ".join(loaded.origins.get(key, []))
        parts += labelled(key, value, f"from {printable(origin)}")
    return parts


def build_content(parts: Iterable[Part]) -> Content:
    """Join parts into one Content; the text is never parsed as markup."""
    return Content.assemble(*parts)


class AlertDetail(VerticalScroll, can_focus=True):
    """A scrollable pane with the analysis and every field of one alert."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Scroll up", show=False),
        Binding("down,j", "scroll_down", "Scroll down", show=False),
        Binding(
            "equals_sign", "app.pick_field(False)", "Filter by a field", key_display="="
        ),
        Binding("minus", "app.pick_field(True)", "Exclude a field", key_display="-"),
        Binding("y", "copy_exception", "Copy exception"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up, k / down, j | Scroll the pane. |
    | x | Copy the alert's rule exception snippet (YAML) to the clipboard. |
    | = | Pick a field of the alert and keep only alerts with its value. |
    | - | Pick a field of the alert and leave out alerts with its value. |
    """

    DEFAULT_CSS = """
    AlertDetail {
        padding: 0 1;
        & > #detail-body {
            width: 1fr;
        }
    }
    """

    # VerticalScroll opts out of maximizing; this pane is worth zooming.
    ALLOW_MAXIMIZE = True

    raw: reactive[bool] = reactive(False, init=False)
    """Show the original line instead of the analysis and fields."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.alert: Alert | None = None
        """The alert on show, or None before the first one arrives."""
        self.rules: RuleSet | None = None
        """The user's Falco rules files as loaded, or None when not loaded."""
        self.extra_parts: Callable[[Alert], list[Part]] | None = None
        """Return lines shown under the title, such as the triage status."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No alert selected yet."), id="detail-body", markup=False)

    def show_alert(self, alert: Alert | None) -> None:
        """Show ``alert`` from its top, or the empty message for None."""
        if alert is self.alert:
            return
        self.alert = alert
        self._update_body()
        self.scroll_home(animate=False)

    def refresh_body(self) -> None:
        """Redraw the alert on show, keeping the scroll position."""
        if self.is_mounted:
            self._update_body()

    def watch_raw(self) -> None:
        """Redraw in the other view."""
        self._update_body()
        self.scroll_home(animate=False)

    def on_mount(self) -> None:
        """Show an alert that was selected before the pane's body existed."""
        self._update_body()

    def _update_body(self) -> None:
        # A flood can select an alert before the body is mounted; on_mount
        # draws it then.
        try:
            body = self.query_one("#detail-body", Static)
        except NoMatches:
            return
        if self.alert is None:
            body.update(Content("No alert selected yet."))
        else:
            body.update(build_content(self.build_parts(self.alert)))

    def build_parts(self, alert: Alert) -> list[Part]:
        """Return the pane text for ``alert`` in the current view."""
        if self.raw:
            return title_parts(alert)[:1] + raw_parts(alert)

        # The analysis comes first: at 3 a.m. the reader wants what happened
        # and what to check before the list of raw fields.
        analysis = analyze(alert)
        add_loaded_rule(analysis, self.rules)
        extra = self.extra_parts(alert) if self.extra_parts else []
        return [
            *title_parts(alert),
            *extra,
            *analysis_parts(analysis),
            *rule_parts(analysis.entry),
            *loaded_rule_parts(self.rules, alert),
            *origin_parts(alert),
            *fields_parts(alert),
        ]

    def action_copy_exception(self) -> None:
        """Copy the rule exception snippet of the alert on show."""
        if self.alert is None:
            self.notify("No alert selected yet.", severity="warning")
            return
        self.app.copy_to_clipboard(exception_snippet(self.alert))
        self.notify(COPY_NOTE, title="Exception snippet copied", markup=False)
