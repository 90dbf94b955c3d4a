"""End-to-end: a file bigger than the indexed tail, opened in a real terminal."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from alert_files import generated_file
from test_e2e_tmux import COMMAND, Tmux

pytestmark = pytest.mark.tmux


@pytest.fixture
def terminal():
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    server = Tmux(f"falco-tui-index-{uuid.uuid4().hex[:8]}")
    yield server
    subprocess.run(
        ["tmux", "-L", server.socket, "kill-server"], capture_output=True, check=False
    )


def test_big_file_numbered_in_order(terminal: Tmux, tmp_path: Path) -> None:
    # 3,000 generated alerts make about 3.6 MB, more than the 1 MiB read first.
    alerts = generated_file(tmp_path / "events.jsonl", 3000)
    command = f"{COMMAND} --state {tmp_path / 'state'} {alerts}"

    terminal.start(command, size=(120, 30))
    terminal.wait_for("following", timeout=60)
    # The tail's numbers arrive with the last batch, one refresh later.
    screen = terminal.wait_for("┃3000 ", timeout=20)

    assert "3,000 alerts" in screen
    terminal.run("send-keys", "-t", "e2e", "g")
    screen = terminal.wait_for("┃   1 ", timeout=20)
    terminal.run("send-keys", "-t", "e2e", "q")
