"""Alert loading shared by the analysis, knowledge and command tests.

pytest puts the tests folder on the import path, so the other test modules
import these helpers from here.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import orjson

from tui.parsing.alert import Alert, Priority
from tui.parsing.parser import parse_line


def load_alerts(path: Path) -> list[Alert]:
    """Parse every alert of one capture file with the project's parser."""
    alerts = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        for item in parse_line(line, str(path), number):
            if isinstance(item, Alert):
                alerts.append(item)
    return alerts


def alert_at(events_dir: Path, file_name: str, line_no: int) -> Alert:
    """Return the alert parsed from one line of a capture file."""
    path = events_dir / file_name
    line = path.read_text(encoding="utf-8").splitlines()[line_no - 1]
    items = [item for item in parse_line(line, str(path), line_no)]
    alerts = [item for item in items if isinstance(item, Alert)]
    assert len(alerts) == 1, f"{file_name}:{line_no} gave {items!r}"
    return alerts[0]


def every_alert(events_dir: Path) -> list[Alert]:
    """Return the alerts of every JSON and text capture in the events folder."""
    alerts = []
    for path in sorted(events_dir.glob("*.jsonl")):
        alerts.extend(load_alerts(path))
    alerts.extend(load_alerts(events_dir / "text_output.log"))
    return alerts


def example_report_alert(shared_dir: Path) -> Alert:
    """Build the Alert of the reviewed example report from its JSON block."""
    review = shared_dir / "reference" / "example-alert-report-review.md"
    match = re.search(
        r"```json\n(.+?)\n```", review.read_text(encoding="utf-8"), re.DOTALL
    )
    assert match is not None, "no JSON block in the review document"
    return alert_from_json(match.group(1))


def make_alert(rule: str, source: str, fields: dict[str, object]) -> Alert:
    """Build a Warning alert of ``rule`` with only the given fields."""
    return Alert(
        rule=rule,
        priority=Priority.WARNING,
        time_ns=None,
        fields=dict(fields),
        source=source,
    )


TRAIL_STOPPED = {
    "ct.user": "deploy-bot",
    "ct.srcip": "192.0.2.10",
    "ct.request.name": "org-trail",
}
"""Fields of a CloudTrail StopLogging alert."""


def alert_from_json(text: str) -> Alert:
    """Turn one Falco JSON alert into an Alert without the project's parser."""
    data = orjson.loads(text)
    fields = {
        name: None if value == "<NA>" else value
        for name, value in (data.get("output_fields") or {}).items()
    }
    moment = datetime.fromisoformat(data["time"][:26] + "+00:00")
    nanos = int(data["time"][20:29].ljust(9, "0"))
    time_ns = int(moment.timestamp()) * 1_000_000_000 + nanos
    return Alert(
        rule=data["rule"],
        priority=Priority.parse(data["priority"]) or Priority.DEBUG,
        time_ns=time_ns,
        output=data.get("output", ""),
        fields=fields,
        tags=tuple(data.get("tags") or ()),
        source=data.get("source"),
        hostname=data.get("hostname"),
        raw=text,
    )


def test_alert_from_json_maps_na_to_none() -> None:
    alert = alert_from_json(
        '{"rule":"R","priority":"Notice","time":"2024-10-29T17:31:32.944887609Z",'
        '"output_fields":{"k8s.pod.name":"<NA>","proc.tty":0}}'
    )

    assert alert.fields["k8s.pod.name"] is None
    assert alert.fields["proc.tty"] == 0


def test_alert_from_json_keeps_nanoseconds() -> None:
    alert = alert_from_json(
        '{"rule":"R","priority":"Notice","time":"2024-10-29T17:31:32.944887609Z"}'
    )

    assert alert.time_ns == 1730223092944887609
