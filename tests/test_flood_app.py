"""Tests for the dashboard on an indexed file: progress, lazy rows and a flood."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from alert_files import generated_file
from test_app import make_alert, screen_text, wait_for

from tui.app import HISTORY_FLUSH_TICKS, make_app
from tui.parsing.alert import Alert
from tui.parsing.reader import iter_items
from tui.sources import history
from tui.sources.base import SourceState, SourceStatus
from tui.sources.history import IndexedFileSource
from tui.storage.query import parse
from tui.storage.store import AlertStore
from tui.widgets.status import status_content


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def test_status_shows_indexing_progress() -> None:
    status = SourceStatus(
        SourceState.READING_HISTORY, history_read=50, history_total=100
    )

    content = status_content(AlertStore(), [("events.json", status)], True)

    assert "reading history  50% █████░░░░░" in content.plain


def source_state(app) -> SourceState | None:
    statuses = list(app.source_status.values())
    return statuses[0].state if statuses else None


async def test_app_lists_rows_without_reading(
    tmp_path: Path, state_dir, monkeypatch
) -> None:
    monkeypatch.setattr(history, "TAIL_BYTES", 50_000)
    path = generated_file(tmp_path / "events.jsonl", 2000)
    expected = [item for item in iter_items(path) if isinstance(item, Alert)]
    app = make_app([IndexedFileSource(path)], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                source_state(app) is SourceState.FOLLOWING
                and app.alert_list.row_count == 2000
                and app.store.number(app.store.newest) == 2000
            ),
            timeout=60,
        )
        await pilot.pause(0.2)
        text = screen_text(app)
        selected = app.alert_list.selected_alert

        assert "2,000 alerts" in text
        assert "┃2000 2024-10-29" in text
        # Rendering re-read at most the lines of the visible rows (for their
        # triage status) and the selected alert, not all 2,000.
        assert len(app.store._cache) <= app.alert_list.size.height + 1
        assert selected == expected[-1]


async def test_app_merges_less_often_while_indexing(state_dir) -> None:
    app = make_app([], state_dir)
    async with app.run_test(size=(80, 24)):
        # No await below, so the refresh timer cannot call flush_pending.
        app.source_status[0] = SourceStatus(
            SourceState.READING_HISTORY, history_read=1, history_total=2
        )
        app.add_items([make_alert(0)])
        app.flush_pending()
        assert len(app.store) == 1

        app.add_items([make_alert(1)])
        for _ in range(HISTORY_FLUSH_TICKS - 1):
            app.flush_pending()
        assert len(app.store) == 1
        app.flush_pending()
        assert len(app.store) == 2

        app.source_status[0] = SourceStatus(SourceState.FOLLOWING, "Following.")
        app.add_items([make_alert(2)])
        app.flush_pending()
        assert len(app.store) == 3
        assert app.alert_list.row_count == 3


class AppendingWriter(threading.Thread):
    """Append ``lines`` to ``path`` in slices, as fast as the disk takes them."""

    def __init__(self, path: Path, lines: list[bytes], slice_size: int) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.lines = lines
        self.slice_size = slice_size

    def run(self) -> None:
        with self.path.open("ab", buffering=0) as stream:
            for start in range(0, len(self.lines), self.slice_size):
                stream.write(b"".join(self.lines[start : start + self.slice_size]))
                time.sleep(0.005)


async def test_flood_counted_and_keys_answered(tmp_path: Path, state_dir) -> None:
    pool = generated_file(tmp_path / "pool.jsonl", 2000, seed=8)
    lines = pool.read_bytes().splitlines(keepends=True) * 10
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"")
    app = make_app([IndexedFileSource(path)], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: source_state(app) is SourceState.FOLLOWING)
        writer = AppendingWriter(path, lines, 200)
        writer.start()
        await wait_for(pilot, lambda: len(app.store) > 0, timeout=30)

        follow_before = app.alert_list.follow
        await pilot.press("f")
        follow_after = app.alert_list.follow
        await wait_for(pilot, lambda: len(app.store) == len(lines), timeout=120)
        writer.join(10)
        await pilot.pause(0.2)

        assert follow_after is not follow_before
        assert f"{len(lines):,} alerts" in screen_text(app)
        numbers = [app.store.number(index) for index in (0, len(lines) - 1)]
        assert numbers == [1, len(lines)]
        assert app.store.alert(len(lines) - 1).raw == lines[-1].decode().rstrip("\n")


async def test_filter_indexed_file_reads_in_blocks(
    tmp_path: Path, state_dir, monkeypatch
) -> None:
    path = generated_file(tmp_path / "events.jsonl", 2000)
    alerts = [item for item in iter_items(path) if isinstance(item, Alert)]
    app = make_app([IndexedFileSource(path)], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.alert_list.row_count == 2000, timeout=60)
        for text in ("priority>=error host:worker-03", "/etc/shadow", "fd.name~/etc"):
            app.store._cache.clear()
            app.apply_filter(text)
            await wait_for(pilot, lambda: not app.filter_pending, timeout=60)
            query = parse(text)
            expected = sum(1 for alert in alerts if query(alert))

            assert app.alert_list.row_count == expected, text
            assert f"{expected:,} of 2,000 alerts" in screen_text(app), text
            # The pass read lines in blocks. Only drawing re-read single lines:
            # the rows on screen before and after the filter, and the selection.
            assert len(app.store._cache) <= 2 * app.alert_list.size.height + 2, text


async def test_filter_status_shows_progress(tmp_path: Path, state_dir) -> None:
    path = generated_file(tmp_path / "events.jsonl", 100)
    app = make_app([IndexedFileSource(path)], state_dir)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.alert_list.row_count == 100, timeout=60)
        query = parse("bash")
        app.filter_query = query
        app.filter_pending = True
        app.show_filter_progress(query, 0.42)
        await pilot.pause()

        assert "filtering… 42%" in screen_text(app)
