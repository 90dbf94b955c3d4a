"""Export of stored alerts as JSON Lines, byte for byte, against real captures."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from tui.cli import main
from tui.parsing.alert import Alert
from tui.parsing.located import iter_rows, parse_text_row
from tui.parsing.parser import parse_line
from tui.storage.export import ExportCounts, export_rows, json_text, stored_rows
from tui.storage.store import AlertStore

JSON_FILES = (
    "syscall.jsonl",
    "k8s_audit.jsonl",
    "plugins.jsonl",
    "falcosidekick.jsonl",
    "odd.jsonl",
    "synthetic_test_payloads.jsonl",
    "streams/falco-0.43.0_startup_logs_then_json.log",
    "streams/json_alerts_with_exit_summary.log",
    "streams/json_and_stderr_log_interleaved_0.25.log",
)


def export_file(path: Path) -> tuple[bytes, ExportCounts]:
    """Index ``path`` into a store, export every alert; return bytes and counts."""
    store = AlertStore()
    store.add(iter_rows(str(path)))
    output = io.BytesIO()
    counts = export_rows(stored_rows(store, range(len(store))), output)
    return output.getvalue(), counts


def alert_lines(data: bytes) -> tuple[list[bytes], int]:
    """Return the lines of ``data`` holding a JSON alert, and the text alerts."""
    json_lines = []
    text_alerts = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        items = parse_line(line.decode("utf-8"), "file", number)
        alerts = [item for item in items if isinstance(item, Alert)]
        if any(alert.kind == "json" for alert in alerts):
            json_lines.append(line)
        text_alerts += sum(alert.kind == "text" for alert in alerts)
    return json_lines, text_alerts


@pytest.mark.parametrize("name", JSON_FILES)
def test_export_keeps_real_lines_exact(events_dir, name):
    data = (events_dir / name).read_bytes()
    expected, text_alerts = alert_lines(data)

    exported, counts = export_file(events_dir / name)

    assert expected
    assert exported == b"".join(line + b"\n" for line in expected)
    assert counts.written == len(expected)
    assert counts.text == text_alerts
    assert counts.unreadable == 0
    for line in exported.splitlines():
        assert isinstance(orjson.loads(line), dict)


def test_export_keeps_crlf_endings(events_dir, tmp_path):
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))

    exported, counts = export_file(path)

    assert exported == path.read_bytes()
    assert counts.written == len(lines)


def test_export_writes_utf16_as_utf8(events_dir):
    path = events_dir / "streams/utf16le_bom_windows_redirect.log"
    text = path.read_bytes().decode("utf-16")
    lines = [line for line in text.split("\r\n") if line.strip()]

    exported, counts = export_file(path)

    assert len(lines) == 3
    assert exported == "".join(line + "\n" for line in lines).encode("utf-8")
    assert counts.written == 3


@pytest.mark.parametrize(
    "name", ["text_output.log", "streams/text_log_glued_to_alert_2019.log"]
)
def test_export_leaves_out_text_alerts(events_dir, name):
    data = (events_dir / name).read_bytes()
    _, text_alerts = alert_lines(data)

    exported, counts = export_file(events_dir / name)

    assert text_alerts > 0
    assert exported == b""
    assert counts.written == 0
    assert counts.text == text_alerts


def test_export_writes_json_of_prefixed_line(events_dir, tmp_path):
    line = (events_dir / "syscall.jsonl").read_bytes().splitlines()[0]
    path = tmp_path / "compose.log"
    path.write_bytes(b"falco_1   | " + line + b"\r\n\x00\x00" + line + b"\n")

    exported, counts = export_file(path)

    assert exported == line + b"\r\n" + line + b"\n"
    assert counts.written == 2


def test_export_strips_utf8_bom(events_dir, tmp_path):
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()[:2]
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")

    exported, counts = export_file(path)

    assert exported == b"\n".join(lines) + b"\n"
    assert counts.written == 2


def test_export_counts_changed_file_unreadable(events_dir, tmp_path):
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()[:3]
    path = tmp_path / "changed.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    store = AlertStore()
    store.add(iter_rows(str(path)))
    # Blanking the second line in place leaves its offset without an alert.
    path.write_bytes(lines[0] + b"\n" + b" " * len(lines[1]) + b"\n" + lines[2])

    output = io.BytesIO()
    counts = export_rows(stored_rows(store, range(len(store))), output)

    assert output.getvalue() == lines[0] + b"\n" + lines[2] + b"\n"
    assert counts.written == 2
    assert counts.unreadable == 1


def test_export_writes_followed_lines(events_dir):
    lines = (events_dir / "odd.jsonl").read_text("utf-8").splitlines()
    store = AlertStore()
    for number, line in enumerate(lines, start=1):
        store.add(parse_text_row(line, "followed.jsonl", number))

    output = io.BytesIO()
    counts = export_rows(stored_rows(store, range(len(store))), output)

    assert output.getvalue() == "".join(line + "\n" for line in lines).encode()
    assert counts.written == len(lines)


def test_json_text_of_glued_log_line():
    log = "2020-09-14T07:43:15+0000: Falco internal: syscall event drop."
    document = '{"rule":"R","priority":"Warning","output":"o","output_fields":{}}'
    items = parse_line(log + document, "stream", 1)

    alerts = [item for item in items if isinstance(item, Alert)]

    assert len(alerts) == 1
    assert json_text(alerts[0]) == document


def test_export_command_keeps_crlf(events_dir, tmp_path, capsys):
    lines = (events_dir / "syscall.jsonl").read_bytes().splitlines()
    source = tmp_path / "windows.jsonl"
    source.write_bytes(b"".join(line + b"\r\n" for line in lines))
    target = tmp_path / "out.jsonl"

    status = main(["export", str(source), "-o", str(target)])

    assert status == 0
    assert target.read_bytes() == source.read_bytes()
    assert f"wrote {len(lines)} alerts" in capsys.readouterr().err


def test_export_command_leaves_out_text(events_dir, tmp_path, capsys):
    source = events_dir / "text_output.log"
    _, text_alerts = alert_lines(source.read_bytes())
    target = tmp_path / "out.jsonl"

    status = main(["export", str(source), "-o", str(target)])

    assert status == 0
    assert target.read_bytes() == b""
    assert f"left out {text_alerts} plain-text alerts" in capsys.readouterr().err
