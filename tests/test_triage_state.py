"""Tests of triage statuses, mutes and repeat groups below the widgets."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui.parsing.alert import Alert, Priority
from tui.state import StateStore
from tui.state.db import SCHEMA_VERSION, STATE_FILE_NAME, _migrate_to_v1
from tui.state.triage import MuteEntity, Status, entity_value, parse_duration
from tui.storage.groups import GroupIndex, group_key

REPO_ROOT = Path(__file__).resolve().parents[1]

START = datetime(2026, 4, 6, 19, 0, tzinfo=UTC)


class Clock:
    """A settable UTC clock for the store."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_alert(number: int, **changes) -> Alert:
    values = {
        "rule": "Write below etc",
        "priority": Priority.WARNING,
        "time_ns": 1_775_503_943_000_000_000 + number * 1_000_000_000,
        "output": f"output {number}",
        "fields": {
            "proc.exepath": "/usr/bin/vi",
            "container.id": "920b85e0cae2",
            "container.image.repository": "nginx",
        },
        "hostname": "node-1",
        "raw": "{}",
    }
    values.update(changes)
    return Alert(**values)


@pytest.fixture
def store(tmp_path: Path):
    with StateStore(tmp_path) as state:
        state.clock = Clock(START)
        yield state


def test_status_change_records_history(store: StateStore) -> None:
    store.set_status("fp1", Status.ACKNOWLEDGED, "looking", who="alice")
    store.clock.now = START + timedelta(minutes=5)
    store.set_status("fp1", Status.FALSE_POSITIVE, "backup job", who="bob")

    history = store.status_history("fp1")

    assert store.statuses() == {"fp1": (Status.FALSE_POSITIVE, "backup job")}
    assert [change.status for change in history] == [
        Status.ACKNOWLEDGED,
        Status.FALSE_POSITIVE,
    ]
    assert [change.changed_by for change in history] == ["alice", "bob"]
    assert [change.note for change in history] == ["looking", "backup job"]
    assert history[1].changed_at == START + timedelta(minutes=5)


def test_every_status_round_trips(store: StateStore) -> None:
    for status in Status:
        store.set_status("fp", status, who="carol")

        assert store.statuses()["fp"] == (status, "")

    assert len(store.status_history("fp")) == len(Status)


def test_status_who_defaults_to_login(store: StateStore) -> None:
    store.set_status("fp", Status.RESOLVED)

    assert store.status_history("fp")[0].changed_by == store._login_name()


def test_set_statuses_counts_unique_keys(store: StateStore) -> None:
    count = store.set_statuses(["a", "b", "a"], Status.RESOLVED, who="dan")

    assert count == 2
    assert set(store.statuses()) == {"a", "b"}
    assert len(store.status_history("a")) == 1


def test_mute_expires_on_clock(store: StateStore) -> None:
    store.add_mute("Rule", MuteEntity.HOST, "node-1", START + timedelta(hours=1))

    active = store.active_mutes()
    store.clock.now = START + timedelta(hours=1)
    expired = store.active_mutes()

    assert [mute.value for mute in active] == ["node-1"]
    assert active[0].created_at == START
    assert expired == []


def test_lifted_mute_is_inactive(store: StateStore) -> None:
    mute_id = store.add_mute(
        "Rule", MuteEntity.IMAGE, "nginx", START + timedelta(hours=8)
    )
    other = store.add_mute(
        "Rule", MuteEntity.EXECUTABLE, "/bin/sh", START + timedelta(hours=8)
    )

    store.lift_mute(mute_id, who="erin")

    assert [mute.id for mute in store.active_mutes()] == [other]


def test_mute_matches_rule_and_entity() -> None:
    alert = make_alert(1)
    mute_args = {"id": 1, "rule": alert.rule, "until": START, "created_at": START}

    from tui.state.triage import Mute

    host = Mute(entity=MuteEntity.HOST, value="node-1", created_by="x", **mute_args)
    image = Mute(entity=MuteEntity.IMAGE, value="redis", created_by="x", **mute_args)

    assert host.matches(alert)
    assert not image.matches(alert)
    assert not host.matches(make_alert(2, rule="Other rule"))
    assert entity_value(alert, MuteEntity.EXECUTABLE) == "/usr/bin/vi"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("15m", 900), ("8h", 28_800), ("2d", 172_800), (" 1H ", 3600)],
)
def test_parse_duration_valid(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "15", "0m", "-1h", "1.5h", "1w", "h"])
def test_parse_duration_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_migration_from_checklist_schema(tmp_path: Path) -> None:
    # Build the file exactly as the checklist-only version (schema 1) left it.
    connection = sqlite3.connect(tmp_path / STATE_FILE_NAME)
    _migrate_to_v1(connection)
    connection.execute(
        "INSERT INTO checklist VALUES ('fp', 'isolate', 1, '2026-01-01', 'zoe')"
    )
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()

    with StateStore(tmp_path) as state:
        version = state._run("PRAGMA user_version", ())[0][0]
        state.set_status("fp", Status.RESOLVED, who="zoe")

        assert version == SCHEMA_VERSION
        assert state.checklist("fp") == {"isolate": True}
        assert state.statuses() == {"fp": (Status.RESOLVED, "")}


WRITER = """
import sys
from tui.state import StateStore
from tui.state.triage import Status

state_dir, name = sys.argv[1], sys.argv[2]
with StateStore(state_dir) as state:
    for number in range(40):
        state.set_status(f"{name}-{number}", Status.ACKNOWLEDGED, "n", who=name)
        state.checklist(f"{name}-{number}")
"""


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    with StateStore(tmp_path) as observer:
        version_before = observer.data_version()
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(tmp_path), name],
                cwd=REPO_ROOT,
                env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
            )
            for name in ("one", "two")
        ]
        codes = [writer.wait(timeout=60) for writer in writers]

        statuses = observer.statuses()
        integrity = observer._run("PRAGMA integrity_check", ())

        assert codes == [0, 0]
        assert len(statuses) == 80
        assert observer.data_version() != version_before
        assert integrity == [("ok",)]
        assert len(observer.status_history("two-39")) == 1


def test_group_index_counts_incrementally() -> None:
    alerts = [make_alert(1), make_alert(2, hostname="node-2"), make_alert(3)]
    groups = GroupIndex(alerts)

    groups.add([0, 1])
    alerts.append(make_alert(0))
    groups.add([2, 3])

    first = groups.groups[0]
    assert [group.count for group in groups.groups] == [3, 1]
    assert first.members == [0, 2, 3]
    assert first.first_ns == alerts[3].time_ns
    assert first.last_ns == alerts[2].time_ns
    assert first.key == group_key(alerts[0])


def test_group_key_separates_executables() -> None:
    vi = make_alert(1)
    sh = make_alert(2, fields={"proc.exepath": "/bin/sh"})

    assert group_key(vi) != group_key(sh)
    assert group_key(vi)[:2] == group_key(sh)[:2]


@pytest.mark.parametrize("text", ["3651d", "99999999999d"])
def test_huge_mute_duration_rejected(text):
    from tui.state.triage import parse_duration

    with pytest.raises(ValueError, match="at most 3650d"):
        parse_duration(text)
