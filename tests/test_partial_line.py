"""An alert left without its newline at the end of a file is not held back."""

from __future__ import annotations

from pathlib import Path

import orjson
from test_sources import alert_line, alert_lines, append, expected_rules, started

from tui.parsing.alert import Skip
from tui.parsing.lines import LineSplitter
from tui.sources.tail import FileSource

__all__ = ["started"]


def test_splitter_releases_whole_json():
    splitter = LineSplitter("test")
    line = alert_line(1)
    assert splitter.feed(line.encode()) == []

    released = splitter.release_pending_json()

    assert released == [(1, line)]
    assert splitter.buffered_bytes == 0
    assert splitter.line_no == 2


def test_splitter_keeps_partial_json():
    splitter = LineSplitter("test")
    line = alert_line(1)
    splitter.feed(line[:-5].encode())

    assert splitter.release_pending_json() == []
    assert splitter.buffered_bytes == len(line) - 5


def test_splitter_keeps_text_line():
    splitter = LineSplitter("test")
    splitter.feed(b"12:00:00.000000000: Warning A shell was spawned")

    assert splitter.release_pending_json() == []


def test_splitter_drops_late_newline():
    splitter = LineSplitter("test")
    splitter.feed(alert_line(1).encode())
    splitter.release_pending_json()

    lines = splitter.feed(b"\n" + alert_line(2).encode() + b"\n")

    assert lines == [(2, alert_line(2))]


def test_file_last_alert_without_newline(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)) + alert_line(3))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(3)

    assert recorder.rules == expected_rules(range(1, 4))
    assert recorder.alerts[2].line_no == 3


def test_file_late_newline_adds_no_skip(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_line(1))
    recorder = started(FileSource(path))
    recorder.wait_for_rules(1)

    append(path, "\n" + alert_line(2) + "\n")
    recorder.wait_for_rules(2)

    skips = [item for item in recorder.items if isinstance(item, Skip)]
    assert recorder.rules == expected_rules(range(1, 3))
    assert skips == []
    assert orjson.loads(recorder.alerts[1].raw)["rule"] == "Test rule 2"


def test_empty_folder_says_nothing_matched(tmp_path: Path, started) -> None:
    from tui.sources.base import SourceState
    from tui.sources.tail import DirectorySource

    (tmp_path / "notes.txt").write_text("not an alert file\n")
    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_state(SourceState.WAITING)

    assert "No file in" in recorder.messages()[-1]

    append(tmp_path / "events.json", alert_lines(range(1, 2)))
    recorder.wait_for_rules(1)
    recorder.wait_for_state(SourceState.FOLLOWING)
