"""Tests for the sources, on real files, real pipes and the real watchfiles watcher."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import orjson
import pytest

from tui.parsing.alert import Alert, Skip
from tui.parsing.reader import iter_items
from tui.sources import (
    DemoSource,
    DirectorySource,
    FileSource,
    Source,
    SourceState,
    SourceStatus,
    StdinSource,
    expand_file_paths,
    first_existing_default,
    make_sources,
    sample_alerts_dir,
)
from tui.sources import files as files_module
from tui.sources import tail as tail_module
from tui.sources.base import MAX_BATCH_ITEMS

TIMEOUT = 10.0


def alert_line(number: int) -> str:
    """Return one JSON alert line (without newline) whose rule names ``number``."""
    document = {
        "hostname": "node-1",
        "output": f"2026-04-06T19:32:23.000000000+0000: Warning test alert {number}",
        "output_fields": {"proc.name": "bash", "evt.num": number},
        "priority": "Warning",
        "rule": f"Test rule {number}",
        "source": "syscall",
        "tags": ["test"],
        "time": "2026-04-06T19:32:23.000000000Z",
    }
    return orjson.dumps(document).decode()


def alert_lines(numbers: range) -> str:
    return "".join(alert_line(number) + "\n" for number in numbers)


class Recorder:
    """Collect callbacks from a source and wait for conditions on them."""

    def __init__(self) -> None:
        self.batches: list[list[Alert | Skip]] = []
        self.statuses: list[SourceStatus] = []
        self._lock = threading.Lock()

    def on_items(self, source: Source, items: list[Alert | Skip]) -> None:
        with self._lock:
            self.batches.append(list(items))

    def on_status(self, source: Source, status: SourceStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    @property
    def items(self) -> list[Alert | Skip]:
        with self._lock:
            return [item for batch in self.batches for item in batch]

    @property
    def alerts(self) -> list[Alert]:
        return [item for item in self.items if isinstance(item, Alert)]

    @property
    def rules(self) -> list[str]:
        return [alert.rule for alert in self.alerts]

    @property
    def state(self) -> SourceState | None:
        with self._lock:
            return self.statuses[-1].state if self.statuses else None

    def messages(self) -> list[str]:
        with self._lock:
            return [status.message for status in self.statuses]

    def wait_for(self, condition: Callable[[], bool], description: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        pytest.fail(
            f"timed out after {TIMEOUT}s waiting for {description}; rules={self.rules} "
            f"statuses={self.statuses}"
        )

    def wait_for_rules(self, count: int) -> None:
        self.wait_for(lambda: len(self.alerts) >= count, f"{count} alerts")

    def wait_for_state(self, state: SourceState) -> None:
        self.wait_for(lambda: self.state == state, f"state {state}")


@pytest.fixture
def started() -> Callable[[Source], Recorder]:
    """Start sources with a recorder and stop them all after the test."""
    sources: list[Source] = []

    def start(source: Source) -> Recorder:
        recorder = Recorder()
        sources.append(source)
        source.start(recorder.on_items, recorder.on_status)
        return recorder

    yield start

    for source in sources:
        source.stop()


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)


def expected_rules(numbers: range) -> list[str]:
    return [f"Test rule {number}" for number in numbers]


# File tail


def test_file_history_then_appends(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(3)
    recorder.wait_for_state(SourceState.FOLLOWING)

    append(path, alert_lines(range(4, 6)))
    recorder.wait_for_rules(5)
    append(path, alert_lines(range(6, 7)))
    recorder.wait_for_rules(6)

    assert recorder.rules == expected_rules(range(1, 7))
    assert [alert.line_no for alert in recorder.alerts] == list(range(1, 7))
    assert all(alert.origin == str(path) for alert in recorder.alerts)
    # Progress reports repeat the history state, so runs of one state count once.
    states = [state for state, _ in groupby(s.state for s in recorder.statuses)]
    assert states[:2] == [SourceState.READING_HISTORY, SourceState.FOLLOWING]


def test_file_status_counts_alerts(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)) + "not an alert\n")
    source = FileSource(path)

    recorder = started(source)
    recorder.wait_for_state(SourceState.FOLLOWING)

    assert source.status.alerts == 2
    assert source.status.skipped == 1
    assert recorder.statuses[-1].alerts == 2


def test_file_partial_line_arrives_once(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text("")
    line = alert_line(1)
    half = len(line) // 2

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.FOLLOWING)

    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line[:half])
        stream.flush()
        # Give the watcher time to wake on the first half before the rest.
        time.sleep(0.5)
        stream.write(line[half:] + "\n")
    recorder.wait_for_rules(1)
    append(path, alert_lines(range(2, 3)))
    recorder.wait_for_rules(2)

    assert recorder.rules == expected_rules(range(1, 3))
    assert recorder.alerts[0].raw == line
    assert [item for item in recorder.items if isinstance(item, Skip)] == []


def test_file_partial_history_line_kept(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    line = alert_line(2)
    path.write_text(alert_line(1) + "\n" + line[:10])

    recorder = started(FileSource(path))
    recorder.wait_for_rules(1)
    recorder.wait_for_state(SourceState.FOLLOWING)
    append(path, line[10:] + "\n")
    recorder.wait_for_rules(2)

    assert recorder.rules == expected_rules(range(1, 3))
    assert recorder.alerts[1].raw == line


def test_file_truncation_rereads(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(3)

    path.write_text(alert_lines(range(10, 11)))
    recorder.wait_for_rules(4)

    assert recorder.rules == expected_rules(range(1, 4)) + ["Test rule 10"]
    assert recorder.alerts[-1].line_no == 1
    assert any("truncated" in message for message in recorder.messages())


def test_file_rename_rotation(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))
    rotated = tmp_path / "events.json.1"

    recorder = started(FileSource(path))
    recorder.wait_for_rules(2)

    # A writer that keeps the file open goes on appending after the rename
    # until it reopens the path, and that tail must not be lost.
    with open(path, "a", encoding="utf-8") as writer:
        os.rename(path, rotated)
        writer.write(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)
    path.write_text(alert_lines(range(4, 6)))
    recorder.wait_for_rules(5)

    assert recorder.rules == expected_rules(range(1, 6))
    assert [alert.line_no for alert in recorder.alerts] == [1, 2, 3, 1, 2]
    assert any("rotated" in message for message in recorder.messages())


def test_file_delete_and_recreate(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(2)

    path.unlink()
    recorder.wait_for_state(SourceState.WAITING)
    path.write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)

    assert recorder.rules == expected_rules(range(1, 4))
    assert recorder.state == SourceState.FOLLOWING


def test_file_rotated_partial_line_flushed(
    tmp_path: Path, started, monkeypatch
) -> None:
    # The old file's partial line is given up once the file stays quiet.
    monkeypatch.setattr(tail_module, "DRAIN_IDLE_SECONDS", 0.3)
    path = tmp_path / "events.json"
    path.write_text(alert_line(1) + "\n" + alert_line(2))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(1)
    recorder.wait_for_state(SourceState.FOLLOWING)

    os.rename(path, tmp_path / "old.json.1")
    path.write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)

    # The new file is read before the old one is given up, so order differs.
    assert sorted(recorder.rules) == expected_rules(range(1, 4))


def test_file_created_after_start(tmp_path: Path, started) -> None:
    path = tmp_path / "later.json"

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.WAITING)
    path.write_text(alert_lines(range(1, 3)))
    recorder.wait_for_rules(2)

    assert recorder.rules == expected_rules(range(1, 3))
    assert recorder.state == SourceState.FOLLOWING
    assert str(path) in recorder.messages()[0]


def test_file_in_missing_folder(tmp_path: Path, started) -> None:
    path = tmp_path / "not-yet" / "events.json"

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.WAITING)
    path.parent.mkdir()
    path.write_text(alert_lines(range(1, 2)))
    recorder.wait_for_rules(1)

    assert recorder.rules == expected_rules(range(1, 2))


def test_file_poll_mode(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))

    recorder = started(FileSource(path, poll=True))
    recorder.wait_for_rules(1)
    append(path, alert_lines(range(2, 4)))
    recorder.wait_for_rules(3)

    assert recorder.rules == expected_rules(range(1, 4))


def test_file_path_is_folder_error(tmp_path: Path, started) -> None:
    # Tests run as root, where chmod 000 does not block reads, so a folder in
    # place of the file exercises the error path and its recovery.
    path = tmp_path / "events.json"
    path.mkdir()

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.ERROR)
    error = recorder.statuses[-1].message
    path.rmdir()
    path.write_text(alert_lines(range(1, 2)))
    recorder.wait_for_rules(1)

    assert str(path) in error
    assert "folder" in error
    assert recorder.state == SourceState.FOLLOWING


def test_file_flood_is_batched(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2501)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(2500)

    assert recorder.rules == expected_rules(range(1, 2501))
    assert max(len(batch) for batch in recorder.batches) <= MAX_BATCH_ITEMS
    assert len(recorder.batches) < 100


def test_file_stop_is_prompt(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))
    source = FileSource(path)
    recorder = Recorder()
    source.start(recorder.on_items, recorder.on_status)
    recorder.wait_for_state(SourceState.FOLLOWING)

    started_at = time.monotonic()
    source.stop()
    elapsed = time.monotonic() - started_at

    assert elapsed < 1.5
    assert not source._thread.is_alive()


def test_file_matches_whole_file_reader(events_dir: Path, started) -> None:
    # A real captured stream (startup log lines, then JSON alerts) followed by
    # the tail gives the same items as reading the file in one go, except an
    # unterminated last line, which the tail keeps until its newline arrives.
    path = events_dir / "streams" / "falco-0.43.0_startup_logs_then_json.log"
    data = path.read_bytes()
    last_line_no = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    expected = list(iter_items(path))
    if not data.endswith(b"\n"):
        expected = [item for item in expected if item.line_no != last_line_no]

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.FOLLOWING)

    assert len(recorder.alerts) > 0
    assert recorder.items == expected


def test_file_utf16_capture(events_dir: Path, started) -> None:
    path = events_dir / "streams" / "utf16le_bom_windows_redirect.log"
    expected = [item for item in iter_items(path) if isinstance(item, Alert)]

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.FOLLOWING)

    assert len(expected) == 3
    assert [alert.rule for alert in recorder.alerts] == [
        alert.rule for alert in expected
    ]


# Folder


def test_folder_follows_new_files(tmp_path: Path, started) -> None:
    (tmp_path / "a.json").write_text(alert_lines(range(1, 3)))
    (tmp_path / "b.log").write_text(alert_lines(range(3, 4)))
    (tmp_path / "ignored.txt").write_text(alert_lines(range(90, 91)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(3)
    recorder.wait_for_state(SourceState.FOLLOWING)
    (tmp_path / "c.jsonl").write_text(alert_lines(range(4, 5)))
    recorder.wait_for_rules(4)
    append(tmp_path / "a.json", alert_lines(range(5, 6)))
    recorder.wait_for_rules(5)

    assert recorder.rules == expected_rules(range(1, 6))
    origins = {alert.origin for alert in recorder.alerts}
    assert origins == {str(tmp_path / name) for name in ("a.json", "b.log", "c.jsonl")}


def test_folder_rename_not_reread(tmp_path: Path, started) -> None:
    (tmp_path / "a.json").write_text(alert_lines(range(1, 3)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(2)
    os.rename(tmp_path / "a.json", tmp_path / "b.json")
    append(tmp_path / "b.json", alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)
    (tmp_path / "c.json").write_text(alert_lines(range(4, 5)))
    recorder.wait_for_rules(4)

    assert recorder.rules == expected_rules(range(1, 5))


def test_folder_file_deleted_and_recreated(tmp_path: Path, started) -> None:
    (tmp_path / "a.json").write_text(alert_lines(range(1, 3)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(2)
    (tmp_path / "a.json").unlink()
    recorder.wait_for(
        lambda: recorder.statuses[-1].message.startswith("No file in"),
        "the deleted file to be dropped",
    )
    (tmp_path / "a.json").write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)

    assert recorder.rules == expected_rules(range(1, 4))
    assert recorder.alerts[-1].line_no == 1


def test_folder_created_after_start(tmp_path: Path, started) -> None:
    folder = tmp_path / "falco"

    recorder = started(DirectorySource(folder))
    recorder.wait_for_state(SourceState.WAITING)
    folder.mkdir()
    (folder / "events.json").write_text(alert_lines(range(1, 2)))
    recorder.wait_for_rules(1)

    assert recorder.rules == expected_rules(range(1, 2))


def test_folder_glob_pattern(tmp_path: Path, started) -> None:
    (tmp_path / "events.json").write_text(alert_lines(range(1, 2)))
    (tmp_path / "other.json").write_text(alert_lines(range(90, 91)))

    recorder = started(DirectorySource(tmp_path, patterns=("events*.json",)))
    recorder.wait_for_rules(1)
    (tmp_path / "events-2.json").write_text(alert_lines(range(2, 3)))
    recorder.wait_for_rules(2)

    assert sorted(recorder.rules) == expected_rules(range(1, 3))


# Standard input


def test_stdin_pipe_ends(started) -> None:
    read_fd, write_fd = os.pipe()
    text = alert_lines(range(1, 3)) + alert_line(3)

    with os.fdopen(read_fd, "rb", buffering=0) as stream:
        recorder = started(StdinSource(stream))
        os.write(write_fd, text.encode())
        os.close(write_fd)
        recorder.wait_for_state(SourceState.ENDED)

    assert recorder.rules == expected_rules(range(1, 4))
    assert all(alert.origin == "-" for alert in recorder.alerts)


def test_stdin_stop_while_quiet(started) -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb", buffering=0) as stream:
        source = StdinSource(stream)
        recorder = started(source)
        os.write(write_fd, alert_lines(range(1, 2)).encode())
        recorder.wait_for_rules(1)

        started_at = time.monotonic()
        source.stop()
        elapsed = time.monotonic() - started_at

    os.close(write_fd)
    assert elapsed < 1.5
    assert recorder.state == SourceState.FOLLOWING


def test_stdin_moved_fd_owned(started) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, alert_lines(range(1, 3)).encode())
    os.close(write_fd)

    [source] = make_sources(["-", "-"], stdin_fd=read_fd)
    recorder = started(source)
    recorder.wait_for_state(SourceState.ENDED)

    assert recorder.rules == expected_rules(range(1, 3))
    with pytest.raises(OSError):
        os.fstat(read_fd)


def test_stdin_in_memory_stream(started) -> None:
    stream = io.BytesIO(alert_lines(range(1, 3)).encode())

    recorder = started(StdinSource(stream))
    recorder.wait_for_state(SourceState.ENDED)

    assert recorder.rules == expected_rules(range(1, 3))


def test_named_pipe_source(tmp_path: Path, started) -> None:
    fifo = tmp_path / "alerts.fifo"
    os.mkfifo(fifo)

    [source] = make_sources([str(fifo)])
    recorder = started(source)
    with open(fifo, "w", encoding="utf-8") as writer:
        writer.write(alert_lines(range(1, 3)))
    recorder.wait_for_state(SourceState.ENDED)

    assert isinstance(source, StdinSource)
    assert recorder.rules == expected_rules(range(1, 3))
    assert recorder.alerts[0].origin == str(fifo)


# Path expansion


def test_make_sources_kinds(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("")
    folder = tmp_path / "logs"
    folder.mkdir()

    sources = make_sources(
        [
            str(tmp_path / "a.json"),
            str(folder),
            str(tmp_path / "missing.json"),
            str(tmp_path / "*.jsonl"),
            str(tmp_path / "a.json"),
        ]
    )

    assert [type(source).__name__ for source in sources] == [
        "FileSource",
        "DirectorySource",
        "FileSource",
        "DirectorySource",
    ]
    assert sources[2].path == tmp_path / "missing.json"
    assert sources[3].patterns == ("*.jsonl",)
    assert sources[3].folder == tmp_path


def test_make_sources_stdin_once() -> None:
    sources = make_sources(["-", "-"])
    for source in sources:
        source.stop()

    assert len(sources) == 1
    assert sources[0].label == "stdin"


def test_make_sources_nested_glob(tmp_path: Path) -> None:
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "events.json").write_text("")

    sources = make_sources([str(tmp_path / "*" / "events.json")])

    assert [source.label for source in sources] == [
        str(tmp_path / "a" / "events.json"),
        str(tmp_path / "b" / "events.json"),
    ]


def test_make_sources_poll_passed(tmp_path: Path) -> None:
    [source] = make_sources([str(tmp_path / "x.json")], poll=True)

    assert source.poll is True


def test_expand_file_paths(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "b.json").write_text("")
    (folder / "a.log").write_text("")
    (folder / "notes.txt").write_text("")
    (tmp_path / "x.jsonl").write_text("")

    paths = expand_file_paths(
        ["-", str(folder), str(tmp_path / "*.jsonl"), str(tmp_path / "gone.json")]
    )

    assert paths == [
        "-",
        str(folder / "a.log"),
        str(folder / "b.json"),
        str(tmp_path / "x.jsonl"),
        str(tmp_path / "gone.json"),
    ]


def test_expand_file_paths_dedupes(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("")

    paths = expand_file_paths([str(tmp_path / "a.json"), str(tmp_path)])

    assert paths == [str(tmp_path / "a.json")]


def test_expand_file_paths_unmatched_glob(tmp_path: Path) -> None:
    pattern = str(tmp_path / "*.json")

    assert expand_file_paths([pattern]) == [pattern]


def test_first_existing_default(tmp_path: Path, monkeypatch) -> None:
    present = tmp_path / "falco.json"
    present.write_text("")
    candidates = (tmp_path / "events.json", present)
    monkeypatch.setattr(files_module, "DEFAULT_PATHS", candidates)

    assert first_existing_default() == present

    monkeypatch.setattr(files_module, "DEFAULT_PATHS", (tmp_path / "none.json",))
    assert first_existing_default() is None


# Demo replay


def test_demo_burst_then_pace(tmp_path: Path, started) -> None:
    path = tmp_path / "sample.jsonl"
    path.write_text(alert_lines(range(1, 26)))

    recorder = started(DemoSource([path], rate=100.0, seed=1))
    recorder.wait_for_state(SourceState.ENDED)

    first_batch = [item for item in recorder.batches[0] if isinstance(item, Alert)]
    assert len(first_batch) == 20
    assert len(recorder.batches) == 6
    assert recorder.rules == expected_rules(range(1, 26))
    assert recorder.statuses[-1].message == "demo replay finished"


def test_demo_stop_during_replay(tmp_path: Path) -> None:
    path = tmp_path / "sample.jsonl"
    path.write_text(alert_lines(range(1, 40)))
    source = DemoSource([path], rate=0.5)
    recorder = Recorder()
    source.start(recorder.on_items, recorder.on_status)
    recorder.wait_for_rules(20)

    started_at = time.monotonic()
    source.stop()

    assert time.monotonic() - started_at < 1.5
    assert recorder.state == SourceState.FOLLOWING


def test_demo_missing_file_error(tmp_path: Path, started) -> None:
    path = tmp_path / "missing.jsonl"

    recorder = started(DemoSource([path]))
    recorder.wait_for_state(SourceState.ERROR)

    assert str(path) in recorder.statuses[-1].message


def test_demo_rejects_zero_rate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rate"):
        DemoSource([tmp_path / "x.jsonl"], rate=0)


def test_sample_alerts_dir_in_checkout() -> None:
    repo_root = Path(__file__).resolve().parents[1]

    assert sample_alerts_dir() == repo_root / "sample_alerts"
