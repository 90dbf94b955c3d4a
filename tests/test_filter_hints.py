"""Hints for a filter that matches no alert, against real syscall alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.analysis.filter_hints import (
    field_names,
    missing_field_message,
    missing_fields,
    zero_match_hints,
)
from tui.parsing.alert import Alert
from tui.parsing.parser import parse_line
from tui.storage.query import parse


@pytest.fixture
def syscall_alerts(events_dir: Path) -> list[Alert]:
    """Return the alerts of the real syscall capture."""
    lines = (events_dir / "syscall.jsonl").read_text("utf-8").splitlines()
    alerts = []
    for number, line in enumerate(lines, start=1):
        items = parse_line(line, "syscall.jsonl", number)
        alerts += [item for item in items if isinstance(item, Alert)]
    return alerts


def test_field_names_skip_aliases_and_text():
    query = parse("proc.name=a user=root x or -fd.name:b proc.name:c")

    assert field_names(query) == ["proc.name", "fd.name"]


def test_missing_fields_names_typo(syscall_alerts):
    missing, seen = missing_fields(["proc.name", "proc.nmae"], syscall_alerts)

    assert missing == ["proc.nmae"]
    assert "proc.cmdline" in seen


def test_missing_fields_stops_when_all_found(syscall_alerts):
    read: list[Alert] = []

    def counted():
        for alert in syscall_alerts:
            read.append(alert)
            yield alert

    missing, _ = missing_fields(["proc.name"], counted())

    assert missing == []
    assert len(read) < len(syscall_alerts)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("proc.nmae", "No alert has field proc.nmae; did you mean proc.name?"),
        ("Proc.Name", "No alert has field Proc.Name; did you mean proc.name?"),
        ("k8s.pod.nam", "No alert has field k8s.pod.nam; did you mean k8s.pod.name?"),
        ("zzz.unknown", "No alert has field zzz.unknown."),
    ],
)
def test_missing_field_message(name, expected):
    assert missing_field_message(name, []) == expected


def test_missing_field_message_suggests_seen_name():
    message = missing_field_message("custom.fielx", ["custom.field"])

    assert message.endswith("did you mean custom.field?")


def test_zero_match_hints_for_typo_and_spaces(syscall_alerts):
    query = parse("proc.nmae=bash proc.cmdline=sh -lc echo")

    hints = zero_match_hints(query, syscall_alerts)

    assert hints[0] == "No alert has field proc.nmae; did you mean proc.name?"
    assert hints[1].endswith('quote it: proc.cmdline="sh -lc echo"')
    assert len(hints) == 2


def test_zero_match_hints_empty_for_known_fields(syscall_alerts):
    query = parse("proc.name=nosuchprogram")

    assert zero_match_hints(query, syscall_alerts) == []


def test_zero_match_hints_stop_when_cancelled(syscall_alerts):
    query = parse("proc.nmae=bash")

    hints = zero_match_hints(query, syscall_alerts * 3000, lambda: True)

    assert hints == []
