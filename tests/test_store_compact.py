"""Tests for compact rows: line offsets, the fast parse path and re-reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_files import generated_file

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.located import (
    AlertRow,
    RowsNumbered,
    iter_located_lines,
    iter_rows,
)
from tui.parsing.reader import iter_items
from tui.storage.reread import UNREADABLE_NOTE
from tui.storage.store import AlertStore
from tui.storage.summary import Summary
from tui.widgets.alert_list import cell_value, row_cell_value

REPO = Path(__file__).resolve().parents[1]


def real_files(events_dir: Path) -> list[Path]:
    files = [REPO / "sample_alerts" / "falco_events.jsonl"]
    files += sorted(
        path
        for path in events_dir.rglob("*")
        if path.is_file() and path.suffix in (".jsonl", ".log", ".json")
    )
    return files


def test_rows_match_full_parse(events_dir: Path, tmp_path: Path) -> None:
    files = [*real_files(events_dir), generated_file(tmp_path / "gen.jsonl", 300)]
    for path in files:
        expected = list(iter_items(path))
        got = list(iter_rows(str(path)))
        assert len(got) == len(expected), path

        for row, item in zip(got, expected, strict=True):
            if isinstance(item, Skip):
                assert row == item, path
                continue
            if isinstance(row, Alert):
                # UTF-16 and gzip files fall back to full alerts.
                assert row == item, path
                continue
            assert isinstance(row, AlertRow), path
            assert row.rule == item.rule
            assert row.priority is item.priority
            assert row.time_ns == item.time_ns
            assert row.source == item.source
            assert row.hostname == item.hostname
            assert row.line_no == item.line_no
            for column in ("container", "process"):
                assert row_cell_value(column, row) == cell_value(column, item)


def test_summary_same_from_rows(events_dir: Path, tmp_path: Path) -> None:
    files = [*real_files(events_dir), generated_file(tmp_path / "gen.jsonl", 300)]
    for path in files:
        from_rows = Summary()
        from_rows.add(iter_rows(str(path)))
        from_alerts = Summary()
        from_alerts.add(iter_items(path))
        assert from_rows.to_dict() == from_alerts.to_dict(), path


def test_offsets_point_at_lines(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    data = b"first\r\n\nthird line\x00\nno newline at end"
    path.write_bytes(data)

    with path.open("rb") as stream:
        lines = list(iter_located_lines(stream, 0, None))

    assert [line.line_no for line in lines] == [1, 2, 3, 4]
    for line in lines:
        assert data[line.offset : line.offset + line.length] == line.data
    assert lines[3].data == b"no newline at end"


def test_long_line_skipped_offsets_exact(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    long_line = b"x" * 5_000_000
    path.write_bytes(b"a\n" + long_line + b"\nb\n")

    with path.open("rb") as stream:
        items = list(iter_located_lines(stream, 0, None, max_line_bytes=1 << 20))

    assert isinstance(items[1], Skip)
    assert items[1].reason == "line too long"
    assert items[1].line_no == 2
    assert len(items[1].sample) <= 200
    last = items[2]
    assert last.data == b"b"
    assert last.line_no == 3
    assert last.offset == len(long_line) + 3


def store_from_file(path: Path) -> AlertStore:
    store = AlertStore()
    store.add(iter_rows(str(path)))
    return store


def test_store_rereads_alert(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 50)
    store = store_from_file(path)
    expected = [item for item in iter_items(path) if isinstance(item, Alert)]

    assert len(store) == len(expected)
    assert not store._resident
    for index in (0, 17, len(store) - 1):
        alert = store.alerts[index]
        assert alert == expected[index]
        assert alert.fingerprint == expected[index].fingerprint
        assert store.alerts[index] is alert


def test_store_changed_file_noted(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 5)
    store = store_from_file(path)
    row = store.row(2)
    path.write_bytes(b"")

    alert = store.alert(2)

    assert alert.rule == row.rule
    assert alert.priority is row.priority
    assert alert.extra == {"note": UNREADABLE_NOTE}


def test_store_view_search_reads_disk(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 60)
    store = store_from_file(path)
    expected = [item for item in iter_items(path) if isinstance(item, Alert)]
    needle = expected[7].output

    matches = store.view(text=needle.upper())

    assert 7 in matches
    for index in matches:
        assert needle.casefold() in expected[index].raw.casefold()


@pytest.mark.parametrize("sort", ["arrival", "time", "priority", "rule"])
@pytest.mark.parametrize("reverse", [False, True])
def test_store_view_matches_sort_key(tmp_path: Path, sort: str, reverse: bool):
    store = store_from_file(generated_file(tmp_path / "gen.jsonl", 200))
    store.add([Alert("no time", Priority.NOTICE, None)])

    expected = sorted(range(len(store)), key=store.sort_key(sort), reverse=reverse)

    assert store.view(sort=sort, reverse=reverse) == expected


def test_store_numbers_tail_rows_late(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 10)
    rows = [item for item in iter_rows(str(path)) if isinstance(item, AlertRow)]
    tail = rows[6:]
    for position, row in enumerate(tail, start=1):
        row.number = 0
        row.line_no = position
    for position, row in enumerate(rows[:6], start=1):
        row.number = position
    store = AlertStore()

    store.add(tail)
    newest_after_tail = store.newest
    read_early = store.alert(0)
    store.add(rows[:6])

    assert [store.number(index) for index in range(4)] == [None] * 4
    assert newest_after_tail == 3
    assert store.newest == 3

    store.add([RowsNumbered(str(path), base=6, line_base=6)])

    assert [store.number(index) for index in range(len(store))] == [
        7,
        8,
        9,
        10,
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert read_early.line_no == 1
    assert store.row(0).line_no == 7
    assert store.alert(0).line_no == 7


def test_store_resident_alerts_kept(tmp_path: Path) -> None:
    alert = Alert("piped", Priority.NOTICE, None, raw="not on disk", origin="-")
    store = AlertStore()

    store.add([alert])

    assert store.alerts[0] is alert
    assert store.number(0) == 1
    assert store.newest == 0


def test_store_rereads_from_two_threads(tmp_path: Path) -> None:
    # The filter pass reads alerts on a worker thread while the UI draws.
    import threading

    from tui.storage import store as store_module

    path = generated_file(tmp_path / "gen.jsonl", 600)
    store = store_from_file(path)
    expected = [item.rule for item in iter_items(path) if isinstance(item, Alert)]
    errors: list[BaseException] = []

    def read_all(order: range) -> None:
        try:
            for _ in range(3):
                for index in order:
                    assert store.alerts[index].rule == expected[index]
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    assert len(store) > store_module.ALERT_CACHE_SIZE
    threads = [
        threading.Thread(target=read_all, args=(range(len(store)),)),
        threading.Thread(target=read_all, args=(range(len(store) - 1, -1, -1),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
