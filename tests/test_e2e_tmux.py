"""End-to-end: the installed ``falco-tui`` command in a real terminal (tmux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.tmux

COMMAND = Path(sys.executable).parent / "falco-tui"


def make_alert(rule: str, cmdline: str) -> bytes:
    """Build one Falco JSON alert line in the current layout."""
    alert = {
        "hostname": "e2e-host",
        "output": f"12:00:00.000000000: Warning {rule} | command={cmdline}",
        "output_fields": {
            "container.id": "host",
            "proc.cmdline": cmdline,
            "proc.name": "bash",
            "user.loginuid": 1000,
        },
        "priority": "Warning",
        "rule": rule,
        "source": "syscall",
        "tags": ["T1059"],
        "time": "2026-12-04T12:00:00.000000000Z",
    }
    return orjson.dumps(alert) + b"\n"


class Tmux:
    """A private tmux server (its own socket) holding one session."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return result.stdout

    def start(
        self,
        command: str,
        size: tuple[int, int] = (80, 24),
        env: tuple[str, ...] = (),
        cwd: str | None = None,
    ) -> None:
        """Start ``command`` in the session ``e2e`` on a terminal of ``size``."""
        options = ["-d", "-s", "e2e", "-x", str(size[0]), "-y", str(size[1])]
        if cwd is not None:
            options += ["-c", cwd]
        for variable in ("TERM=xterm-256color", *env):
            options += ["-e", variable]
        self.run("new-session", *options, command)

    def capture(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def wait_for(
        self, text: str, timeout: float = 20.0, gone: tuple[str, ...] = ()
    ) -> str:
        """Return the screen once it shows ``text`` and none of ``gone``.

        The detail pane follows the selection at most twice a second, so a
        screen can show the new list before the pane has caught up.
        """
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen and not any(old in screen for old in gone):
                return screen
            time.sleep(0.2)
        raise AssertionError(
            f"{text!r} without {gone!r} not on screen after {timeout} s:\n{screen}"
        )


@pytest.fixture
def tmux():
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed; .ci/run installs it")
        pytest.skip("tmux is not installed")
    server = Tmux(f"falco-tui-test-{uuid.uuid4().hex[:8]}")
    yield server
    subprocess.run(
        ["tmux", "-L", server.socket, "kill-server"], capture_output=True, check=False
    )


def test_appended_alert_shows_at_80x24(tmux, tmp_path):
    alerts = tmp_path / "events.json"
    alerts.write_bytes(make_alert("History rule one", "ls -la"))
    state = tmp_path / "state"
    command = f"{COMMAND} --state {state} {alerts}"

    tmux.start(command)
    tmux.wait_for("History rule one")

    with alerts.open("ab") as stream:
        stream.write(make_alert("Appended while running", "cat /etc/shadow"))
    screen = tmux.wait_for("Appended while running")

    assert "History rule one" in screen
    tmux.run("send-keys", "-t", "e2e", "q")


def test_filter_acknowledge_export_at_80x24(tmux, tmp_path):
    lines = [
        make_alert("Shell in web", "bash -i"),
        make_alert("Read shadow file", "cat /etc/shadow"),
        make_alert("Shell in db", "sh -c id"),
    ]
    alerts = tmp_path / "events.json"
    alerts.write_bytes(b"".join(lines))
    command = f"{COMMAND} --state {tmp_path / 'state'} {alerts}"
    tmux.start(command, cwd=str(tmp_path))
    tmux.wait_for("Shell in db")

    tmux.run("send-keys", "-t", "e2e", "/")
    tmux.wait_for("Filter")
    tmux.run("send-keys", "-t", "e2e", "-l", 'rule:shell -"sh -c"')
    tmux.run("send-keys", "-t", "e2e", "Enter")
    screen = tmux.wait_for("1 of 3 alerts", gone=("Shell in db",))
    assert "Read shadow file" not in screen

    # Acknowledge the one alert the filter shows, as a responder would.
    tmux.run("send-keys", "-t", "e2e", "a")
    screen = tmux.wait_for("[ACK]")
    assert "[ACK] Shell in web" in screen

    # The export prompt offers a new file in the current folder.
    tmux.run("send-keys", "-t", "e2e", "w")
    tmux.wait_for("Export shown alerts to")
    tmux.run("send-keys", "-t", "e2e", "Enter")
    tmux.wait_for("Exported 1 alert")
    tmux.run("send-keys", "-t", "e2e", "q")

    exported = list(tmp_path.glob("falco-alerts-*.jsonl"))
    assert len(exported) == 1
    assert exported[0].read_bytes() == lines[0]
