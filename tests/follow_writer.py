"""A Falco-like writer process and the harness that checks a follower against it.

Run as a script, the writer appends ``COUNT`` alerts to ``PATH`` in writes
split at random byte offsets. At random moments it rotates the file (rename,
then a new file at the path, as logrotate ``create`` does), copies and
truncates it (``copytruncate``), truncates it to zero, or deletes and
recreates it. Each run either keeps the file open between alerts (Falco's
``file_output.keep_alive: true``) or reopens it per write (the default).

Before each of those operations the writer prints ``SYNC n`` and waits for a
line on standard input. The harness answers once the follower has delivered
all ``n`` alerts written so far, because lines a truncation or deletion
removes before any reader saw them are lost for every reader. The writes that
follow an operation are not synchronised, so they race with the follower.

In racing mode (``racing=True``) the writer syncs before a burst of writes
that ends in a ``copytruncate``, so the copy and the truncation race with the
follower: it must read the lines it had not read yet from the copy. Half of
those copytruncates are followed at once by a burst and a second one, as
logrotate with ``rotate 2`` does when it runs twice between two checks of the
follower: the first copy is then ``PATH.2`` and the second ``PATH.1``.

Every line written is also appended to ``RECORD``, from which the harness
computes the fingerprints the follower must deliver. Each operation and the
alerts written around it go to ``RECORD.events``, so a loss can be placed in
the write sequence (``SoakResult.loss_report``).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

import orjson

OPERATIONS = ("rename", "copytruncate", "truncate", "recreate")

SYNC_TIMEOUT_SECONDS = 30.0
"""How long the harness waits for the follower to catch up at a sync point."""


def alert_bytes(number: int, rng: random.Random) -> bytes:
    """Return one JSON alert line whose content is unique to ``number``."""
    seconds = 1_775_000_000 + number
    document = {
        "hostname": f"node-{rng.randrange(4)}",
        "output": f"Warning test alert {number} by pid {rng.randrange(1 << 16)}",
        "output_fields": {"evt.num": number, "proc.name": "bash"},
        "priority": "Warning",
        "rule": f"Soak rule {number % 7}",
        "source": "syscall",
        "tags": ["soak"],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        + f".{number % 1_000_000_000:09d}Z",
    }
    return orjson.dumps(document) + b"\n"


class Writer:
    """Append alerts to one path and change the file like logrotate does."""

    def __init__(
        self, path: Path, record: Path, seed: int, op_rate: float, racing: bool
    ) -> None:
        self.path = path
        self.racing = racing
        self.rng = random.Random(seed)
        self.keep_alive = self.rng.random() < 0.5
        self.op_rate = op_rate
        self.written = 0
        self._record_path = record
        self._record: BinaryIO | None = None
        self._events: TextIO | None = None
        self._fd: int | None = None

    def run(self, count: int) -> None:
        """Write ``count`` alerts, with operations at random line boundaries.

        The bursts of an operation may pass ``count``: every alert written is
        counted in the final ``DONE`` line.
        """
        events_path = events_path_for(self._record_path)
        with (
            open(self._record_path, "ab") as self._record,
            open(events_path, "a", encoding="utf-8") as self._events,
        ):
            self._event(f"start keep_alive={self.keep_alive}")
            while self.written < count:
                if self.written > 0 and self.rng.random() < self.op_rate:
                    self._operate(self.rng.choice(OPERATIONS))
                # Drawn even when an operation's bursts reached ``count``, so
                # a seed keeps writing the same sequence.
                number = min(self.rng.randint(1, 5), count - self.written)
                if number > 0:
                    self._write_lines(number)

            self._close()
            self._event("done")
        print(f"DONE {self.written}", flush=True)

    def _event(self, event: str) -> None:
        """Log ``event`` with the time and the number of the next alert."""
        assert self._events is not None
        self._events.write(f"{time.monotonic():.6f} next={self.written} {event}\n")
        self._events.flush()

    def _write_lines(self, number: int) -> None:
        data = b"".join(
            alert_bytes(self.written + index, self.rng) for index in range(number)
        )
        assert self._record is not None
        self._record.write(data)
        self._record.flush()

        fd = self._open()
        position = 0
        while position < len(data):
            size = self.rng.randint(1, 512)
            os.write(fd, data[position : position + size])
            position += size
            if self.rng.random() < 0.02:
                # A pause mid-line lets the follower see a partial line.
                time.sleep(0.001)
        if not self.keep_alive:
            self._close()
        self.written += number

    def _operate(self, operation: str) -> None:
        racing = self.racing and operation == "copytruncate"
        twice = racing and self.rng.random() < 0.5
        # The harness counts each name after the number as one operation.
        names = f"{operation} {operation}-twice" if twice else operation
        print(f"SYNC {self.written} {names}", flush=True)
        sys.stdin.readline()
        self._event(f"synced, {names}")
        if racing:
            # Lines the follower has not read yet when the file is truncated.
            self._write_burst()
        if twice:
            self._copytruncate()

        rotated = self.path.with_name(self.path.name + ".1")
        if operation == "rename":
            os.replace(self.path, rotated)
            self._event("renamed to .1")
            # Falco goes on writing to the old file until it reopens the path.
            self._write_lines(1)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644))
            self._event("created")
            self._write_lines(1)
            self._close()
        elif operation == "copytruncate":
            self._copytruncate()
        elif operation == "truncate":
            os.truncate(self.path, 0)
            self._event("truncated")
            self._write_burst()
        else:
            os.unlink(self.path)
            self._event("deleted")
            self._write_lines(1)
            self._close()

    def _copytruncate(self) -> None:
        """Copy the file to ``PATH.1`` and truncate it, then write a burst."""
        rotated = self.path.with_name(self.path.name + ".1")
        # Logrotate shifts the previous copy away before it copies, so the
        # copy never writes into a file the follower may still drain.
        if rotated.exists():
            os.replace(rotated, self.path.with_name(self.path.name + ".2"))
            self._event("moved .1 to .2")
        shutil.copyfile(self.path, rotated)
        self._event("copied to .1")
        os.truncate(self.path, 0)
        self._event("truncated")
        self._write_burst()

    def _write_burst(self) -> None:
        """Write right after a truncation, to race with the follower."""
        first = self.written
        for _ in range(self.rng.randint(1, 10)):
            self._write_lines(self.rng.randint(1, 5))
        self._event(f"wrote alerts {first} to {self.written - 1}")

    def _open(self) -> int:
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o644)
        return self._fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class SoakResult:
    """What a follower delivered compared with what the writer wrote."""

    written: int
    """Alerts the writer counted in its ``DONE`` line, 0 without one."""
    expected: set[str]
    received: Counter[str]
    seconds: float
    operations: Counter[str]
    """How many times the writer ran each operation."""
    messages: list[str] = field(default_factory=list)
    stalls: int = 0
    unreadable: int = 0
    """Rows whose line could not be read back from the file (indexed mode)."""
    kept_text: int = 0
    """Rows that kept their line's text instead of its offset (indexed mode)."""
    invalid: int = 0
    """Lines delivered as skipped (invalid JSON or another parse failure)."""
    numbers: dict[str, int] = field(default_factory=dict)
    """The writer's number of each alert written, by fingerprint."""
    events: list[str] = field(default_factory=list)
    """The writer's operations, each with the number of the next alert."""

    @property
    def missing(self) -> set[str]:
        """Fingerprints written but never delivered."""
        return self.expected - set(self.received)

    def loss_report(self, context_events: int = 3) -> str:
        """Describe the lost alerts as number ranges, each with the writer's
        events around it; empty when nothing was lost."""
        numbers = sorted(self.numbers[fingerprint] for fingerprint in self.missing)
        lines = []
        for first, last in _ranges(numbers):
            lines.append(f"lost alerts {first} to {last}, written between:")
            lines.extend(_events_around(self.events, first, last, context_events))
        return "\n".join(lines)

    @property
    def unexpected(self) -> set[str]:
        """Fingerprints delivered but never written."""
        return set(self.received) - self.expected

    @property
    def duplicates(self) -> int:
        """Deliveries beyond the first of each fingerprint."""
        return sum(count - 1 for count in self.received.values() if count > 1)


