"""Pilot tests of the dashboard at 80 columns: status bar, prompt errors, find
counts, the command palette, live group order, histogram bins."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from test_app import make_alert, make_app, screen_text, wait_for
from textual import events
from textual.content import Content

from tui.parsing.alert import Priority
from tui.screens.overview import histogram_lines, overview_choices
from tui.storage.overview import build_overview
from tui.storage.store import AlertStore
from tui.widgets.status import (
    MIN_CLIP_CELLS,
    RANK_FILTER_TEXT,
    StatusItem,
    fit_status,
    item,
    status_items,
)

LONG_FILTER = "rule:shell priority>=warning -proc.name=bash -proc.name=zsh -user=root"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def every_priority() -> list:
    """Return one alert of each of Falco's eight priorities."""
    return [
        make_alert(number, priority=priority)
        for number, priority in enumerate(Priority)
    ]


def test_fit_status_keeps_counts_at_80():
    store = AlertStore()
    store.add(every_priority() * 100)
    clip = ("filter: ", LONG_FILTER, "bold", Content("  17 of 800 alerts"))
    items = [StatusItem(clip=clip, clip_rank=RANK_FILTER_TEXT)]
    items += status_items(store, [("/var/log/falco/events.json", None)], True, True)
    items.append(item(("12 muted", "bold")))

    text = fit_status(items, 78).plain

    assert len(text) <= 78
    assert "17 of 800 alerts" in text
    assert "12 muted" in text
    assert "follow" in text
    # The counts of all alerts give way to the filter text.
    assert "EMER" not in text
    assert "…" in text
    assert text.startswith("filter: rule:shell priority>")


def test_filtered_priority_counts_say_all():
    store = AlertStore()
    store.add(every_priority())
    items = status_items(store, [], True, filtered=True)

    text = fit_status(items, None).plain

    assert "all: EMER 1" in text


def test_fit_status_clips_filter_last():
    store = AlertStore()
    store.add(every_priority())
    clip = ("filter: ", LONG_FILTER, "bold", Content("  1 of 8 alerts"))
    items = [StatusItem(clip=clip, clip_rank=RANK_FILTER_TEXT)]
    items += status_items(store, [("events.json", None)], True, True)

    wide = fit_status(items, 200).plain
    compact = fit_status(items, 170).plain
    narrow = fit_status(items, 40).plain

    assert "8 alerts" in wide
    assert "EMER 1" in wide
    # Sources and the repeated total go and priorities close up first.
    assert LONG_FILTER in compact
    assert "EMER1 ALRT1" in compact
    assert "events.json" not in compact
    # The filter keeps a few cells however narrow the bar.
    assert narrow.startswith("filter: " + LONG_FILTER[: MIN_CLIP_CELLS - 1] + "…")
    assert "1 of 8 alerts" in narrow


def test_fit_status_unchanged_when_it_fits():
    items = [item("3 alerts"), item("follow")]

    assert fit_status(items, 80).plain == "3 alerts │ follow"
    assert fit_status(items, None).plain == "3 alerts │ follow"


