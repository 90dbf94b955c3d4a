"""Following files exactly: rotation, truncation races, symlinks, gzip history.

Every test runs real files and the real watcher. The randomized test runs a
writer process that rotates and truncates its file while a source follows it.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
from pathlib import Path

import pytest
import test_sources
from follow_writer import run_soak
from test_sources import (
    alert_line,
    alert_lines,
    append,
    expected_rules,
)

from tui.parsing.alert import Alert
from tui.sources import DirectorySource, FileSource, SourceState, make_sources
from tui.sources import tail as tail_module
from tui.sources.base import PROGRESS_INTERVAL_SECONDS
from tui.sources.gzip_history import GzipSource
from tui.sources.rotated_copies import copy_rank
from tui.sources.tail import FileFollower

# The source tests' fixture, so both files start and stop sources the same way.
started = test_sources.started

SOAK_ALERTS = 2000

# Seed 1 keeps the file open between writes (Falco's keep_alive), seed 2
# reopens it per write (Falco's default).
SOAK_SEEDS = [1, 2]


def soak_seeds() -> list[int]:
    """Return the seeds to run: FOLLOW_SEED from the environment, else the fixed ones."""
    seed = os.environ.get("FOLLOW_SEED")
    return [int(seed)] if seed else SOAK_SEEDS


# Randomized writer


def soak_context(result, seed: int) -> str:
    """Return what a failed soak assertion prints: how to rerun it, and why."""
    return (
        f"seed={seed} (rerun with FOLLOW_SEED={seed}) "
        f"operations={dict(result.operations)} messages={result.messages[-5:]}\n"
        f"{result.loss_report()}"
    )


@pytest.mark.parametrize("seed", soak_seeds())
def test_random_writer_nothing_lost(tmp_path: Path, seed: int) -> None:
    result = run_soak(tmp_path, SOAK_ALERTS, seed)
    context = soak_context(result, seed)

    assert sum(result.operations.values()) > 5, context
    assert len(result.expected) >= SOAK_ALERTS, context
    assert result.missing == set(), context
    assert result.duplicates == 0, context
    assert result.unexpected == set(), context
    assert result.stalls == 0, context


@pytest.mark.parametrize("seed", soak_seeds())
def test_racing_copytruncate_nothing_lost(tmp_path: Path, seed: int) -> None:
    # Alerts written after the follower's last read and before the
    # truncation are only in logrotate's copy.
    result = run_soak(tmp_path, SOAK_ALERTS, seed, racing=True)
    context = soak_context(result, seed)

    assert result.operations["copytruncate"] > 2, context
    assert result.written == len(result.expected), context
    assert result.missing == set(), context
    assert result.duplicates == 0, context
    assert result.unexpected == set(), context
    assert result.invalid == 0, context
    assert result.stalls == 0, context


@pytest.mark.parametrize("seed", soak_seeds())
def test_racing_copytruncate_indexed_rows(tmp_path: Path, seed: int) -> None:
    result = run_soak(tmp_path, SOAK_ALERTS, seed, indexed=True, racing=True)
    context = soak_context(result, seed)

    assert result.operations["copytruncate"] > 2, context
    assert result.written == len(result.expected), context
    assert result.missing == set(), context
    assert result.duplicates == 0, context
    assert result.unexpected == set(), context
    assert result.invalid == 0, context
    assert result.unreadable == 0, context
    assert result.stalls == 0, context


@pytest.mark.parametrize("seed", soak_seeds())
def test_random_writer_indexed_rows(tmp_path: Path, seed: int) -> None:
    # Rows carry offsets instead of text: each is read back by its offset.
    result = run_soak(tmp_path, SOAK_ALERTS, seed, indexed=True)
    context = soak_context(result, seed)

    assert sum(result.operations.values()) > 5, context
    assert result.missing == set(), context
    assert result.duplicates == 0, context
    assert result.unexpected == set(), context
    assert result.unreadable == 0, context
    assert result.stalls == 0, context
    # Only a partial line cut off by a truncation keeps its text.
    assert (
        result.kept_text
        <= result.operations["truncate"] + (result.operations["copytruncate"])
    ), context


def test_random_writer_folder(tmp_path: Path) -> None:
    result = run_soak(tmp_path, 1000, 4, whole_folder=True)
    context = f"seed=4 operations={dict(result.operations)}"

    assert sum(result.operations.values()) > 5, context
    assert result.missing == set(), context
    assert result.duplicates == 0, context
    assert result.unexpected == set(), context


def test_random_writer_poll(tmp_path: Path) -> None:
    result = run_soak(tmp_path, 500, 3, op_rate=0.02, poll=True)
    context = f"seed=3 operations={dict(result.operations)}"

    assert sum(result.operations.values()) > 0, context
    assert result.missing == set(), context
    assert result.duplicates == 0, context


# Truncation detected by content


def make_follower(path: Path, **options) -> tuple[FileFollower, list[Alert], list]:
    """Build a follower without a thread, collecting alerts and reports."""
    from tui.parsing.parser import parse_line

    alerts: list[Alert] = []
    reports: list[str] = []

    def deliver(lines, origin: str) -> None:
        for line in lines:
            if isinstance(line, tuple):
                alerts.extend(
                    item
                    for item in parse_line(line[1], origin, line[0])
                    if isinstance(item, Alert)
                )

    follower = FileFollower(
        path,
        deliver,
        lambda follower: reports.append(follower.message),
        threading.Event(),
        **options,
    )
    return follower, alerts, reports


def test_truncation_regrown_detected(tmp_path: Path) -> None:
    # The file is truncated and grows past the old offset before the next
    # check: the size alone cannot show it, the bytes before the offset do.
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))
    follower, alerts, reports = make_follower(path)
    follower.check()

    with open(path, "r+", encoding="utf-8") as stream:
        stream.truncate(0)
    append(path, alert_lines(range(10, 16)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 3)) + (
        expected_rules(range(10, 16))
    )
    assert alerts[-1].line_no == 6
    assert any("truncated" in report for report in reports)


def test_copytruncate_race_with_writer(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))
    follower, alerts, _reports = make_follower(path)
    follower.check()

    # A writer in append mode goes on writing right after the truncation.
    # Its new lines have the same length and ending as the old ones, so only
    # the file's first bytes show the truncation.
    with open(path, "a", encoding="utf-8") as writer:
        (tmp_path / "events.json.1").write_bytes(path.read_bytes())
        os.truncate(path, 0)
        writer.write(alert_lines(range(4, 12)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 12))


def test_copytruncate_after_unread_appends(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))
    follower, alerts, reports = make_follower(path)
    follower.check()

    # Appended after the last read, including a line cut mid-way, then
    # copied and truncated before the follower reads again.
    with open(path, "a", encoding="utf-8") as writer:
        writer.write(alert_lines(range(4, 7)))
        writer.write(alert_line(7)[:20])
    (tmp_path / "events.json-20260401").write_bytes(path.read_bytes())
    os.truncate(path, 0)
    path.write_text(alert_lines(range(8, 10)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules([1, 2, 3, 4, 5, 6, 8, 9])
    assert "events.json-20260401" in reports[-1]


def test_copytruncate_ignores_other_copy(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))
    follower, alerts, reports = make_follower(path)
    follower.check()

    # A file with the copy's name but other bytes before the old offset is
    # not the copy, and neither is a compressed one.
    with open(path, "a", encoding="utf-8") as writer:
        writer.write(alert_lines(range(4, 6)))
    (tmp_path / "events.json.1").write_text(alert_lines(range(20, 25)))
    (tmp_path / "events.json.2.gz").write_bytes(gzip.compress(path.read_bytes()))
    os.truncate(path, 0)
    path.write_text(alert_lines(range(8, 10)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules([1, 2, 3, 8, 9])
    assert "may be missing" in reports[-1]
    assert "compressed copy modified last" in reports[-1]
    assert "events.json.2.gz" in reports[-1]


def copytruncate(path: Path, copy_name: str, shifted_name: str = "") -> None:
    """Copy ``path`` to ``copy_name`` beside it and truncate it, as logrotate does.

    With ``shifted_name`` an existing copy is first renamed to it, as
    logrotate renames ``.1`` to ``.2`` with ``rotate 2``.
    """
    copy = path.with_name(copy_name)
    if shifted_name and copy.exists():
        os.replace(copy, path.with_name(shifted_name))
    copy.write_bytes(path.read_bytes())
    os.truncate(path, 0)


def follow_new_file(
    tmp_path: Path, count: int
) -> tuple[Path, FileFollower, list[Alert], list[str]]:
    """Write alerts 1 to ``count`` to events.json and read them with a follower."""
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, count + 1)))
    follower, alerts, reports = make_follower(path)
    follower.check()
    return path, follower, alerts, reports


def test_two_copytruncates_read_both_copies(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 3)

    # Two copytruncates before the follower looks again, each after
    # alerts it has not read: 4-6 end up in events.json.2, 7-9 in .1.
    append(path, alert_lines(range(4, 7)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(7, 10)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(10, 12)))
    follower.check()
    follower.close()

    rules = [alert.rule for alert in alerts]
    assert rules == expected_rules(range(1, 12))
    assert [alert.line_no for alert in alerts[6:]] == [1, 2, 3, 1, 2]
    assert "copied to " + str(tmp_path / "events.json.2") in reports[-1]
    assert "newer copies " + str(tmp_path / "events.json.1") in reports[-1]


def test_three_copytruncates_read_oldest_first(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 2)

    # logrotate with ``rotate 3`` runs three times: 3-4 end up in .3, 5-6
    # in .2, 7-8 in .1, and 9-10 stay in the file.
    append(path, alert_lines(range(3, 5)))
    copytruncate(path, "events.json.1")
    append(path, alert_lines(range(5, 7)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(7, 9)))
    os.replace(tmp_path / "events.json.2", tmp_path / "events.json.3")
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(9, 11)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 11))
    assert "events.json.3;" in reports[-1]
    assert "events.json.2 (" in reports[-1]
    assert "events.json.1 (" in reports[-1]


def test_two_copytruncates_with_dateext(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 2)

    append(path, alert_lines(range(3, 5)))
    copytruncate(path, "events.json-2026040112")
    append(path, alert_lines(range(5, 7)))
    copytruncate(path, "events.json-2026040113")
    # Older than the copy that matches, so it is not read.
    (tmp_path / "events.json-2026033100").write_text(alert_lines(range(50, 52)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 7))
    assert "events.json-2026040112;" in reports[-1]
    assert "newer copies " + str(tmp_path / "events.json-2026040113") in reports[-1]


def test_newer_compressed_copy_named(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 2)

    append(path, alert_lines(range(3, 5)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(5, 7)))
    copytruncate(path, "events.json.1", "events.json.2")
    compressed = tmp_path / "events.json.1.gz"
    compressed.write_bytes(gzip.compress((tmp_path / "events.json.1").read_bytes()))
    (tmp_path / "events.json.1").unlink()
    append(path, alert_lines(range(7, 8)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules([1, 2, 3, 4, 7])
    assert f"compressed copies {compressed} are not read" in reports[-1]
    assert "newer copies" not in reports[-1]


def test_copy_of_current_content_not_read(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 2)

    # The second copytruncate has copied the file but not truncated it yet:
    # events.json.1 repeats the start of the file, which is read instead.
    append(path, alert_lines(range(3, 5)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(5, 7)))
    os.replace(tmp_path / "events.json.1", tmp_path / "events.json.2")
    (tmp_path / "events.json.1").write_bytes(path.read_bytes()[:100])
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 7))
    assert "newer copies" not in reports[-1]


def test_copytruncate_before_first_read(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 3)

    # The follower reads the first copy while the file is still empty, so
    # it has read no byte of the file when the second copytruncate moves
    # 6-8 to events.json.1: nothing in the file shows that truncation.
    append(path, alert_lines(range(4, 6)))
    copytruncate(path, "events.json.1", "events.json.2")
    follower.check()
    append(path, alert_lines(range(6, 9)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(9, 11)))
    follower.check()
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 11))
    copy = tmp_path / "events.json.1"
    assert f"copied to {copy} and truncated again" in reports[-1]


def test_copytruncate_while_reading_copy(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))
    alerts: list[Alert] = []
    reports: list[str] = []

    def deliver(lines, origin: str) -> None:
        from tui.parsing.parser import parse_line

        for line in lines:
            if isinstance(line, tuple):
                alerts.extend(parse_line(line[1], origin, line[0]))
        if [alert.rule for alert in alerts][-1:] == expected_rules([5]):
            # The second copytruncate runs while the follower reads the end
            # of the first copy, after it listed the copies.
            copytruncate(path, "events.json.1", "events.json.2")
            append(path, alert_lines(range(9, 11)))

    follower = FileFollower(
        path,
        deliver,
        lambda follower: reports.append(follower.message),
        threading.Event(),
    )
    follower.check()
    append(path, alert_lines(range(4, 6)))
    copytruncate(path, "events.json.1")
    append(path, alert_lines(range(6, 9)))
    follower.check()
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 11))
    assert any("truncated again" in report for report in reports)


def test_copy_of_read_content_left(tmp_path: Path) -> None:
    path, follower, alerts, reports = follow_new_file(tmp_path, 2)

    # After the truncation the follower reads 5-6 from the file, then
    # logrotate copies them and truncates: the next check reads the rest of
    # that copy as the copy of the bytes read, not as a missed one.
    append(path, alert_lines(range(3, 5)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(5, 7)))
    follower.check()
    append(path, alert_lines(range(7, 8)))
    copytruncate(path, "events.json.1", "events.json.2")
    append(path, alert_lines(range(8, 9)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 9))
    assert not any("truncated again" in report for report in reports)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("events.json.2", "events.json.1"),
        ("events.json.10", "events.json.9"),
        ("events.json.2.gz", "events.json.1"),
        ("events.json-20260401", "events.json-20260402"),
        ("events.json-2026-04-01_09", "events.json-2026-04-01_12"),
        ("events.json-20260401.gz", "events.json-20260402.gz"),
    ],
)
def test_copy_rank_orders_copies(older: str, newer: str) -> None:
    path = Path("/var/log/events.json")

    older_rank = copy_rank(path, older)
    newer_rank = copy_rank(path, newer)

    assert older_rank is not None
    assert newer_rank is not None
    assert older_rank < newer_rank


@pytest.mark.parametrize(
    "name", ["events.json", "events.json.bak", "events.json.1.bz2", "other.json.1"]
)
def test_copy_rank_rejects_other_names(name: str) -> None:
    assert copy_rank(Path("/var/log/events.json"), name) is None


def test_unchanged_file_not_reread(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))
    follower, alerts, reports = make_follower(path)

    for _ in range(3):
        follower.check()
    append(path, alert_lines(range(3, 4)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(1, 4))
    assert not any("truncated" in report for report in reports)


def test_truncate_to_zero_then_append(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(2)
    os.truncate(path, 0)
    recorder.wait_for(
        lambda: any("truncated" in message for message in recorder.messages()),
        "the truncation to be reported",
    )
    append(path, alert_lines(range(3, 5)))
    recorder.wait_for_rules(4)

    assert recorder.rules == expected_rules(range(1, 5))
    assert [alert.line_no for alert in recorder.alerts] == [1, 2, 1, 2]


# Rotation while the writer keeps the old file open


def test_rename_rotation_drains_old_file(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(2)

    # logrotate renames and creates the new file, then Falco writes to its
    # old handle until SIGUSR1 makes it reopen the path.
    with open(path, "a", encoding="utf-8") as old_handle:
        os.rename(path, tmp_path / "events.json.1")
        path.write_text(alert_lines(range(3, 4)))
        recorder.wait_for_rules(3)
        old_handle.write(alert_lines(range(4, 5)))
    recorder.wait_for_rules(4)
    append(path, alert_lines(range(5, 6)))
    recorder.wait_for_rules(5)

    assert sorted(recorder.rules) == expected_rules(range(1, 6))
    assert any("rotated" in message for message in recorder.messages())


def test_folder_rotation_drains_old_file(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(1)
    with open(path, "a", encoding="utf-8") as old_handle:
        os.rename(path, tmp_path / "events.json.1")
        recorder.wait_for(
            lambda: recorder.statuses[-1].message.startswith("No file in"),
            "the renamed file to be dropped",
        )
        old_handle.write(alert_lines(range(2, 3)))
        old_handle.flush()
        recorder.wait_for_rules(2)
    path.write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)

    assert sorted(recorder.rules) == expected_rules(range(1, 4))


def test_folder_reports_file_events(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(2)
    recorder.wait_for_state(SourceState.FOLLOWING)
    path.write_text("")
    path.write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)
    recorder.wait_for(
        lambda: any(status.is_notice for status in recorder.statuses),
        "a notice about the truncation",
    )

    notices = [status.message for status in recorder.statuses if status.is_notice]
    assert any("truncated" in message for message in notices)
    assert all(str(path) in message for message in notices)
    assert recorder.statuses[-1].message.startswith("Following 1 file")


# Symlinks


def test_symlink_target_change(tmp_path: Path, started) -> None:
    first = tmp_path / "events-1.json"
    second = tmp_path / "events-2.json"
    first.write_text(alert_lines(range(1, 3)))
    second.write_text(alert_lines(range(3, 5)))
    link = tmp_path / "current.json"
    link.symlink_to(first)

    recorder = started(FileSource(link))
    recorder.wait_for_rules(2)
    # Replace the link atomically, as `ln -sfn` with a rename would.
    staged = tmp_path / "current.json.new"
    staged.symlink_to(second)
    os.replace(staged, link)
    recorder.wait_for_rules(4)
    append(second, alert_lines(range(5, 6)))
    recorder.wait_for_rules(5)

    assert recorder.rules == expected_rules(range(1, 6))
    assert any(f"now points to {second}" in message for message in recorder.messages())


# Gzip history


def write_gzip(path: Path, text: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(text)


def test_folder_reads_gzip_history(tmp_path: Path, started) -> None:
    write_gzip(tmp_path / "events.json.2.gz", alert_lines(range(1, 3)))
    write_gzip(tmp_path / "events.json.1.gz", alert_lines(range(3, 5)))
    (tmp_path / "events.json").write_text(alert_lines(range(5, 7)))

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(6)
    recorder.wait_for_state(SourceState.FOLLOWING)
    append(tmp_path / "events.json", alert_lines(range(7, 8)))
    recorder.wait_for_rules(7)

    assert sorted(recorder.rules) == sorted(expected_rules(range(1, 8)))
    origins = {alert.origin for alert in recorder.alerts}
    assert str(tmp_path / "events.json.1.gz") in origins


def test_folder_reads_later_gzip(tmp_path: Path, started) -> None:
    (tmp_path / "events.json").write_text(alert_lines(range(1, 3)))
    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(2)
    recorder.wait_for_state(SourceState.FOLLOWING)

    # A copied-in archive contains alerts the folder never had.
    later = tmp_path / "events.json.9.gz"
    write_gzip(later, alert_lines(range(90, 92)))
    recorder.wait_for_rules(4)

    assert sorted(recorder.rules) == sorted(
        expected_rules(range(1, 3)) + expected_rules(range(90, 92))
    )
    notices = [message for message in recorder.messages() if str(later) in message]
    assert len(notices) == 1
    assert notices[0].endswith(
        f"Read {later}, a compressed file that appeared after start."
    )


def test_folder_skips_rotated_gzip(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))
    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_rules(2)

    # logrotate: rename, create, then compress the rotated file.
    rotated = tmp_path / "events.json-1"
    os.rename(path, rotated)
    path.write_text(alert_lines(range(3, 4)))
    recorder.wait_for_rules(3)
    compressed = tmp_path / "events.json-1.gz"
    write_gzip(compressed, rotated.read_text())
    rotated.unlink()
    recorder.wait_for(
        lambda: any(str(compressed) in message for message in recorder.messages()),
        "a notice about the compressed file",
    )
    append(path, alert_lines(range(4, 5)))
    recorder.wait_for_rules(4)

    assert recorder.rules == expected_rules(range(1, 5))
    notice = next(m for m in recorder.messages() if str(compressed) in m)
    assert "repeats alerts already shown" in notice


def test_glob_includes_gzip(tmp_path: Path, started) -> None:
    write_gzip(tmp_path / "events.json.1.gz", alert_lines(range(1, 3)))
    (tmp_path / "events.json").write_text(alert_lines(range(3, 4)))

    [source] = make_sources([str(tmp_path / "events.json*")])
    recorder = started(source)
    recorder.wait_for_rules(3)

    assert isinstance(source, DirectorySource)
    assert sorted(recorder.rules) == expected_rules(range(1, 4))


def test_gzip_file_given_directly(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json.1.gz"
    write_gzip(path, alert_lines(range(1, 4)))

    [source] = make_sources([str(path)])
    recorder = started(source)
    recorder.wait_for_state(SourceState.ENDED)

    assert isinstance(source, GzipSource)
    assert recorder.rules == expected_rules(range(1, 4))
    assert recorder.statuses[-1].history_read == path.stat().st_size


def test_gzip_invalid_is_error(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json.1.gz"
    path.write_bytes(b"not gzip at all\n")

    recorder = started(GzipSource(path))
    recorder.wait_for_state(SourceState.ERROR)

    assert str(path) in recorder.statuses[-1].message


# History progress and skipping history


def test_history_progress_reported(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 20001)))
    size = path.stat().st_size

    started_at = time.monotonic()
    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.FOLLOWING)
    elapsed = time.monotonic() - started_at

    history = [
        status
        for status in recorder.statuses
        if status.state is SourceState.READING_HISTORY
    ]
    reads = [status.history_read for status in history]
    assert all(status.history_total == size for status in history)
    assert reads == sorted(reads)
    assert len(history) <= elapsed / PROGRESS_INTERVAL_SECONDS + 3
    assert recorder.statuses[-1].history_read == size


def test_folder_history_progress(tmp_path: Path, started) -> None:
    write_gzip(tmp_path / "events.json.1.gz", alert_lines(range(1, 3)))
    (tmp_path / "events.json").write_text(alert_lines(range(3, 5)))
    total = sum(path.stat().st_size for path in tmp_path.iterdir())

    recorder = started(DirectorySource(tmp_path))
    recorder.wait_for_state(SourceState.FOLLOWING)

    history = [
        status
        for status in recorder.statuses
        if status.state is SourceState.READING_HISTORY
    ]
    assert history
    assert all(status.history_total == total for status in history)
    assert recorder.statuses[-1].history_read == total
    assert recorder.statuses[-1].history_total == total


def test_from_end_skips_history(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    line = alert_line(3)
    path.write_text(alert_lines(range(1, 3)) + line[:15])

    recorder = started(FileSource(path, from_end=True))
    recorder.wait_for_state(SourceState.FOLLOWING)
    append(path, line[15:] + "\n" + alert_lines(range(4, 5)))
    recorder.wait_for_rules(2)

    assert recorder.rules == expected_rules(range(3, 5))
    assert "from its end" in recorder.messages()[0]


def test_from_end_file_created_later(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"

    recorder = started(FileSource(path, from_end=True))
    recorder.wait_for_state(SourceState.WAITING)
    path.write_text(alert_lines(range(1, 3)))
    recorder.wait_for_rules(2)

    assert recorder.rules == expected_rules(range(1, 3))


# Permission denied and recovery


def test_permission_denied_recovers(tmp_path: Path, started, monkeypatch) -> None:
    # Tests run as root, which file modes do not stop, and the interpreter
    # here cannot run as another user. So os.open raises what it raises for
    # an unreadable file until access is restored.
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 3)))
    denied = threading.Event()
    denied.set()
    real_open = os.open

    def guarded_open(file, flags, *args):
        if denied.is_set() and Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(tail_module.os, "open", guarded_open)
    monkeypatch.setattr(tail_module, "RETRY_SECONDS", 0.2)

    recorder = started(FileSource(path))
    recorder.wait_for_state(SourceState.ERROR)
    message = recorder.statuses[-1].message
    denied.clear()
    recorder.wait_for_rules(2)

    assert "Permission denied" in message
    assert str(path) in message
    assert recorder.state == SourceState.FOLLOWING


def test_file_vanishes_then_returns(tmp_path: Path, started) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 2)))

    recorder = started(FileSource(path))
    recorder.wait_for_rules(1)
    path.unlink()
    recorder.wait_for_state(SourceState.WAITING)
    message = recorder.statuses[-1].message
    path.write_text(alert_lines(range(2, 3)))
    recorder.wait_for_rules(2)

    assert "deleted or renamed" in message
    assert recorder.rules == expected_rules(range(1, 3))


def test_file_events_are_notices() -> None:
    from tui.sources.base import SourceState, SourceStatus, event_message

    event = SourceStatus(SourceState.FOLLOWING, event_message("x was truncated."))
    plain = SourceStatus(SourceState.FOLLOWING, "Following x.")

    assert event.is_notice
    assert not plain.is_notice
    assert event_message("a") != "a"


def test_follower_start_at_offset(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(alert_lines(range(1, 4)))
    offset = len(alert_lines(range(1, 3)).encode())
    follower, alerts, _reports = make_follower(path)

    follower.start_at(os.open(path, os.O_RDONLY), offset, line_no=3)
    follower.check()
    # The bytes before the offset were remembered, so a rewrite is noticed.
    path.write_text(alert_lines(range(10, 14)))
    follower.check()
    follower.close()

    assert [alert.rule for alert in alerts] == expected_rules(range(3, 4)) + (
        expected_rules(range(10, 14))
    )
    assert alerts[0].line_no == 3
    assert follower.state is SourceState.FOLLOWING
