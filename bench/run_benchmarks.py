"""Measure falco-tui on one generated alert file and print the figures.

Usage (from the repository root, with tmux and jq installed):

    PYTHONPATH=$PWD python bench/run_benchmarks.py --count 1000000

It writes the file with ``bench/generate_alerts.py`` (or reuses it with
``--reuse``), then measures, in one run:

- ``falco-tui summary`` time as a ratio to a plain ``orjson.loads`` loop over
  every line, and ``jq`` counting the same priorities;
- with the dashboard in a real terminal (tmux): time until the first alert
  rows are on screen and until the whole file is indexed, then the resident
  memory (VmRSS) of the dashboard process;
- a flood: a writer appends alerts at ``--rate`` per second for
  ``--flood-seconds`` to a followed file, while the ``f`` key is pressed
  once a second; it prints the ingest rate, lost alerts and key response.

Times come from ``time.monotonic`` in this process; screen checks poll
``tmux capture-pane``, so they include up to one poll interval.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson

BENCH_DIR = Path(__file__).resolve().parent
GENERATOR = BENCH_DIR / "generate_alerts.py"
COMMAND = Path(sys.executable).parent / "falco-tui"

POLL_SECONDS = 0.02

PRESS_INTERVAL_SECONDS = 0.25
"""Pause between key presses in the flood: about 100 presses in 30 s, enough
for a 95th percentile that one slow press does not decide."""
# A list row starts with the alert number (or an ellipsis while the number
# is unknown) followed by the time column.
ROW_PATTERN = re.compile(r"^\W?\s*(?:\d+|…)\s+(?:\d{2}){1,2}[-:]\d{2}", re.MULTILINE)
COUNT_PATTERN = re.compile(r"([\d,]+) alerts?\b")


def generate(path: Path, count: int, seed: int) -> None:
    """Write ``count`` generated alerts to ``path``."""
    with path.open("wb") as out:
        subprocess.run(
            [sys.executable, str(GENERATOR), str(count), "--seed", str(seed)],
            stdout=out,
            check=True,
        )


def time_call(function, *args) -> tuple[float, object]:
    start = time.monotonic()
    result = function(*args)
    return time.monotonic() - start, result


def orjson_loop(path: Path) -> int:
    """Decode every non-blank line with orjson; return how many decoded."""
    decoded = 0
    with path.open("rb") as stream:
        for line in stream:
            if line.strip():
                orjson.loads(line)
                decoded += 1
    return decoded


def run_summary(path: Path) -> dict:
    result = subprocess.run(
        [str(COMMAND), "summary", "--json", str(path)],
        capture_output=True,
        check=True,
    )
    return orjson.loads(result.stdout)


def run_jq(path: Path) -> dict:
    program = "reduce inputs as $alert ({}; .[$alert.priority] += 1)"
    result = subprocess.run(
        ["jq", "-c", "-n", program, str(path)], capture_output=True, check=True
    )
    return orjson.loads(result.stdout)


class Terminal:
    """The dashboard in a private tmux server of its own."""

    def __init__(self, width: int = 160, height: int = 40) -> None:
        self.socket = f"falco-tui-bench-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def start(self, arguments: str, state_dir: Path) -> None:
        environment = f"PYTHONPATH={os.environ.get('PYTHONPATH', '')}"
        command = f"exec {COMMAND} --state {state_dir} {arguments}"
        self.tmux(
            "new-session", "-d", "-s", "bench", "-x", str(self.width),
            "-y", str(self.height), "-e", "TERM=xterm-256color", "-e",
            environment, command,
        )  # fmt: skip

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "bench")

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "bench", "#{pane_pid}"))

    def wait_until(self, condition, timeout: float) -> tuple[float, str]:
        """Poll the screen until ``condition(screen)``; return (time, screen)."""
        start = time.monotonic()
        screen = ""
        while time.monotonic() - start < timeout:
            screen = self.capture()
            if condition(screen):
                return time.monotonic() - start, screen
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"screen condition not met in {timeout} s:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "bench", *keys)

    def stop(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            capture_output=True,
            check=False,
        )


def shown_count(screen: str) -> int:
    """Return the alert count in the status bar (its first line with one)."""
    match = COUNT_PATTERN.search(screen)
    return int(match.group(1).replace(",", "")) if match else -1


def memory_kib(pid: int) -> dict[str, int]:
    """Read VmRSS and VmHWM (peak resident) of ``pid`` in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def measure_dashboard(path: Path, count: int, workdir: Path) -> dict:
    """Open ``path`` in the dashboard; time first rows and full index; memory."""
    terminal = Terminal()
    start = time.monotonic()
    terminal.start(str(path), workdir / "state-load")
    try:
        terminal.wait_until(lambda screen: ROW_PATTERN.search(screen) is not None, 120)
        first_at = time.monotonic() - start

        def indexed(screen: str) -> bool:
            return shown_count(screen) >= count and "following" in screen

        terminal.wait_until(indexed, 3600)
        full_at = time.monotonic() - start
        # Let the last redraws and the collector settle before reading memory.
        time.sleep(2)
        memory = memory_kib(terminal.pid())
        terminal.keys("q")
    finally:
        terminal.stop()
    return {"first_rows_s": first_at, "full_index_s": full_at, **memory}


