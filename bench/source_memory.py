"""Measure the dashboard's resident memory for each kind of source.

Usage (from the repository root, with tmux installed):

    PYTHONPATH=$PWD python bench/source_memory.py FILE [--parts 3]
        [--cases file,folder,files,stdin]

FILE is an alert file such as ``bench/generate_alerts.py`` writes. The script
splits it at line boundaries into ``--parts`` files in a temporary folder and
opens the dashboard in tmux on each case in turn:

- ``file``: FILE alone;
- ``folder``: the folder of parts;
- ``files``: the parts, each given on the command line;
- ``stdin``: ``cat FILE | falco-tui -``.

Once the status bar shows every alert and no source is still reading, it
waits two seconds and prints the dashboard's VmRSS and VmHWM (peak) in MiB.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run_benchmarks import COMMAND, Terminal, memory_kib, shown_count

CASES = ("file", "folder", "files", "stdin")

LOAD_TIMEOUT_SECONDS = 1800


def split_file(path: Path, folder: Path, parts: int) -> list[Path]:
    """Split ``path`` into ``parts`` files of about equal size, at line ends."""
    size = path.stat().st_size
    outputs = [folder / f"part{number:02d}.json" for number in range(parts)]
    with path.open("rb") as source:
        for number, output in enumerate(outputs):
            limit = size * (number + 1) // parts
            with output.open("wb") as target:
                while source.tell() < limit:
                    line = source.readline()
                    if not line:
                        break
                    target.write(line)
    return outputs


def case_arguments(case: str, path: Path, folder: Path, parts: list[Path]) -> str:
    """Return the shell command line after ``falco-tui`` for ``case``."""
    if case == "file":
        return shlex.quote(str(path))
    if case == "folder":
        return shlex.quote(str(folder))
    if case == "files":
        return " ".join(shlex.quote(str(part)) for part in parts)
    return "-"


def dashboard_pid(pane_pid: int) -> int:
    """Return the pid of the dashboard: the pane's process or its descendant."""
    pending = [pane_pid]
    while pending:
        pid = pending.pop()
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        # The shell of a pipeline names falco-tui in its "-c" argument, so
        # only the program or the script it runs counts.
        if any(part.endswith(b"falco-tui") for part in command.split(b"\0")[:2]):
            return pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pending.extend(int(child) for child in children)
    raise LookupError(f"no falco-tui process under pid {pane_pid}")


def loaded(screen: str, count: int) -> bool:
    """Return True once every alert shows and no source reads history."""
    status = screen.splitlines()[0] if screen else ""
    busy = "reading" in status or "indexing" in status
    return shown_count(screen) >= count and not busy


def measure(case: str, arguments: str, path: Path, count: int, state: Path) -> dict:
    """Open the dashboard on ``arguments``; return its memory once loaded."""
    terminal = Terminal()
    command = f"{COMMAND} --state {shlex.quote(str(state))} {arguments}"
    if case == "stdin":
        command = f"cat {shlex.quote(str(path))} | {command}"
    else:
        command = f"exec {command}"
    environment = f"PYTHONPATH={os.environ.get('PYTHONPATH', '')}"
    start = time.monotonic()
    terminal.tmux(
        "new-session", "-d", "-s", "bench", "-x", "160", "-y", "40",
        "-e", "TERM=xterm-256color", "-e", environment, command,
    )  # fmt: skip
    try:
        terminal.wait_until(lambda screen: loaded(screen, count), LOAD_TIMEOUT_SECONDS)
        seconds = time.monotonic() - start
        # Let the last redraws and the collector settle before reading memory.
        time.sleep(2)
        memory = memory_kib(dashboard_pid(terminal.pid()))
        terminal.keys("q")
    finally:
        terminal.stop()
    return {"seconds": seconds, **memory}


def count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for line in stream if line.strip())


def main() -> int:
    """Measure each requested case and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="the alert file (JSON lines)")
    parser.add_argument("--parts", type=int, default=3, help="files to split into")
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated: {','.join(CASES)}"
    )
    options = parser.parse_args()
    cases = options.cases.split(",")
    count = count_lines(options.file)
    print(f"{count} alerts, {options.file.stat().st_size / 2**20:.0f} MiB")
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version[:6]}")

    with tempfile.TemporaryDirectory(prefix="falco-tui-memory-") as work:
        workdir = Path(work)
        folder = workdir / "parts"
        folder.mkdir()
        parts = split_file(options.file, folder, options.parts)
        for case in cases:
            arguments = case_arguments(case, options.file, folder, parts)
            figures = measure(case, arguments, options.file, count, workdir / case)
            print(
                f"{case:7} VmRSS {figures['VmRSS'] / 1024:6.0f} MiB  "
                f"VmHWM {figures['VmHWM'] / 1024:6.0f} MiB  "
                f"loaded in {figures['seconds']:.0f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
