"""Persistent state in one SQLite file under the state folder.

The file is shared by every falco-tui process of one user: two instances over
two SSH sessions may write to it at the same time. WAL mode lets readers and a
writer proceed together, and the busy timeout makes a second writer wait instead
of failing. Every change is committed as soon as it is made, so a ``kill -9``
loses nothing that the user saw confirmed.

The schema version lives in ``PRAGMA user_version``. Each entry of
``_MIGRATIONS`` upgrades the file by one version; add new tables (triage
statuses, notes, mutes) as new entries and never edit an old one.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from tui.state.triage import TriageMixin, migrate_to_v2

STATE_FILE_NAME = "state.sqlite3"

# How long a write waits for another process that holds the write lock.
BUSY_TIMEOUT_MS = 5000


class StateError(Exception):
    """The state file cannot be opened, created or written."""


def default_state_dir() -> Path:
    """Return ``$XDG_STATE_HOME/falco-tui``, else ``~/.local/state/falco-tui``.

    The XDG Base Directory specification requires ignoring a relative
    ``XDG_STATE_HOME``, so only an absolute value is used.
    """
    xdg_state_home = os.environ.get("XDG_STATE_HOME", "")
    if xdg_state_home and os.path.isabs(xdg_state_home):
        return Path(xdg_state_home) / "falco-tui"
    return Path.home() / ".local" / "state" / "falco-tui"


def current_login_name() -> str:
    """Return the login name recorded with each change, or the numeric uid."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        # getpass falls back to the password database, which a container
        # running under an arbitrary uid may lack.
        return str(os.getuid())


def _migrate_to_v1(connection: sqlite3.Connection) -> None:
    connection.execute(
        """
        CREATE TABLE checklist (
            fingerprint TEXT NOT NULL,
            item_id TEXT NOT NULL,
            done INTEGER NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT,
            PRIMARY KEY (fingerprint, item_id)
        ) WITHOUT ROWID
        """
    )


# _MIGRATIONS[n] upgrades a file at user_version n to n + 1.
_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_to_v1,
    migrate_to_v2,
]

SCHEMA_VERSION = len(_MIGRATIONS)


class StateStore(TriageMixin):
    """Checklist ticks, triage statuses and mutes, stored in ``state.sqlite3``.

    Every method takes an internal lock, so the UI thread and a worker thread
    may share one store.
    """

    # Hooks of TriageMixin, which cannot import this module.
    _error_type = StateError
    _login_name = staticmethod(current_login_name)

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / STATE_FILE_NAME
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

        self._create_state_dir()
        try:
            self._connection = self._connect()
            self._migrate()
        except sqlite3.Error as error:
            self.close()
            raise StateError(self._describe(error)) from error
        except StateError:
            self.close()
            raise

    def checklist(self, fingerprint: str) -> dict[str, bool]:
        """Return the saved ticks of one alert as item id to done."""
        with self._lock:
            rows = self._run(
                "SELECT item_id, done FROM checklist WHERE fingerprint = ?",
                (fingerprint,),
            )
        return {item_id: bool(done) for item_id, done in rows}

    def set_checked(
        self, fingerprint: str, item_id: str, done: bool, who: str | None = None
    ) -> None:
        """Save one tick (or untick) with the time and the login name.

        ``who`` defaults to the login name of this process.
        """
        changed_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        changed_by = who if who is not None else current_login_name()
        with self._lock:
            self._run(
                """
                INSERT INTO checklist
                    (fingerprint, item_id, done, changed_at, changed_by)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (fingerprint, item_id) DO UPDATE SET
                    done = excluded.done,
                    changed_at = excluded.changed_at,
                    changed_by = excluded.changed_by
                """,
                (fingerprint, item_id, int(done), changed_at, changed_by),
            )

    def close(self) -> None:
        """Close the connection; calling it twice is harmless."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _create_state_dir(self) -> None:
        try:
            # 0o700: checklist history names users and alerts.
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StateError(
                f"Cannot create the state folder {self.state_dir}: "
                f"{error.strerror or error}. Pass --state DIR with a folder "
                "you can write to."
            ) from error

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None is autocommit: each statement outside an
        # explicit BEGIN is its own committed transaction.
        connection = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        # FULL syncs the WAL on every commit, so a tick also survives a power
        # loss. Writes are rare (one per user action), so the cost is small.
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    def _migrate(self) -> None:
        connection = self._require_connection()

        # BEGIN IMMEDIATE takes the write lock before reading the version, so
        # two instances starting together cannot both run one migration.
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"The state file {self.path} has schema version {version}, "
                    f"but this falco-tui supports versions up to {SCHEMA_VERSION}. "
                    "Upgrade falco-tui, or pass --state DIR to use another folder."
                )
            for migrate in _MIGRATIONS[version:]:
                migrate(connection)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _run(self, sql: str, parameters: tuple[object, ...]) -> list[tuple]:
        connection = self._require_connection()
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise StateError(self._describe(error)) from error

    def _require_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StateError(f"The state file {self.path} is already closed.")
        return self._connection

    def _describe(self, error: sqlite3.Error) -> str:
        if "not a database" in str(error):
            return (
                f"The state file {self.path} is not an SQLite database ({error}). "
                "Move it aside, or pass --state DIR to use another folder."
            )
        return (
            f"Cannot use the state file {self.path}: {error}. Check that the "
            "folder is writable, or pass --state DIR with a folder you can "
            "write to."
        )