async def test_status_bar_one_line_at_80(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(every_priority() * 10)
        await wait_for(pilot, lambda: app.alert_list.row_count == 80)
        app.muted_count = 3
        app.bell_enabled = True

        assert app.apply_filter(LONG_FILTER)
        await wait_for(pilot, lambda: not app.filter_pending)
        await pilot.pause()

        lines = screen_text(app).splitlines()
        assert app.status_bar.size.height == 1
        assert lines[0].startswith(" filter: rule:shell")
        assert "…" in lines[0]
        assert "0 of 80 alerts" in lines[0]
        assert "3 muted" in lines[0]
        assert "paused" in lines[0]
        assert "Alerts" in lines[1]


async def test_invalid_filter_points_under_input(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(every_priority())
        await wait_for(pilot, lambda: app.alert_list.row_count == 8)
        assert app.apply_filter("priority>=critical")
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)

        await pilot.press("slash")
        await pilot.pause()
        app.prompt_bar.value = "rule:shell proc.pid>abc"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()

        lines = screen_text(app).splitlines()
        input_row = next(n for n, line in enumerate(lines) if "proc.pid>abc" in line)
        caret_row = lines[input_row + 2]
        assert caret_row.index("^") == lines[input_row].index("abc")
        assert "column 21" in caret_row
        assert app.prompt_bar.has_class("-invalid")
        assert app.prompt_bar.is_open
        # No notification covers the prompt, and the last good filter stays.
        assert not app._notifications
        assert app.filter_query.text == "priority>=critical"
        assert app.alert_list.row_count == 3

        await pilot.press("backspace")
        await pilot.pause()
        assert not app.prompt_bar.error_line.display
        assert not app.prompt_bar.has_class("-invalid")


async def test_palette_lists_every_pane(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(every_priority())
        await wait_for(pilot, lambda: app.alert_list.row_count == 8)
        app.alert_list.follow = False
        app.alert_list.action_first()
        app.detail.focus()
        await pilot.pause()

        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in (
            "Alert list: Last alert",
            "Detail: Filter by a field",
            "Checklist: Tick or untick",
            "Groups: Expand group",
            "Filter",
            "Acknowledge",
        ):
            assert title in commands, title
        assert "Alert list: Page Left" not in commands
        assert "Groups: Page Right" not in commands

        # A pane's command acts on that pane, not on the focused one.
        await commands["Alert list: Last alert"].callback()
        await pilot.pause()
        assert app.alert_list.cursor_row == 7
        assert app.detail.has_focus


async def test_find_shows_match_count(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items([make_alert(number) for number in range(20)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        app.alert_list.follow = False
        app.alert_list.action_first()

        assert app.apply_find('"Rule 007" or "Rule 012" or "Rule 015"')
        await wait_for(pilot, lambda: app.find_matches is not None)
        app.show_find_count()
        await pilot.pause()
        assert app.alert_list.selected_alert.rule == "Rule 007"
        assert app.alert_list.border_subtitle == "match 1 of 3"

        await pilot.press("n")
        await pilot.press("n")
        await pilot.pause()
        assert app.alert_list.border_subtitle == "match 3 of 3"
        assert "match 3 of 3" in screen_text(app)

        await pilot.press("N")
        await pilot.pause()
        assert app.alert_list.border_subtitle == "match 2 of 3"

        # Alerts that arrive later count at the next step.
        app.add_items([make_alert(7)])
        await wait_for(pilot, lambda: len(app.store) == 21)
        await pilot.press("n")
        await pilot.pause()
        assert app.alert_list.border_subtitle == "match 4 of 4"

        # A filter leaves out matches it hides.
        assert app.apply_filter("-rule:012")
        await wait_for(pilot, lambda: app.alert_list.row_count == 20)
        await pilot.pause()
        assert app.alert_list.border_subtitle == "match 3 of 3"


def group_rules(app) -> list[str]:
    """Return the rule of each group row, top to bottom."""
    return [group.key[0] for group, member in app.group_list.rows if member is None]


async def test_groups_keep_sort_live(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.alert_list.follow = False
        app.add_items([make_alert(0, rule="Rule a"), make_alert(1, rule="Rule b")])
        app.add_items([make_alert(2, rule="Rule c")])
        await wait_for(pilot, lambda: app.alert_list.row_count == 3)
        await pilot.press("R")
        await pilot.pause()
        assert group_rules(app) == ["Rule a", "Rule b", "Rule c"]
        # Oldest first is ascending.
        assert "first seen↑" in screen_text(app)

        await pilot.press("o")
        await pilot.pause()
        assert "last seen↓" in screen_text(app)

        await pilot.press("o")
        await pilot.pause()
        assert app.group_list.sort == "count"
        assert "count↓" in screen_text(app)
        await pilot.press("down")
        assert app.group_list.selected_group.key[0] == "Rule b"

        # Rule c overtakes the others as repeats arrive; b stays selected.
        app.add_items([make_alert(number, rule="Rule c") for number in range(3, 6)])
        await wait_for(pilot, lambda: group_rules(app)[0] == "Rule c")
        assert app.group_list.selected_group.key[0] == "Rule b"
        assert app.detail.alert.rule == "Rule b"

        await pilot.press("o")
        await pilot.pause()
        assert app.group_list.sort == "rule"
        assert group_rules(app) == ["Rule a", "Rule b", "Rule c"]

        await pilot.press("o", "o")
        await pilot.pause()
        assert app.group_list.sort == "last seen"
        app.add_items([make_alert(9, rule="Rule a")])
        await wait_for(pilot, lambda: group_rules(app)[0] == "Rule a")
        assert group_rules(app) == ["Rule a", "Rule c", "Rule b"]
        assert app.group_list.selected_group.key[0] == "Rule b"


async def test_groups_keep_screen_line_when_scrolled(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.alert_list.follow = False
        app.add_items([make_alert(number) for number in range(40)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 40)
        await pilot.press("R", "o", "o")
        for _ in range(20):
            await pilot.press("down")
        await pilot.pause()
        groups = app.group_list
        selected = groups.selected_group
        line = groups.cursor_row - groups.scroll_offset.y

        # Two groups below the selection grow past it.
        app.add_items([make_alert(30), make_alert(31), make_alert(30)])
        await wait_for(pilot, lambda: group_rules(app)[0] == "Rule 030")
        await pilot.pause()

        assert groups.selected_group is selected
        assert groups.cursor_row == 22
        assert groups.cursor_row - groups.scroll_offset.y == line


def ns_at(*parts: int) -> int:
    """Return epoch nanoseconds of a UTC time given as year, month, day, ..."""
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * 1_000_000_000


def alerts_at(*times: int) -> list:
    return [make_alert(number, time_ns=ns) for number, ns in enumerate(times)]


@pytest.mark.parametrize(
    ("times", "step", "labels"),
    [
        (
            [ns_at(2026, 4, 6, 19, 0, 1), ns_at(2026, 4, 6, 19, 0, 40)],
            "5 s",
            ["19:00:00", "19:00:40"],
        ),
        (
            [ns_at(2026, 4, 6, 1), ns_at(2026, 4, 6, 22, 30)],
            "3 h",
            ["04-06 00:00", "04-06 21:00"],
        ),
        (
            [ns_at(2026, 3, 4), ns_at(2026, 5, 20)],
            "1 week",
            ["2026-03-02", "2026-05-18"],
        ),
        (
            [ns_at(2025, 2, 10), ns_at(2025, 11, 3)],
            "1 month",
            ["2025-02", "2025-11"],
        ),
        (
            [ns_at(2023, 5, 25), ns_at(2025, 3, 1)],
            "3 months",
            ["2023-04", "2025-01"],
        ),
        (
            [ns_at(2017, 12, 20), ns_at(2026, 4, 6)],
            "1 year",
            ["2017", "2026"],
        ),
        (
            [ns_at(1990, 1, 1), ns_at(2026, 4, 6)],
            "4 years",
            ["1988-1991", "2024-2027"],
        ),
    ],
)
def test_histogram_bins_follow_span(times, step, labels):
    overview = build_overview(alerts_at(*times), max_buckets=12)
    choices = overview_choices(overview)

    assert overview.step.text == step
    assert len(overview.buckets) <= 12
    assert sum(bucket.total for bucket in overview.buckets) == len(times)
    assert f"{step} per bar" in choices[0][0].plain
    for bucket, after in pairwise(overview.buckets):
        assert bucket.end_ns == after.start_ns
    first_label = histogram_lines(overview)[0].plain.strip()
    last_label = histogram_lines(overview)[-1].plain.strip()
    assert first_label.startswith(labels[0])
    assert last_label.startswith(labels[1])


def test_histogram_handles_year_9999():
    times = [ns_at(2026, 4, 6), ns_at(9999, 12, 31, 23, 59, 59)]
    overview = build_overview(alerts_at(*times))

    assert sum(bucket.total for bucket in overview.buckets) == 2
    assert len(overview.buckets) <= 12


def test_histogram_month_bar_filters_month():
    overview = build_overview(alerts_at(ns_at(2025, 2, 10), ns_at(2025, 11, 3)))
    terms = [value for _, value in overview_choices(overview) if value]

    assert terms[0] == "from:2025-02-01T00:00:00Z to:2025-02-28T23:59:59.999999Z"
    assert terms[1] == "from:2025-11-01T00:00:00Z to:2025-11-30T23:59:59.999999Z"


async def press_at_once(app, keys: str) -> None:
    """Queue a key event per character without waiting, as a fast link delivers."""
    names = {"/": "slash", " ": "space", "~": "tilde"}
    for character in keys:
        app.post_message(events.Key(names.get(character, character), character))


async def test_keys_typed_ahead_reach_prompt(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(every_priority())
        await wait_for(pilot, lambda: app.alert_list.row_count == 8)

        # r, w and t are app keys too, and must not act while the prompt opens.
        await press_at_once(app, "/fd.name~/etc/ raw tw")
        await pilot.pause(0.3)

        assert app.prompt_bar.is_open
        assert app.prompt_bar.value == "fd.name~/etc/ raw tw"
        assert not app.detail.raw
        assert isinstance(app.screen, type(app.get_default_screen()))


async def test_prompt_keys_type_in_dialogs(state_dir):
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.add_items(every_priority())
        await wait_for(pilot, lambda: app.alert_list.row_count == 8)

        await pilot.press("i")
        await pilot.pause()
        await pilot.press("t", "w", "slash")
        await pilot.pause()

        dialog_input = app.screen.query_one("Input")
        assert dialog_input.value == "tw/"
        assert not app.prompt_bar.is_open


def test_overview_of_no_alerts_says_none_shown():
    overview = build_overview([])
    choices = overview_choices(overview)
    text = "\n".join(line.plain for line, _ in choices)

    assert choices[0][0].plain == "Alerts over time (UTC, 0 alerts)"
    assert "No alerts are shown" in text
    assert "clear the filter" in text
    assert "no time" not in text
    assert "No alert has a time" not in text
    assert all(len(line.plain) <= 78 for line, _ in choices)
