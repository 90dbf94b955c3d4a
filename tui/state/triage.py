"""Triage statuses with their history, and mutes, in the state file.

A status belongs to a key: an alert's fingerprint. Setting the status of a
group of repeats sets the status of each member alert, so a group has no row
of its own and a later member starts as new. Every change appends a history row
and replaces the current status in the same short transaction.

A mute hides the alerts of one rule whose entity (host, container image or
executable path) has one value, until a UTC time. Lifting a mute keeps its row,
marked with who lifted it and when.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tui.parsing.alert import Alert


class Status(StrEnum):
    """The triage status of an alert."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false positive"

    @property
    def marker(self) -> str:
        """A short text form for the list, readable without colour."""
        return _MARKERS[self]


_MARKERS = {
    Status.NEW: "",
    Status.ACKNOWLEDGED: "ACK",
    Status.RESOLVED: "RES",
    Status.FALSE_POSITIVE: "FP",
}


class MuteEntity(StrEnum):
    """The alert field a mute matches, besides the rule."""

    HOST = "host"
    IMAGE = "image"
    EXECUTABLE = "executable"


def entity_value(alert: Alert, entity: MuteEntity) -> str | None:
    """Return the value of ``entity`` in ``alert``, or None when it is missing."""
    if entity is MuteEntity.HOST:
        value = alert.hostname
    elif entity is MuteEntity.IMAGE:
        value = alert.field("container.image.repository", "container.image")
    else:
        value = alert.field("proc.exepath")
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One row of a key's status history."""

    status: Status
    note: str
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class Mute:
    """A rule hidden for one entity value until ``until`` (UTC)."""

    id: int
    rule: str
    entity: MuteEntity
    value: str
    until: datetime
    created_at: datetime
    created_by: str

    def matches(self, alert: Alert) -> bool:
        """Return True when ``alert`` has this rule and entity value."""
        return alert.rule == self.rule and entity_value(alert, self.entity) == (
            self.value
        )

    def active(self, now: datetime) -> bool:
        """Return True while the mute has not expired at ``now``."""
        return now < self.until