def flood_writer(
    path: Path, lines: list[bytes], rate: int, seconds: float, report: dict
) -> None:
    """Append ``rate`` lines a second for ``seconds``, in 10 ms slices."""
    per_slice = max(rate // 100, 1)
    written = 0
    position = 0
    start = time.monotonic()
    with path.open("ab", buffering=0) as stream:
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate)
            while written < due:
                take = min(per_slice, due - written)
                chunk = lines[position : position + take]
                if len(chunk) < take:
                    position = 0
                    chunk = lines[:take]
                position += take
                stream.write(b"".join(chunk))
                written += take
            time.sleep(0.01)
    report["written"] = written
    report["write_seconds"] = time.monotonic() - start


def measure_flood(workdir: Path, rate: int, seconds: float, seed: int) -> dict:
    """Follow a file while alerts are appended at ``rate``; press keys meanwhile."""
    pool_path = workdir / "flood-pool.jsonl"
    generate(pool_path, max(rate, 1000), seed + 1)
    lines = pool_path.read_bytes().splitlines(keepends=True)
    target = workdir / "flood.jsonl"
    target.write_bytes(b"")

    terminal = Terminal()
    terminal.start(str(target), workdir / "state-flood")
    report: dict = {}
    latencies: list[float] = []
    try:
        terminal.wait_until(lambda screen: "following" in screen, 60)
        writer = threading.Thread(
            target=flood_writer, args=(target, lines, rate, seconds, report)
        )
        start = time.monotonic()
        writer.start()
        while writer.is_alive():
            latencies.append(press_follow_key(terminal))
            time.sleep(PRESS_INTERVAL_SECONDS)
        writer.join()

        written = report["written"]
        caught_up, screen = terminal.wait_until(
            lambda screen: shown_count(screen) >= written, 600
        )
        total_seconds = time.monotonic() - start
        report["shown"] = shown_count(screen)
        report["catch_up_s"] = caught_up
        report["ingest_rate"] = written / total_seconds
        report["memory"] = memory_kib(terminal.pid())
        terminal.keys("q")
    finally:
        terminal.stop()
    report["key_latencies_ms"] = [latency * 1000 for latency in latencies]
    return report


def press_follow_key(terminal: Terminal) -> float:
    """Press ``f`` and return the seconds until the follow state changes."""
    before = "follow" if " follow " in terminal.capture() else "paused"
    after = "paused" if before == "follow" else "follow"
    start = time.monotonic()
    terminal.keys("f")
    elapsed, _ = terminal.wait_until(lambda screen: f" {after} " in screen, 30)
    return time.monotonic() - start if elapsed else 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def print_summary_section(path: Path, count: int) -> None:
    loop_time, decoded = time_call(orjson_loop, path)
    summary_time, figures = time_call(run_summary, path)
    jq_time, jq_counts = time_call(run_jq, path)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {decoded} lines)")
    print(f"orjson loop:        {loop_time:8.2f} s")
    print(
        f"falco-tui summary:  {summary_time:8.2f} s  "
        f"({summary_time / loop_time:.2f}x the orjson loop, target <= 1.2x)"
    )
    print(f"jq by priority:     {jq_time:8.2f} s  ({jq_time / loop_time:.2f}x)")
    same = jq_counts == figures["by_priority"]
    print(f"summary alerts: {figures['alerts']} (expected {count}); ", end="")
    print(f"jq counts equal: {same}")
    return loop_time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="alerts to load")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="folder for files (default: temp)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse an existing generated file"
    )
    parser.add_argument("--rate", type=int, default=20_000, help="flood alerts/s")
    parser.add_argument(
        "--flood-seconds", type=float, default=30, help="flood length in seconds"
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    options = parser.parse_args(argv)

    for tool in ("tmux", "jq"):
        if shutil.which(tool) is None:
            print(f"run_benchmarks: {tool} is not installed", file=sys.stderr)
            return 2

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="falco-tui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"alerts-{options.count}-{options.seed}.jsonl"
    if not (options.reuse and path.exists()):
        generate(path, options.count, options.seed)

    print("machine:", orjson.dumps(machine()).decode())
    loop_time = None
    if "summary" not in options.skip:
        loop_time = print_summary_section(path, options.count)
    if "dashboard" not in options.skip:
        load = measure_dashboard(path, options.count, workdir)
        print(f"first rows on screen: {load['first_rows_s']:.2f} s (target <= 1 s)")
        ratio = ""
        if loop_time:
            ratio = f" ({load['full_index_s'] / loop_time:.2f}x the orjson loop)"
        print(
            f"full index on screen: {load['full_index_s']:.2f} s{ratio}, target <= 1.5x"
        )
        print(
            f"resident memory: {load['VmRSS'] / 1024:.0f} MiB "
            f"(peak {load['VmHWM'] / 1024:.0f} MiB), target <= 400 MB"
        )
    if "flood" not in options.skip:
        flood = measure_flood(
            workdir, options.rate, options.flood_seconds, options.seed
        )
        latencies = flood["key_latencies_ms"]
        print(
            f"flood: wrote {flood['written']} alerts in {flood['write_seconds']:.1f} s, "
            f"shown {flood['shown']}, lost {flood['written'] - flood['shown']}"
        )
        print(
            f"ingest rate: {flood['ingest_rate']:.0f} alerts/s (target >= 20000); "
            f"caught up {flood['catch_up_s']:.1f} s after the writer stopped"
        )
        print(
            f"key response: p50 {statistics.median(latencies):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms over {len(latencies)} presses "
            "(target < 150 ms p95)"
        )
        print(f"flood memory: {flood['memory']['VmRSS'] / 1024:.0f} MiB resident")
    print("load average after:", os.getloadavg())
    return 0


SECTIONS = ("summary", "dashboard", "flood")

if __name__ == "__main__":
    sys.exit(main())
