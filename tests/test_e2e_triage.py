"""End-to-end: acknowledge an alert in the real ``falco-tui`` command in tmux."""

from __future__ import annotations

import subprocess
import time

import pytest
from test_e2e_tmux import COMMAND, make_alert, tmux  # noqa: F401 (fixture)

from tui.state import StateStore
from tui.state.triage import Status

pytestmark = pytest.mark.tmux


def session_running(server) -> bool:
    """Return True while the tmux session runs (its server exits with it)."""
    result = subprocess.run(
        ["tmux", "-L", server.socket, "has-session", "-t", "e2e"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize(
    "colour",
    ["TEXTUAL_COLOR_SYSTEM=truecolor", "TEXTUAL_COLOR_SYSTEM=standard", "NO_COLOR=1"],
)
def test_acknowledge_shows_at_80x24(tmux, tmp_path, colour):  # noqa: F811
    alerts = tmp_path / "events.json"
    alerts.write_bytes(make_alert("Triage me", "ls -la"))
    state = tmp_path / "state"
    command = f"{COMMAND} --state {state} {alerts}"

    tmux.start(command, env=(colour,))
    tmux.wait_for("Triage me")

    tmux.run("send-keys", "-t", "e2e", "a")
    screen = tmux.wait_for("[ACK] Triage me")

    assert "Status acknowledged" in screen
    tmux.run("send-keys", "-t", "e2e", "q")

    # The status was saved at once, so it is in the file after quitting.
    deadline = time.monotonic() + 10
    while session_running(tmux) and time.monotonic() < deadline:
        time.sleep(0.1)
    with StateStore(state) as saved:
        statuses = list(saved.statuses().values())
    assert statuses == [(Status.ACKNOWLEDGED, "")]