def migrate_to_v2(connection: sqlite3.Connection) -> None:
    """Create the status, status history and mute tables."""
    connection.execute(
        """
        CREATE TABLE triage_status (
            key TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            note TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )
    connection.execute(
        """
        CREATE TABLE triage_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL
        )
        """
    )
    connection.execute("CREATE INDEX triage_history_key ON triage_history (key)")
    connection.execute(
        """
        CREATE TABLE mutes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rule TEXT NOT NULL,
            entity TEXT NOT NULL,
            value TEXT NOT NULL,
            until TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            lifted_at TEXT,
            lifted_by TEXT
        )
        """
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TriageMixin:
    """Status and mute methods of ``StateStore``, which supplies the connection.

    ``clock`` returns the current UTC time; tests replace it to move time.
    """

    clock: Callable[[], datetime] = staticmethod(_utc_now)

    def set_status(
        self, key: str, status: Status, note: str = "", who: str | None = None
    ) -> None:
        """Save one key's status and note, and append it to the history."""
        self.set_statuses([key], status, note, who)

    def set_statuses(
        self,
        keys: Iterable[str],
        status: Status,
        note: str = "",
        who: str | None = None,
    ) -> int:
        """Save one status for many keys in one transaction and return the key count.

        One transaction keeps a bulk change all-or-nothing, and commits it
        with one sync instead of one per alert.
        """
        changed_at = _iso(self.clock())
        changed_by = who if who is not None else self._login_name()
        rows = [
            (key, str(status), note, changed_at, changed_by)
            for key in dict.fromkeys(keys)
        ]
        with self._lock:
            self._write_many(
                [
                    (
                        """
                        INSERT INTO triage_status
                            (key, status, note, changed_at, changed_by)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET
                            status = excluded.status,
                            note = excluded.note,
                            changed_at = excluded.changed_at,
                            changed_by = excluded.changed_by
                        """,
                        rows,
                    ),
                    (
                        """
                        INSERT INTO triage_history
                            (key, status, note, changed_at, changed_by)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                        rows,
                    ),
                ]
            )
        return len(rows)

    def statuses(self) -> dict[str, tuple[Status, str]]:
        """Return every saved key's current status and note."""
        with self._lock:
            rows = self._run("SELECT key, status, note FROM triage_status", ())
        return {key: (Status(status), note) for key, status, note in rows}

    def status_history(self, key: str) -> list[StatusChange]:
        """Return the status changes of ``key``, oldest first."""
        with self._lock:
            rows = self._run(
                """
                SELECT status, note, changed_at, changed_by FROM triage_history
                WHERE key = ? ORDER BY id
                """,
                (key,),
            )
        return [
            StatusChange(Status(status), note, datetime.fromisoformat(at), by)
            for status, note, at, by in rows
        ]

    def add_mute(
        self,
        rule: str,
        entity: MuteEntity,
        value: str,
        until: datetime,
        who: str | None = None,
    ) -> int:
        """Save a mute and return its id."""
        created_by = who if who is not None else self._login_name()
        with self._lock:
            self._run(
                """
                INSERT INTO mutes (rule, entity, value, until, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (rule, str(entity), value, _iso(until), _iso(self.clock()), created_by),
            )
            return self._run("SELECT last_insert_rowid()", ())[0][0]

    def lift_mute(self, mute_id: int, who: str | None = None) -> None:
        """Lift a mute now, keeping its row as a record."""
        lifted_by = who if who is not None else self._login_name()
        with self._lock:
            self._run(
                "UPDATE mutes SET lifted_at = ?, lifted_by = ? WHERE id = ?",
                (_iso(self.clock()), lifted_by, mute_id),
            )

    def active_mutes(self) -> list[Mute]:
        """Return the mutes neither lifted nor expired at ``clock()``, by end time."""
        with self._lock:
            rows = self._run(
                """
                SELECT id, rule, entity, value, until, created_at, created_by
                FROM mutes WHERE lifted_at IS NULL AND until > ? ORDER BY until, id
                """,
                (_iso(self.clock()),),
            )
        return [
            Mute(
                id=mute_id,
                rule=rule,
                entity=MuteEntity(entity),
                value=value,
                until=datetime.fromisoformat(until),
                created_at=datetime.fromisoformat(created_at),
                created_by=created_by,
            )
            for mute_id, rule, entity, value, until, created_at, created_by in rows
        ]

    def data_version(self) -> int:
        """Return SQLite's data version, which grows when another connection commits.

        Changes made through this store's own connection leave it unchanged.
        """
        with self._lock:
            return self._run("PRAGMA data_version", ())[0][0]

    def _write_many(self, statements: list[tuple[str, list[tuple]]]) -> None:
        connection = self._require_connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    connection.executemany(sql, rows)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise self._error_type(self._describe(error)) from error


MUTE_DURATIONS = ("15m", "1h", "8h", "24h")
"""The durations the mute dialog offers before a custom one."""

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


MAX_DURATION_SECONDS = 3650 * 86_400
"""The longest mute, ten years. Much longer durations overflow ``datetime``."""


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``15m``, ``8h`` or ``2d`` into a positive timedelta.

    Raises ValueError with a message for the user on anything else.
    """
    cleaned = text.strip().lower()
    number, unit = cleaned[:-1], cleaned[-1:]
    if unit not in _DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise ValueError(
            f"invalid duration {text!r}: expected a whole number and a unit "
            "s, m, h or d, such as 15m or 8h"
        )
    seconds = int(number) * _DURATION_UNITS[unit]
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(
            f"invalid duration {text!r}: at most 3650d (ten years); lift the "
            "mute by hand if it should last longer"
        )
    return timedelta(seconds=seconds)
