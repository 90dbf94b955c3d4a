"""Tests that the bundled sample alerts parse and match the Falco rules catalog."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import pytest

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.reader import iter_items

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_alerts" / "falco_events.jsonl"


@pytest.fixture(scope="module")
def items() -> list[Alert | Skip]:
    return list(iter_items(SAMPLE))


@pytest.fixture(scope="module")
def catalog(shared_dir: Path) -> dict[str, dict[str, str]]:
    path = shared_dir / "reference" / "rules-catalog.tsv"
    with path.open(encoding="utf-8", newline="") as stream:
        rows = csv.DictReader(stream, delimiter="\t")
        return {row["rule_name"]: row for row in rows}


def alerts_of(items: list) -> list[Alert]:
    return [item for item in items if isinstance(item, Alert)]


def test_sample_counts(items):
    alerts = alerts_of(items)
    skips = Counter(item.reason for item in items if isinstance(item, Skip))

    assert 80 <= len(alerts) <= 150
    assert skips == {"Falco log line": 3}
    assert sum(alert.is_internal for alert in alerts) == 1


def test_sample_covers_required_rules(items):
    rules = Counter(alert.rule for alert in alerts_of(items))

    for rule in (
        "PTRACE attached to process",
        "PTRACE anti-debug attempt",
        "Read sensitive file untrusted",
        "Drop and execute new binary in container",
        "Attach/Exec Pod",
        "Create Privileged Pod",
        "Console Login Without MFA",
    ):
        assert rules[rule] >= 1, rule
    assert rules["Terminal shell in container"] >= 3


def test_sample_matches_catalog(items, catalog):
    for alert in alerts_of(items):
        if alert.is_internal:
            continue
        row = catalog[alert.rule]
        assert alert.priority is Priority.parse(row["priority"]), alert.rule
        assert alert.source == row["source"], alert.rule

        expected_tags = {*row["mitre_tags"].split(","), *row["other_tags"].split(",")}
        if row["maturity"] != "n/a":
            expected_tags.add(f"maturity_{row['maturity']}")
        assert set(alert.tags) == expected_tags - {""}, alert.rule

        for name in row["output_fields"].split(","):
            assert name in alert.fields, (alert.rule, name)


def test_sample_shells_are_interactive(items):
    for alert in alerts_of(items):
        if alert.rule != "Terminal shell in container":
            continue
        assert alert.fields["proc.tty"] != 0
        assert alert.fields["container.id"] != "host"
        assert alert.fields["user.loginuid"] == -1


def test_sample_times_sorted_and_exact(items):
    times = [alert.time_ns for alert in alerts_of(items)]

    assert all(time is not None for time in times)
    assert times == sorted(times)
    assert max(times) - min(times) <= 31 * 60 * 10**9


def test_sample_uses_documentation_addresses():
    text = SAMPLE.read_text(encoding="utf-8")

    for prefix in ("192.0.2.", "198.51.100.", "203.0.113."):
        text = text.replace(prefix, "")
    assert "198.51.100" not in text
    # Only cluster-internal addresses (10.x) may remain.
    for token in text.replace('"', " ").replace(":", " ").split():
        parts = token.split(".")
        if len(parts) == 4 and all(part.isdigit() for part in parts):
            assert parts[0] == "10", token


def test_generator_reproduces_sample(capsys):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import generate_alerts
    finally:
        sys.path.remove(str(REPO / "bench"))

    generate_alerts.main(["110", "--seed", "7", "--sample"])

    assert capsys.readouterr().out == SAMPLE.read_text(encoding="utf-8")
