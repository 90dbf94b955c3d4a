"""The column-first scan returns exactly what the full-alert predicate returns."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alert_files import generated_file

from tui.parsing.alert import Alert, Priority
from tui.parsing.linefile import LineFile
from tui.parsing.located import AlertRow, iter_rows
from tui.storage.blocks import iter_alerts, read_lines
from tui.storage.overview import build_overview, build_store_overview
from tui.storage.query import TextNeedle, parse, searchable_fields
from tui.storage.scan import Scan
from tui.storage.store import AlertStore

NOW = datetime(2024, 10, 29, 18, 0, tzinfo=UTC)

FILTERS = (
    "priority>=error",
    "priority=warning",
    "priority!=notice",
    "-priority<warning",
    "prio:critical host:worker",
    "host=worker-03",
    "host!=worker-03",
    "host:<NA>",
    "host=<NA>",
    "host:na",
    "-host:web",
    "source=syscall",
    "source:audit",
    "source=<NA>",
    "rule:shell",
    "rule=Terminal shell in container",
    'rule="Terminal shell in container"',
    "rule!=Terminal",
    "rule~Shell",
    "proc.name=bash",
    "proc.name:BA",
    "proc.name=<NA>",
    "proc.name:na",
    "proc.name!=bash",
    "proc.name>1",
    "-proc.name~sh",
    "bash",
    "BASH -host:worker-01",
    "/etc/shadow",
    "etc/shadow",
    "/",
    "nosuchtextanywhere",
    "na",
    "NA",
    "a",
    "1",
    "1.5",
    "100000",
    "true",
    "é",
    "café",
    '"bash -i"',
    "example.com:443",
    ":443",
    "webui",
    "nulhere",
    "outputs",
    "-shell",
    "-rule:shell fd.name~/etc/ or tag:T1059",
    "fd.name~/etc/",
    "-fd.name~/etc/",
    "fd.name=/etc/shadow",
    "fd.name:/ETC/",
    "fd.name~1.5",
    "fd.num~100000",
    "fd.num=100000.0",
    "fd.name:/etc/a",
    "fd.nums~1,2",
    'fd.name~"/etc/a\\", \\"/etc/b"',
    "proc.cmdline:BASH",
    'proc.cmdline~"bash -i"',
    "output~NA",
    "output:na",
    "user.name=<NA>",
    "output~caf",
    "output:café",
    "fd.name~/etc/ or bash",
    "ct.user=ops-admin",
    "k8s.ns.name:kube",
    "container:host",
    "container=host",
    "container:redis",
    "container=redis",
    "container!=redis",
    "-container:red",
    "-container!=nginx",
    "container:na",
    "container~<NA>",
    "image:nginx",
    "user=root",
    "output:shadow",
    "tag:mitre",
    "evt.time.iso8601>0",
    "since:30d",
    "from:2024-10-29T17:20:00Z",
    "to:2024-10-29T17:20:00Z",
    "-since:1h host:worker or priority>=critical",
    "shell or bash or /etc",
    "priority>=error bash or host:worker-02 -rule:shell",
)

TRICKY_DOCUMENTS = (
    {"output": "read \\/etc\\/shadow", "proc.name": "cat"},
    {"output": "a/b", "proc.name": "x" * 80},
    {"output": "bell", "proc.name": "evil\x07name"},
    {"output": "bool", "proc.name": True},
    {"output": "list", "proc.name": ["bash", "sh"]},
    {"output": "number", "proc.name": 100000.0, "fd.num": 1e5},
    {"output": "null", "proc.name": None, "fd.name": None},
    {"output": "na text", "proc.name": "<NA>"},
    {"output": "empty", "proc.name": ""},
    {"output": "caf\u00e9 with accent", "proc.name": "café"},
    {"output": "bash -i >& /dev/tcp", "proc.name": "bash"},
    {"output": "ids", "container.name": "web", "container.id": "redis"},
    {"output": "host", "container.name": "nginx", "container.id": "host"},
)


def write_tricky_file(path: Path, ascii_only: bool = False) -> Path:
    """Write JSON alerts whose raw lines differ from their decoded values.

    With ``ascii_only`` every line is ASCII (non-ASCII text as \\u escapes),
    which the scan searches block by block rather than line by line.
    """
    lines = []
    for number, values in enumerate(TRICKY_DOCUMENTS):
        output = values["output"]
        fields = {key: value for key, value in values.items() if key != "output"}
        document = {
            "hostname": "" if number % 3 == 0 else f"worker-0{number % 4}",
            "output": output.replace("\\/", "/"),
            "output_fields": fields,
            "priority": ("Error", "Warning", "Notice", "Critical")[number % 4],
            "rule": "Terminal shell in container" if number % 2 else "Read shadow",
            "source": "syscall",
            "tags": ["T1059", "mitre_execution"] if number % 2 else [],
            "time": f"2024-10-29T17:{number + 10:02d}:00.000000000Z",
        }
        line = json.dumps(document, ensure_ascii=ascii_only or number % 2 == 0)
        if "\\/" in output:
            line = line.replace("/", "\\/")
        lines.append(line)
    lines.append(
        '{"event": {"rule": "Read shadow", "priority": "Error", "output": "x", '
        '"output_fields": {"proc.name": "cat"}, "time": '
        '"2024-10-29T17:40:00.000000000Z"}, "outputs": ["webui"]}'
    )
    lines.append(
        '{"rule": "Read shadow", "priority": "Error", "output": "glued", '
        '"output_fields": {"proc.name": "cat"}, "time": '
        '"2024-10-29T17:41:00.000000000Z"}Tue May 21 12:55:58 2019: /etc/shadow'
    )
    lines.append("17:42:00.000000000: Warning shell in container (proc.name=bash)")
    lines.append(
        '{"rule": "Read shadow", "priority": "Error", "output": "crlf", '
        '"output_fields": {"proc.name": "cat"}, "time": '
        '"2024-10-29T17:43:00.000000000Z", "Extra": 1.5e3}\r'
    )
    lines.append(
        '{"rule": "Read shadow", "priority": "Error", "output": "nul\x00here", '
        '"output_fields": {"proc.name": "cat"}, "time": '
        '"2024-10-29T17:44:00.000000000Z"}'
    )
    lines.append(
        '{"rule": "Read shadow", "priority": "Error", "output": "odd values", '
        '"output_fields": {"proc.name": "cat", "fd.num": 1E5, '
        '"fd.name": ["/etc/a", "/etc/b"], "fd.nums": [1, 2]}, "time": '
        '"2024-10-29T17:45:00.000000000Z"}'
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def indexed_store(path: Path) -> AlertStore:
    store = AlertStore()
    store.add(iter_rows(str(path)))
    return store


def event_files(events_dir: Path) -> list[Path]:
    files = sorted(events_dir.glob("*.jsonl")) + sorted(events_dir.glob("*.log"))
    return files + sorted((events_dir / "streams").iterdir())


def assert_scan_equals_predicate(store: AlertStore, name: str) -> None:
    everything = range(len(store))
    for text in FILTERS:
        query = parse(text, now=NOW)
        expected = [i for i in everything if query.predicate(store.alert(i))]
        got = Scan(store, query).select(everything)
        assert got == expected, f"{name}: {text}"


def test_scan_equals_predicate_real_files(events_dir: Path) -> None:
    for path in event_files(events_dir):
        store = indexed_store(path)
        assert len(store) > 0, path.name
        assert_scan_equals_predicate(store, path.name)


def test_scan_equals_predicate_generated(tmp_path: Path) -> None:
    store = indexed_store(generated_file(tmp_path / "events.jsonl", 3000))
    assert len(store) == 3000
    assert_scan_equals_predicate(store, "generated")


@pytest.mark.parametrize("ascii_only", [False, True])
def test_scan_equals_predicate_tricky_lines(tmp_path: Path, ascii_only: bool):
    path = write_tricky_file(tmp_path / "tricky.jsonl", ascii_only)
    assert path.read_bytes().isascii() == ascii_only
    store = indexed_store(path)
    assert len(store) == len(TRICKY_DOCUMENTS) + 6
    assert_scan_equals_predicate(store, "tricky")


def test_scan_keeps_given_order(tmp_path: Path) -> None:
    store = indexed_store(generated_file(tmp_path / "events.jsonl", 500))
    order = list(reversed(range(len(store))))
    query = parse("/etc or priority>=error")
    got = Scan(store, query).select(order)
    assert got == [i for i in order if query.predicate(store.alert(i))]


def test_scan_empty_filter_keeps_all(tmp_path: Path) -> None:
    store = indexed_store(generated_file(tmp_path / "events.jsonl", 50))
    assert Scan(store, parse("")).select([3, 1, 2]) == [3, 1, 2]


def test_scan_resident_alerts(tmp_path: Path) -> None:
    store = AlertStore()
    store.add([Alert("Read shadow", Priority.ERROR, None, raw="{}")])
    query = parse("shadow")
    assert Scan(store, query).select(range(1)) == [0]


def test_scan_truncated_file(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "events.jsonl", 200)
    store = indexed_store(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    everything = range(len(store))
    for text in ("bash", "priority>=error", "host:worker", "fd.name~/etc/"):
        query = parse(text)
        expected = [i for i in everything if query(store.alert(i))]
        assert Scan(store, query).select(everything) == expected, text

    # A line no longer in the file is rebuilt without fields, but the list
    # still shows the process it was indexed with, and the scan follows it.
    got = Scan(store, parse("proc.name=bash")).select(everything)
    assert got == [i for i in everything if store.row(i).process == "bash"]


def test_scan_reads_rotated_line_file(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "events.jsonl", 300)
    rows = [item for item in iter_rows(str(path)) if isinstance(item, AlertRow)]
    descriptor = os.open(path, os.O_RDONLY)
    line_file = LineFile(descriptor, str(path))
    os.close(descriptor)
    for row in rows:
        row.file = line_file
    store = AlertStore()
    store.add(rows)
    path.rename(tmp_path / "events.jsonl.1")

    everything = range(len(store))
    for text in ("bash", "fd.name~/etc/", "priority>=error"):
        query = parse(text)
        got = Scan(store, query).select(everything)
        # The scan read the rotated file through its LineFile in blocks, not
        # one store.alert call per alert.
        assert len(store._cache) == 0, text
        expected = [i for i in everything if query(store.alert(i))]
        assert got == expected, text
        store._cache.clear()


def test_read_lines_every_index(tmp_path: Path) -> None:
    path = generated_file(tmp_path / "events.jsonl", 300)
    store = indexed_store(path)
    lines = dict(read_lines(store, range(len(store))))
    assert sorted(lines) == list(range(len(store)))
    assert lines[0] == path.read_bytes().split(b"\n")[0]


def test_iter_alerts_order(tmp_path: Path) -> None:
    store = indexed_store(generated_file(tmp_path / "events.jsonl", 300))
    order = [299, 0, 150, 1]
    got = list(iter_alerts(store, order, chunk=2))
    assert [alert.raw for alert in got] == [store.alert(i).raw for i in order]


def test_store_overview_equals_overview(events_dir: Path, tmp_path: Path) -> None:
    paths = event_files(events_dir) + [
        write_tricky_file(tmp_path / "tricky.jsonl"),
        generated_file(tmp_path / "events.jsonl", 2000),
    ]
    for path in paths:
        store = indexed_store(path)
        indices = list(range(len(store)))[::-1]
        expected = build_overview(store.alert(index) for index in indices)
        assert build_store_overview(store, indices) == expected, path.name


def full_text_match(alert: Alert, needle: str) -> bool:
    parts = [alert.rule, alert.raw, alert.output, searchable_fields(alert)]
    return any(needle in part.casefold() for part in parts)


@pytest.mark.parametrize("needle", [text for text in FILTERS if ":" not in text])
def test_raw_settles_only_when_sound(events_dir: Path, tmp_path: Path, needle: str):
    """No match on the raw line means no match anywhere in the searchable text."""
    paths = event_files(events_dir) + [write_tricky_file(tmp_path / "t.jsonl")]
    text = TextNeedle(needle)
    for path in paths:
        store = indexed_store(path)
        for index in range(len(store)):
            alert = store.alert(index)
            raw = alert.raw.casefold()
            if alert.kind != "json" or not raw or text.folded in raw:
                continue
            if text.raw_settles(raw):
                assert not full_text_match(alert, text.folded), (path.name, index)
