"""Sources that deliver compact rows: folders, several files, standard input.

Each test reads real files, real folders or real pipes into a real store.
It checks that the store keeps rows that point at the bytes on disk instead
of whole alerts, and that opening a row gives back the alert its line holds.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tui.parsing.alert import Alert
from tui.parsing.linefile import LineFile
from tui.parsing.located import AlertRow
from tui.parsing.parser import parse_line
from tui.sources import (
    DirectorySource,
    FileSource,
    Source,
    SourceState,
    SourceStatus,
    StdinSource,
    make_sources,
)
from tui.sources.stdin import SPOOL_PREFIX
from tui.storage.blocks import iter_alerts
from tui.storage.export import export_rows, stored_rows
from tui.storage.query import parse
from tui.storage.reread import UNREADABLE_NOTE
from tui.storage.store import MAX_OPEN_LINE_FILES, AlertStore

TIMEOUT = 10.0

PRIORITIES = ("Warning", "Critical", "Notice")


def alert_line(number: int) -> str:
    """Return one JSON alert line (without newline) that names ``number``."""
    document = {
        "hostname": f"node-{number % 3}",
        "output": f"2026-04-06T19:32:23.000000000+0000: test alert {number}",
        "output_fields": {
            "proc.name": "bash",
            "evt.num": number,
            "fd.name": f"/etc/file-{number}",
        },
        "priority": PRIORITIES[number % 3],
        "rule": f"Test rule {number % 5}",
        "source": "syscall",
        "tags": ["test"],
        "time": f"2026-04-06T19:32:{number % 60:02d}.{number:09d}Z",
    }
    return orjson.dumps(document).decode()


def write_alerts(path: Path, numbers: range) -> list[str]:
    """Write one alert line per number to ``path``; return the lines."""
    lines = [alert_line(number) for number in numbers]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return lines


class StoreRecorder:
    """Add a source's items to a real store and record its statuses."""

    def __init__(self) -> None:
        self.store = AlertStore()
        self.states: list[SourceState] = []
        self.lock = threading.Lock()

    def on_items(self, _source: Source, items: list) -> None:
        with self.lock:
            self.store.add(items)

    def on_status(self, _source: Source, status: SourceStatus) -> None:
        with self.lock:
            self.states.append(status.state)

    def wait_for(self, condition: Callable[[], bool], description: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self.lock:
                if condition():
                    return
            time.sleep(0.02)
        pytest.fail(f"timed out after {TIMEOUT}s waiting for {description}")

    def wait_for_alerts(self, count: int) -> None:
        self.wait_for(lambda: len(self.store) >= count, f"{count} alerts")


@pytest.fixture
def recorded() -> Callable[[list[Source]], StoreRecorder]:
    """Start sources into one store and stop them after the test."""
    started: list[Source] = []

    def start(sources: list[Source]) -> StoreRecorder:
        recorder = StoreRecorder()
        for source in sources:
            started.append(source)
            source.start(recorder.on_items, recorder.on_status)
        return recorder

    yield start

    for source in started:
        source.stop()


def expected_alert(line: str, origin: str, line_no: int) -> Alert:
    [alert] = parse_line(line, origin, line_no)
    return alert


def stored_rows_of(store: AlertStore) -> list[AlertRow]:
    return [store.row(index) for index in range(len(store))]


def alerts_by_origin(store: AlertStore) -> dict[tuple[str, int], Alert]:
    """Open every stored alert; key each by its origin and line number."""
    return {
        (alert.origin, alert.line_no): alert
        for alert in (store.alert(index) for index in range(len(store)))
    }


def spool_descriptors(folder: Path) -> list[str]:
    """Return the targets of this process's descriptors on spool files."""
    targets = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith(str(folder / SPOOL_PREFIX)):
            targets.append(target)
    return targets


# A folder of files


def test_folder_stores_offset_rows(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    written = {
        folder / f"part{part}.json": write_alerts(
            folder / f"part{part}.json", range(part * 100, part * 100 + 40)
        )
        for part in range(3)
    }

    [source] = make_sources([str(folder)], rows=True)
    recorder = recorded([source])
    recorder.wait_for_alerts(120)

    store = recorder.store
    assert isinstance(source, DirectorySource)
    assert store._resident == {}
    assert store._raw == {}
    rows = stored_rows_of(store)
    assert all(isinstance(row.file, LineFile) for row in rows)
    assert all(row.offset >= 0 for row in rows)
    assert [store.number(index) for index in range(len(store))] == list(range(1, 121))
    opened = alerts_by_origin(store)
    for path, lines in written.items():
        for line_no, line in enumerate(lines, start=1):
            alert = opened[(str(path), line_no)]
            assert alert == expected_alert(line, str(path), line_no)
            assert alert.extra == {}


def test_folder_followed_appends_stored_as_rows(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    path = folder / "events.json"
    write_alerts(path, range(1, 4))

    recorder = recorded([DirectorySource(folder, rows=True)])
    recorder.wait_for_alerts(3)
    appended = alert_line(99)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(appended + "\n")
    recorder.wait_for_alerts(4)

    store = recorder.store
    assert store.row(3).raw is None
    assert store.row(3).offset > 0
    assert store.alert(3) == expected_alert(appended, str(path), 4)


def test_folder_gzip_rows_keep_text(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [alert_line(number) for number in range(1, 6)]
    compressed = folder / "events.json.1.gz"
    with gzip.open(compressed, "wt", encoding="utf-8") as stream:
        stream.write("".join(line + "\n" for line in lines))

    recorder = recorded([DirectorySource(folder, rows=True)])
    recorder.wait_for_alerts(5)

    store = recorder.store
    assert store._resident == {}
    assert [store.row(index).raw for index in range(5)] == lines
    assert store.alert(2) == expected_alert(lines[2], str(compressed), 3)


def test_folder_many_files_beyond_open_cap(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    count = MAX_OPEN_LINE_FILES + 3
    written = [
        write_alerts(folder / f"part{part:02d}.json", range(part * 10, part * 10 + 5))
        for part in range(count)
    ]

    recorder = recorded([DirectorySource(folder, rows=True)])
    recorder.wait_for_alerts(5 * count)

    store = recorder.store
    files = {row.origin: row.file for row in stored_rows_of(store)}
    closed = [origin for origin, file in files.items() if not file.is_open]
    assert len(closed) == 3
    # A closed file is read by its path, which still names the same file.
    opened = alerts_by_origin(store)
    for part, lines in enumerate(written):
        origin = str(folder / f"part{part:02d}.json")
        for line_no, line in enumerate(lines, start=1):
            assert opened[(origin, line_no)] == expected_alert(line, origin, line_no)


def test_folder_deleted_closed_file_unreadable(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    count = MAX_OPEN_LINE_FILES + 1
    for part in range(count):
        write_alerts(folder / f"part{part:02d}.json", range(part * 10, part * 10 + 2))

    recorder = recorded([DirectorySource(folder, rows=True)])
    recorder.wait_for_alerts(2 * count)
    first = folder / "part00.json"
    first.unlink()

    store = recorder.store
    [index] = [
        index
        for index in range(len(store))
        if store.row(index).origin == str(first) and store.row(index).line_no == 2
    ]
    alert = store.alert(index)
    assert not store.row(index).file.is_open
    assert alert.extra == {"note": UNREADABLE_NOTE}
    assert alert.rule == store.row(index).rule
    assert store.alert(len(store) - 1).extra == {}


# Several files on the command line


def test_several_files_store_offset_rows(tmp_path: Path, recorded) -> None:
    paths = [tmp_path / f"host{part}.json" for part in range(3)]
    written = {
        path: write_alerts(path, range(part * 50, part * 50 + 30))
        for part, path in enumerate(paths)
    }

    sources = make_sources([str(path) for path in paths], rows=True)
    recorder = recorded(sources)
    recorder.wait_for_alerts(90)

    store = recorder.store
    assert [type(source) for source in sources] == [FileSource] * 3
    assert store._resident == {}
    assert store._raw == {}
    rows = stored_rows_of(store)
    assert all(isinstance(row.file, LineFile) for row in rows)
    assert sorted(store.number(index) for index in range(90)) == list(range(1, 91))
    opened = alerts_by_origin(store)
    for path, lines in written.items():
        for line_no, line in enumerate(lines, start=1):
            alert = opened[(str(path), line_no)]
            assert alert == expected_alert(line, str(path), line_no)


def test_several_files_export_filter_find(tmp_path: Path, recorded) -> None:
    paths = [tmp_path / f"host{part}.json" for part in range(3)]
    for part, path in enumerate(paths):
        write_alerts(path, range(part * 50, part * 50 + 30))

    recorder = recorded(make_sources([str(path) for path in paths], rows=True))
    recorder.wait_for_alerts(90)
    store = recorder.store

    exported = io.BytesIO()
    counts = export_rows(stored_rows(store, range(len(store))), exported)
    original = b"".join(path.read_bytes() for path in paths)
    assert counts.unreadable == 0
    assert sorted(exported.getvalue().splitlines()) == sorted(original.splitlines())

    query = parse('rule = "Test rule 3"')
    indices = list(range(len(store)))
    matched = [alert for alert in iter_alerts(store, indices) if query.predicate(alert)]
    expected = [
        number
        for part in range(3)
        for number in range(part * 50, part * 50 + 30)
        if number % 5 == 3
    ]
    assert sorted(alert.fields["evt.num"] for alert in matched) == expected

    found = store.view(text="/etc/file-57")
    assert [store.alert(index).fields["evt.num"] for index in found] == [57]


# Standard input and pipes


def test_stdin_stores_rows_in_spool(tmp_path: Path, recorded) -> None:
    spool_dir = tmp_path / "spool"
    lines = [alert_line(number) for number in range(1, 201)]
    data = "".join(line + "\n" for line in lines).encode()
    read_fd, write_fd = os.pipe()

    def write_all() -> None:
        with os.fdopen(write_fd, "wb") as stream:
            stream.write(data)

    writer = threading.Thread(target=write_all)
    writer.start()
    [source] = make_sources(["-"], stdin_fd=read_fd, rows=True, spool_dir=spool_dir)
    recorder = recorded([source])
    recorder.wait_for(lambda: SourceState.ENDED in recorder.states, "end of input")
    writer.join()

    store = recorder.store
    assert len(store) == 200
    assert store._resident == {}
    assert store._raw == {}
    rows = stored_rows_of(store)
    assert all(isinstance(row.file, LineFile) for row in rows)
    assert [row.origin for row in rows] == ["-"] * 200
    assert [store.number(index) for index in range(200)] == list(range(1, 201))
    for index, line in enumerate(lines):
        assert store.alert(index) == expected_alert(line, "-", index + 1)
        assert store.alert(index).line_source == ""
    exported = io.BytesIO()
    export_rows(stored_rows(store, range(len(store))), exported)
    assert exported.getvalue() == data
    # The spool file was unlinked at creation, so the folder stays empty.
    assert list(spool_dir.iterdir()) == []


def test_stdin_subprocess_pipe_rows(tmp_path: Path, recorded) -> None:
    path = tmp_path / "events.json"
    lines = write_alerts(path, range(1, 51))
    spool_dir = tmp_path / "spool"

    with subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE) as process:
        source = StdinSource(process.stdout, rows=True, spool_dir=spool_dir)
        recorder = recorded([source])
        recorder.wait_for(lambda: SourceState.ENDED in recorder.states, "end of input")

    store = recorder.store
    assert len(store) == 50
    assert store._raw == {}
    assert store.alert(49) == expected_alert(lines[49], "-", 50)


def test_stdin_spool_removed_on_stop(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    read_fd, write_fd = os.pipe()
    line = alert_line(7)
    os.write(write_fd, (line + "\n").encode())

    source = StdinSource(fd=read_fd, rows=True, spool_dir=spool_dir)
    recorder = StoreRecorder()
    source.start(recorder.on_items, recorder.on_status)
    recorder.wait_for_alerts(1)
    spooled = spool_descriptors(spool_dir)

    source.stop()
    os.close(write_fd)

    # The writer's descriptor and the rows' duplicate, on one unlinked file.
    assert len(set(spooled)) == 1
    assert spooled[0].endswith(" (deleted)")
    assert spool_descriptors(spool_dir) == []
    # The bytes are gone with the spool file: the row opens with the note.
    alert = recorder.store.alert(0)
    assert alert.extra == {"note": UNREADABLE_NOTE}
    assert alert.rule == "Test rule 2"


def test_named_pipe_rows_in_spool(tmp_path: Path, recorded) -> None:
    fifo = tmp_path / "alerts.fifo"
    os.mkfifo(fifo)
    lines = [alert_line(number) for number in range(1, 4)]

    [source] = make_sources([str(fifo)], rows=True, spool_dir=tmp_path / "spool")
    recorder = recorded([source])
    with open(fifo, "w", encoding="utf-8") as writer:
        writer.write("".join(line + "\n" for line in lines))
    recorder.wait_for(lambda: SourceState.ENDED in recorder.states, "end of input")

    store = recorder.store
    assert isinstance(source, StdinSource)
    assert store._raw == {}
    assert isinstance(store.row(2).file, LineFile)
    assert store.alert(2) == expected_alert(lines[2], str(fifo), 3)


def test_stdin_without_spool_folder_keeps_text(tmp_path: Path, recorded) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    read_fd, write_fd = os.pipe()
    line = alert_line(4)
    os.write(write_fd, (line + "\n").encode())
    os.close(write_fd)

    source = StdinSource(fd=read_fd, rows=True, spool_dir=blocker / "spool")
    recorder = recorded([source])
    recorder.wait_for(lambda: SourceState.ENDED in recorder.states, "end of input")

    store = recorder.store
    assert store._resident == {}
    assert store.row(0).raw == line
    assert store.alert(0) == expected_alert(line, "-", 1)


def test_alert_sources_unchanged_without_rows(tmp_path: Path, recorded) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_alerts(folder / "events.json", range(1, 3))
    delivered: list = []
    lock = threading.Lock()

    def on_items(_source: Source, items: list) -> None:
        with lock:
            delivered.extend(items)

    source = DirectorySource(folder)
    source.start(on_items, lambda *_: None)
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and len(delivered) < 2:
            time.sleep(0.02)
    finally:
        source.stop()

    assert [type(item) for item in delivered] == [Alert, Alert]
