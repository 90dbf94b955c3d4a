"""A last line without its newline: held while it may grow, then counted."""

from __future__ import annotations

import random
import re
import signal
import subprocess
from pathlib import Path

import orjson
from test_sources import alert_line, alert_lines, append, expected_rules, started
from test_tail import COMMAND, TIMEOUT, running

from tui.parsing.alert import Skip
from tui.parsing.lines import LineSplitter, LocatedText
from tui.sources.history import IndexedFileSource
from tui.sources.tail import FileSource

__all__ = ["running", "started"]


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


def test_splitter_releases_text_line():
    splitter = LineSplitter("test", offsets=True)
    splitter.feed(b"first\nsecond")

    released = splitter.release_pending_line()
    later = splitter.feed(b"\nthird\n")

    assert released == [LocatedText(2, "second", 6, 6, None)]
    assert later == [LocatedText(3, "third", 13, 5, None)]
    assert splitter.continued_lines == 0


def test_splitter_released_line_goes_on():
    # A writer paused mid-alert: the first part is released, then the line
    # goes on, and the whole alert comes out under the same number.
    splitter = LineSplitter("test", offsets=True)
    line = alert_line(1)
    splitter.feed(line[:30].encode())

    released = splitter.release_pending_line()
    later = splitter.feed(line[30:].encode() + b"\n")

    assert released == [LocatedText(1, line[:30], 0, 30, None)]
    assert later == [LocatedText(1, line, 0, len(line), None)]
    assert splitter.continued_lines == 1
    assert splitter.line_no == 2


def test_splitter_released_line_not_flushed_again():
    splitter = LineSplitter("test")
    splitter.feed(b"\x7fELF\x01\x02")

    released = splitter.release_pending_line()

    assert released == [(1, "\x7fELF\x01\x02")]
    assert splitter.buffered_bytes == 0
    assert splitter.release_pending_line() == []
    assert splitter.flush() == []


def test_splitter_releases_whole_json_for_good():
    splitter = LineSplitter("test")
    splitter.feed(alert_line(1).encode())

    released = splitter.release_pending_line()
    later = splitter.feed(b"garbage\n")

    assert released == [(1, alert_line(1))]
    assert later == [(2, "garbage")]
    assert splitter.continued_lines == 0


def test_splitter_releases_bom_prefix():
    # Two bytes that could start a UTF-8 BOM, and nothing after them.
    splitter = LineSplitter("test")
    splitter.feed(b"\xef\xbb")

    released = splitter.release_pending_line()

    assert released == [(1, "\ufffd\ufffd")]
    assert splitter.has_pending_line is False


def test_splitter_utf16_release_drops_late_newline():
    splitter = LineSplitter("test")
    splitter.feed("\ufeffone\ntwo".encode("utf-16-le"))

    released = splitter.release_pending_line()
    later = splitter.feed("\r\nthree\n".encode("utf-16-le"))

    assert released == [(2, "two")]
    assert later == [(3, "three")]


def test_file_nul_run_counted_when_idle(tmp_path: Path, started) -> None:
    # NUL bytes are dropped, not buffered, yet summary counts a last line of
    # them as NUL padding.
    path = tmp_path / "events.json"
    path.write_bytes(alert_lines(range(1, 2)).encode() + bytes(100))
    source = FileSource(path)
    recorder = started(source)

    recorder.wait_for(
        lambda: (
            [skip.reason for skip in recorder.items if isinstance(skip, Skip)]
            == ["NUL padding"]
        ),
        "the NUL run to be counted",
    )

    assert summary_counts(path) == (1, 1)
    assert (source.status.alerts, source.status.skipped) == (1, 1)


def unfinished_files(folder: Path) -> list[Path]:
    """Write a binary file and an alert file, each without a final newline."""
    garbage = random.Random(7).randbytes(6000)
    binary = folder / "core.bin"
    binary.write_bytes(b"\x7fELF" + garbage.rstrip(b"\n") + b"\x00\x01tail")
    alerts = folder / "events.json"
    alerts.write_text(alert_lines(range(1, 4)) + "not an alert\n" + alert_line(4))
    return [binary, alerts]


def summary_counts(path: Path) -> tuple[int, int]:
    """Return the alerts and skipped lines ``falco-tui summary --json`` counts."""
    result = subprocess.run(
        [str(COMMAND), "summary", "--json", str(path)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    document = orjson.loads(result.stdout)
    return document["alerts"], document["skipped"]


def tail_counts(errors: str) -> tuple[int, int]:
    """Return the alerts and skipped lines of ``falco-tui tail``'s last message."""
    match = re.search(r"(\d+) alerts?, (\d+) lines? skipped", errors)
    assert match is not None, errors
    return int(match[1]), int(match[2])


def test_unfinished_last_line_counts_agree(tmp_path: Path, started, running):
    binary, alerts = unfinished_files(tmp_path)
    expected = {path: summary_counts(path) for path in (binary, alerts)}

    # The last line is counted once the file has stayed unchanged.
    for path in (binary, alerts):
        source = IndexedFileSource(path)
        recorder = started(source)
        recorder.wait_for(
            lambda source=source, path=path: (
                (source.status.alerts, source.status.skipped) == expected[path]
            ),
            f"the counts of summary, {expected[path]}",
        )
        pending = [
            message for message in recorder.messages() if "no newline" in message
        ]
        assert pending, recorder.messages()
        assert recorder.messages()[-1] == f"Following {path}."

    # tail prints the fourth alert only once its line is counted.
    tail = running("--json", str(alerts))
    printed = tail.read_lines(4)
    status, errors = tail.interrupt(signal.SIGTERM)

    assert expected[alerts] == (4, 1)
    assert [orjson.loads(line)["line_no"] for line in printed] == [1, 2, 3, 5]
    assert status == 0
    assert tail_counts(errors) == expected[alerts]


def test_unfinished_line_counted_at_stop(tmp_path: Path, running):
    binary, _alerts = unfinished_files(tmp_path)
    expected = summary_counts(binary)

    # Stopped while the line is pending: it is counted as reading ends.
    tail = running("--json", str(binary))
    assert tail.process.stderr is not None
    for line in tail.process.stderr:
        if "no newline yet" in line:
            break
    status, errors = tail.interrupt(signal.SIGTERM)

    assert status == 0
    assert tail_counts(errors) == expected
