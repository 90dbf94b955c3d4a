"""Tests for the SQLite state store, on real SQLite files in tmp_path."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tui.state import StateError, StateStore, default_state_dir
from tui.state.db import SCHEMA_VERSION, STATE_FILE_NAME

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_default_state_dir_uses_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/srv/state")

    assert default_state_dir() == Path("/srv/state/falco-tui")


def test_default_state_dir_ignores_relative_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    monkeypatch.setenv("HOME", str(tmp_path))

    assert default_state_dir() == tmp_path / ".local/state/falco-tui"


def test_default_state_dir_without_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert default_state_dir() == tmp_path / ".local/state/falco-tui"


def test_checklist_empty_for_unknown_alert(tmp_path: Path) -> None:
    with StateStore(tmp_path) as store:
        assert store.checklist("no-such-fingerprint") == {}


def test_set_checked_round_trip(tmp_path: Path) -> None:
    with StateStore(tmp_path) as store:
        store.set_checked("fp1", "isolate", True)
        store.set_checked("fp1", "rotate-keys", False)
        store.set_checked("fp2", "isolate", False)

        assert store.checklist("fp1") == {"isolate": True, "rotate-keys": False}
        assert store.checklist("fp2") == {"isolate": False}


def test_set_checked_overwrites_item(tmp_path: Path) -> None:
    with StateStore(tmp_path) as store:
        store.set_checked("fp1", "isolate", True)
        store.set_checked("fp1", "isolate", False)

        assert store.checklist("fp1") == {"isolate": False}


def test_set_checked_records_who_and_when(tmp_path: Path) -> None:
    with StateStore(tmp_path) as store:
        store.set_checked("fp1", "isolate", True, who="alice")
        store.set_checked("fp1", "rotate-keys", True)

    connection = sqlite3.connect(tmp_path / STATE_FILE_NAME)
    rows = dict(
        connection.execute("SELECT item_id, changed_by FROM checklist").fetchall()
    )
    times = [row[0] for row in connection.execute("SELECT changed_at FROM checklist")]
    connection.close()

    assert rows["isolate"] == "alice"
    assert rows["rotate-keys"]
    assert all(time.endswith("+00:00") for time in times)


def test_state_survives_reopen(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_checked("fp1", "isolate", True)
    store.close()

    reopened = StateStore(tmp_path)

    assert reopened.checklist("fp1") == {"isolate": True}
    reopened.close()


def test_close_twice_is_harmless(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.close()
    store.close()

    with pytest.raises(StateError, match="already closed"):
        store.checklist("fp1")


CHILD_SCRIPT = """
import sys, time
from pathlib import Path
from tui.state import StateStore

store = StateStore(Path(sys.argv[1]))
store.set_checked("fp-killed", "isolate", True, who="child")
print("saved", flush=True)
time.sleep(60)
"""


def test_state_survives_sigkill(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_SCRIPT, str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)

    assert child.returncode == -signal.SIGKILL
    with StateStore(tmp_path) as store:
        assert store.checklist("fp-killed") == {"isolate": True}


def test_two_connections_see_each_other(tmp_path: Path) -> None:
    first = StateStore(tmp_path)
    second = StateStore(tmp_path)

    first.set_checked("fp1", "isolate", True)
    assert second.checklist("fp1") == {"isolate": True}

    second.set_checked("fp1", "isolate", False)
    assert first.checklist("fp1") == {"isolate": False}

    first.close()
    second.close()


def test_store_shared_between_threads(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    errors: list[BaseException] = []

    def tick_items(worker: int) -> None:
        try:
            for index in range(50):
                store.set_checked("fp1", f"item-{worker}-{index}", True)
        except BaseException as error:  # noqa: BLE001 - reported by the assert
            errors.append(error)

    threads = [threading.Thread(target=tick_items, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(store.checklist("fp1")) == 200
    store.close()


def test_new_file_uses_wal_and_current_version(tmp_path: Path) -> None:
    StateStore(tmp_path).close()

    connection = sqlite3.connect(tmp_path / STATE_FILE_NAME)
    journal_mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    connection.close()

    assert journal_mode == "wal"
    assert version == SCHEMA_VERSION


def test_creates_missing_state_dir(tmp_path: Path) -> None:
    state_dir = tmp_path / "nested" / "falco-tui"

    StateStore(state_dir).close()

    assert (state_dir / STATE_FILE_NAME).is_file()


def test_unwritable_state_dir_raises(tmp_path: Path) -> None:
    # Running as root defeats chmod, so a folder below a regular file replaces
    # a folder that cannot be created.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    state_dir = blocker / "falco-tui"

    with pytest.raises(StateError) as raised:
        StateStore(state_dir)

    assert str(state_dir) in str(raised.value)
    assert "--state DIR" in str(raised.value)


def test_state_file_that_is_a_folder_raises(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE_NAME).mkdir()

    with pytest.raises(StateError) as raised:
        StateStore(tmp_path)

    assert str(tmp_path / STATE_FILE_NAME) in str(raised.value)
    assert "--state DIR" in str(raised.value)


def test_corrupt_state_file_raises(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE_NAME).write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StateError) as raised:
        StateStore(tmp_path)

    assert "not an SQLite database" in str(raised.value)
    assert "Move it aside" in str(raised.value)


def test_newer_schema_version_raises(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / STATE_FILE_NAME)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(StateError, match="Upgrade falco-tui"):
        StateStore(tmp_path)


def test_old_empty_file_is_migrated(tmp_path: Path) -> None:
    # A file at version 0 (created by something else, no tables) gets the
    # current schema and stays usable.
    sqlite3.connect(tmp_path / STATE_FILE_NAME).close()

    with StateStore(tmp_path) as store:
        store.set_checked("fp1", "isolate", True)

        assert store.checklist("fp1") == {"isolate": True}
