"""The column indexer and its worker processes give the rows ``iter_rows`` gives."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from alert_files import generated_file
from test_history_index import messy_file

from tui.parsing.alert import Skip
from tui.parsing.columns import NO_TIME, index_range
from tui.parsing.located import UTF16_BOMS, AlertRow, RowsNumbered, iter_rows
from tui.sources import history, index_workers
from tui.sources.base import SourceState
from tui.sources.history import IndexedFileSource
from tui.sources.index_workers import FileReplaced, index_file_range, index_in_workers
from tui.sources.tail import FileSource
from tui.storage.store import AlertStore

TIMEOUT = 60.0

ROW_FIELDS = (
    "rule",
    "priority",
    "time_ns",
    "source",
    "hostname",
    "container",
    "process",
    "origin",
    "offset",
    "length",
    "line_no",
)


def capture_files(events_dir: Path) -> list[Path]:
    """Return the real captures that the indexer reads by byte offset."""
    files = []
    for path in sorted(events_dir.rglob("*")):
        if path.suffix not in (".jsonl", ".log") or path.suffix == ".gz":
            continue
        if path.read_bytes()[:2] in UTF16_BOMS:
            continue
        files.append(path)
    return files


def reference_store(path: Path) -> AlertStore:
    """Store the rows of ``iter_rows``, numbered in file order."""
    store = AlertStore()
    store.add([*iter_rows(path), RowsNumbered(str(path), 0, 0)])
    return store


def indexed_store(path: Path, source: IndexedFileSource | None = None) -> AlertStore:
    """Index ``path`` with ``source`` (a new ``IndexedFileSource`` by default)
    into a store, up to following."""
    store = AlertStore()
    lock = threading.Lock()
    following = threading.Event()

    def on_items(_source, items) -> None:
        with lock:
            store.add(items)

    def on_status(_source, status) -> None:
        if status.state is SourceState.FOLLOWING:
            following.set()

    if source is None:
        source = IndexedFileSource(path)
    source.start(on_items, on_status)
    try:
        assert following.wait(TIMEOUT), f"{path} was not indexed in {TIMEOUT}s"
        # The last batch is handed over before the status changes.
        time.sleep(0.05)
    finally:
        source.stop()
    return store


def rows_by_number(store: AlertStore) -> dict[int | None, tuple]:
    rows = {}
    for index in range(len(store)):
        row = store.row(index)
        rows[store.number(index)] = tuple(getattr(row, name) for name in ROW_FIELDS)
    return rows


def assert_same_store(actual: AlertStore, expected: AlertStore) -> None:
    assert len(actual) == len(expected)
    assert rows_by_number(actual) == rows_by_number(expected)
    assert dict(actual.skipped) == dict(expected.skipped)
    for reason in expected.skipped:
        assert actual.skip_samples(reason) == expected.skip_samples(reason)
    assert dict(actual.by_priority) == dict(expected.by_priority)
    assert dict(actual.by_source) == dict(expected.by_source)


def columns_as_rows(path: Path) -> tuple[list[tuple], list[Skip], int]:
    """Index all of ``path`` with ``index_range``; return rows, skips and lines."""
    with path.open("rb") as stream:
        part = index_range(stream, 0, os.fstat(stream.fileno()).st_size, str(path))
    columns = part.columns
    strings = columns.strings
    rows = [
        (
            strings[columns.rule[k]],
            columns.priority[k],
            columns.time_ns[k],
            strings[columns.source[k]],
            strings[columns.hostname[k]],
            strings[columns.container[k]],
            strings[columns.process[k]],
            columns.offset[k],
            columns.length[k],
            columns.line_no[k],
        )
        for k in range(len(columns))
    ]
    return rows, part.skips, part.lines


def iter_rows_as_rows(path: Path) -> tuple[list[tuple], list[Skip]]:
    rows = []
    skips = []
    for item in iter_rows(path):
        if isinstance(item, Skip):
            skips.append(item)
            continue
        assert isinstance(item, AlertRow)
        rows.append(
            (
                item.rule,
                item.priority,
                NO_TIME if item.time_ns is None else item.time_ns,
                item.source or "",
                item.hostname or "",
                item.container,
                item.process,
                item.offset,
                item.length,
                item.line_no,
            )
        )
    return rows, skips


def test_columns_equal_rows_on_captures(events_dir: Path) -> None:
    files = capture_files(events_dir)
    assert len(files) >= 10
    for path in files:
        rows, skips, lines = columns_as_rows(path)
        expected_rows, expected_skips = iter_rows_as_rows(path)
        assert rows == expected_rows, path
        assert skips == expected_skips, path
        assert lines == path.read_bytes().count(b"\n"), path


def test_columns_equal_rows_on_messy_file(tmp_path: Path) -> None:
    path = messy_file(tmp_path / "messy.jsonl", 300)
    rows, skips, lines = columns_as_rows(path)
    expected_rows, expected_skips = iter_rows_as_rows(path)
    assert len(rows) == 300
    assert rows == expected_rows
    assert skips == expected_skips
    assert lines == path.read_bytes().count(b"\n")


def test_workers_index_captures_same(events_dir: Path, monkeypatch) -> None:
    # Tiny parts and no size minimum send even these small files through
    # the worker processes, split at many line starts.
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 2_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 3_000)
    for path in capture_files(events_dir):
        assert_same_store(indexed_store(path), reference_store(path))


def test_workers_index_messy_same(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 50_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    calls = []

    def counting_index_in_workers(*args, **kwargs):
        calls.append(args)
        yield from index_in_workers(*args, **kwargs)

    monkeypatch.setattr(history, "index_in_workers", counting_index_in_workers)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    path = messy_file(tmp_path / "messy.jsonl", 500)
    assert_same_store(indexed_store(path), reference_store(path))
    assert len(calls) == 1


def test_early_workers_index_same(tmp_path: Path, monkeypatch) -> None:
    def no_late_workers(*_args, **_kwargs):
        raise AssertionError("the front was indexed again after start_workers")

    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 50_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    monkeypatch.setattr(history, "index_in_workers", no_late_workers)
    path = messy_file(tmp_path / "messy.jsonl", 500)

    [source] = history.index_single_file([FileSource(path)])

    assert isinstance(source, IndexedFileSource)
    assert_same_store(indexed_store(path, source), reference_store(path))


def test_early_workers_stop_unstarted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 20_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 20_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    path = generated_file(tmp_path / "gen.jsonl", 3000)
    source = IndexedFileSource(path)
    source.start_workers()

    source.stop(timeout=TIMEOUT)

    assert list(source._early.parts(lambda: False)) == []


def test_one_process_index_same(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history, "PART_BYTES", 30_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    path = messy_file(tmp_path / "messy.jsonl", 500)
    assert_same_store(indexed_store(path), reference_store(path))


def test_worker_rejects_replaced_file(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 5)
    status = path.stat()
    wrong_id = (status.st_dev, status.st_ino + 1)
    with pytest.raises(FileReplaced):
        index_file_range(str(path), wrong_id, 0, status.st_size, str(path))

    part = index_file_range(
        str(path), (status.st_dev, status.st_ino), 0, status.st_size, str(path)
    )
    assert len(part.columns) == 5


def test_workers_stop_with_source(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 20_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 20_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    path = generated_file(tmp_path / "gen.jsonl", 3000)
    first_items = threading.Event()
    source = IndexedFileSource(path)
    source.start(lambda _source, _items: first_items.set(), lambda *_: None)

    assert first_items.wait(TIMEOUT)
    source.stop(timeout=TIMEOUT)

    assert source.finished
    assert source.history_read < source.history_total


def test_columns_tell_true_from_one(tmp_path: Path) -> None:
    # True, 1 and 1.0 are equal dictionary keys but print differently.
    lines = []
    for process in ("true", "1", "1.0", '"1"', '["a"]', "null"):
        lines.append(
            '{"rule":"R","priority":"Notice","time":"2024-10-29T17:12:04.451428290Z",'
            f'"output_fields":{{"proc.name":{process},"container.id":{process}}},'
            '"output":"x","source":"syscall","hostname":"h"}'
        )
    path = tmp_path / "values.jsonl"
    path.write_text("\n".join(lines * 2) + "\n")

    rows, skips, _lines = columns_as_rows(path)
    expected_rows, expected_skips = iter_rows_as_rows(path)
    assert len(rows) == 12
    assert rows == expected_rows
    assert skips == expected_skips


def test_workers_report_replaced_file(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 20)
    status = path.stat()
    wrong_id = (status.st_dev, status.st_ino + 1)
    ranges = [(0, status.st_size)]

    parts = list(
        index_in_workers(str(path), wrong_id, ranges, str(path), lambda: False, 2)
    )

    assert parts == [(0, status.st_size, None)]


def test_failed_worker_parts_indexed_here(tmp_path: Path, monkeypatch) -> None:
    def failing_workers(_path, _file_id, ranges, *_args):
        for start, end in ranges:
            yield start, end, None

    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 50_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    monkeypatch.setattr(history, "index_in_workers", failing_workers)
    path = messy_file(tmp_path / "messy.jsonl", 300)

    assert_same_store(indexed_store(path), reference_store(path))


def test_pool_failure_indexed_here(tmp_path: Path, monkeypatch) -> None:
    def no_pool(*_args, **_kwargs):
        raise NotImplementedError("no named semaphores")

    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 50_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    monkeypatch.setattr(index_workers, "ProcessPoolExecutor", no_pool)
    path = messy_file(tmp_path / "messy.jsonl", 300)

    assert_same_store(indexed_store(path), reference_store(path))
