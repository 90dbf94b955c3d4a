"""Pilot tests of triage in the dashboard: statuses, groups, mutes, bulk, bell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_app import make_alert, screen_text, wait_for
from test_triage_state import START, Clock

from tui.app import make_app
from tui.parsing.alert import Priority
from tui.screens.help import HelpScreen
from tui.screens.triage import ChoiceScreen, ConfirmScreen, MutesScreen
from tui.state.triage import MuteEntity, Status
from tui.widgets.detail import AlertDetail
from tui.widgets.group_list import GroupList


def repeat(number: int, rule: str = "Same rule", **changes):
    """Build an alert that groups with every other alert of ``rule``."""
    fields = {"proc.exepath": "/usr/bin/vi", "container.id": "920b85e0cae2"}
    return make_alert(number, rule=rule, fields=fields, **changes)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def show_one_muted(app, pilot, entity: MuteEntity, value: str) -> None:
    """Show two alerts and mute the first one's rule for ``entity`` for an hour."""
    app.add_items([repeat(1), repeat(2, rule="Other rule")])
    await wait_for(pilot, lambda: app.alert_list.row_count == 2)
    until = datetime.now(UTC) + timedelta(hours=1)
    app.state.add_mute("Same rule", entity, value, until)
    app.lift_mute(-1)  # reloads the mutes; no mute has id -1


def detail_text(app) -> str:
    return app.query_one(AlertDetail).query_one("#detail-body").render().plain


