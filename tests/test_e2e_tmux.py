"""End-to-end: the installed ``falco-tui`` command in a real terminal (tmux)."""

from __future__ import annotations

import os
import re
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


def make_alert(
    rule: str, cmdline: str, time: str = "2026-12-04T12:00:00.000000000Z"
) -> bytes:
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
        "time": time,
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

    def capture_styled(self) -> str:
        """Return the screen with its SGR escape sequences."""
        return self.run("capture-pane", "-p", "-e", "-t", "e2e")

    def wait_for_absence(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text not in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} still on screen after {timeout} s:\n{screen}")

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


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def apply_sgr(style: dict, codes: list[int]) -> None:
    """Update ``style`` (foreground, background) with one SGR sequence.

    Reverse video is left out: it swaps the two, so equal colours stay equal.
    """
    index = 0
    while index < len(codes):
        code = codes[index]
        if code in (38, 48) and index + 2 < len(codes) and codes[index + 1] == 5:
            # The 256-colour form: 38;5;N or 48;5;N.
            key = "foreground" if code == 38 else "background"
            style[key] = f"c{codes[index + 2]}"
            index += 3
            continue
        if code == 0:
            style.update(foreground=None, background=None)
        elif code in (39, 49):
            style["foreground" if code == 39 else "background"] = None
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style["foreground"] = f"c{code - 30 if code < 90 else code - 82}"
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style["background"] = f"c{code - 40 if code < 100 else code - 92}"
        index += 1


