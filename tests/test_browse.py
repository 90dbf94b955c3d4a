"""Pilot tests of filter, find, jump, overview, field picks, export and palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import make_alert, make_app, screen_text, wait_for
from textual.widgets import OptionList

from tui.cli import main
from tui.parsing.alert import Alert, Priority
from tui.parsing.parser import parse_line
from tui.screens.help import HelpScreen
from tui.screens.overview import OverviewScreen
from tui.screens.picker import PickerScreen
from tui.sources.history import IndexedFileSource
from tui.storage.overview import build_overview


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def enter_prompt(pilot, key: str, value: str) -> None:
    """Open a prompt with ``key``, replace its text with ``value`` and press Enter."""
    await pilot.press(key)
    await pilot.pause()
    pilot.app.prompt_bar.value = value
    await pilot.press("enter")
    await pilot.pause()


async def highlight(pilot, value: str) -> None:
    """Highlight the picker line whose value is ``value``."""
    screen = pilot.app.screen
    assert isinstance(screen, PickerScreen)
    values = [choice_value for _, choice_value in screen.choices]
    screen.query_one(OptionList).highlighted = values.index(value)
    await pilot.pause()


async def choose(pilot, value: str) -> None:
    """Highlight the picker line whose value is ``value`` and press Enter."""
    await highlight(pilot, value)
    await pilot.press("enter")
    await pilot.pause()


def twenty_alerts() -> list[Alert]:
    """Return alerts 0-19; every fifth is Critical and runs gdb."""
    alerts = []
    for number in range(20):
        alert = make_alert(number)
        if number % 5 == 0:
            alert.priority = Priority.CRITICAL
            alert.fields = {**alert.fields, "proc.name": "gdb"}
        alerts.append(alert)
    return alerts


async def test_filter_bar_applies_and_keeps_last_good(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        await enter_prompt(pilot, "slash", "priority>=critical")
        await wait_for(pilot, lambda: app.alert_list.row_count == 4)
        assert not app.prompt_bar.is_open
        assert "4 of 20 alerts" in screen_text(app)
        assert "priority>=critical" in screen_text(app)

        await enter_prompt(pilot, "slash", 'rule:"Rule')
        assert app.prompt_bar.is_open
        assert "column 6" in app.prompt_bar.error_line.text
        assert "unterminated quote" in app.prompt_bar.error_line.text
        assert app.prompt_bar.cursor_position == 5
        assert app.filter_query.text == "priority>=critical"
        assert app.alert_list.row_count == 4

        await pilot.press("escape")
        await pilot.pause()
        assert not app.prompt_bar.is_open
        assert app.alert_list.has_focus
        assert app.filter_query.text == "priority>=critical"

        await enter_prompt(pilot, "slash", "")
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        assert app.filter_query is None
        assert "filter:" not in screen_text(app)


async def test_live_appends_respect_filter(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alerts = twenty_alerts()
        app.add_items(alerts[:10])
        await wait_for(pilot, lambda: app.alert_list.row_count == 10)
        await enter_prompt(pilot, "slash", "proc.name=gdb")
        await wait_for(pilot, lambda: app.alert_list.row_count == 2)

        app.add_items(alerts[10:])
        await wait_for(pilot, lambda: len(app.store) == 20)
        await pilot.pause(0.2)

        shown = [app.alert_list.alert_at_row(row) for row in range(4)]
        assert app.alert_list.row_count == 4
        assert [alert.rule for alert in shown] == [
            "Rule 000",
            "Rule 005",
            "Rule 010",
            "Rule 015",
        ]
        assert "4 of 20 alerts" in screen_text(app)


async def test_find_steps_with_n_and_shift_n(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        assert app.alert_list.selected_alert.rule == "Rule 000"

        await enter_prompt(pilot, "ctrl+f", '"Rule 007" or "Rule 012"')
        assert app.alert_list.selected_alert.rule == "Rule 007"
        assert app.alert_list.row_count == 20

        await pilot.press("n")
        assert app.alert_list.selected_alert.rule == "Rule 012"
        await pilot.press("n")
        assert app.alert_list.selected_alert.rule == "Rule 007"
        await pilot.press("N")
        assert app.alert_list.selected_alert.rule == "Rule 012"

        await enter_prompt(pilot, "ctrl+f", "nosuchtext")
        await pilot.press("n")
        assert app.alert_list.selected_alert.rule == "Rule 012"


async def test_find_miss_offers_quoted_value(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        await enter_prompt(pilot, "ctrl+f", "rule=Rule 007")
        messages = [note.message for note in app._notifications]

    assert messages[-1].startswith("No shown alert matches rule=Rule 007. ")
    assert messages[-1].endswith('quote it: rule="Rule 007"')


async def test_detail_keys_filter_and_exclude_field(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        app.detail.focus()
        await pilot.press("equals_sign")
        await pilot.pause()
        await choose(pilot, "proc.name=gdb")
        await wait_for(pilot, lambda: app.alert_list.row_count == 4)
        assert app.filter_query.text == "proc.name=gdb"

        app.detail.focus()
        await pilot.press("minus")
        await pilot.pause()
        await choose(pilot, '-rule="Rule 000"')
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        assert app.filter_query.text == 'proc.name=gdb -rule="Rule 000"'


async def test_overview_entry_becomes_filter(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alerts = twenty_alerts()
        alerts[3].rule = alerts[4].rule = "Rule 002"
        app.add_items(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        assert isinstance(app.screen, OverviewScreen)
        text = screen_text(app)
        assert "Top rules" in text
        assert "critical+" in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80

        await choose(pilot, 'rule="Rule 002"')
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        assert app.filter_query.text == 'rule="Rule 002"'


async def test_overview_bar_filters_time_slice(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        # Bars are 5 s wide from 19:32:20; alerts 0 and 1 fall in the first.
        first_bar = "from:2026-04-06T19:32:20Z to:2026-04-06T19:32:24.999999Z"
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await choose(pilot, first_bar)
        await wait_for(pilot, lambda: not app.filter_pending)
        assert app.alert_list.row_count == 2

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await highlight(pilot, 'rule="Rule 000"')
        await pilot.press("minus")
        await wait_for(pilot, lambda: not app.filter_pending)
        assert app.filter_query.text == f'{first_bar} -rule="Rule 000"'
        assert app.alert_list.selected_alert.rule == "Rule 001"
        assert app.alert_list.row_count == 1


async def test_overview_minus_leaves_bar_out(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await highlight(
            pilot, "from:2026-04-06T19:32:20Z to:2026-04-06T19:32:24.999999Z"
        )
        await pilot.press("minus")
        await wait_for(pilot, lambda: not app.filter_pending)
        assert app.alert_list.row_count == 18
        assert " or " in app.filter_query.text


async def test_jump_to_time_selects_first_at_or_after(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)

        # make_alert(10) is at 19:32:33.175 UTC, just after this time.
        await enter_prompt(pilot, "t", "2026-04-06T19:32:33Z")
        assert app.alert_list.selected_alert.rule == "Rule 010"

        await pilot.press("o")
        await enter_prompt(pilot, "t", "2026-04-06T19:32:36.5Z")
        assert app.alert_list.sort == "priority"
        assert app.alert_list.selected_alert.rule == "Rule 014"

        await enter_prompt(pilot, "t", "yesterday")
        assert app.prompt_bar.is_open
        assert "Invalid time" in app.prompt_bar.error_line.text


async def test_jump_in_time_order_skips_untimed(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alerts = twenty_alerts()
        alerts[12].time_ns = None
        app.add_items(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        assert app.alert_list.sort == "time"

        await enter_prompt(pilot, "t", "2026-04-06T19:32:35Z")
        assert app.alert_list.selected_alert.rule == "Rule 013"

        await enter_prompt(pilot, "t", "2026-04-06T19:33:00Z")
        assert app.alert_list.selected_alert.rule == "Rule 013"


def real_alerts(events_dir: Path) -> tuple[list[Alert], list[bytes]]:
    """Parse the real syscall capture; return its alerts and their exact lines."""
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()
    alerts = []
    for number, line in enumerate(lines, start=1):
        items = parse_line(line.decode("utf-8"), "syscall.jsonl", number)
        alerts += [item for item in items if isinstance(item, Alert)]
    return alerts, lines


async def test_empty_filter_result_explains_why(state_dir, events_dir):
    alerts, _ = real_alerts(events_dir)
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == len(alerts))

        await enter_prompt(pilot, "slash", "proc.nmae=sh")
        await wait_for(pilot, lambda: not app.filter_pending)
        typo_rows = app.alert_list.row_count
        typo = [note.message for note in app._notifications]

        await enter_prompt(pilot, "slash", "proc.cmdline=sh -lc echo")
        await wait_for(pilot, lambda: not app.filter_pending)
        spaces = [note.message for note in app._notifications]

        await enter_prompt(pilot, "slash", "proc.name=sh")
        await wait_for(pilot, lambda: not app.filter_pending)
        after = [note.message for note in app._notifications]

    assert typo_rows == 0
    assert typo[0].startswith("No alert matches the filter. ")
    assert "No alert has field proc.nmae; did you mean proc.name?" in typo[0]
    assert spaces[-1].endswith('quote it: proc.cmdline="sh -lc echo"')
    # A filter that matches alerts adds no notice.
    assert set(after) <= set(spaces)


async def test_export_writes_original_lines(state_dir, events_dir, tmp_path):
    alerts, lines = real_alerts(events_dir)
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == len(alerts))
        await enter_prompt(pilot, "slash", "priority>=warning")
        await wait_for(pilot, lambda: not app.filter_pending)

        target = tmp_path / "out.jsonl"
        await enter_prompt(pilot, "w", str(target))
        assert not app.prompt_bar.is_open
        await app.workers.wait_for_complete()

        await enter_prompt(pilot, "w", str(target))
        assert app.prompt_bar.is_open
        assert "exists" in app.prompt_bar.error_line.text

        app.prompt_bar.value = str(tmp_path / "missing" / "out.jsonl")
        await pilot.press("enter")
        await pilot.pause()
        assert app.prompt_bar.is_open
        assert "not found" in app.prompt_bar.error_line.text

    kept = [
        line
        for line, alert in zip(lines, alerts, strict=True)
        if alert.priority <= Priority.WARNING
    ]
    assert 0 < len(kept) < len(lines)
    assert target.read_bytes() == b"".join(line + b"\n" for line in kept)


async def test_export_keeps_indexed_crlf(state_dir, events_dir, tmp_path):
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"".join(line + b"\r\n" for line in lines[:20]))
    app = make_app([IndexedFileSource(path)], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.store) == 20)
        with path.open("ab") as stream:
            stream.write(b"".join(line + b"\r\n" for line in lines[20:25]))
        await wait_for(pilot, lambda: app.alert_list.row_count == 25)

        target = tmp_path / "out.jsonl"
        await enter_prompt(pilot, "w", str(target))
        await app.workers.wait_for_complete()

    # History and followed lines alike are copied from the file, CRLF kept.
    assert target.read_bytes() == b"".join(line + b"\r\n" for line in lines[:25])


async def test_export_leaves_out_text_alerts(state_dir, events_dir, tmp_path):
    alerts, lines = real_alerts(events_dir)
    text_lines = (events_dir / "text_output.log").read_text("utf-8").splitlines()
    text_alerts = [
        item
        for number, line in enumerate(text_lines, start=1)
        for item in parse_line(line, "text_output.log", number)
        if isinstance(item, Alert)
    ]
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(text_alerts + alerts)
        total = len(text_alerts) + len(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == total)

        target = tmp_path / "out.jsonl"
        await enter_prompt(pilot, "w", str(target))
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]

    assert target.read_bytes() == b"".join(line + b"\n" for line in lines)
    assert f"Exported {len(alerts)} alerts" in messages[-1]
    assert f"Left out {len(text_alerts)} alerts in Falco's plain-text" in messages[-1]


async def test_filter_pass_runs_off_ui_thread(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        base = make_alert(0)
        alerts = [
            Alert(
                rule=f"Rule {number % 100}",
                priority=Priority.WARNING,
                time_ns=base.time_ns + number,
                fields=base.fields,
                raw=f'{{"rule":"Rule {number % 100}"}}',
            )
            for number in range(50_000)
        ]
        app.add_items(alerts)
        await wait_for(pilot, lambda: app.alert_list.row_count == 50_000)

        # The first pass is replaced before it lands and must not show.
        app.apply_filter('rule="Rule 3"')
        app.apply_filter('rule="Rule 7"')
        assert app.filter_pending
        assert "filtering" in app.filter_status().plain
        # Alerts that arrive during or after the pass are filtered too.
        app.add_items([make_alert(7, rule="Rule 7"), make_alert(8)])
        await wait_for(pilot, lambda: not app.filter_pending, timeout=30)
        await wait_for(pilot, lambda: len(app.store) == 50_002)

        assert app.alert_list.row_count == 501
        assert all(
            app.alert_list.alert_at_row(row).rule == "Rule 7" for row in range(501)
        )


async def test_groups_follow_filter_live(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        await pilot.press("R")
        await pilot.pause()
        assert app.group_list.display

        await enter_prompt(pilot, "slash", "proc.name=gdb")
        await wait_for(pilot, lambda: not app.filter_pending)
        members = sum(group.count for group in app.group_list.index.groups)
        assert members == 4

        app.add_items([make_alert(30), make_alert(31, fields={"proc.name": "gdb"})])
        await wait_for(pilot, lambda: len(app.store) == 22)
        await pilot.pause()
        members = sum(group.count for group in app.group_list.index.groups)
        assert members == 5


async def test_filter_keeps_muted_alerts_hidden(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(twenty_alerts())
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        # Stand in for an active mute of alert 5, which matches the filter.
        app.alert_list.hidden = lambda index: index == 5
        app.alert_list.reload_rows()

        await enter_prompt(pilot, "slash", "priority>=critical")
        await wait_for(pilot, lambda: not app.filter_pending)
        shown = app.alert_list.visible_indices()
        assert sorted(shown) == [0, 10, 15]

        await pilot.press("o")
        assert sorted(app.alert_list.visible_indices()) == [0, 10, 15]

        # Lifting the mute brings its alert back under the active filter.
        app.alert_list.hidden = None
        app.alert_list.reload_rows()
        assert sorted(app.alert_list.visible_indices()) == [0, 5, 10, 15]


async def test_palette_and_help_list_new_keys(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Filter", "Find", "Next match", "Jump to time", "Overview"):
            assert title in titles
        assert "Write shown alerts to a file" in titles
        assert "Detail: Filter by a field" in titles
        assert "Alert list: Last alert" in titles
        assert titles.count("Acknowledge") == 1

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.build_text().plain
        assert "ctrl+f" in help_text
        assert "Filter and find" in help_text
        assert "Exclude a field" in help_text


async def test_palette_command_runs_action(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Filter"].callback()
        await pilot.pause()
        assert app.prompt_bar.is_open
        assert app.prompt_bar.mode == "filter"


def test_overview_histogram_counts_bands():
    alerts = twenty_alerts()
    alerts[0].time_ns = None
    overview = build_overview(alerts, max_buckets=12)

    assert overview.total == 20
    assert overview.untimed == 1
    assert overview.step_s == 5
    assert sum(bucket.total for bucket in overview.buckets) == 19
    # Critical alerts 5, 10 and 15 land in band 0; the rest are warnings.
    assert sum(bucket.counts[0] for bucket in overview.buckets) == 3
    assert sum(bucket.counts[2] for bucket in overview.buckets) == 16
    assert overview.hosts == [("node-1", 20)]


def test_export_command_filters_real_lines(events_dir, tmp_path, capsys):
    alerts, lines = real_alerts(events_dir)
    target = tmp_path / "out.jsonl"
    source = str(events_dir / "syscall.jsonl")

    status = main(["export", source, "--filter=-priority>=warning", "-o", str(target)])

    kept = [
        line
        for line, alert in zip(lines, alerts, strict=True)
        if alert.priority > Priority.WARNING
    ]
    assert status == 0
    assert target.read_bytes() == b"".join(line + b"\n" for line in kept)
    assert f"wrote {len(kept)} alerts" in capsys.readouterr().err


def test_export_command_writes_stdout(events_dir, capsys):
    alerts, lines = real_alerts(events_dir)
    source = str(events_dir / "syscall.jsonl")

    status = main(["export", source, "--filter", "proc.name=sh", "-o", "-"])

    kept = [
        line
        for line, alert in zip(lines, alerts, strict=True)
        if alert.fields.get("proc.name") == "sh"
    ]
    output = capsys.readouterr().out
    assert status == 0
    assert kept
    assert output.encode() == b"".join(line + b"\n" for line in kept)


def test_export_command_rejects_invalid_filter(events_dir, tmp_path, capsys):
    target = tmp_path / "out.jsonl"
    source = str(events_dir / "syscall.jsonl")

    status = main(["export", source, "--filter", "since:5q", "-o", str(target)])

    assert status == 2
    assert not target.exists()
    assert "column 7: invalid duration" in capsys.readouterr().err
