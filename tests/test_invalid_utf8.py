"""Alerts whose lines have bytes that are not UTF-8 are kept on every path.

An attacker controls command lines and file names, so one such byte must not
hide an alert. Each invalid byte is read as U+FFFD and the alert is marked.
The summary, indexer, follower, standard input, gzip reader, export and scan
all count the same alerts.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import orjson
import pytest
from test_export import export_file
from test_index_columns import (
    assert_same_store,
    columns_as_rows,
    indexed_store,
    iter_rows_as_rows,
    reference_store,
)
from test_scan import NOW, assert_scan_equals_predicate
from test_scan import indexed_store as scan_store
from test_sources import Recorder

from tui.cli import main
from tui.parsing.alert import Alert, Skip
from tui.parsing.lines import decode_utf8
from tui.parsing.located import iter_rows
from tui.parsing.parser import INVALID_UTF8_KEY, parse_line
from tui.parsing.reader import iter_items
from tui.sources import FileSource, SourceState, StdinSource, history
from tui.storage import parallel_summary
from tui.storage.fast_summary import summarize_range
from tui.storage.parallel_summary import summarize_file
from tui.storage.query import parse
from tui.storage.scan import Scan
from tui.storage.store import AlertStore
from tui.storage.summary import Summary
from tui.widgets.detail import group_fields

STANDARD = {
    "hostname": "worker-01",
    "output": "17:20:00.000000000: Warning Shell spawned (proc.name=bash)",
    "output_fields": {"proc.name": "bash", "container.id": "host"},
    "priority": "Warning",
    "rule": "Terminal shell in container",
    "source": "syscall",
    "tags": ["shell"],
    "time": "2024-10-29T17:20:00.000000000Z",
}


def alert_bytes(number: int, placeholder: str = "", raw: bytes = b"") -> bytes:
    """Return one JSON alert line in which ``placeholder`` becomes ``raw``."""
    document = {
        **STANDARD,
        "output": f"{STANDARD['output']} {number} {placeholder}",
        "time": f"2024-10-29T17:{number:02d}:00.000000000Z",
    }
    line = orjson.dumps(document)
    return line.replace(placeholder.encode(), raw) if placeholder else line


# Lines that are alerts after decoding, and how many invalid bytes each has.
MIXED_LINES = [
    (alert_bytes(1), 0),
    (alert_bytes(2, "CAFE", b"caf\xe9 \xff"), 2),
    (alert_bytes(3) + b"\r", 0),
    (alert_bytes(4, "TRUNC", b"\xe2\x82 cut") + b"\r", 2),
    (b"\xff\xfe garbage that is no alert", None),
    (b"", None),
    (alert_bytes(5, "SURR", b"\xed\xa0\x80 surrogate"), 3),
    (b"Tue Oct 29 17:20:00 2024: Falco \xff initialized", None),
    (b"17:21:00.000000000: Warning Shell \xff spawned (user=root)", 1),
    (alert_bytes(6, "NUL", b"x") + b"\x00", 0),
    (alert_bytes(7, "TAIL", b"\xc3"), 1),
]

ALERTS = sum(1 for _, invalid in MIXED_LINES if invalid is not None)
REPAIRED = sum(1 for _, invalid in MIXED_LINES if invalid)


def mixed_data(repeat: int = 1) -> bytes:
    lines = [line for line, _ in MIXED_LINES] * repeat
    return b"\n".join(lines) + b"\n"


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(mixed_data())
    return path


def test_decode_utf8_one_mark_per_byte():
    text = decode_utf8(b"caf\xe9 \xff \xe2\x82")

    assert text == "caf\ufffd \ufffd \ufffd\ufffd"
    assert text.invalid_bytes == 4


def test_decode_utf8_valid_is_plain_str():
    text = decode_utf8("café".encode())

    assert text == "café"
    assert type(text) is str


def test_parse_marks_repaired_alert():
    text = decode_utf8(alert_bytes(2, "CAFE", b"caf\xe9 \xff"))

    [alert] = parse_line(text, "f", 2)

    assert isinstance(alert, Alert)
    assert alert.invalid_bytes == 2
    assert "caf\ufffd \ufffd" in alert.output
    assert alert.extra[INVALID_UTF8_KEY] == (
        "This line had 2 bytes that are not UTF-8, shown as U+FFFD."
    )


def test_detail_pane_shows_note():
    [alert] = parse_line(decode_utf8(alert_bytes(7, "TAIL", b"\xc3")), "f", 11)

    other = dict(group_fields(alert)["other"])

    assert other[INVALID_UTF8_KEY] == (
        "This line had 1 byte that is not UTF-8, shown as U+FFFD."
    )


def test_parse_clean_alert_unmarked():
    [alert] = parse_line(alert_bytes(1).decode(), "f", 1)

    assert isinstance(alert, Alert)
    assert alert.invalid_bytes == 0
    assert INVALID_UTF8_KEY not in alert.extra


def test_garbage_with_bad_bytes_stays_skipped():
    [skip] = parse_line(decode_utf8(b"\xff\xfe garbage that is no alert"), "f", 5)

    assert isinstance(skip, Skip)
    assert skip.reason != "invalid UTF-8"


def test_summary_paths_agree(mixed_file: Path, monkeypatch):
    rows = Summary()
    rows.add(iter_rows(mixed_file))
    fast = summarize_range(str(mixed_file))
    monkeypatch.setattr(parallel_summary, "PARALLEL_MIN_BYTES", 0)
    parallel = summarize_file(mixed_file, workers=2)

    expected = rows.to_dict()
    assert expected["alerts"] == ALERTS
    assert expected["with_invalid_utf8"] == REPAIRED
    assert "invalid UTF-8" not in expected["skipped_by_reason"]
    assert fast.to_dict() == expected
    assert parallel.to_dict() == expected


def test_summary_command_counts_repaired(mixed_file: Path, capsys):
    assert main(["summary", "--json", str(mixed_file)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["alerts"] == ALERTS
    assert figures["with_invalid_utf8"] == REPAIRED

    assert main(["summary", str(mixed_file)]) == 0
    text = capsys.readouterr().out
    assert f"with invalid UTF-8 (shown as U+FFFD): {REPAIRED}" in text


def test_indexer_equals_rows(mixed_file: Path):
    rows, skips, lines = columns_as_rows(mixed_file)
    expected_rows, expected_skips = iter_rows_as_rows(mixed_file)

    assert len(rows) == ALERTS
    assert rows == expected_rows
    assert skips == expected_skips
    assert lines == len(MIXED_LINES)


def test_indexer_workers_same(tmp_path: Path, monkeypatch):
    # Tiny parts send the file through the worker processes in many pieces.
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(history, "PART_BYTES", 2_000)
    monkeypatch.setattr(history, "TAIL_BYTES", 3_000)
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(mixed_data(repeat=20))

    store = indexed_store(path)

    assert len(store) == ALERTS * 20
    assert_same_store(store, reference_store(path))


def test_reread_marks_alert(mixed_file: Path):
    store = AlertStore()
    store.add(iter_rows(mixed_file))

    marks = [store.alert(index).invalid_bytes for index in range(len(store))]

    assert marks == [invalid for _, invalid in MIXED_LINES if invalid is not None]
    assert "invalid UTF-8" not in store.skipped


def test_follower_keeps_repaired_alerts(mixed_file: Path):
    source = FileSource(mixed_file)
    recorder = Recorder()
    source.start(recorder.on_items, recorder.on_status)
    try:
        recorder.wait_for_rules(ALERTS)
        recorder.wait_for_state(SourceState.FOLLOWING)
        with open(mixed_file, "ab") as stream:
            stream.write(alert_bytes(8, "LIVE", b"live \xff\xfe") + b"\n")
        recorder.wait_for_rules(ALERTS + 1)
    finally:
        source.stop()

    marks = [alert.invalid_bytes for alert in recorder.alerts]
    expected = [invalid for _, invalid in MIXED_LINES if invalid is not None]
    assert marks == [*expected, 2]
    skipped = [item for item in recorder.items if isinstance(item, Skip)]
    assert all(skip.reason != "invalid UTF-8" for skip in skipped)


def test_stdin_keeps_repaired_alerts():
    source = StdinSource(io.BytesIO(mixed_data()))
    recorder = Recorder()
    source.start(recorder.on_items, recorder.on_status)
    try:
        recorder.wait_for_state(SourceState.ENDED)
    finally:
        source.stop()

    assert len(recorder.alerts) == ALERTS
    assert sum(1 for alert in recorder.alerts if alert.invalid_bytes) == REPAIRED


def test_gzip_keeps_repaired_alerts(tmp_path: Path):
    path = tmp_path / "mixed.jsonl.gz"
    path.write_bytes(gzip.compress(mixed_data()))

    alerts = [item for item in iter_items(str(path)) if isinstance(item, Alert)]

    assert len(alerts) == ALERTS
    assert sum(1 for alert in alerts if alert.invalid_bytes) == REPAIRED


def test_export_copies_original_bytes(mixed_file: Path):
    exported, counts = export_file(mixed_file)

    # The plain-text alert is left out, and the NUL byte is not part of the
    # JSON alert, so that line is written from its decoded text.
    json_lines = [
        line
        for line, invalid in MIXED_LINES
        if invalid is not None and line.startswith(b"{")
    ]
    expected = [line.replace(b"\x00", b"") for line in json_lines]
    assert exported == b"\n".join(expected) + b"\n"
    assert counts.written == len(json_lines)
    assert counts.text == 1


# Needles found only in the note on the invalid bytes, or only in the
# decoded text, never in the raw line.
NOTE_FILTERS = ("u+fffd", "shown", "not utf-8", "\ufffd", "caf", "-shown")


def test_scan_equals_predicate(mixed_file: Path):
    store = scan_store(mixed_file)

    assert len(store) == ALERTS
    assert_scan_equals_predicate(store, "mixed")
    everything = range(len(store))
    for text in NOTE_FILTERS:
        query = parse(text, now=NOW)
        expected = [i for i in everything if query.predicate(store.alert(i))]
        assert Scan(store, query).select(everything) == expected, text