async def test_status_keys_record_history(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([make_alert(n) for n in range(3)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        alert = app.alert_list.selected_alert

        for key, status in [
            ("a", Status.ACKNOWLEDGED),
            ("x", Status.RESOLVED),
            ("F", Status.FALSE_POSITIVE),
            ("u", Status.NEW),
        ]:
            await pilot.press(key)
            await pilot.pause(0.1)

            assert app.state.statuses()[alert.fingerprint][0] is status
            assert f"Status {status}" in detail_text(app)

        await pilot.press("a", "i")
        await pilot.press(*"checked backup", "enter")
        await pilot.pause(0.2)
        history = app.state.status_history(alert.fingerprint)
        text = screen_text(app)

        assert len(history) == 6
        assert history[-1].note == "checked backup"
        assert history[-1].status is Status.ACKNOWLEDGED
        assert "[ACK] Rule 000" in text
        assert "checked backup" in detail_text(app)
        assert f"{history[0].changed_by} set acknowledged" in detail_text(app)


async def test_groups_count_live_appends(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([repeat(n) for n in range(5)])
        app.add_items([repeat(n, rule="Other rule") for n in range(5, 7)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 7)

        await pilot.press("R")
        groups = app.group_list
        counts = [group.count for group in groups.index.groups]
        assert groups.display
        assert app.focused is groups
        assert counts == [5, 2]

        app.add_items([repeat(n) for n in range(7, 10)])
        await wait_for(pilot, lambda: groups.index.groups[0].count == 8)
        first = groups.index.groups[0]
        assert first.last_ns == app.store.alerts[9].time_ns
        assert "      8 " in screen_text(app)

        await pilot.press("enter")
        assert len(groups.rows) == 2 + 8
        await pilot.press("down")
        assert app.detail.alert is app.store.alerts[0]

        await pilot.press("left")
        assert len(groups.rows) == 2
        assert groups.cursor_row == 0

        await pilot.press("pagedown")
        assert groups.cursor_row == 1
        await pilot.press("pageup")
        assert groups.cursor_row == 0

        # A group row's status applies to every member.
        await pilot.press("x")
        await pilot.pause(0.1)
        saved = app.state.statuses()
        assert all(
            saved[app.store.alerts[i].fingerprint][0] is Status.RESOLVED
            for i in first.members
        )
        assert "[RES] Same rule" in screen_text(app)

        await pilot.press("R")
        assert app.alert_list.display
        assert not groups.display


async def test_mute_hides_until_expiry(state_dir):
    app = make_app([], state_dir)
    clock = Clock(START)
    app.state.clock = clock
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([repeat(n) for n in range(4)])
        app.add_items([repeat(n, rule="Other rule") for n in range(4, 6)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 6)

        # Host is the first entity and 15m the first duration.
        await pilot.press("m")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")
        await pilot.press("enter")
        await pilot.pause(0.1)
        mutes = app.state.active_mutes()
        assert [(mute.entity, mute.value) for mute in mutes] == [
            (MuteEntity.HOST, "node-1")
        ]
        assert mutes[0].until == START + timedelta(minutes=15)
        assert app.alert_list.row_count == 2
        assert "4 muted" in screen_text(app)

        app.add_items([repeat(10), repeat(11, rule="Other rule")])
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        assert app.muted_count == 5

        clock.now = START + timedelta(minutes=15)
        await wait_for(pilot, lambda: app.alert_list.row_count == 8)
        assert app.muted_count == 0
        assert "muted" not in screen_text(app)


async def test_custom_mute_rejects_invalid(state_dir):
    app = make_app([], state_dir)
    app.state.clock = Clock(START)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([repeat(1)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 1)

        # Without an image, executable is the second entity; custom is the
        # fifth duration.
        await pilot.press("m", "down", "enter")
        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.press(*"2x", "enter")
        assert "invalid duration" in screen_text(app)

        await pilot.press("backspace", "h", "enter")
        await pilot.pause(0.1)
        mutes = app.state.active_mutes()
        assert mutes[0].entity is MuteEntity.EXECUTABLE
        assert mutes[0].until == START + timedelta(hours=2)


async def test_mutes_screen_lifts_mute(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_one_muted(app, pilot, MuteEntity.EXECUTABLE, "/usr/bin/vi")
        assert app.alert_list.row_count == 1

        await pilot.press("M")
        assert isinstance(app.screen, MutesScreen)
        assert "hiding 1 alerts" in screen_text(app)
        assert "/usr/bin/vi" in screen_text(app)

        await pilot.press("l")
        await pilot.pause(0.1)
        assert app.state.active_mutes() == []
        assert app.alert_list.row_count == 2
        assert "No active mutes." in screen_text(app)


async def test_bulk_status_needs_confirmation(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([make_alert(n) for n in range(6)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 6)

        # Statuses are listed new, acknowledged, resolved, false positive.
        await pilot.press("B")
        assert "all 6 shown alerts" in screen_text(app)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Set 6 alerts to resolved?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.state.statuses() == {}

        await pilot.press("B", "down", "down", "enter", "y")
        await pilot.pause(0.1)
        saved = app.state.statuses()
        assert len(saved) == 6
        assert {status for status, _ in saved.values()} == {Status.RESOLVED}


async def test_two_apps_share_state(state_dir):
    alerts = [make_alert(n) for n in range(3)]
    first = make_app([], state_dir)
    second = make_app([], state_dir)
    async with (
        first.run_test(size=(120, 40)) as pilot,
        second.run_test(size=(120, 40)) as other,
    ):
        for app in (first, second):
            app.alert_list.follow = False
            app.add_items(list(alerts))
        await wait_for(pilot, lambda: first.alert_list.row_count == 3)
        await wait_for(other, lambda: second.alert_list.row_count == 3)

        await pilot.press("a")
        key = alerts[0].fingerprint
        await wait_for(other, lambda: key in second.statuses, timeout=5)
        assert "[ACK] Rule 000" in screen_text(second)

        second.state.add_mute(
            "Rule 001",
            MuteEntity.HOST,
            "node-1",
            datetime.now(UTC) + timedelta(hours=1),
        )
        await wait_for(pilot, lambda: first.alert_list.row_count == 2, timeout=5)
        assert first.muted_count == 1


async def test_bell_rings_once_per_burst(state_dir):
    app = make_app([], state_dir, bell=True)
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items([make_alert(1, priority=Priority.WARNING)])
        await wait_for(pilot, lambda: len(app.store) == 1)
        assert rings == []

        app.add_items([make_alert(2, priority=Priority.CRITICAL)])
        await wait_for(pilot, lambda: len(app.store) == 2)
        app.add_items([make_alert(3, priority=Priority.EMERGENCY)])
        await wait_for(pilot, lambda: len(app.store) == 3)
        assert rings == [1]
        assert "bell" in screen_text(app)

        await pilot.press("b")
        assert not app.bell_enabled


async def test_triage_keys_in_help_and_palette(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 60)) as pilot:
        titles = {command.title for command in app.get_system_commands(app.screen)}
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)

    for name in (
        "Acknowledge",
        "Resolve",
        "False positive",
        "Mark as new",
        "Note",
        "Bulk status",
        "Mute",
        "Mutes",
        "Bell",
    ):
        assert name in titles
        assert name in help_text
    assert "Group repeats" in titles
    assert "Expand group" in help_text
    assert GroupList.BINDINGS


def line_style_differs(widget, row: int, other: int) -> bool:
    """Return True when two rendered lines of ``widget`` differ in style."""
    first = {(s.style.bgcolor, s.style.reverse) for s in widget.render_line(row)}
    second = {(s.style.bgcolor, s.style.reverse) for s in widget.render_line(other)}
    return first != second


async def test_groups_readable_without_colour(state_dir, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items([repeat(1), repeat(2, rule="Other rule")])
        await wait_for(pilot, lambda: app.alert_list.row_count == 2)
        await pilot.press("R", "a")
        await pilot.pause(0.1)
        groups = app.group_list
        cursor_line = groups.render_line(groups.cursor_row + 1)
        other_line = groups.render_line(2 - groups.cursor_row)
        text = screen_text(app)

        await pilot.press("m")
        option_list = app.screen.query_one("OptionList")
        highlighted = [
            line
            for y in range(option_list.size.height)
            if "host: node-1" in (line := option_list.render_line(y)).text
        ]

    assert app.no_color
    assert "[ACK] Same rule" in text
    assert "▸" in text
    assert all(segment.style.reverse for segment in cursor_line)
    assert not any(segment.style and segment.style.reverse for segment in other_line)
    assert all(segment.style.underline for segment in highlighted[0])


@pytest.mark.parametrize(
    "theme", ["textual-light", "ansi-dark", "ansi-light", "textual-dark"]
)
async def test_triage_shows_in_themes(state_dir, theme):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        app.add_items([repeat(1), repeat(2, rule="Other rule")])
        await wait_for(pilot, lambda: app.alert_list.row_count == 2)
        await pilot.press("a", "R")
        await pilot.pause(0.1)
        groups = app.group_list
        text = screen_text(app)

        assert "[ACK] Same rule" in text
        assert "Status acknowledged" in text
        assert line_style_differs(groups, groups.cursor_row + 1, 2 - groups.cursor_row)


async def test_checklist_highlight_without_colour(state_dir, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([repeat(1)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 1)
        checklist = app.checklist
        checklist.focus()
        await pilot.pause(0.1)
        lines = [checklist.render_line(y) for y in range(checklist.size.height)]
        underlined = [line for line in lines if any(s.style.underline for s in line)]

    assert checklist.highlighted is not None
    assert underlined


async def test_mouse_lifts_mute_and_confirms(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_one_muted(app, pilot, MuteEntity.HOST, "node-1")

        await pilot.press("M")
        await pilot.click("#mutes", offset=(3, 1))
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#no")
        assert isinstance(app.screen, MutesScreen)
        assert len(app.state.active_mutes()) == 1

        await pilot.click("#mutes", offset=(3, 1))
        await pilot.click("#yes")
        await pilot.pause(0.1)
        assert app.state.active_mutes() == []
        assert "No active mutes." in screen_text(app)


async def test_closed_state_reports_once(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([make_alert(1), make_alert(2)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 2)
        app.state.close()

        await pilot.press("a", "down")
        await pilot.pause(1.2)  # at least one poll of the closed file
        app.poll_state()
        titles = [notification.title for notification in app._notifications]

        assert app.statuses == {}
        assert titles.count("Status not saved") == 1
        assert titles.count("State not reloaded") == 1
        assert "history not loaded" in detail_text(app)


async def test_group_marker_and_note(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([repeat(n) for n in range(3)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        await pilot.press("R", "x")
        await pilot.pause(0.1)
        resolved_text = screen_text(app)

        # A new member arrives as new, so the group becomes mixed.
        app.add_items([repeat(3)])
        await wait_for(pilot, lambda: app.group_list.index.groups[0].count == 4)
        await pilot.pause(0.1)
        mixed_text = screen_text(app)

        await pilot.press("i", *"seen before", "enter")
        await pilot.pause(0.1)
        saved = app.state.statuses()
        statuses = [saved[alert.fingerprint] for alert in app.store.alerts]

    assert "[RES] Same rule" in resolved_text
    assert "[MIX] Same rule" in mixed_text
    assert statuses == [(Status.RESOLVED, "seen before")] * 3 + [
        (Status.NEW, "seen before")
    ]


@pytest.mark.parametrize(("flags", "bell"), [([], False), (["--bell"], True)])
def test_cli_bell_option(tmp_path, monkeypatch, flags, bell):
    import tui.app
    from tui.cli import main

    calls = []

    class FakeApp:
        return_code = 0

        def load_rules(self, paths) -> None:
            pass

        def run(self) -> None:
            pass

    def fake_make_app(sources, **options):
        calls.append(options)
        return FakeApp()

    monkeypatch.setattr(tui.app, "make_app", fake_make_app)
    events = tmp_path / "events.json"
    events.write_text("")

    code = main([*flags, "--state", str(tmp_path / "state"), str(events)])

    assert code == 0
    assert calls[0]["bell"] is bell


async def test_group_row_marks_missing_parts(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([make_alert(1, hostname=None, fields={})])
        await wait_for(pilot, lambda: app.alert_list.row_count == 1)
        await pilot.press("R")
        await pilot.pause(0.1)
        row = app.group_list.render_line(1).text

    assert "Rule 001 │ - │ - │ -" in row


async def test_lifted_mute_selects_again(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.alert_list.follow = False
        app.add_items([repeat(1)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 1)
        await pilot.press("m", "enter", "enter")
        await pilot.pause(0.1)
        emptied = app.alert_list.selected_alert

        app.lift_mute(app.mutes[0].id)
        await pilot.pause(0.1)

        assert emptied is None
        assert app.alert_list.selected_alert is app.store.alerts[0]
        assert app.detail.alert is app.store.alerts[0]


async def test_two_apps_share_checklist_ticks(state_dir):
    alert = make_alert(1)
    first = make_app([], state_dir)
    second = make_app([], state_dir)
    async with (
        first.run_test(size=(120, 40)) as pilot,
        second.run_test(size=(120, 40)) as other,
    ):
        for app in (first, second):
            app.add_items([alert])
            app.flush_pending()
        await wait_for(pilot, lambda: first.checklist.alert is not None)
        await wait_for(other, lambda: second.checklist.alert is not None)

        first.checklist.focus()
        await pilot.press("space")
        ticked = [item for item, done in first.checklist.done.items() if done]

        assert len(ticked) == 1
        await wait_for(other, lambda: second.checklist.done.get(ticked[0]), timeout=5)
        assert "1/" in str(second.checklist.border_title)