def run_soak(
    folder: Path,
    count: int,
    seed: int,
    op_rate: float = 0.03,
    poll: bool = False,
    timeout: float = SYNC_TIMEOUT_SECONDS,
    whole_folder: bool = False,
    indexed: bool = False,
    racing: bool = False,
) -> SoakResult:
    """Follow a writer process in ``folder`` and compare what arrives.

    A ``FileSource`` follows the writer's file, or with ``whole_folder`` a
    ``DirectorySource`` follows the folder, where rotated names do not match.
    With ``indexed`` an ``IndexedFileSource`` follows the file and delivers
    rows. Each row's line is read back from the file by its offset as it
    arrives (the writer waits at sync points, so no later rotation has
    happened yet), and the alert read back is what counts as delivered.
    """
    from tui.parsing.alert import Alert, Skip
    from tui.parsing.located import AlertRow
    from tui.parsing.reader import iter_items
    from tui.sources import DirectorySource, FileSource
    from tui.sources.history import IndexedFileSource
    from tui.storage.reread import UNREADABLE_NOTE, read_alert

    path = folder / "events.json"
    record = folder / "written.record"
    received: Counter[str] = Counter()
    messages: list[str] = []
    lock = threading.Lock()
    rows = Counter[str]()

    def on_items(_source, items) -> None:
        with lock:
            for item in items:
                if isinstance(item, AlertRow):
                    rows["kept text" if item.raw is not None else "located"] += 1
                    item = read_alert(item)
                    if item.extra.get("note") == UNREADABLE_NOTE:
                        rows["unreadable"] += 1
                        continue
                if isinstance(item, Alert):
                    received[item.fingerprint] += 1
                elif isinstance(item, Skip):
                    rows["invalid"] += 1

    def on_status(_source, status) -> None:
        with lock:
            if not messages or messages[-1] != status.message:
                messages.append(status.message)

    def delivered() -> int:
        with lock:
            return len(received)

    if whole_folder:
        source = DirectorySource(folder, poll=poll)
    elif indexed:
        # The indexer needs the file to exist; the first alert creates it.
        path.touch()
        source = IndexedFileSource(path, poll=poll)
    else:
        source = FileSource(path, poll=poll)
    source.start(on_items, on_status)
    started = time.monotonic()
    stalls = 0
    operations: Counter[str] = Counter()
    writer = subprocess.Popen(
        [sys.executable, __file__, str(path), str(record), str(count), str(seed)]
        + [str(op_rate), "racing" if racing else "synced"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        shortfall = 0
        written = 0
        for line in writer.stdout:
            kind, number, *operation = line.split()
            operations.update(operation)
            if not _wait_for_count(delivered, int(number) - shortfall, timeout):
                stalls += 1
                # Lost alerts would stall every later sync as well, so those
                # wait only for the alerts written after this one.
                shortfall = int(number) - delivered()
            if kind == "DONE":
                written = int(number)
                break
            writer.stdin.write("GO\n")
            writer.stdin.flush()
        writer.wait(timeout)
    finally:
        source.stop()
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    seconds = time.monotonic() - started
    numbers = {
        item.fingerprint: item.fields["evt.num"]
        for item in iter_items(record)
        if isinstance(item, Alert)
    }
    events_path = events_path_for(record)
    events = events_path.read_text(encoding="utf-8").splitlines()
    return SoakResult(
        written,
        set(numbers),
        received,
        seconds,
        operations,
        messages,
        stalls,
        unreadable=rows["unreadable"],
        kept_text=rows["kept text"],
        invalid=rows["invalid"],
        numbers=numbers,
        events=events,
    )


def events_path_for(record: Path) -> Path:
    """Return where the writer logs its operations for ``record``."""
    return record.with_name(record.name + ".events")


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    """Group sorted ``numbers`` into runs of consecutive ones, as (first, last)."""
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and ranges[-1][1] == number - 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


def _events_around(events: list[str], first: int, last: int, extra: int) -> list[str]:
    """Return the events from ``extra`` before alert ``first`` was written to
    ``extra`` after alert ``last`` was, indented."""
    next_numbers = [int(event.split()[1].removeprefix("next=")) for event in events]
    start = sum(number <= first for number in next_numbers)
    stop = sum(number <= last for number in next_numbers)
    chosen = events[max(0, start - extra) : stop + extra]
    return ["    " + event for event in chosen]


def _wait_for_count(count, target: int, timeout: float) -> bool:
    """Wait until ``count()`` reaches ``target``; return False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count() >= target:
            return True
        time.sleep(0.005)
    return count() >= target


def main(argv: list[str]) -> int:
    """Run the writer: PATH RECORD COUNT SEED [OP_RATE [racing|synced]]."""
    path, record, count, seed = Path(argv[0]), Path(argv[1]), argv[2], argv[3]
    op_rate = float(argv[4]) if len(argv) > 4 else 0.03
    racing = len(argv) > 5 and argv[5] == "racing"
    Writer(path, record, int(seed), op_rate, racing).run(int(count))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
