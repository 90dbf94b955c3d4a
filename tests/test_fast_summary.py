"""Tests for the summary's fast count of plain files and its line reader."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from alert_files import generated_file

from tui.parsing.alert import Skip
from tui.parsing.located import iter_rows, line_start_at_or_after
from tui.storage import fast_summary
from tui.storage.fast_summary import iter_line_batches, summarize_range
from tui.storage.summary import Summary

STANDARD = {
    "hostname": "web-1",
    "output": "12:00:00.000000001: Warning Shell spawned",
    "output_fields": {"proc.name": "bash", "container.id": "host"},
    "priority": "Warning",
    "rule": "Terminal shell in container",
    "source": "syscall",
    "tags": ["shell"],
    "time": "2024-05-06T12:00:00.000000001Z",
}


def alert_line(**changes) -> bytes:
    document = {**STANDARD, **changes}
    for key in [key for key, value in changes.items() if value is KeyError]:
        del document[key]
    return orjson.dumps(document)


ODD_LINES = [
    alert_line(),
    alert_line(rule="Second rule", hostname="web-2"),
    alert_line(priority="WARNING"),
    alert_line(priority="Info"),
    alert_line(priority="notice"),
    alert_line(priority="Loud"),
    alert_line(priority=4),
    alert_line(rule=" Padded rule "),
    alert_line(rule=""),
    alert_line(rule=["a", "list"]),
    alert_line(hostname={"name": "object"}),
    alert_line(hostname="  web-3  "),
    alert_line(hostname=""),
    alert_line(hostname=None),
    alert_line(source=KeyError),
    alert_line(source=7),
    alert_line(time=KeyError),
    alert_line(time="2024-05-06T12:00:00Z"),
    alert_line(time="2024-05-06T14:00:00.5+02:00"),
    alert_line(time="2016-12-31T23:59:60.500000000Z"),
    alert_line(time="2024-13-45T12:00:00.000000000Z"),
    alert_line(time="not a time"),
    alert_line(time=1714996800),
    alert_line(output_fields=None),
    alert_line(output_fields=[]),
    alert_line(Rule="Upper-case key"),
    alert_line(extra="unknown key"),
    alert_line() + b"\r",
    alert_line()[:-1] + b',"rule":"Duplicate key"}',
    alert_line() + b" " + alert_line(rule="Glued"),
    alert_line() + b"\x00",
    b"\x00\x00\x00",
    b"",
    b"   ",
    b"garbage line",
    b"\xff\xfe invalid UTF-8",
    alert_line(output="Not UTF-8: cafX").replace(b"cafX", b"caf\xe9 \xff"),
    alert_line(rule="Bad byte in rule X").replace(b"rule X", b"rule \xff\xfe"),
    b'{"rule": "half',
    b"[1, 2]",
    b'"a string"',
    b"{}",
    b"12:00:00.000000001: Warning Shell spawned in a container (user=root)",
    b"Mon May 06 12:00:00 2024: Falco initialized with configuration file",
    b'\xef\xbb\xbf{"rule": "BOM"}',
    alert_line(rule="Last rule"),
]


def sequential(path: Path) -> dict:
    summary = Summary()
    summary.add(iter_rows(path))
    return summary.to_dict()


def assert_same_figures(fast: dict, expected: dict) -> None:
    assert fast == expected
    # Ties in the counters keep the order in which values were first seen.
    for key in ("by_rule", "by_source", "by_host", "skipped_by_reason"):
        assert list(fast[key]) == list(expected[key]), key


def test_odd_lines_match_row_path(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\n".join(ODD_LINES))

    assert_same_figures(summarize_range(str(path)).to_dict(), sequential(path))


def test_real_captures_match_row_path(events_dir: Path) -> None:
    paths = sorted(events_dir.glob("*.jsonl")) + sorted(events_dir.glob("*.log"))
    paths += sorted((events_dir / "streams").glob("*.log"))
    plain = [path for path in paths if not path.name.startswith("utf16")]

    assert plain
    for path in plain:
        assert_same_figures(summarize_range(str(path)).to_dict(), sequential(path))


def test_ties_keep_first_seen_order(tmp_path: Path) -> None:
    # "B" is first seen on the slow path (upper-case priority) and "A" after
    # it on the fast path. Both end with one alert each.
    path = tmp_path / "ties.jsonl"
    lines = [
        alert_line(rule="B", priority="WARNING", hostname="h2"),
        alert_line(rule="A", hostname="h1"),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")

    figures = summarize_range(str(path)).to_dict()

    assert list(figures["by_rule"]) == ["B", "A"]
    assert list(figures["by_host"]) == ["h2", "h1"]
    assert_same_figures(figures, sequential(path))


def test_ranges_add_up_to_whole_file(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "events.jsonl", 300)
    with path.open("ab") as stream:
        stream.write(b"\n".join(ODD_LINES))
    size = path.stat().st_size
    with path.open("rb") as stream:
        middle = line_start_at_or_after(stream, size // 2)

    merged = summarize_range(str(path), 0, middle)
    merged.merge(summarize_range(str(path), middle, None))

    assert_same_figures(merged.to_dict(), sequential(path))


def batches_of(data: bytes, max_line_bytes: int) -> list[list[bytes] | Skip]:
    stream = io.BytesIO(data)
    return list(iter_line_batches(stream, 0, None, "test", max_line_bytes))


def flatten(batches: list[list[bytes] | Skip]) -> list[bytes | tuple[str, int]]:
    """Return the lines, with each skip as its reason and line number."""
    items: list[bytes | tuple[str, int]] = []
    for batch in batches:
        if isinstance(batch, Skip):
            items.append((batch.reason, batch.line_no))
        else:
            items.extend(batch)
    return items


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 1 << 20])
def test_batches_split_lines_across_blocks(monkeypatch, block_size: int) -> None:
    monkeypatch.setattr(fast_summary, "BLOCK_SIZE", block_size)
    data = b"one\ntwo\n\nthree\r\nfour"

    assert flatten(batches_of(data, 100)) == [b"one", b"two", b"", b"three\r", b"four"]


@pytest.mark.parametrize("block_size", [1, 4, 10, 64, 1 << 20])
def test_batches_skip_long_lines(monkeypatch, block_size: int) -> None:
    monkeypatch.setattr(fast_summary, "BLOCK_SIZE", block_size)
    data = (
        b"ok\n" + b"x" * 9 + b"\nfine\n" + b"y" * 30 + b"\n12345678\nlast" + b"z" * 20
    )

    items = flatten(batches_of(data, 8))

    assert items == [
        b"ok",
        ("line too long", 2),
        b"fine",
        ("line too long", 4),
        b"12345678",
        ("line too long", 6),
    ]


def test_batches_stop_at_range_end() -> None:
    stream = io.BytesIO(b"first\nsecond\nthird\n")

    batches = list(iter_line_batches(stream, 6, 13))

    assert flatten(batches) == [b"second"]


def test_long_line_summary_counts_skip(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fast_summary, "BLOCK_SIZE", 1000)
    path = tmp_path / "long.jsonl"
    path.write_bytes(alert_line() + b"\n" + b"x" * 5000 + b"\n" + alert_line())

    figures = summarize_range(str(path), max_line_bytes=2000).to_dict()

    assert figures["alerts"] == 2
    assert figures["skipped_by_reason"] == {"line too long": 1}