def invisible_words(styled: str, words: tuple[str, ...]) -> list[str]:
    """Return the ``words`` drawn in their background's colour."""
    found = []
    # tmux writes a style only where it changes, so it carries across lines.
    style = {"foreground": None, "background": None}
    for line in styled.splitlines():
        position = 0
        for match in [*SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            colours = (style["foreground"], style["background"])
            same = colours[0] is not None and colours[0] == colours[1]
            text = line[position:end]
            found += [word for word in words if same and word in text]
            if match is None:
                break
            apply_sgr(style, [int(code or 0) for code in match.group(1).split(";")])
            position = match.end()
    return found


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


def test_piped_alerts_open_raw_and_export(tmux, tmp_path):
    lines = [
        make_alert("Piped rule one", "id"),
        make_alert("Piped rule two", "cat /etc/hosts"),
    ]
    alerts = tmp_path / "events.json"
    alerts.write_bytes(b"".join(lines))
    state = tmp_path / "state"
    command = f"cat {alerts} | {COMMAND} --state {state} -"
    tmux.start(command, cwd=str(tmp_path))
    tmux.wait_for("stdin: ended")

    # The selected alert is the last one; its raw line is read from the spool.
    tmux.run("send-keys", "-t", "e2e", "r")
    screen = tmux.wait_for("Raw line (-:2)")
    assert '{"hostname":"e2e-host","output":"1' in screen

    tmux.run("send-keys", "-t", "e2e", "w")
    tmux.wait_for("Export shown alerts to")
    tmux.run("send-keys", "-t", "e2e", "Enter")
    tmux.wait_for("Exported 2 alerts")
    # The spool file was unlinked when it was created.
    assert list((state / "tmp").iterdir()) == []
    tmux.run("send-keys", "-t", "e2e", "q")

    exported = list(tmp_path.glob("falco-alerts-*.jsonl"))
    assert len(exported) == 1
    assert exported[0].read_bytes() == b"".join(lines)


@pytest.mark.parametrize(
    "env",
    [
        ("TERM=screen", "TEXTUAL_COLOR_SYSTEM=standard"),
        ("TERM=screen", "NO_COLOR=1"),
        ("TEXTUAL_THEME=textual-light", "TEXTUAL_COLOR_SYSTEM=standard"),
    ],
    ids=["16-colours", "no-colour", "light"],
)
def test_narrow_screen_keeps_text_readable(tmux, tmp_path, env):
    lines = [
        make_alert("Shell in web", "bash -i", "2019-07-02T08:05:09.000000000Z"),
        make_alert("Read shadow file", "cat /etc/shadow"),
        make_alert("Shell in db", "sh -c id", "2026-03-01T08:05:09.000000000Z"),
    ]
    alerts = tmp_path / "events.json"
    alerts.write_bytes(b"".join(lines))
    tmux.start(f"{COMMAND} --state {tmp_path / 'state'} {alerts}", env=env)
    screen = tmux.wait_for("Shell in db")
    # An alert from another year shows its year in the 11-cell time column.
    assert "2019-07-02" in screen
    assert "03-01 08:05" in screen
    assert "Detail" in screen
    # The unfocused panes' titles (on their borders) show in every mode.
    assert not invisible_words(tmux.capture_styled(), ("Detail", "Checklist"))

    # A long filter keeps the status bar on one line, with its counts. The
    # text is sent right after the / key, and the prompt must take all of it.
    long_filter = "rule:shell -proc.name=zsh -proc.name=fish -user.name=backup"
    tmux.run("send-keys", "-t", "e2e", "-l", "/" + long_filter)
    tmux.run("send-keys", "-t", "e2e", "Enter")
    screen = tmux.wait_for("2 of 3 alerts")
    top = screen.splitlines()
    assert "…" in top[0]
    assert "Alerts" in top[1]

    # An invalid filter points at the column below the text, which stays.
    tmux.run("send-keys", "-t", "e2e", "/")
    tmux.wait_for("▔ Filter")
    tmux.run("send-keys", "-t", "e2e", "C-u")
    # Textual's Input runs ctrl+u's deletion after printable keys that follow
    # it closely, so wait for the empty prompt's placeholder before typing.
    tmux.wait_for("(empty: all)")
    tmux.run("send-keys", "-t", "e2e", "-l", "proc.pid>abc")
    tmux.wait_for("proc.pid>abc")
    tmux.run("send-keys", "-t", "e2e", "Enter")
    screen = tmux.wait_for("Invalid filter")
    rows = screen.splitlines()
    text_row = next(n for n, row in enumerate(rows) if "proc.pid>abc" in row)
    caret_row = next(n for n, row in enumerate(rows) if "^ Invalid filter" in row)
    assert caret_row == text_row + 2
    assert rows[caret_row].index("^") == rows[text_row].index("abc")
    assert "2 of 3 alerts" in rows[0]
    # A key sent right after Escape would read as an Alt combination.
    tmux.run("send-keys", "-t", "e2e", "Escape")
    tmux.wait_for_absence("▔ Filter")

    # Find counts its matches as it steps.
    tmux.run("send-keys", "-t", "e2e", "C-f")
    tmux.wait_for("▔ Find")
    tmux.run("send-keys", "-t", "e2e", "-l", "shell")
    tmux.run("send-keys", "-t", "e2e", "Enter")
    tmux.wait_for("of 2")
    tmux.run("send-keys", "-t", "e2e", "n")
    tmux.wait_for("match")
    tmux.run("send-keys", "-t", "e2e", "q")


def palette_rgb(number: int) -> tuple[int, int, int]:
    """Return the usual RGB of one of xterm's 256 colours (16 to 255)."""
    if number >= 232:
        grey = 8 + (number - 232) * 10
        return (grey, grey, grey)
    levels = (0, 95, 135, 175, 215, 255)
    number -= 16
    return (levels[number // 36], levels[number // 6 % 6], levels[number % 6])


def contrast(first: str, second: str) -> float:
    """Return the WCAG 2 contrast ratio of two ``cN`` colours (N from 16)."""

    def luminance(colour: str) -> float:
        channels = [value / 255 for value in palette_rgb(int(colour[1:]))]
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def word_contrasts(styled: str, words: tuple[str, ...]) -> list[tuple[str, float]]:
    """Return each of ``words`` on the screen with its colours' contrast."""
    found = []
    style = {"foreground": None, "background": None}
    for line in styled.splitlines():
        position = 0
        for match in [*SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            text = line[position:end]
            colours = (style["foreground"], style["background"])
            for word in words:
                if re.search(rf"\b{word}\b", text) and None not in colours:
                    found.append((word, contrast(*colours)))
            if match is None:
                break
            apply_sgr(style, [int(code or 0) for code in match.group(1).split(";")])
            position = match.end()
    return found


@pytest.mark.parametrize(
    "env",
    [(), ("TEXTUAL_THEME=textual-light",), ("NO_COLOR=1",)],
    ids=["dark", "light", "no-colour"],
)
def test_priority_labels_have_contrast(tmux, tmp_path, env):
    priorities = ("Critical", "Error", "Warning", "Notice", "Informational")
    lines = []
    for minute, priority in enumerate(priorities):
        line = make_alert(f"{priority} rule", "id", f"2026-12-04T12:0{minute}:00Z")
        lines.append(line.replace(b'"Warning"', f'"{priority}"'.encode()))
    alerts = tmp_path / "events.json"
    alerts.write_bytes(b"".join(lines))
    tmux.start(f"{COMMAND} --state {tmp_path / 'state'} {alerts}", env=env)
    tmux.wait_for("Informational rule")
    # Select the first row, so the list and the cursor row both show labels.
    tmux.run("send-keys", "-t", "e2e", "g")
    tmux.wait_for("Critical rule")
    time.sleep(1)

    labels = ("CRIT", "ERR", "WARN", "NOTE", "INFO")
    found = word_contrasts(tmux.capture_styled(), labels)

    # Each label shows in the status bar and in the list.
    for label in labels:
        assert sum(word == label for word, _ in found) >= 2, (label, found)
    faint = [(word, round(ratio, 2)) for word, ratio in found if ratio < 4.5]
    assert not faint


ATTRIBUTES = {1: "bold", 4: "underline", 7: "reverse"}
ATTRIBUTE_RESETS = {22: "bold", 24: "underline", 27: "reverse"}


def word_looks(styled: str, words: tuple[str, ...]) -> dict[str, set[tuple]]:
    """Return each word's looks on screen: colours plus bold, underline, reverse."""
    looks: dict[str, set[tuple]] = {word: set() for word in words}
    style = {"foreground": None, "background": None}
    attributes: set[str] = set()
    for line in styled.splitlines():
        position = 0
        for match in [*SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            text = line[position:end]
            for word in words:
                if re.search(rf"\b{word}\b", text):
                    look = (
                        style["foreground"],
                        style["background"],
                        *sorted(attributes),
                    )
                    looks[word].add(look)
            if match is None:
                break
            codes = [int(code or 0) for code in match.group(1).split(";")]
            apply_sgr(style, codes)
            for code in codes:
                if code == 0:
                    attributes.clear()
                attributes.add(ATTRIBUTES.get(code, ""))
                attributes.discard(ATTRIBUTE_RESETS.get(code, ""))
            attributes.discard("")
            position = match.end()
    return looks


def test_priority_labels_differ_in_16_colours(tmux, tmp_path):
    priorities = ("Critical", "Error", "Warning")
    lines = []
    for minute, priority in enumerate(priorities):
        line = make_alert(f"{priority} rule", "id", f"2026-12-04T12:0{minute}:00Z")
        lines.append(line.replace(b'"Warning"', f'"{priority}"'.encode()))
    alerts = tmp_path / "events.json"
    alerts.write_bytes(b"".join(lines))
    env = ("TERM=screen", "TEXTUAL_COLOR_SYSTEM=standard")
    tmux.start(f"{COMMAND} --state {tmp_path / 'state'} {alerts}", env=env)
    tmux.wait_for("Warning rule")
    # Select the critical alert, so the error and warning labels are off the
    # cursor. The cursor row keeps its own colours.
    tmux.run("send-keys", "-t", "e2e", "g")
    time.sleep(1)

    looks = word_looks(tmux.capture_styled(), ("CRIT", "ERR", "WARN"))

    # The labels show in the status bar and in the list, and no two share a
    # look there.
    assert all(looks.values()), looks
    assert not looks["CRIT"] & looks["ERR"]
    assert not looks["CRIT"] & looks["WARN"]
    assert not looks["ERR"] & looks["WARN"]
    # Warnings are yellow (ANSI 3 or 11), not red like the other two.
    assert all(look[0] in ("c3", "c11") for look in looks["WARN"]), looks


def test_deeply_nested_alert_shows_and_quits(tmux, tmp_path):
    # orjson reads 1024 levels, but walking this value in Python raises
    # RecursionError, and Textual hangs while it prints such an error.
    deep = make_alert("Deeply nested value", "id").replace(
        b'"user.loginuid":1000', b'"user.loginuid":' + b"[" * 1000 + b"]" * 1000
    )
    alerts = tmp_path / "events.json"
    alerts.write_bytes(deep + make_alert("Alert after it", "ls"))
    command = (
        f"{COMMAND} --state {tmp_path / 'state'} {alerts}; echo app-exited; sleep 60"
    )

    tmux.start(command)
    tmux.wait_for("Alert after it")
    screen = tmux.wait_for("2 alerts")

    assert "Deeply nested value" in screen
    tmux.run("send-keys", "-t", "e2e", "Up")
    tmux.wait_for("│ Deeply nested value")
    tmux.run("send-keys", "-t", "e2e", "r")
    tmux.wait_for("Raw line")
    tmux.run("send-keys", "-t", "e2e", "r")
    tmux.wait_for_absence("Raw line")
    tmux.run("send-keys", "-t", "e2e", "q")
    tmux.wait_for("app-exited")


def test_report_of_file_with_undecodable_name(tmux, tmp_path):
    folder = tmp_path / "alerts"
    folder.mkdir()
    name = os.path.join(os.fsencode(folder), b"bad\xff\xfe.json")
    Path(os.fsdecode(name)).write_bytes(make_alert("Rule in odd file", "id"))
    state = tmp_path / "state"
    command = f"{COMMAND} --state {state} {folder}; echo app-exited; sleep 60"

    tmux.start(command)
    tmux.wait_for("Rule in odd file")
    tmux.run("send-keys", "-t", "e2e", "e")
    tmux.wait_for("Report written")
    tmux.run("send-keys", "-t", "e2e", "q")
    tmux.wait_for("app-exited")

    (report,) = (state / "reports").iterdir()
    assert "bad\ufffd\ufffd.json" in report.read_text(encoding="utf-8")
