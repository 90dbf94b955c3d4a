"""Tests of the widget helpers: columns, times, cells, status text, detail text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.cells import cell_len

# pytest's default import mode puts tests/ on sys.path, so this finds the
# helpers in tests/test_app.py.
from test_app import hostile_alert, make_alert, make_app, wait_for
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from tui.analysis.analyze import analyze
from tui.analysis.checklist import checklist
from tui.app import FalcoTuiApp
from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.located import AlertRow
from tui.screens.help import describe_bindings
from tui.sources.base import SourceState, SourceStatus
from tui.storage.reread import UNREADABLE_NOTE, alert_from_row
from tui.storage.store import AlertStore
from tui.widgets.alert_list import (
    AlertList,
    container_name,
    fit,
    format_time,
    plan_columns,
)
from tui.widgets.checklist import item_prompt
from tui.widgets.detail import AlertDetail, build_content, field_text, raw_parts
from tui.widgets.group_list import format_ns
from tui.widgets.status import StatusBar, status_content

NOW = datetime(2026, 4, 6, 20, 0, 0, tzinfo=UTC)


def alert_at(moment: datetime | None) -> Alert:
    time_ns = None if moment is None else int(moment.timestamp()) * 1_000_000_000
    return make_alert(1, time_ns=time_ns)


def column_names(width: int) -> list[str]:
    return [column.name for column in plan_columns(width, 3)]


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 200])
def test_columns_fill_width(width):
    columns = plan_columns(width, 3)
    used = sum(column.width for column in columns) + len(columns) - 1

    assert used == width


def test_columns_drop_host_then_container():
    assert column_names(200) == [
        "number",
        "time",
        "priority",
        "rule",
        "process",
        "container",
        "host",
    ]
    assert "host" not in column_names(80)
    assert "container" in column_names(80)
    assert "container" not in column_names(60)
    assert column_names(40) == ["number", "time", "priority", "rule"]


def test_columns_keep_rule_readable_at_80():
    rule = next(column for column in plan_columns(80, 7) if column.name == "rule")

    assert rule.width >= 16


def test_fit_pads_and_cuts_by_cells():
    assert fit("abc", 5) == "abc  "
    assert fit("abc", 5, right=True) == "  abc"
    assert fit("abcdef", 4) == "abc…"
    assert cell_len(fit("日本語のルール", 6)) == 6
    assert fit("anything", 0) == ""


@pytest.mark.parametrize(
    ("moment", "width", "expected"),
    [
        (datetime(2026, 4, 6, 19, 32, 23, tzinfo=UTC), 11, "19:32:23"),
        (datetime(2026, 4, 6, 19, 32, 23, tzinfo=UTC), 19, "19:32:23"),
        (datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC), 11, "03-01 08:05"),
        (datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC), 14, "03-01 08:05:09"),
        (datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC), 19, "2026-03-01 08:05:09"),
        (datetime(2019, 7, 2, 8, 5, 9, tzinfo=UTC), 11, "2019-07-02"),
        (datetime(2019, 7, 2, 8, 5, 9, tzinfo=UTC), 14, "2019-07-02"),
        (None, 11, "?"),
    ],
)
def test_format_time(moment, width, expected):
    text = format_time(alert_at(moment), NOW, width)

    assert text == expected
    assert len(text) <= width


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 4, 6, 19, 32, 23, tzinfo=UTC), "19:32:23"),
        (datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC), "03-01 08:05"),
        (datetime(2019, 7, 2, 8, 5, 9, tzinfo=UTC), "2019-07-02"),
    ],
)
def test_group_times_show_other_years(moment, expected):
    time_ns = int(moment.timestamp()) * 1_000_000_000

    assert format_ns(time_ns, NOW) == expected


@pytest.mark.parametrize(
    ("fields", "source", "expected"),
    [
        ({"container.id": "host", "container.name": "host"}, "syscall", "host"),
        ({"container.id": "abc", "container.name": "web"}, "syscall", "web"),
        ({"container.id": "abc123"}, "syscall", "abc123"),
        ({}, "syscall", "host"),
        ({}, None, "host"),
        ({}, "k8s_audit", ""),
        ({"container.name": "x\x1b[1m"}, "syscall", "x\\x1b[1m"),
    ],
)
def test_container_name(fields, source, expected):
    alert = make_alert(1, fields=fields, source=source)

    assert container_name(alert) == expected


def test_status_shows_counts_and_sources():
    store = AlertStore()
    store.add([make_alert(1), make_alert(2, priority=Priority.CRITICAL)])
    sources = [
        ("/var/log/a.json", SourceStatus(SourceState.FOLLOWING, "Following.")),
        ("/var/log/[b]x[/]\x1b.json", SourceStatus(SourceState.ERROR, "No [i]a[/]")),
        ("/var/log/c.json", None),
    ]
    text = status_content(store, sources, follow=False).plain

    assert text.startswith("2 alerts")
    assert "CRIT 1" in text
    assert "WARN 1" in text
    assert "paused" in text
    assert "1 source following" in text
    assert "/var/log/a.json" not in text
    # The bar shows the name after the last slash; [/] contains one.
    assert "]\\x1b.json: error: No [i]a[/]" in text
    assert "c.json: starting" in text


class StatusBarApp(App[None]):
    """The status bar alone, so no refresh timer overwrites what a test shows."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("below", id="below")


