"""Tests for parse_line and iter_items against real Falco captures."""

from __future__ import annotations

import gzip
import random
from collections import Counter
from pathlib import Path

import pytest

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.parser import parse_line
from tui.parsing.reader import iter_items, iter_stream
from tui.parsing.timefmt import parse_rfc3339

# Expected alerts and skip reasons per capture, counted by reading each file.
# Every line of the .jsonl files is one alert. text_output.log has 42 alert
# lines, one of them glued to "Events detected: 1". The streams mix JSON
# alerts with Falco's logger lines, its exit summary and drop-monitoring block.
EXPECTED = {
    "syscall.jsonl": (38, {}),
    "k8s_audit.jsonl": (10, {}),
    "plugins.jsonl": (3, {}),
    "falcosidekick.jsonl": (3, {}),
    "odd.jsonl": (12, {}),
    "synthetic_test_payloads.jsonl": (8, {}),
    "text_output.log": (42, {"Falco exit summary": 1}),
    "streams/falco-0.43.0_startup_logs_then_json.log": (
        23,
        {"Falco log line": 194, "Falco exit summary": 12},
    ),
    "streams/json_alerts_with_exit_summary.log": (24, {"Falco exit summary": 7}),
    "streams/json_and_stderr_log_interleaved_0.25.log": (2, {"Falco log line": 1}),
    "streams/text_log_glued_to_alert_2019.log": (3, {"Falco log line": 3}),
    "streams/utf16le_bom_windows_redirect.log": (3, {}),
}


def read(events_dir: Path, name: str) -> list[Alert | Skip]:
    return list(iter_items(events_dir / name))


def alerts_of(items: list) -> list[Alert]:
    return [item for item in items if isinstance(item, Alert)]


def one_alert(line: str) -> Alert:
    items = parse_line(line, "test", 1)
    assert len(items) == 1
    assert isinstance(items[0], Alert), items[0]
    return items[0]


def line_of(events_dir: Path, name: str, line_no: int) -> str:
    text = (events_dir / name).read_text(encoding="utf-8")
    return text.splitlines()[line_no - 1]


def test_expected_covers_every_capture(events_dir):
    files = {
        str(path.relative_to(events_dir))
        for path in events_dir.rglob("*")
        if path.is_file() and path.suffix != ".md"
    }

    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_capture_counts(events_dir, name):
    alert_count, reasons = EXPECTED[name]

    items = read(events_dir, name)
    skips = Counter(item.reason for item in items if isinstance(item, Skip))

    assert len(alerts_of(items)) == alert_count
    assert dict(skips) == reasons


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_capture_alerts_well_formed(events_dir, name):
    for alert in alerts_of(read(events_dir, name)):
        assert alert.rule
        assert isinstance(alert.priority, Priority)
        assert alert.line_no >= 1
        assert alert.origin.endswith(name)


def test_jsonl_alerts_have_time(events_dir):
    for path in events_dir.glob("*.jsonl"):
        for alert in alerts_of(read(events_dir, path.name)):
            assert alert.time_ns is not None, (path.name, alert.line_no)
            assert alert.kind == "json"


def test_sidekick_time_with_eight_digits(events_dir):
    alert = one_alert(line_of(events_dir, "falcosidekick.jsonl", 1))

    assert alert.time_ns == parse_rfc3339("2021-01-11T23:46:19.823027590Z")
    assert alert.time_inferred is False
    assert alert.fields["evt.time"] == 1610408779823027700


def test_sidekick_uuid_and_custom_fields(events_dir):
    alert = one_alert(line_of(events_dir, "falcosidekick.jsonl", 2))

    assert alert.uuid == "06f73663-b1d4-42e4-b236-eacbd2b96998"
    assert alert.source == "syscall"


def test_grpc_object_time_and_int_priority(events_dir):
    alert = one_alert(line_of(events_dir, "odd.jsonl", 6))

    assert alert.time_ns == 1570094449 * 10**9 + 620298462
    assert alert.priority is Priority.WARNING
    assert alert.fields["fd.name"] is None


def test_lower_case_priority_and_offset_time(events_dir):
    alert = one_alert(line_of(events_dir, "odd.jsonl", 7))

    assert alert.priority is Priority.WARNING
    assert alert.time_ns == parse_rfc3339("2020-03-03T17:50:03.391768Z")


