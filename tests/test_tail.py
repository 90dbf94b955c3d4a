"""``falco-tui tail`` run as a real command on files, pipes and gzip files."""

from __future__ import annotations

import gzip
import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from test_sources import alert_line, alert_lines, append

from tui.commands.tail import AlertPrinter
from tui.sources.base import SourceState, SourceStatus
from tui.sources.stdin import StdinSource

COMMAND = Path(sys.executable).parent / "falco-tui"

TIMEOUT = 20.0


def run_tail(*args: str, input_text: str = "") -> subprocess.CompletedProcess:
    """Run ``falco-tui tail`` to its end with ``input_text`` piped in."""
    return subprocess.run(
        [str(COMMAND), "tail", *args],
        check=False,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


class RunningTail:
    """A ``falco-tui tail`` process whose output lines are read as they come."""

    def __init__(self, *args: str, stdin: int = subprocess.DEVNULL) -> None:
        self.process = subprocess.Popen(
            [str(COMMAND), "tail", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def read_lines(self, count: int) -> list[str]:
        """Return the next ``count`` output lines, failing after ``TIMEOUT``."""
        deadline = time.monotonic() + TIMEOUT
        lines = []
        while len(lines) < count:
            remaining = deadline - time.monotonic()
            try:
                lines.append(self.lines.get(timeout=max(remaining, 0.01)))
            except queue.Empty:
                pytest.fail(f"got {lines} after {TIMEOUT}s, expected {count} lines")
        return lines

    def interrupt(self, signal_number: int = signal.SIGINT) -> tuple[int, str]:
        """Send Ctrl-C's signal and return the exit status and standard error."""
        self.process.send_signal(signal_number)
        _, errors = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, errors


@pytest.fixture
def running():
    """Start tail processes and kill any still running after the test."""
    processes: list[RunningTail] = []

    def start(*args: str, stdin: int = subprocess.DEVNULL) -> RunningTail:
        tail = RunningTail(*args, stdin=stdin)
        processes.append(tail)
        return tail

    yield start

    for tail in processes:
        if tail.process.poll() is None:
            tail.process.kill()
            tail.process.communicate()


def test_tail_pipe_plain_lines() -> None:
    text = alert_lines(range(1, 3)) + "garbage line\n" + alert_line(3)

    result = run_tail("-", input_text=text)

    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert len(lines) == 3
    assert lines[0] == (
        "2026-04-06T19:32:23.000000000Z Warning Test rule 1 [node-1] "
        "2026-04-06T19:32:23.000000000+0000: Warning test alert 1"
    )
    assert "3 alerts, 1 line skipped" in result.stderr
    assert "Traceback" not in result.stderr


def test_tail_pipe_json_objects() -> None:
    text = alert_lines(range(1, 3))

    result = run_tail("--json", "-", input_text=text)

    documents = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0
    assert [document["rule"] for document in documents] == [
        "Test rule 1",
        "Test rule 2",
    ]
    assert documents[0]["raw"] == alert_line(1)
    assert documents[0]["priority"] == "Warning"
    assert documents[0]["hostname"] == "node-1"
    assert documents[0]["output_fields"]["evt.num"] == 1
    assert documents[0]["origin"] == "-"
    assert documents[0]["line_no"] == 1
    assert documents[0]["time"] == "2026-04-06T19:32:23.000000000Z"


def test_tail_escapes_control_characters() -> None:
    document = orjson.loads(alert_line(1))
    document["rule"] = "Evil \x1b[31mred\x1b[0m rule"
    document["output"] = "line one\nline two"

    result = run_tail("-", input_text=orjson.dumps(document).decode() + "\n")

    [line] = result.stdout.splitlines()
    assert "\x1b" not in result.stdout
    assert "Evil \\x1b[31mred\\x1b[0m rule" in line
    assert line.endswith("line one\\nline two")


def test_tail_open_pipe_streams(running) -> None:
    # Like `ssh host tail -F events.json | falco-tui tail -`: the pipe stays
    # open, alerts arrive one by one, and Ctrl-C ends the command.
    tail = running("-", stdin=subprocess.PIPE)
    assert tail.process.stdin is not None
    tail.process.stdin.write(alert_lines(range(1, 2)))
    tail.process.stdin.flush()
    [first] = tail.read_lines(1)
    tail.process.stdin.write(alert_lines(range(2, 3)))
    tail.process.stdin.flush()
    [second] = tail.read_lines(1)
    status, errors = tail.interrupt()

    assert "Test rule 1" in first
    assert "Test rule 2" in second
    assert status == 0
    assert "Traceback" not in errors


def test_tail_file_history_then_live(tmp_path: Path, running) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)) + "not an alert\n")

    tail = running(str(path))
    history = tail.read_lines(2)
    append(path, alert_lines(range(3, 4)))
    [live] = tail.read_lines(1)
    status, errors = tail.interrupt()

    assert "Test rule 1" in history[0]
    assert "Test rule 2" in history[1]
    assert "Test rule 3" in live
    assert status == 0
    assert "Traceback" not in errors
    assert "3 alerts, 1 line skipped (1 " in errors


