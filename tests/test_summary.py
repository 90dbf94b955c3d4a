"""Tests for Summary: figures, times and the text report."""

from __future__ import annotations

import json

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.reader import iter_items
from tui.parsing.timefmt import parse_rfc3339
from tui.storage.summary import Summary


def test_empty_summary():
    figures = Summary().to_dict()

    assert figures == {
        "alerts": 0,
        "with_invalid_utf8": 0,
        "skipped": 0,
        "skipped_by_reason": {},
        "by_priority": {},
        "by_rule": {},
        "by_source": {},
        "by_host": {},
        "first_time": None,
        "last_time": None,
    }


def test_summary_counts_and_times():
    summary = Summary()
    early = parse_rfc3339("2024-01-02T03:04:05.000000001Z")
    late = parse_rfc3339("2024-01-02T04:00:00Z")

    summary.add(
        [
            Alert("R1", Priority.WARNING, late, source="syscall", hostname="h1"),
            Alert("R1", Priority.WARNING, None),
            Alert("R2", Priority.CRITICAL, early, source="k8s_audit", hostname="h1"),
            Skip("blank line"),
            Skip("blank line"),
            Skip("invalid JSON"),
        ]
    )
    figures = summary.to_dict()

    assert figures["alerts"] == 3
    assert figures["skipped"] == 3
    assert figures["skipped_by_reason"] == {"blank line": 2, "invalid JSON": 1}
    assert list(figures["by_priority"].items()) == [("Critical", 1), ("Warning", 2)]
    assert figures["by_rule"] == {"R1": 2, "R2": 1}
    assert figures["by_source"] == {"syscall": 1, "unknown": 1, "k8s_audit": 1}
    assert figures["by_host"] == {"h1": 2, "unknown": 1}
    assert figures["first_time"] == "2024-01-02T03:04:05.000000001Z"
    assert figures["last_time"] == "2024-01-02T04:00:00.000000000Z"


def test_summary_is_json_ready(events_dir):
    summary = Summary()

    for path in sorted(events_dir.rglob("*.log")):
        summary.add(iter_items(path))
    figures = json.loads(json.dumps(summary.to_dict()))

    assert figures["alerts"] == 42 + 23 + 24 + 2 + 3 + 3
    assert figures["skipped_by_reason"]["Falco log line"] == 194 + 1 + 3
    assert figures["skipped_by_reason"]["Falco exit summary"] == 1 + 12 + 7


def test_format_text_lists_sections():
    summary = Summary()
    summary.add(
        [
            Alert("Shell\x1b[31m", Priority.NOTICE, 0, hostname="node-1"),
            Skip("blank line"),
        ]
    )

    text = summary.format_text()

    assert "Alerts:  1" in text
    assert "Skipped: 1" in text
    assert "First:   1970-01-01T00:00:00.000000000Z" in text
    assert "By rule:" in text
    assert "Shell\\x1b[31m" in text
    assert "\x1b" not in text
    assert "node-1" in text
    assert "blank line" in text