def test_capital_rule_key(events_dir):
    alert = one_alert(line_of(events_dir, "synthetic_test_payloads.jsonl", 7))

    assert alert.rule == "Test Terminate"
    assert alert.priority is Priority.CRITICAL


def test_invalid_time_is_inferred(events_dir):
    alert = one_alert(line_of(events_dir, "synthetic_test_payloads.jsonl", 6))

    assert alert.time_inferred is True
    # evt.time is 1618347519000000, in microseconds.
    assert alert.time_ns == 1618347519 * 10**9


def test_missing_time_from_string_evt_time(events_dir):
    alert = one_alert(line_of(events_dir, "odd.jsonl", 12))

    assert alert.time_inferred is True
    assert alert.time_ns == 1715247667480478650
    assert alert.extra["kusto.table"] == "FakeTable"


def test_nineteen_digit_ints_exact(events_dir):
    alert = one_alert(line_of(events_dir, "odd.jsonl", 9))

    assert alert.fields["evt.time.iso8601"] == 1470327477881781397
    assert alert.time_ns == 1470327477881781397


def test_na_and_null_become_none(events_dir):
    old = one_alert(line_of(events_dir, "k8s_audit.jsonl", 7))
    new = one_alert(line_of(events_dir, "syscall.jsonl", 12))

    assert None in old.fields.values()
    assert "<NA>" not in old.fields.values()
    assert "<NA>" not in new.fields.values()


def test_field_keys_with_trailing_space(events_dir):
    alert = one_alert(line_of(events_dir, "odd.jsonl", 1))

    assert "gcp.userAgent" in alert.fields
    assert alert.source == "auditlogs"


def test_missing_output_key(events_dir):
    alert = one_alert(line_of(events_dir, "k8s_audit.jsonl", 10))

    assert alert.output == ""
    assert alert.rule == "K8s Secret Get Successfully"
    assert alert.priority is Priority.ERROR


def test_utf16_bom_file_gives_alerts(events_dir):
    alerts = alerts_of(read(events_dir, "streams/utf16le_bom_windows_redirect.log"))

    assert len(alerts) == 3
    assert [alert.line_no for alert in alerts] == [1, 2, 3]
    assert all(alert.kind == "json" for alert in alerts)


def test_glued_log_line_recovers_text_alert(events_dir):
    items = read(events_dir, "streams/text_log_glued_to_alert_2019.log")

    assert [type(item) for item in items[:2]] == [Skip, Alert]
    alert = items[1]
    assert alert.kind == "text"
    assert alert.priority is Priority.CRITICAL
    assert alert.rule == "Falco internal: syscall event drop"
    assert alert.source == "internal"
    assert alert.output.startswith("12:55:58.461500387: Critical Falco internal")


def test_text_alert_after_syslog_prefix(events_dir):
    line = line_of(events_dir, "text_output.log", 29)

    alert = one_alert(line)

    assert line.startswith("Jan  3 19:39:42 falco falco: ")
    assert alert.kind == "text"
    assert alert.priority is Priority.WARNING
    assert alert.rule == "Sensitive file opened for reading by non-trusted program"
    assert alert.output.startswith("19:39:42.522581168: Warning Sensitive")
    assert alert.raw == line


def test_text_alert_after_compose_prefix(events_dir):
    alert = one_alert(line_of(events_dir, "text_output.log", 39))

    assert alert.priority is Priority.INFORMATIONAL
    assert alert.rule == "Container with sensitive mount started"
    assert alert.time_ns is None


def test_text_alert_iso_prefix_gives_time(events_dir):
    alert = one_alert(line_of(events_dir, "text_output.log", 41))

    assert alert.time_ns == 1470327477881781397
    assert alert.time_inferred is True
    assert alert.rule == "An open was seen"


def test_text_alert_glued_to_exit_summary(events_dir):
    items = parse_line(line_of(events_dir, "text_output.log", 31))

    assert isinstance(items[0], Alert)
    assert items[0].output.endswith("resource=configmaps")
    assert items[1].reason == "Falco exit summary"