def test_tail_sigterm_exits_cleanly(tmp_path: Path, running) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))

    tail = running(str(path))
    tail.read_lines(1)
    status, errors = tail.interrupt(signal.SIGTERM)

    assert status == 0
    assert "1 alert, 0 lines skipped" in errors


def test_tail_follows_rotation(tmp_path: Path, running) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))

    tail = running("--json", str(path))
    tail.read_lines(1)
    os.rename(path, tmp_path / "events.json.1")
    path.write_text(alert_lines(range(2, 3)))
    [rotated] = tail.read_lines(1)
    status, errors = tail.interrupt()

    assert orjson.loads(rotated)["rule"] == "Test rule 2"
    assert status == 0
    assert "was rotated" in errors


def test_tail_from_end(tmp_path: Path, running) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    tail = running("--from-end", str(path))
    # Appends made before the follower opened the file would be skipped too,
    # so wait until it reports that it follows the file.
    assert tail.process.stderr is not None
    first_status = tail.process.stderr.readline()
    append(path, alert_lines(range(3, 4)))
    [line] = tail.read_lines(1)
    tail.interrupt()

    assert "from its end" in first_status
    assert "Test rule 3" in line


def test_tail_gzip_ends_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "events.json.1.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(alert_lines(range(1, 4)))

    result = run_tail(str(path))

    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 3


def test_tail_closed_output_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 5001)))

    result = subprocess.run(
        f"'{COMMAND}' tail '{path}' | head -n 1; exit ${{PIPESTATUS[0]}}",
        check=False,
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert result.returncode == 0
    assert "Test rule 1" in result.stdout
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr


def test_tail_help_lists_options() -> None:
    result = subprocess.run(
        [str(COMMAND), "tail", "--help"], capture_output=True, text=True, check=True
    )

    for option in ("--json", "--from-end", "--poll", "--quiet"):
        assert option in result.stdout
    assert "default" in result.stdout
    assert "Ctrl-C" in result.stdout


def test_tail_invalid_gzip_fails(tmp_path: Path) -> None:
    path = tmp_path / "events.json.1.gz"
    path.write_bytes(b"not gzip\n")

    result = run_tail(str(path))

    assert result.returncode == 1
    assert f"Reading {path} failed" in result.stderr
    assert result.stderr.count("failed") == 1
    assert "Traceback" not in result.stderr


def test_tail_ends_when_reader_leaves_quiet_file(tmp_path: Path) -> None:
    # Two alerts, then silence: `head -n 1` exits, and tail must notice the
    # closed pipe without waiting for another alert to fail to write.
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    result = subprocess.run(
        f"'{COMMAND}' tail '{path}' | head -n 1; exit ${{PIPESTATUS[0]}}",
        check=False,
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert result.returncode == 0
    assert "Test rule 1" in result.stdout
    assert "Traceback" not in result.stderr


def test_printer_skips_empty_status() -> None:
    errors = io.StringIO()
    printer = AlertPrinter(io.StringIO(), errors, as_json=False, quiet=False)
    source = StdinSource(io.BytesIO(b""))

    printer.on_status(source, SourceStatus(SourceState.WAITING))
    printer.on_status(source, SourceStatus(SourceState.FOLLOWING, "Reading dir."))

    assert errors.getvalue() == "falco-tui: Reading dir.\n"
