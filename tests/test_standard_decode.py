"""The column decoder reads every line exactly as the general parser does.

``tui.parsing.standard`` uses a different JSON decoder (msgspec) from the
rest of the parser (orjson and ``parse_line``), so these tests feed both
paths the same odd, hostile and randomly damaged lines and compare every
column, skip and count.
"""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import orjson
from test_fast_summary import ODD_LINES, alert_line, assert_same_figures, sequential
from test_index_columns import capture_files, columns_as_rows, iter_rows_as_rows

from tui.parsing import located
from tui.parsing.located import parse_text_row
from tui.parsing.standard import decode_standard
from tui.storage.fast_summary import summarize_range

EDGE_LINES = [
    alert_line(output_fields={"proc.name": "bash", "evt.num": 1e308}),
    alert_line()[:-1] + b',"uuid":"0b4d"}',
    alert_line(output=None, tags=None),
    alert_line(output_fields={"proc.name": 7}),
    alert_line(output_fields={"proc.name": ["a"]}),
    alert_line(output_fields={"container.id": "<NA>", "container.name": ""}),
    alert_line(output_fields={"container.id": None, "proc.name": "<NA>"}),
    alert_line(output_fields={"proc.name": "a", "proc.name ": "b"}),
    alert_line(rule="Escaped \\u00e9 rule"),
    alert_line(rule="Tab\there"),
    alert_line(hostname="\u202eevil"),
    alert_line(source="  "),
    alert_line(priority="Informational", source="k8s_audit"),
    alert_line(tags=[[[[["deep"]]]]]),
    # Values the two decoders might read differently.
    alert_line(rule="R").replace(b'"rule":"R"', b'"rule":"\\ud83d\\ude00"'),
    alert_line(rule="R").replace(b'"rule":"R"', b'"rule":"\\ud800"'),
    alert_line(rule="R").replace(b'"rule":"R"', b'"rule":"a\\u0000b"'),
    alert_line(output="o").replace(b'"output":"o"', b'"output":"\\x"'),
    alert_line().replace(b'"tags":["shell"]', b'"tags":[1e999]'),
    alert_line().replace(
        b'"tags":["shell"]', b'"tags":[123456789012345678901234567890]'
    ),
    alert_line().replace(b'"tags":["shell"]', b'"tags":[-0.0e-5, 01]'),
    alert_line().replace(b'"tags":["shell"]', b'"tags":' + b"[" * 600 + b"]" * 600),
    alert_line().replace(b'"tags":["shell"]', b'"tags":' + b"[" * 1500 + b"]" * 1500),
    alert_line().replace(b'"tags":["shell"]', b'"tags":[NaN]'),
    # Nesting that msgspec, orjson and the stdlib each reject at their own
    # depth, in a field the columns skip and in one they read.
    *(
        alert_line(output_fields={"proc.name": "bash", "x": "X"}).replace(
            b'"X"', b"[" * depth + b"]" * depth
        )
        for depth in (40, 950, 1000, 1022, 1023)
    ),
    alert_line(output_fields={"proc.name": "X"}).replace(
        b'"X"', b"[" * 1000 + b"]" * 1000
    ),
    alert_line(output_fields={"proc.name": "X"}).replace(
        b'"X"', b"123456789012345678901234567890"
    ),
    alert_line(output_fields={"proc.name": "X", "container.id": "Y"})
    .replace(b'"X"', b"1e999")
    .replace(b'"Y"', b"NaN"),
    alert_line(output_fields={"container.name": "X"}).replace(
        b'"X"', b'{"a":' * 70 + b"1" + b"}" * 70
    ),
    alert_line().replace(b'"tags":["shell"]', b'"tags":["\xc3\xa9"]'),
    alert_line().replace(b'"tags":["shell"]', b'"tags":["\xed\xa0\x80"]'),
    b" " + alert_line(),
    alert_line() + b" \t",
    alert_line().replace(b":", b" : "),
    alert_line(rule="Caf\u00e9 \U0001f600 rule", hostname="h\u00f6st"),
    alert_line(output="\u00e9 then a bad byte X").replace(b"X", b"\xc3"),
    alert_line(output_fields={"proc.name": "\u202ebash", "fd.name": "\u00e9"}),
]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def reject_all(data: bytes | str) -> None:
    raise msgspec.DecodeError("msgspec step disabled by the test")


def assert_paths_agree(path: Path, monkeypatch) -> None:
    """Index, summary, rows and text rows equal the general parser's."""
    rows, skips, lines = columns_as_rows(path)
    fast_rows, fast_skips = iter_rows_as_rows(path)
    fast_summary = summarize_range(str(path)).to_dict()
    text_rows = rows_of_text(path)
    with monkeypatch.context() as patch:
        # Without its msgspec step, located parses with orjson or parse_line.
        patch.setattr(located, "decode_standard", lambda data: None)
        patch.setattr(located, "decode_alert", reject_all)
        expected_rows, expected_skips = iter_rows_as_rows(path)
        expected_summary = sequential(path)
        expected_text_rows = rows_of_text(path)

    assert rows == expected_rows
    assert skips == expected_skips
    assert lines == path.read_bytes().count(b"\n")
    assert fast_rows == expected_rows
    assert fast_skips == expected_skips
    assert_same_figures(fast_summary, expected_summary)
    assert text_rows == expected_text_rows


def rows_of_text(path: Path) -> list:
    """Parse each line as the follower delivers it, decoded to text."""
    return [
        parse_text_row(line.decode("utf-8", "replace"), "followed", number)
        for number, line in enumerate(path.read_bytes().split(b"\n"), 1)
    ]


def damaged(line: bytes, rng: random.Random) -> bytes:
    """Return ``line`` with one random cut, flip, deletion or insertion."""
    position = rng.randrange(len(line))
    kind = rng.randrange(4)
    if kind == 0:
        return line[:position]
    if kind == 1:
        return line[:position] + bytes([rng.randrange(1, 256)]) + line[position + 1 :]
    if kind == 2:
        return line[:position] + line[position + 1 :]
    extra = rng.choice([b'"', b"{", b"}", b"[", b",", b":", b"\\", b"e9", b"\x00"])
    return line[:position] + extra + line[position:]


def test_odd_and_edge_lines_agree(tmp_path: Path, monkeypatch) -> None:
    path = write_lines(tmp_path / "odd.jsonl", [*ODD_LINES, *EDGE_LINES])
    assert_paths_agree(path, monkeypatch)


def test_damaged_real_alerts_agree(
    tmp_path: Path, events_dir: Path, monkeypatch
) -> None:
    originals = [
        line
        for capture in capture_files(events_dir)
        for line in capture.read_bytes().splitlines()
        if line.startswith(b'{"')
    ]
    assert len(originals) >= 100
    rng = random.Random(3)
    lines = [
        damaged(rng.choice(originals), rng).replace(b"\n", b" ") for _ in range(4000)
    ]
    assert_paths_agree(write_lines(tmp_path / "damaged.jsonl", lines), monkeypatch)


def test_decoder_takes_valid_utf8_only() -> None:
    alert = decode_standard(alert_line())
    assert alert is not None
    assert alert.rule == "Terminal shell in container"
    assert alert.output_fields.proc_name == "bash"
    assert decode_standard(alert_line(rule="caf\u00e9")).rule == "caf\u00e9"
    assert (
        decode_standard(alert_line(output="caf\u00e9 X").replace(b"X", b"\xff")) is None
    )
    assert decode_standard(alert_line(extra="unknown key")) is None
    assert decode_standard(orjson.dumps([1])) is None
