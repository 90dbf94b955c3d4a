"""Tests for summarizing one file in several worker processes."""

from __future__ import annotations

from pathlib import Path

from alert_files import generated_file

from tui.parsing.reader import iter_items
from tui.storage import parallel_summary
from tui.storage.parallel_summary import summarize_file
from tui.storage.summary import Summary


def sequential(path: Path) -> dict:
    summary = Summary()
    summary.add(iter_items(path))
    return summary.to_dict()


def test_parallel_summary_equals_sequential(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(parallel_summary, "PARALLEL_MIN_BYTES", 0)
    path = generated_file(tmp_path / "events.jsonl", 500)
    with path.open("ab") as stream:
        stream.write(b"garbage line\n\xff\xfe\n" + b"x" * 2_000_000 + b"\n{}")

    for workers in (2, 3):
        figures = summarize_file(path, workers=workers).to_dict()

        assert figures == sequential(path)
        assert list(figures["by_rule"]) == list(sequential(path)["by_rule"])


def test_small_file_one_process(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "events.jsonl", 20)

    assert summarize_file(path, workers=2).to_dict() == sequential(path)


def test_utf16_file_summarized(events_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(parallel_summary, "PARALLEL_MIN_BYTES", 0)
    path = events_dir / "streams" / "utf16le_bom_windows_redirect.log"

    assert summarize_file(path, workers=2).to_dict() == sequential(path)
