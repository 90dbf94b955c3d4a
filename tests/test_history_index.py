"""Tests for the history indexer: newest part first, file-order numbers, skips."""

from __future__ import annotations

import io
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alert_files import generated_file

from tui.parsing.alert import Alert
from tui.parsing.reader import iter_items
from tui.sources import history, tail
from tui.sources.base import SourceState, SourceStatus
from tui.sources.history import IndexedFileSource, index_single_file
from tui.sources.tail import FileSource
from tui.storage import store as store_module
from tui.storage.export import export_rows, stored_rows
from tui.storage.reread import UNREADABLE_NOTE
from tui.storage.store import AlertStore
from tui.storage.summary import Summary
from tui.widgets.detail import build_content, raw_parts
from tui.widgets.status import progress_bar

TIMEOUT = 30.0


class StoreFeeder:
    """Feed a source's items into a real store, as the app does."""

    def __init__(self) -> None:
        self.store = AlertStore()
        self.statuses: list[SourceStatus] = []
        self.first_batch_lines: list[int] = []
        self._lock = threading.Lock()

    def on_items(self, _source, items) -> None:
        with self._lock:
            if not self.first_batch_lines:
                self.first_batch_lines = [
                    item.line_no for item in items if hasattr(item, "line_no")
                ]
            self.store.add(items)

    def on_status(self, _source, status: SourceStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    def wait_for(self, condition: Callable[[], bool], description: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self._lock:
                if condition():
                    return
            time.sleep(0.02)
        pytest.fail(f"timed out after {TIMEOUT}s waiting for {description}")


@pytest.fixture
def feed() -> Iterator[Callable[[IndexedFileSource], StoreFeeder]]:
    """Start indexed sources into a store and stop them after the test."""
    sources = []

    def start(source: IndexedFileSource) -> StoreFeeder:
        feeder = StoreFeeder()
        sources.append(source)
        source.start(feeder.on_items, feeder.on_status)
        return feeder

    yield start
    for source in sources:
        source.stop()


def messy_file(path: Path, count: int) -> Path:
    """Write generated alerts with 10% garbage lines, a 3 MB line and binary."""
    lines = generated_file(path, count).read_bytes().splitlines()
    rng = random.Random(11)
    out: list[bytes] = []
    for position, line in enumerate(lines):
        out.append(line)
        if position % 10 == 3:
            out.append(rng.choice([b"garbage {", b"", b"\xff\xfe bad utf8", b"[1]"]))
        if position == count // 2:
            out.append(b'{"rule": "' + b"A" * 3_000_000 + b'"}')
            out.append(rng.randbytes(4000).replace(b"\n", b"."))
    path.write_bytes(b"\n".join(out) + b"\n")
    return path


def file_alerts(path: Path) -> list[Alert]:
    return [item for item in iter_items(path) if isinstance(item, Alert)]


def is_following(feeder: StoreFeeder) -> bool:
    return bool(feeder.statuses) and feeder.statuses[-1].state is (
        SourceState.FOLLOWING
    )


def test_index_numbers_in_file_order(tmp_path: Path, feed, monkeypatch) -> None:
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    path = messy_file(tmp_path / "messy.jsonl", 400)
    expected = file_alerts(path)

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")

    store = feeder.store
    assert len(store) == len(expected)
    by_number = {store.number(index): index for index in range(len(store))}
    assert sorted(by_number) == list(range(1, len(expected) + 1))
    for number, alert in enumerate(expected, start=1):
        row = store.row(by_number[number])
        assert row.line_no == alert.line_no
        assert row.rule == alert.rule
    assert store.alert(by_number[len(expected)]) == expected[-1]


def test_index_skip_counts_match(tmp_path: Path, feed, monkeypatch) -> None:
    monkeypatch.setattr(history, "TAIL_BYTES", 40_000)
    path = messy_file(tmp_path / "messy.jsonl", 400)
    summary = Summary()
    summary.add(iter_items(path))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")

    assert dict(feeder.store.skipped) == dict(summary.skipped)
    final = feeder.statuses[-1]
    assert final.alerts == summary.alerts
    assert final.skipped == summary.skipped.total()
    samples = feeder.store.skip_samples("line too long")
    assert len(samples[0].sample) <= 200


def test_index_shows_newest_first(tmp_path: Path, feed, monkeypatch) -> None:
    monkeypatch.setattr(history, "TAIL_BYTES", 20_000)
    path = generated_file(tmp_path / "gen.jsonl", 300)
    last_line = len(path.read_bytes().splitlines())

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")

    # The first batch contains the file's end, numbered from the tail start.
    assert feeder.first_batch_lines
    assert len(feeder.first_batch_lines) < 300
    store = feeder.store
    assert store.row(store.newest).line_no == last_line
    assert store.number(store.newest) == 300


def test_index_then_follows_appends(tmp_path: Path, feed, monkeypatch) -> None:
    monkeypatch.setattr(history, "TAIL_BYTES", 20_000)
    path = generated_file(tmp_path / "gen.jsonl", 100)
    extra = generated_file(tmp_path / "extra.jsonl", 3, seed=9).read_bytes()

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    with path.open("ab") as stream:
        stream.write(extra)
    feeder.wait_for(lambda: len(feeder.store) == 103, "103 alerts")

    store = feeder.store
    expected = file_alerts(path)
    for index in range(100, 103):
        assert store.number(index) == index + 1
        assert store.alert(index) == expected[index]
    assert store.newest == 102


def test_unfinished_only_line_then_appends(tmp_path: Path, feed, monkeypatch) -> None:
    # With no newline there is nothing to index, so the plain follower reads
    # the file and reports its progress through the indexed source.
    monkeypatch.setattr(tail, "PARTIAL_LINE_IDLE_SECONDS", 0.2)
    path = tmp_path / "gen.jsonl"
    lines = generated_file(tmp_path / "all.jsonl", 4).read_bytes().splitlines()
    path.write_bytes(lines[0])

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: len(feeder.store) == 1, "the unfinished line")
    with path.open("ab") as stream:
        stream.write(b"\n" + b"\n".join(lines[1:]) + b"\n")
    feeder.wait_for(lambda: len(feeder.store) == 4, "4 alerts")

    assert feeder.statuses[-1].state is not SourceState.ERROR
    assert dict(feeder.store.skipped) == {}


def test_index_progress_reported(tmp_path: Path, feed) -> None:
    path = generated_file(tmp_path / "gen.jsonl", 200)
    size = path.stat().st_size

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")

    reading = [s for s in feeder.statuses if s.state is SourceState.READING_HISTORY]
    assert reading
    assert all(status.history_total == size for status in reading)
    assert feeder.statuses[-1].history_read == size


def test_index_binary_file_skipped(tmp_path: Path, feed) -> None:
    path = tmp_path / "binary.bin"
    path.write_bytes(random.Random(3).randbytes(3_000_000) + b"\n")
    summary = Summary()
    summary.add(iter_items(path))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")

    assert len(feeder.store) == summary.alerts
    assert dict(feeder.store.skipped) == dict(summary.skipped)


def test_progress_bar_text() -> None:
    assert progress_bar(0, 100) == "  0% ░░░░░░░░░░"
    assert progress_bar(45, 100) == " 45% ████░░░░░░"
    assert progress_bar(100, 100) == "100% ██████████"
    assert progress_bar(5, 0) == "  0% ░░░░░░░░░░"


def test_single_file_indexed(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    packed = tmp_path / "old.jsonl.gz"

    assert isinstance(index_single_file([FileSource(path)])[0], IndexedFileSource)
    assert type(index_single_file([FileSource(packed)])[0]) is FileSource
    two = [FileSource(path), FileSource(tmp_path / "other.jsonl")]
    assert index_single_file(two) == two


# Followed alerts kept as offsets, and read back after rotation


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_followed_rows_keep_no_text(tmp_path: Path, feed) -> None:
    path = generated_file(tmp_path / "events.json", 50)
    appended = lines_of(generated_file(tmp_path / "more.jsonl", 600, seed=8))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    # Appends in pieces that split lines, as a busy writer's writes do.
    data = b"".join(appended)
    with path.open("ab", buffering=0) as stream:
        for start in range(0, len(data), 7001):
            stream.write(data[start : start + 7001])
    feeder.wait_for(lambda: len(feeder.store) == 650, "650 alerts")

    store = feeder.store
    kept_text = [index for index in range(len(store)) if store.row(index).raw]
    assert kept_text == []
    expected = file_alerts(path)
    for index in (50, 321, 649):
        assert store.alert(index) == expected[index]
        assert store.number(index) == index + 1


def test_followed_bom_crlf_read_back(tmp_path: Path, feed) -> None:
    # An empty file at start: the follower reads everything, BOM included.
    path = tmp_path / "events.json"
    path.write_bytes(b"")
    lf = lines_of(generated_file(tmp_path / "lf.jsonl", 3))
    crlf = [
        line.rstrip(b"\n") + b"\r\n"
        for line in lines_of(generated_file(tmp_path / "crlf.jsonl", 4, seed=8))
    ]

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    with path.open("ab") as stream:
        stream.write(b"\xef\xbb\xbf" + b"".join(lf + crlf))
    feeder.wait_for(lambda: len(feeder.store) == 7, "7 alerts")

    store = feeder.store
    assert [store.alert(index) for index in range(7)] == file_alerts(path)
    assert [store.row(index).raw for index in range(7)] == [None] * 7
    assert store.row(0).offset == 3


def test_rotated_alerts_read_back(tmp_path: Path, feed) -> None:
    path = tmp_path / "events.json"
    generated_file(path, 20)
    first = file_alerts(path)
    second_lines = lines_of(generated_file(tmp_path / "second.jsonl", 5, seed=8))
    third_lines = lines_of(generated_file(tmp_path / "third.jsonl", 5, seed=9))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    # Rotate by rename, then delete the rotated file while the new one grows.
    os.rename(path, tmp_path / "events.json.1")
    path.write_bytes(b"".join(second_lines))
    feeder.wait_for(lambda: len(feeder.store) == 25, "25 alerts")
    second = file_alerts(path)
    os.unlink(tmp_path / "events.json.1")
    os.rename(path, tmp_path / "events.json.1")
    path.write_bytes(b"".join(third_lines))
    feeder.wait_for(lambda: len(feeder.store) == 30, "30 alerts")

    store = feeder.store
    assert [store.alert(index) for index in range(20)] == first
    assert [store.alert(index) for index in range(20, 25)] == second
    assert [store.alert(index) for index in range(25, 30)] == file_alerts(path)


def test_followed_crlf_exported_after_rotation(tmp_path: Path, feed) -> None:
    path = tmp_path / "events.json"
    history = lines_of(generated_file(path, 5))
    crlf = [
        line.rstrip(b"\n") + b"\r\n"
        for line in lines_of(generated_file(tmp_path / "crlf.jsonl", 4, seed=8))
    ]

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    with path.open("ab") as stream:
        stream.write(b"".join(crlf))
    feeder.wait_for(lambda: len(feeder.store) == 9, "9 alerts")
    # The lines now live only in the renamed file, read through its descriptor.
    os.rename(path, tmp_path / "events.json.1")
    path.write_bytes(b"")

    output = io.BytesIO()
    store = feeder.store
    counts = export_rows(stored_rows(store, range(len(store))), output)

    assert output.getvalue() == b"".join(history + crlf)
    assert counts.written == 9
    assert counts.unreadable == 0


def test_copytruncated_alerts_noted(tmp_path: Path, feed) -> None:
    path = tmp_path / "events.json"
    generated_file(path, 10)
    before = file_alerts(path)
    other = lines_of(generated_file(tmp_path / "other.jsonl", 10, seed=8))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    os.truncate(path, 0)
    feeder.wait_for(
        lambda: any("truncated" in status.message for status in feeder.statuses),
        "the truncation",
    )
    with path.open("ab") as stream:
        stream.write(b"".join(other))
    feeder.wait_for(lambda: len(feeder.store) == 20, "20 alerts")

    store = feeder.store
    old = store.alert(3)
    assert old.rule == before[3].rule
    assert old.extra == {"note": UNREADABLE_NOTE}
    assert [store.alert(index) for index in range(10, 20)] == file_alerts(path)

    # No copy sits beside the file, so the status message names where to look.
    messages = [status.message for status in feeder.statuses]
    truncated = [message for message in messages if "truncated" in message]
    assert "may be missing" in truncated[-1]


def test_copytruncate_reads_from_copy(tmp_path: Path, feed) -> None:
    path = tmp_path / "events.json"
    generated_file(path, 10)
    late = lines_of(generated_file(tmp_path / "late.jsonl", 3, seed=5))
    other = lines_of(generated_file(tmp_path / "other.jsonl", 10, seed=8))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    # Alerts appended just before logrotate copies and truncates the file:
    # the follower may not have read them before the truncation.
    with path.open("ab") as stream:
        stream.write(b"".join(late))
    before = file_alerts(path)
    copy = tmp_path / "events.json.1"
    copy.write_bytes(path.read_bytes())
    os.truncate(path, 0)
    with path.open("ab") as stream:
        stream.write(b"".join(other))
    feeder.wait_for(lambda: len(feeder.store) == 23, "23 alerts")

    store = feeder.store
    # Every row of the truncated file is read back from the copy.
    assert [store.alert(index) for index in range(13)] == before
    assert [store.alert(index) for index in range(13, 23)] == file_alerts(path)
    assert store.row(0).file.path == str(copy)
    assert store.alert(2).line_source == f"{copy}:3"
    assert store.alert(13).line_source == ""


def test_rotated_line_labelled(tmp_path: Path, feed) -> None:
    path = tmp_path / "events.json"
    generated_file(path, 5)
    second_lines = lines_of(generated_file(tmp_path / "second.jsonl", 5, seed=8))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    os.rename(path, tmp_path / "events.json.1")
    path.write_bytes(b"".join(second_lines))
    feeder.wait_for(lambda: len(feeder.store) == 10, "10 alerts")

    store = feeder.store
    # Line 3 is no longer line 3 of the file at the path.
    label = build_content(raw_parts(store.alert(2))).plain
    assert f"Raw line ({path} before rotation, line 3)" in label
    assert store.alert(7).line_source == ""


def test_closed_line_file_reread_by_path(tmp_path: Path, feed, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "MAX_OPEN_LINE_FILES", 1)
    path = tmp_path / "events.json"
    generated_file(path, 5)
    first = file_alerts(path)
    second_lines = lines_of(generated_file(tmp_path / "second.jsonl", 5, seed=8))

    feeder = feed(IndexedFileSource(path))
    feeder.wait_for(lambda: is_following(feeder), "following")
    os.rename(path, tmp_path / "events.json.1")
    path.write_bytes(b"".join(second_lines))
    feeder.wait_for(lambda: len(feeder.store) == 10, "10 alerts")

    store = feeder.store
    # Only the newest file stays open. The rotated one is no longer at the
    # path, so its rows show the note; the open one reads as usual.
    assert not store.row(0).file.is_open
    assert store.alert(0).extra == {"note": UNREADABLE_NOTE}
    assert store.alert(0).rule == first[0].rule
    assert [store.alert(index) for index in range(5, 10)] == file_alerts(path)

    # Back at the path, the closed file is read by path again.
    os.rename(path, tmp_path / "events.json.2")
    os.rename(tmp_path / "events.json.1", path)
    assert store.alert(1) == first[1]
