"""Pilot tests of the dashboard: live files, selection, follow, sort, state, safety."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from tui.app import DEMO_BANNER, FalcoTuiApp, make_app
from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.parser import parse_line
from tui.screens.help import HelpScreen
from tui.screens.skipped import SkippedScreen
from tui.sources.base import Source, SourceState
from tui.sources.tail import FileSource
from tui.widgets.alert_list import AlertList
from tui.widgets.checklist import Checklist
from tui.widgets.detail import AlertDetail

HOSTILE_RULE = "[bold red]x[/] \x1b[31mred\x07 [link=https://example.invalid]y[/link]"
HOSTILE_CMDLINE = "[link=https://example.invalid]" + "A" * 10_000 + "\x1b]0;t\x07"

BASE_NS = 1_775_503_943_175_141_362
"""2026-04-06T19:32:23.175141362Z, a time inside the real captures."""


def screen_text(app: FalcoTuiApp) -> str:
    """Render the whole screen, as the terminal would show it, to plain text."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(
        app.screen._compositor.render_update(
            full=True, screen_stack=app._background_screens
        )
    )
    return console.export_text(styles=False)


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0):
    """Let the app run until ``condition`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


def make_alert(number: int, **changes) -> Alert:
    """Build a syscall alert ``number`` seconds after BASE_NS."""
    values = {
        "rule": f"Rule {number:03d}",
        "priority": Priority.WARNING,
        "time_ns": BASE_NS + number * 1_000_000_000,
        "output": f"output {number}",
        "fields": {
            "proc.name": "bash",
            "proc.cmdline": "bash -i",
            "container.id": "920b85e0cae2",
            "container.name": "eventgen",
            "k8s.pod.name": "web-1",
            "k8s.ns.name": "prod",
        },
        "source": "syscall",
        "hostname": "node-1",
        "raw": "{}",
        "origin": "test",
        "line_no": number,
    }
    values.update(changes)
    return Alert(**values)


def hostile_alert() -> Alert:
    """Build an alert whose every displayed string tries markup or escapes."""
    return make_alert(
        1,
        rule=HOSTILE_RULE,
        priority=Priority.CRITICAL,
        output="out [bold]o[/] \x1b[2J\x00",
        hostname="host[red]h[/]\x07",
        fields={
            "proc.name": "[b]p[/b]\x1b",
            "proc.cmdline": HOSTILE_CMDLINE,
            "proc.pid": 4242,
            "container.id": "abc\x1b[1m",
            "container.name": "[red]c[/]\x9b",
            "k8s.pod.name": "pod[/]\x07",
            "k8s.ns.name": "ns[bold]",
            "fd.name": "/tmp/[i]f[/i]\u202e",
        },
        raw='{"rule": "[bold red]x[/] \\u001b[31m"}',
    )


def sample_lines(events_dir: Path, count: int) -> list[str]:
    """Return the first ``count`` alert lines of the real syscall capture."""
    lines = (events_dir / "syscall.jsonl").read_text().splitlines()
    return lines[:count]


def assert_no_raw_controls(text: str) -> None:
    for char in ("\x1b", "\x07", "\x00", "\x9b", "\u202e"):
        assert char not in text, repr(char)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def test_file_alerts_appear(tmp_path, events_dir, state_dir):
    path = tmp_path / "events.json"
    path.write_text("\n".join(sample_lines(events_dir, 3)) + "\n")
    source = FileSource(path)
    app = make_app([source], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.store) == 3)
        await pilot.pause(0.2)
        text = screen_text(app)

    assert "Clear Log Activities" in text
    assert "3 alerts" in text
    assert source.stopped


async def test_appended_lines_appear_once(tmp_path, events_dir, state_dir):
    lines = sample_lines(events_dir, 5)
    path = tmp_path / "events.json"
    path.write_text("\n".join(lines[:2]) + "\n")
    app = make_app([FileSource(path)], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.store) == 2)
        with path.open("a") as handle:
            handle.write("\n".join(lines[2:]) + "\n")
        await wait_for(pilot, lambda: len(app.store) == 5)
        # Give a duplicate delivery time to show up before counting rows.
        await pilot.pause(0.5)
        alert_list = app.query_one(AlertList)

        assert len(app.store) == 5
        assert alert_list.row_count == 5
        assert "5 alerts" in screen_text(app)


async def test_follow_selects_newest_alert(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = True
        app.add_items([make_alert(n) for n in range(40)])
        app.flush_pending()
        await pilot.pause()

        assert alert_list.selected_alert is app.store.alerts[39]
        assert alert_list.scroll_offset.y == alert_list.max_scroll_y

        await pilot.press("up")
        assert not alert_list.follow
        assert alert_list.selected_alert is app.store.alerts[38]

        app.add_items([make_alert(n) for n in range(40, 50)])
        app.flush_pending()
        await pilot.pause()
        assert alert_list.selected_alert is app.store.alerts[38]
        assert "paused" in screen_text(app)

        await pilot.press("f")
        await pilot.pause(0.2)
        assert alert_list.follow
        assert alert_list.selected_alert is app.store.alerts[49]
        assert "paused" not in screen_text(app)


async def test_follow_selects_latest_time(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = True
        # A second file read after the first brings older alerts last.
        app.add_items([make_alert(n) for n in range(30, 40)])
        app.add_items([make_alert(n) for n in range(10)])
        app.flush_pending()
        await pilot.pause()

        assert alert_list.selected_alert.rule == "Rule 039"
        assert alert_list.scroll_offset.y == alert_list.max_scroll_y

        await pilot.press("up")
        assert not alert_list.follow
        await pilot.press("G")
        await pilot.press("f")
        await pilot.pause(0.2)
        assert alert_list.follow
        assert alert_list.selected_alert.rule == "Rule 039"


async def test_focus_on_checklist_pauses_follow(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = True
        app.add_items([make_alert(n) for n in range(5)])
        app.flush_pending()
        await pilot.pause()
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, Checklist)
        assert not alert_list.follow

        app.add_items([make_alert(n) for n in range(5, 10)])
        app.flush_pending()
        await pilot.pause()
        assert app.query_one(Checklist).alert is app.store.alerts[4]


async def test_selection_stays_when_alerts_arrive(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = False
        app.add_items([make_alert(n) for n in range(100, 160)])
        app.flush_pending()
        await pilot.pause()
        for _ in range(30):
            await pilot.press("down")
        selected = alert_list.selected_alert
        screen_row = alert_list.cursor_row - alert_list.scroll_offset.y

        # Earlier times sort above the selection, later ones below it.
        app.add_items([make_alert(n) for n in range(20)])
        app.add_items([make_alert(n) for n in range(200, 220)])
        app.flush_pending()
        await pilot.pause()

        assert alert_list.selected_alert is selected
        assert alert_list.cursor_row - alert_list.scroll_offset.y == screen_row
        assert app.query_one(AlertDetail).alert is selected


async def test_sort_cycles_time_priority_rule(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = False
        app.add_items(
            [
                make_alert(3, rule="Bravo", priority=Priority.NOTICE),
                make_alert(1, rule="Charlie", priority=Priority.WARNING),
                make_alert(2, rule="Alpha", priority=Priority.CRITICAL),
            ]
        )
        app.flush_pending()
        await pilot.pause()

        def rules() -> list[str]:
            return [alert_list.alert_at_row(row).rule for row in range(3)]

        assert rules() == ["Charlie", "Alpha", "Bravo"]

        await pilot.press("o")
        assert alert_list.sort == "priority"
        assert rules() == ["Alpha", "Charlie", "Bravo"]
        assert "prio↓" in screen_text(app)

        await pilot.press("o")
        assert alert_list.sort == "rule"
        assert rules() == ["Alpha", "Bravo", "Charlie"]
        assert "rule↑" in screen_text(app)

        await pilot.press("o")
        assert alert_list.sort == "time"
        assert rules() == ["Charlie", "Alpha", "Bravo"]


async def test_new_alerts_keep_sort_order(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = False
        alert_list.set_sort("priority")
        app.add_items([make_alert(n, priority=Priority(n % 8)) for n in range(100)])
        app.flush_pending()
        await pilot.pause()
        for _ in range(40):
            await pilot.press("down")
        selected = alert_list.selected_alert
        screen_row = alert_list.cursor_row - alert_list.scroll_offset.y

        # One small batch and one large one, each spread over all priorities.
        app.add_items([make_alert(200, priority=Priority.EMERGENCY)])
        await pilot.pause(0.2)
        app.add_items(
            [make_alert(n, priority=Priority(n * 3 % 8)) for n in range(300, 600)]
        )
        app.flush_pending()
        await pilot.pause()
        rows = range(alert_list.row_count)
        shown = [alert_list.alert_at_row(row) for row in rows]

        assert [app.store.alerts.index(a) for a in shown] == app.store.view("priority")
        assert alert_list.selected_alert is selected
        assert alert_list.cursor_row - alert_list.scroll_offset.y == screen_row


@pytest.mark.parametrize("sort", ["time", "priority", "rule"])
async def test_repeated_keys_keep_sort_order(state_dir, sort):
    # A feed that replays the same alerts, as a benchmark writer cycling
    # through its pool does: every batch repeats keys already in the list.
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.set_sort(sort)
        for batch in range(4):
            numbers = [(n * 7 + batch) % 50 for n in range(60)]
            app.add_items(
                [
                    make_alert(n, rule=f"Rule {n % 9}", priority=Priority(n % 8))
                    for n in numbers
                ]
            )
            app.flush_pending()
            await pilot.pause()
        rows = range(alert_list.row_count)

        assert alert_list.row_count == 240
        assert alert_list.visible_indices() == app.store.view(sort)
        assert [alert_list.alert_at_row(row) for row in rows] == [
            app.store.alerts[index] for index in app.store.view(sort)
        ]


async def test_growing_list_scrolls_to_newest(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = True
        for batch in range(5):
            app.add_items([make_alert(batch * 100 + n) for n in range(100)])
            app.flush_pending()
            await pilot.pause()
        scrollbar = alert_list.vertical_scrollbar
        visible = alert_list.scrollable_content_region.height

        assert alert_list.virtual_size.height == 501
        assert scrollbar.window_virtual_size == 501
        assert alert_list.max_scroll_y == 501 - visible
        assert alert_list.scroll_offset.y == alert_list.max_scroll_y
        assert alert_list.selected_alert is app.store.alerts[499]
        assert "Rule 499" in screen_text(app)


async def test_click_selects_row(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        alert_list = app.query_one(AlertList)
        alert_list.follow = False
        app.add_items([make_alert(n) for n in range(10)])
        app.flush_pending()
        await pilot.pause()

        # Widget line 0 is the border and line 1 the header, so line 4 is alert 2.
        await pilot.click(AlertList, offset=(10, 4))
        await pilot.pause()

        assert alert_list.cursor_row == 2
        assert app.query_one(AlertDetail).alert is app.store.alerts[2]


async def test_checklist_ticks_persist(state_dir):
    alert = make_alert(7)

    first = make_app([], state_dir)
    async with first.run_test(size=(120, 40)) as pilot:
        first.add_items([alert])
        first.flush_pending()
        await pilot.pause()
        checklist = first.query_one(Checklist)
        checklist.focus()
        await pilot.press("space")
        await pilot.pause()
        ticked = checklist.highlighted_option.id
        done, total = checklist.progress

        assert done == 1
        assert total >= 2
        assert f"Checklist 1/{total}" in screen_text(first)

    second = make_app([], state_dir)
    async with second.run_test(size=(120, 40)) as pilot:
        second.add_items([make_alert(7)])
        second.flush_pending()
        await pilot.pause()
        checklist = second.query_one(Checklist)

        assert checklist.done == {ticked: True}
        assert checklist.progress == (1, total)

        checklist.focus()
        checklist.highlighted = checklist.get_option_index(ticked)
        await pilot.press("enter")
        assert checklist.progress == (0, total)


async def test_failed_tick_stays_unticked(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([make_alert(1)])
        app.flush_pending()
        await pilot.pause()
        checklist = app.query_one(Checklist)
        checklist.focus()
        # A closed store raises StateError on every write.
        app.state.close()
        await pilot.press("space")
        await pilot.pause()
        titles = [notification.title for notification in app._notifications]

        assert checklist.progress[0] == 0
        assert "Tick not saved" in titles


async def test_copy_command_uses_clipboard(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([make_alert(1)])
        app.flush_pending()
        await pilot.pause()
        checklist = app.query_one(Checklist)
        checklist.focus()
        with_command = next(item for item in checklist.items.values() if item.command)
        checklist.highlighted = checklist.get_option_index(with_command.id)
        await pilot.press("c")
        await pilot.pause()

        messages = [notification.message for notification in app._notifications]

        assert app.clipboard == with_command.command
        assert any("OSC 52" in message for message in messages)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_hostile_values_shown_literally(state_dir, size):
    app = make_app([], state_dir)
    async with app.run_test(size=size) as pilot:
        app.add_items([hostile_alert()])
        app.flush_pending()
        await pilot.pause()
        detail = app.query_one(AlertDetail)
        texts = [screen_text(app)]

        # Zoom the detail pane and walk it, so every field reaches the screen.
        detail.focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is detail
        while detail.scroll_y < detail.max_scroll_y:
            # Without animation, so the walk takes one frame per page.
            detail.scroll_page_down(animate=False)
            await pilot.pause()
            texts.append(screen_text(app))
        body = detail.query_one("#detail-body").visual.plain
        await pilot.press("r")
        texts.append(screen_text(app))
        await pilot.press("z")
        app.query_one(Checklist).focus()
        await pilot.press("z")
        texts.append(screen_text(app))

    seen = "\n".join(texts)
    assert_no_raw_controls(seen)
    assert "[bold red]x[/]" in seen
    assert "\\x1b[31mred\\x07" in seen
    assert "[link=https://example.invalid]" in seen
    assert "[red]c[/]" in seen
    assert "/tmp/[i]f[/i]\\u202e" in seen
    assert "A" * 10_000 + "\\x1b]0;t\\x07" in body
    assert_no_raw_controls(body)


async def test_hostile_list_row_is_literal(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(200, 30)) as pilot:
        app.add_items([hostile_alert()])
        app.flush_pending()
        await pilot.pause()
        alert_list = app.query_one(AlertList)
        row = alert_list.render_line(1).text

    assert_no_raw_controls(row)
    assert "[bold red]x[/] \\x1b[31mred\\x07" in row
    assert "[b]p[/b]\\x1b" in row
    assert "[red]c[/]\\x9b" in row
    assert "host[red]h[/]\\x07" in row
    assert "CRIT" in row


class FailingSource(Source):
    """A source whose thread reports one error with a hostile message."""

    label = "/var/log/[bold]evil[/]\x1b.json"

    def _run(self) -> None:
        self._set_status(SourceState.ERROR, "Cannot read [red]x[/]\x07: denied.")
        self._stop_event.wait()


async def test_source_error_shown_once(state_dir):
    source = FailingSource()
    app = make_app([source], state_dir)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.source_status))
        await pilot.pause(0.3)
        text = screen_text(app)

        assert len(app._notifications) == 1
        assert "error: Cannot read [red]x[/]\\x07: denied." in text
        # The bar shows the name after the last slash; [/] contains one.
        assert "]\\x1b.json: error" in text
        assert_no_raw_controls(text)
    assert source.stopped


class FloodSource(Source):
    """A source whose thread sends many full batches as fast as it can."""

    label = "flood"

    def __init__(self, batches: int, batch_size: int) -> None:
        super().__init__()
        self.batches = batches
        self.batch_size = batch_size

    def _run(self) -> None:
        self._set_status(SourceState.FOLLOWING, "Following flood.")
        alerts = [make_alert(n) for n in range(self.batch_size)]
        for _ in range(self.batches):
            self._send(list(alerts))
        self._set_status(SourceState.ENDED, "Flood ended.")


async def test_flood_reaches_store_in_few_ticks(state_dir):
    source = FloodSource(batches=200, batch_size=500)
    app = make_app([source], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.store) == 100_000, timeout=60)
        alert_list = app.alert_list

        assert alert_list.row_count == 100_000
        assert alert_list.follow
        assert alert_list.selected_alert is app.store.alerts[-1]
        # Batches wait in a deque, not the message queue.
        assert app.message_queue_size < 10


async def test_layout_at_both_sizes(state_dir):
    for size in ((80, 24), (200, 60)):
        app = make_app([], state_dir)
        async with app.run_test(size=size) as pilot:
            app.add_items([make_alert(n) for n in range(100)])
            app.flush_pending()
            await pilot.pause()
            text = screen_text(app)
            alert_list = app.query_one(AlertList)

            assert "Alerts" in text
            assert "Detail" in text
            assert "Checklist" in text
            assert "100 alerts" in text
            assert alert_list.region.height >= 6
            assert app.query_one(AlertDetail).region.height >= 6


async def test_light_theme_renders(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        app.add_items([hostile_alert(), make_alert(2)])
        app.flush_pending()
        await pilot.pause()
        text = screen_text(app)

        assert not app.current_theme.dark
        assert "2 alerts" in text
        assert "[bold red]x[/]" in text


async def test_narrow_layout_drops_host_column(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items([make_alert(1)])
        app.flush_pending()
        await pilot.pause()
        header = app.query_one(AlertList).render_line(0).text

    assert "rule" in header
    assert "process" in header
    assert "host" not in header


async def test_tab_cycles_panes(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.focused, AlertList)
        await pilot.press("tab")
        assert isinstance(app.focused, AlertDetail)
        await pilot.press("tab")
        assert isinstance(app.focused, Checklist)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, AlertDetail)


async def test_help_screen_opens_and_closes(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        help_text = app.screen.query_one(Static).visual.plain
        assert "Everywhere" in text
        assert "Next pane" in text
        assert "Copy command" in help_text
        assert "Click a checklist item" in help_text

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_skipped_screen_lists_reasons(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        app.add_items(
            [
                Skip("Falco log line", "events.log", 1, "Falco initialized [b]x[/]"),
                Skip("Falco log line", "events.log", 2, "Loading rules\x1b[2J"),
                Skip("invalid JSON", "events.log", 3, "{oops"),
            ]
        )
        app.flush_pending()
        await pilot.pause()
        assert "3 skipped" in screen_text(app)

        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SkippedScreen)
        text = screen_text(app)
        assert "Falco log line" in text
        assert "Falco initialized [b]x[/]" in text
        assert "Loading rules\\x1b[2J" in text
        assert "invalid JSON" in text
        assert_no_raw_controls(text)

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SkippedScreen)


async def test_demo_banner_shown(state_dir):
    app = make_app([], state_dir, demo=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        assert DEMO_BANNER in screen_text(app)


async def test_real_capture_renders(events_dir, state_dir):
    items = []
    for number, line in enumerate(sample_lines(events_dir, 60), 1):
        items.extend(parse_line(line, "syscall.jsonl", number))
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(items)
        app.flush_pending()
        await pilot.pause()
        alert_list = app.query_one(AlertList)
        for _ in range(alert_list.row_count):
            await pilot.press("down")
        await pilot.pause()

        assert alert_list.cursor_row == alert_list.row_count - 1
        assert app.query_one(AlertDetail).alert is alert_list.selected_alert