async def test_status_bar_stays_one_line():
    app = StatusBarApp()
    async with app.run_test(size=(40, 20)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(Content("one two three"))
        await pilot.pause()
        assert bar.size.height == 1

        # Text wider than the bar is cut, never wrapped onto a second line.
        bar.show(Content("one two three four-five-six seven-eight-nine"))
        await pilot.pause()
        assert bar.size.height == 1
        assert app.query_one("#below").region.y == 1

        # Same word widths: the bar is redrawn without a new layout.
        bar.show(Content("one two ten! four-five-six seven-eight-nine"))
        await pilot.pause()
        assert "ten!" in str(bar.render())


def test_status_counts_skipped_lines():
    store = AlertStore()
    store.add([Skip("Falco log line"), Skip("Falco log line")])
    text = status_content(store, [], follow=True).plain

    assert "0 alerts" in text
    assert "2 skipped" in text
    assert "follow" in text


def test_field_text_escapes_and_encodes():
    assert field_text(None) == "<NA>"
    assert field_text(1775503943175141362) == "1775503943175141362"
    assert field_text(["a", "\x1b"]) == '["a","\\u001b"]'
    assert field_text("[b]x[/b]\x07") == "[b]x[/b]\\x07"


def test_raw_view_keeps_line_as_read():
    raw = '{"n": 123456789012345678901234567890, "f": 1.50, "x": "\\u0007"}'
    text = build_content(raw_parts(make_alert(1, raw=raw))).plain

    assert raw in text


def test_raw_view_notes_unread_line():
    # A row whose file was truncated is rebuilt from its list columns.
    row = AlertRow(
        rule="Terminal shell in container",
        priority=Priority.NOTICE,
        time_ns=1_775_000_000_000_000_000,
        source="syscall",
        hostname="node-1",
        container="",
        process="bash",
        origin="events.json",
        offset=0,
        length=10,
        line_no=1,
        number=1,
        raw=None,
        file=None,
    )
    alert = alert_from_row(row)
    text = build_content(raw_parts(alert)).plain

    assert UNREADABLE_NOTE in text
    assert "could not be read back" in analyze(alert).summary
    assert "carries no fields" not in analyze(alert).summary


def test_raw_view_escapes_controls():
    alert = make_alert(1, kind="text", raw="12:00:00: Warning x\x1b[2J\x07")
    text = build_content(raw_parts(alert)).plain

    assert "x\\x1b[2J\\x07" in text
    assert "\x1b" not in text


def test_item_prompt_is_literal():
    alert = hostile_alert()
    for item in checklist(alert):
        prompt = item_prompt(item, done=False)

        assert isinstance(prompt, Content)
        assert "\x1b" not in prompt.plain
        assert "\x07" not in prompt.plain
        assert prompt.plain.startswith("[ ] ")


def test_help_lists_app_keys():
    rows = {description: keys for keys, description in describe_bindings(FalcoTuiApp)}

    assert rows["Follow"] == ["f"]
    assert rows["Sort"] == ["o"]
    assert rows["Raw"] == ["r"]
    assert rows["Skipped"] == ["s"]
    assert rows["Help"] == ["question_mark"]
    assert "ctrl+b" not in [key for keys in rows.values() for key in keys]


def test_help_lists_list_keys():
    rows = {description: keys for keys, description in describe_bindings(AlertList)}

    assert rows["Previous alert"] == ["up", "k"]
    assert rows["Last alert"] == ["end", "G"]


async def test_cursor_row_reversed_without_colour(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items([make_alert(n) for n in range(3)])
        app.flush_pending()
        await pilot.pause()
        alert_list = app.query_one(AlertList)
        cursor_line = alert_list.render_line(alert_list.cursor_row + 1)
        other_line = alert_list.render_line(alert_list.cursor_row)

    assert app.no_color
    assert all(segment.style.reverse for segment in cursor_line)
    assert not any(segment.style and segment.style.reverse for segment in other_line)


async def test_detail_sections_in_order(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(200, 60)) as pilot:
        app.add_items([make_alert(1)])
        detail = app.query_one(AlertDetail)
        await wait_for(pilot, lambda: detail.alert is not None)
        text = build_content(detail.build_parts(detail.alert)).plain

    order = [
        "Rule 001",
        "Analysis",
        "Who acted",
        "Output",
        "Fields: process",
        "Fields: container and Kubernetes",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "proc.cmdline: bash -i" in text