def test_json_alert_glued_after_log_prefix():
    line = (
        "2026-04-06T15:31:46+0000: SIGHUP received"
        '{"rule":"R","priority":"Notice","time":"2026-04-06T15:31:46Z"}'
    )

    items = parse_line(line)

    assert [type(item) for item in items] == [Skip, Alert]
    assert items[0].reason == "Falco log line"
    assert items[1].rule == "R"


def test_log_line_glued_after_json_alert():
    line = (
        '{"rule":"R","priority":"Notice","time":"2026-04-06T15:31:46Z"}'
        "2026-04-06T15:31:47+0000: Falco version: 0.43.0"
    )

    items = parse_line(line)

    assert [type(item) for item in items] == [Alert, Skip]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "blank line"),
        ("   \t", "blank line"),
        ("Tue May 21 12:55:58 2019: Falco initialized", "Falco log line"),
        ("2026-04-06T15:31:32+0000: Falco version: 0.43.0", "Falco log line"),
        ("Events detected: 2", "Falco exit summary"),
        ("   WARNING: 1", "Falco exit summary"),
        ("   - num times actions taken: 0", "Falco exit summary"),
        ('{"rule": "x", "priority": "Notice", "out', "invalid JSON"),
        ('{"output": "no rule here"}', "JSON without rule or priority"),
        ('{"rule": "R", "priority": "loud"}', "JSON without rule or priority"),
        ("[1, 2, 3]", "not an alert"),
        ("hello world", "not an alert"),
    ],
)
def test_skip_reasons(line, reason):
    items = parse_line(line, "t", 7)

    assert len(items) == 1
    assert isinstance(items[0], Skip)
    assert items[0].reason == reason
    assert items[0].line_no == 7


def test_int_beyond_64_bits_kept_exact():
    big = 2**70
    line = f'{{"rule":"R","priority":"Error","output_fields":{{"n":{big}}}}}'

    alert = one_alert(line)

    assert alert.fields["n"] == big


def test_webui_wrapper_unwrapped():
    line = (
        '{"event": {"rule": "R", "priority": "Alert", '
        '"time": "2024-01-02T03:04:05.5Z"}, "outputs": ["WebUI"]}'
    )

    alert = one_alert(line)

    assert alert.rule == "R"
    assert alert.priority is Priority.ALERT
    assert alert.time_ns == parse_rfc3339("2024-01-02T03:04:05.500000000Z")
    assert alert.extra["webui.outputs"] == ["WebUI"]


def test_time_fraction_digits_zero_to_nine():
    base = parse_rfc3339("2024-01-02T03:04:05Z")

    for digits in range(10):
        fraction = "." + "1" * digits if digits else ""
        value = parse_rfc3339(f"2024-01-02T03:04:05{fraction}Z")
        assert value == base + int(("1" * digits).ljust(9, "0") or 0)


def test_bare_prefix_with_junk_time_date():
    line = (
        '{"rule":"R","priority":"Notice","time":"2024-05-06 junk",'
        '"output":"10:20:30.000000001: Notice R happened"}'
    )

    alert = one_alert(line)

    assert alert.time_ns == parse_rfc3339("2024-05-06T10:20:30.000000001Z")
    assert alert.time_inferred is True


def test_garbage_never_raises():
    rng = random.Random(99)
    pieces = ['{"rule":', '"priority":', "Warning", "12:00:00.1: ", "\x00", "é", "}"]
    for _ in range(3000):
        parts = [rng.choice(pieces) for _ in range(rng.randrange(8))]
        noise = "".join(chr(rng.randrange(0x2500)) for _ in range(rng.randrange(40)))
        items = parse_line("".join(parts) + noise)
        assert items
        assert all(isinstance(item, (Alert, Skip)) for item in items)


def test_reader_reads_gzip(tmp_path, events_dir):
    source = (events_dir / "syscall.jsonl").read_bytes()
    target = tmp_path / "syscall.jsonl.gz"
    target.write_bytes(gzip.compress(source))

    items = list(iter_items(target, chunk_size=1000))

    assert len(alerts_of(items)) == 38


def test_iter_stream_reads_binary_stream(events_dir):
    path = events_dir / "streams" / "json_alerts_with_exit_summary.log"

    with path.open("rb") as stream:
        items = list(iter_stream(stream, "-", chunk_size=512))

    assert len(alerts_of(items)) == 24
    assert all(item.origin == "-" for item in items)
