"""Error messages of the command line escape control characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import main

HOSTILE = "x\x1b]0;PWNED\x07"


def test_summary_escapes_missing_path(tmp_path: Path, capsys) -> None:
    code = main(["summary", str(tmp_path / HOSTILE)])

    errors = capsys.readouterr().err
    assert code == 1
    assert "\x1b" not in errors
    assert "\x07" not in errors
    assert "x\\x1b]0;PWNED\\x07" in errors


def test_export_escapes_missing_path(tmp_path: Path, capsys) -> None:
    main(["export", str(tmp_path / HOSTILE), "--output", str(tmp_path / "out")])

    errors = capsys.readouterr().err
    assert "cannot read" in errors
    assert "\x1b" not in errors


def test_unknown_option_escaped(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main([f"--{HOSTILE}"])

    errors = capsys.readouterr().err
    assert raised.value.code == 2
    assert "\x1b" not in errors
    assert "unrecognized arguments" in errors
