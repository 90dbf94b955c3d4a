"""Hostile JSON shapes and file names never crash, hang or lose an alert.

Each case writes a real file and runs the parser and the real command line
(``python -m tui`` in a subprocess) on it: ``summary``, ``tail``,
``report`` and ``export`` must exit 0 and agree on what is an alert.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tui.analysis.report import write_report_file
from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.located import AlertRow, iter_rows, row_from_alert
from tui.parsing.nesting import MAX_NESTING, TOO_DEEP, limit_nesting
from tui.parsing.parser import parse_line
from tui.parsing.text import path_text, printable

REPO = Path(__file__).resolve().parents[1]

TIME = "2024-10-29T17:12:00.000000000Z"


def alert_text(fields: str = '{"proc.name":"bash"}', rule: str = '"Deep"') -> str:
    """Return a standard alert line with raw JSON for its fields and rule."""
    return (
        f'{{"rule":{rule},"priority":"Warning","time":"{TIME}",'
        f'"output":"o","output_fields":{fields}}}'
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m tui`` with this checkout's code, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        check=False,
        capture_output=True,
        input=stdin,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )


def summary_of(path: Path | str) -> dict:
    result = run_cli("summary", "--json", str(path))
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


def tail_text(data: bytes) -> str:
    """Return what ``tail --json -`` prints for ``data`` on standard input."""
    result = run_cli("tail", "--json", "-q", "-", stdin=data)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def tail_lines(data: bytes) -> list[dict]:
    return [orjson.loads(line) for line in tail_text(data).splitlines()]


# --- nesting ------------------------------------------------------------------


def test_limit_nesting_cuts_deep_levels() -> None:
    value = orjson.loads(nested(1000))

    limited = limit_nesting(value)

    depth = 0
    while isinstance(limited, list):
        limited = limited[0]
        depth += 1
    assert depth == MAX_NESTING
    assert limited == TOO_DEEP


def test_limit_nesting_keeps_shallow_value() -> None:
    value = {"a": [1, {"b": [2]}], "c": "d"}

    assert limit_nesting(value) is value


def test_printable_deep_list_does_not_recurse() -> None:
    text = printable(orjson.loads(nested(1000)), 64)

    assert text.startswith("[[[[")
    assert len(text) == 64


def test_deep_field_value_is_cut() -> None:
    for depth in (40, 900, 1000, 1022):
        (alert,) = parse_line(alert_text(f'{{"x":{nested(depth)}}}'))

        assert isinstance(alert, Alert), depth
        assert TOO_DEEP in orjson.dumps(alert.fields).decode()
        assert len(alert.fingerprint) == 24


def test_line_deeper_than_decoders_skipped() -> None:
    for depth in (1023, 1500):
        (skip,) = parse_line(alert_text(f'{{"x":{nested(depth)}}}'))

        assert isinstance(skip, Skip), depth
        assert skip.reason == "JSON nested too deeply"


def test_deep_alert_on_every_command(tmp_path: Path) -> None:
    deep = alert_text(f'{{"proc.name":"bash","x":{nested(1000)}}}')
    deep_process = alert_text(f'{{"proc.name":{nested(1000)}}}', '"Deep name"')
    too_deep = alert_text(f'{{"x":{nested(1500)}}}', '"Too deep"')
    after = alert_text(rule='"After"')
    lines = [deep, deep_process, too_deep, after]
    data = b"".join(line.encode() + b"\n" for line in lines)
    path = tmp_path / "deep.json"
    path.write_bytes(data)

    figures = summary_of(path)
    printed = tail_lines(data)
    report = tmp_path / "report.md"
    reported = run_cli(
        "report", str(path), "--index", "2", "-o", str(report), "--state", str(tmp_path)
    )
    exported = run_cli("export", str(path), "-o", str(tmp_path / "out.jsonl"))

    assert figures["alerts"] == 3
    assert figures["skipped_by_reason"] == {"JSON nested too deeply": 1}
    assert [line["rule"] for line in printed] == ["Deep", "Deep name", "After"]
    assert TOO_DEEP in orjson.dumps(printed[0]["output_fields"]).decode()
    assert reported.returncode == 0, reported.stderr
    assert "Deep name" in report.read_text()
    assert exported.returncode == 0, exported.stderr
    exported_lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert exported_lines == [deep, deep_process, after]


def test_fingerprint_of_deep_fields_built_directly() -> None:
    alert = Alert("Deep", Priority.WARNING, 0, fields={"x": orjson.loads(nested(900))})

    assert len(alert.fingerprint) == 24


# --- lone surrogates ----------------------------------------------------------


def test_lone_surrogates_become_replacement() -> None:
    (alert,) = parse_line(alert_text('{"proc.name":"a\\ud800b"}', '"Lone \\udc00"'))

    assert isinstance(alert, Alert)
    assert alert.rule == "Lone \ufffd"
    assert alert.fields["proc.name"] == "a\ufffdb"
    assert alert.invalid_bytes == 2
    assert "2 lone surrogate escapes" in alert.extra["lone surrogates"]
    assert len(alert.fingerprint) == 24


def test_surrogate_pair_stays_one_character() -> None:
    (alert,) = parse_line(alert_text('{"x":"\\ud83d\\ude00","y":"\\ud800"}'))

    assert alert.fields == {"x": "\U0001f600", "y": "\ufffd"}
    assert alert.invalid_bytes == 1


def test_surrogate_and_invalid_byte_both_counted(tmp_path: Path) -> None:
    line = alert_text('{"proc.name":"\\ud800"}').encode().replace(b'"o"', b'"\xff"')
    path = tmp_path / "both.json"
    path.write_bytes(line + b"\n")

    figures = summary_of(path)
    (printed,) = tail_lines(line + b"\n")

    assert figures["alerts"] == 1
    assert figures["with_invalid_utf8"] == 1
    assert printed["output"] == "\ufffd"
    assert printed["output_fields"] == {"proc.name": "\ufffd"}


def test_lone_surrogates_on_every_command(tmp_path: Path) -> None:
    lines = [
        alert_text(rule='"Lone \\udc00 rule"'),
        alert_text('{"proc.name":"\\ud800"}', '"Lone process"'),
        alert_text(rule='"After"'),
    ]
    data = b"".join(line.encode() + b"\n" for line in lines)
    path = tmp_path / "lone.json"
    path.write_bytes(data)

    text = run_cli("summary", str(path))
    figures = summary_of(path)
    printed = tail_lines(data)
    report = tmp_path / "report.md"
    reported = run_cli(
        "report", str(path), "--index", "1", "-o", str(report), "--state", str(tmp_path)
    )
    exported = run_cli("export", str(path), "-o", str(tmp_path / "out.jsonl"))

    assert text.returncode == 0, text.stderr
    assert figures["alerts"] == 3
    assert figures["with_invalid_utf8"] == 2
    assert list(figures["by_rule"]) == ["Lone \ufffd rule", "Lone process", "After"]
    assert [line["rule"] for line in printed] == [
        "Lone \ufffd rule",
        "Lone process",
        "After",
    ]
    assert printed[1]["output_fields"] == {"proc.name": "\ufffd"}
    assert reported.returncode == 0, reported.stderr
    assert "# Falco alert: Lone \ufffd rule" in report.read_text()
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == data


# --- numbers ------------------------------------------------------------------

BIG = "123456789012345678901234567890"


def test_big_integer_stays_exact() -> None:
    fields = f'{{"evt.x":{BIG},"y":[-{BIG}],"z":18446744073709551615}}'
    (alert,) = parse_line(alert_text(fields))

    assert alert.fields["evt.x"] == int(BIG)
    assert alert.fields["y"] == [-int(BIG)]
    assert alert.fields["z"] == 2**64 - 1


def test_integer_past_digit_limit_kept_as_text() -> None:
    digits = "9" * 5000
    (alert,) = parse_line(alert_text(f'{{"evt.x":{digits}}}'))

    assert alert.fields["evt.x"] == digits


def test_non_finite_numbers_kept_as_text() -> None:
    fields = '{"a":1e999,"b":-1e999,"c":NaN,"d":Infinity,"e":-Infinity,"f":1.5}'
    (alert,) = parse_line(alert_text(fields))

    assert alert.fields == {
        "a": "1e999",
        "b": "-1e999",
        "c": "NaN",
        "d": "Infinity",
        "e": "-Infinity",
        "f": 1.5,
    }


def test_odd_numbers_agree_on_every_path(tmp_path: Path) -> None:
    lines = [
        alert_text(f'{{"proc.name":{BIG},"evt.x":{BIG}}}', '"Big"'),
        alert_text('{"proc.name":1e999,"container.name":NaN}', '"Infinite"'),
        alert_text(f'{{"container.id":[{BIG}]}}', '"Big list"'),
    ]
    data = b"".join(line.encode() + b"\n" for line in lines)
    path = tmp_path / "numbers.json"
    path.write_bytes(data)

    rows = [item for item in iter_rows(path) if isinstance(item, AlertRow)]
    expected = [row_from_alert(parse_line(line)[0]) for line in lines]
    printed = tail_lines(data)

    assert [row.process for row in rows] == [BIG, "1e999", ""]
    assert [row.container for row in rows] == ["host", "NaN", f"[{BIG}]"]
    assert [row.process for row in expected] == [BIG, "1e999", ""]
    assert [row.container for row in expected] == ["host", "NaN", f"[{BIG}]"]
    assert f'"evt.x":{BIG}' in tail_text(data)
    assert printed[1]["output_fields"] == {
        "proc.name": "1e999",
        "container.name": "NaN",
    }


# --- file names that are not UTF-8 --------------------------------------------


def bad_name_file(folder: Path, name: bytes, data: bytes) -> Path:
    """Write ``data`` to a file whose name has bytes that are not UTF-8."""
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))
    path.write_bytes(data)
    return path


def test_printable_replaces_surrogates() -> None:
    assert printable(os.fsdecode(b"bad\xff\xfe.json")) == "bad\ufffd\ufffd.json"
    assert path_text(os.fsdecode(b"a\xff\n.json")) == "a\ufffd\n.json"


def test_report_names_undecodable_file(tmp_path: Path) -> None:
    path = bad_name_file(tmp_path, b"bad\xff\xfe.json", alert_text().encode() + b"\n")
    report = tmp_path / "report.md"

    result = run_cli(
        "report", str(path), "--index", "1", "-o", str(report), "--state", str(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert "bad\ufffd\ufffd.json" in report.read_text(encoding="utf-8")


def test_tail_json_origin_is_utf8(tmp_path: Path) -> None:
    data = gzip.compress(alert_text().encode() + b"\n")
    path = bad_name_file(tmp_path, b"bad\xff.json.gz", data)

    result = run_cli("tail", "--json", "-q", str(path))

    assert result.returncode == 0, result.stderr
    (printed,) = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert printed["origin"].endswith("bad\ufffd.json.gz")


def test_failed_report_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "report.md"

    with pytest.raises(UnicodeEncodeError):
        write_report_file(path, "lone \udcff")

    assert not path.exists()


# --- export from standard input -------------------------------------------------


def test_stdin_export_keeps_bytes(tmp_path: Path) -> None:
    lines = [
        alert_text(rule='"CRLF"').encode() + b"\r\n",
        alert_text(rule='"Bad byte"').encode().replace(b'"o"', b'"\xff\xfe"') + b"\n",
        b"not an alert\n",
        alert_text(rule='"Last"').encode() + b"\n",
    ]
    output = tmp_path / "out.jsonl"

    result = run_cli("export", "-", "-o", str(output), stdin=b"".join(lines))

    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == lines[0] + lines[1] + lines[3]


def test_stdin_export_reads_utf16(tmp_path: Path) -> None:
    text = alert_text(rule='"Wide"') + "\n"
    output = tmp_path / "out.jsonl"

    result = run_cli("export", "-", "-o", str(output), stdin=text.encode("utf-16"))

    assert result.returncode == 0, result.stderr
    assert output.read_text() == text


def test_big_integer_in_deep_line_kept() -> None:
    fields = f'{{"evt.x":{BIG},"y":{nested(600)}}}'
    (alert,) = parse_line(alert_text(fields))

    assert isinstance(alert, Alert)
    assert alert.fields["evt.x"] == float(BIG)
