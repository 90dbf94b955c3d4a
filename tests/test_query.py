"""Unit tests of the filter language: every term form, errors and helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from tui.parsing.alert import Alert, Priority
from tui.storage.query import (
    QueryError,
    combine,
    field_term,
    negate,
    parse,
    parse_time,
    quote_hint,
)

# 2026-04-06T19:32:23Z; the clock is fixed one hour later, in UTC+02:00.
BASE_NS = 1_775_503_943_000_000_000
LOCAL = timezone(timedelta(hours=2))
NOW = datetime(2026, 4, 6, 20, 32, 23, tzinfo=UTC).astimezone(LOCAL)


def make_alert(**changes) -> Alert:
    """Build a syscall alert with a few fields; ``changes`` override them."""
    values = {
        "rule": "Terminal shell in container",
        "priority": Priority.NOTICE,
        "time_ns": BASE_NS,
        "output": "A shell was spawned (proc.cmdline=bash -i)",
        "fields": {
            "proc.name": "bash",
            "proc.cmdline": "bash -i",
            "proc.pid": 4242,
            "fd.name": "/etc/shadow",
            "container.id": "920b85e0cae2",
            "container.name": "web",
            "container.image.repository": "nginx",
            "user.name": "root",
            "k8s.pod.name": "web-1",
            "k8s.ns.name": "prod",
            "proc.aname[2]": "sshd",
            "user.loginuid": None,
        },
        "tags": ("container", "mitre_execution", "T1059"),
        "source": "syscall",
        "hostname": "node-1",
        "extra": {"note": "a[1]/b:c-d"},
    }
    values.update(changes)
    if "raw" not in changes:
        values["raw"] = json_line(values)
    return Alert(**values)


def json_line(values: dict) -> str:
    """Encode the alert as Falco would write it, so the raw line is realistic."""
    document = {
        "hostname": values["hostname"],
        "output": values["output"],
        "output_fields": values["fields"],
        "priority": values["priority"].label,
        "rule": values["rule"],
        "source": values["source"],
        "tags": list(values["tags"]),
        **values["extra"],
    }
    return orjson.dumps(document).decode()


def matches(text: str, alert: Alert | None = None) -> bool:
    """Return whether the filter ``text`` keeps ``alert`` (default: make_alert())."""
    return parse(text, now=NOW)(alert or make_alert())


@pytest.mark.parametrize(
    "text",
    [
        "a[1]/b:c-d",
        "TERMINAL shell",
        "node-1",
        "cmdline=bash",
        '"bash -i"',
        "T1059",
        "user.loginuid=<NA>",
        "example.com:443 or shell",
        "it's or shell",
    ],
)
def test_free_text_matches_literally(text):
    assert matches(text)


@pytest.mark.parametrize("text", ["shadowx", '"bash  -i"', "a[2]", "node-2"])
def test_free_text_misses(text):
    assert not matches(text)


def test_free_text_needs_every_word():
    assert matches("bash shadow")
    assert not matches("bash nosuchword")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rule:shell", True),
        ("rule:SHELL", True),
        ("rule~SHELL", False),
        ("rule~shell", True),
        ("rule=Terminal shell in container", False),
        ('rule="Terminal shell in container"', True),
        ("rule!=other", True),
        ("host:node", True),
        ("hostname=node-1", True),
        ("container=web", True),
        ("container=920b85e0cae2", True),
        ("container=we", False),
        ("container:we", True),
        ("image=nginx", True),
        ("source:syscall", True),
        ("source=k8s_audit", False),
        ("tag:t1059", True),
        ("tags=T1059", True),
        ("tag!=T1059", False),
        ("tag=T1055", False),
        ("user=root", True),
        ("pod=web-1", True),
        ("ns=prod", True),
        ("output:spawned", True),
        ("proc.name=gdb", False),
        ("proc.name=bash", True),
        ("proc.name:BA", True),
        ("fd.name~/etc/", True),
        ("fd.name~/ETC/", False),
        ("proc.pid>4000", True),
        ("proc.pid>=4242", True),
        ("proc.pid<4242", False),
        ("proc.pid<=4242", True),
        ("proc.pid=4242", True),
        ("proc.aname[2]=sshd", True),
        ("proc.exepath=<NA>", True),
        ("proc.name>1", False),
    ],
)
def test_field_terms(text, expected):
    assert matches(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("proc.pid>9007199254740992", True),
        ("proc.pid>=9007199254740993", True),
        ("proc.pid>9007199254740993", False),
        ("proc.pid<9007199254740993", False),
        ("evt.num>18446744073709551615", True),
        ("evt.num<=18446744073709551616", True),
        ("evt.ratio>0.25", True),
        ("evt.ratio<0.5", True),
    ],
)
def test_big_integers_compare_exactly(text, expected):
    fields = {
        "proc.pid": 9007199254740993,
        "evt.num": 2**64,
        "evt.ratio": 0.3,
    }
    # orjson cannot write 2**64, so the raw line comes from the stdlib.
    alert = make_alert(fields=fields, raw=json.dumps({"output_fields": fields}))
    assert matches(text, alert) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("priority=notice", True),
        ("priority:notice", True),
        ("prio=NOTICE", True),
        ("priority>=warning", False),
        ("priority>=notice", True),
        ("priority>informational", True),
        ("priority>notice", False),
        ("priority<warning", True),
        ("priority<=notice", True),
        ("priority<notice", False),
        ("priority!=notice", False),
        ("priority>=info", True),
        ("priority=5", True),
    ],
)
def test_priority_terms_follow_falco_order(text, expected):
    assert matches(text) is expected


def test_priority_emergency_is_most_severe():
    emergency = make_alert(priority=Priority.EMERGENCY)
    assert matches("priority>=critical", emergency)
    assert not matches("priority<critical", emergency)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-shell", False),
        ("!shell", False),
        ("-nosuch", True),
        ("!proc.name=gdb", True),
        ("-proc.name=bash", False),
        ('-"bash -i"', False),
        ("-priority>=notice", False),
        ("-tag:T1059", False),
    ],
)
def test_exclusion(text, expected):
    assert matches(text) is expected


def test_dash_inside_word_is_text():
    alert = make_alert(output="connect to a-b")
    assert matches("a-b", alert)
    assert not matches("-a-b", alert)


@pytest.mark.parametrize("text", ["\\-i", '"-i"', "\\!x"])
def test_escaped_leading_dash_is_text(text):
    alert = make_alert(output="bash -i !x")
    assert matches(text, alert)
    assert not matches(text, make_alert(output="", raw="", fields={}))


def test_or_splits_alternatives():
    assert matches("nosuch or shell")
    assert matches("shell or nosuch")
    assert not matches("nosuch or other")
    # AND binds tighter than or: (nosuch AND shell) OR (bash AND prod).
    assert matches("nosuch shell or bash prod")
    assert not matches("nosuch shell or bash nosuch")


def test_or_in_quotes_is_text():
    alert = make_alert(output="this or that")
    assert matches('"or"', alert)
    assert not matches('"or"', make_alert(output="", raw="x", fields={}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("since:2h", True),
        ("since:61m", True),
        ("since:59m", False),
        ("since:3601s", True),
        ("since:1d", True),
        ("from:2026-04-06T19:32:23Z", True),
        ("from:2026-04-06T19:32:24Z", False),
        ("to:2026-04-06T19:32:23Z", True),
        ("to:2026-04-06T19:32:22", False),
        ("from:2026-04-06T21:32:23+02:00", True),
        # 21:32 local (UTC+2) is 19:32 UTC, before the alert's 19:32:23.
        ("from:21:32", True),
        ("from:21:33", False),
        ("to:21:32:23", True),
        ("to:21:32:22", False),
        ("from:21:00 to:22:00", True),
    ],
)
def test_time_terms_with_fixed_clock(text, expected):
    assert matches(text) is expected


def test_time_terms_skip_alerts_without_time():
    assert not matches("since:1d", make_alert(time_ns=None))
    assert matches("-since:1d", make_alert(time_ns=None))


def test_parse_time_local_clock_is_today():
    moment = parse_time("08:05", NOW)
    assert moment == datetime(2026, 4, 6, 8, 5, tzinfo=LOCAL)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("rule:", 6, "missing value"),
        ("a or", 3, "after it"),
        ("or a", 1, "before it"),
        ("a or or b", 6, "before it"),
        ('x "abc', 3, "unterminated quote"),
        ('proc.cmdline:"abc', 14, "unterminated quote"),
        ("a -", 3, "nothing after '-'"),
        ("!", 1, "nothing after '!'"),
        ("priority>=bogus", 11, "unknown priority"),
        ("since:5x", 7, "invalid duration"),
        ("since:", 7, "invalid duration"),
        ("from:nope", 6, "invalid time"),
        ("to:25:00", 4, "invalid time"),
        ("proc.pid>abc", 10, "not a number"),
        ("-host=", 7, "missing value after 'host='"),
        ("proc.cmdline= a", 14, 'in quotes if it contains spaces: proc.cmdline="two'),
    ],
)
def test_invalid_filters_name_column(text, column, words):
    with pytest.raises(QueryError) as caught:
        parse(text, now=NOW)
    assert caught.value.column == column
    assert words in caught.value.message
    assert str(caught.value).startswith(f"column {column}: ")


def test_empty_filter_matches_everything():
    query = parse("   ", now=NOW)
    assert query.empty
    assert query(make_alert())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("proc.cmdline", 'bash -c "echo \\x"'),
        ("proc.name", "bash"),
        ("user.loginuid", None),
        ("proc.pid", 4242),
        ("rule", "Terminal shell in container"),
        ("priority", "Notice"),
        ("hostname", "node-1"),
        ("weird_name", "node-1 x"),
    ],
)
def test_field_term_round_trips(name, value):
    fields = {"proc.cmdline": 'bash -c "echo \\x"', "user.loginuid": None}
    alert = make_alert(fields={**make_alert().fields, **fields}, output="node-1 x")
    keep = field_term(name, value)
    drop = field_term(name, value, exclude=True)
    assert matches(keep, alert), keep
    assert not matches(drop, alert), drop


def test_combine_adds_term_to_each_alternative():
    assert combine("", "b") == "b"
    assert combine("a", "b") == "a b"
    assert combine('a or "x or y"', "c") == 'a c or "x or y" c'
    assert combine("a", "-b or -c") == "a -b or a -c"
    assert combine("a or b", "c or d") == "a c or a d or b c or b d"
    assert combine("a", "") == "a"


def test_free_text_with_quotes_finds_json_escaped_value():
    alert = make_alert(output='say "hi" now')
    assert '\\"hi\\"' in alert.raw
    assert matches('\\"hi\\"', alert)
    assert matches('x"hi"', make_alert(output='x"hi" now'))


def test_free_text_on_plain_text_alert_reads_fields():
    alert = make_alert(kind="text", raw="12:00 Notice shell", output="shell")
    assert matches("proc.name=bash", alert) is True
    assert matches("/etc/shadow", alert)


def test_free_text_finds_value_escaped_by_go_encoder():
    alert = make_alert(raw='{"output_fields":{"user.loginuid":"\\u003cNA\\u003e"}}')
    assert matches("<NA>", alert)
    assert matches("a&b", make_alert(output="a&b", raw='{"output":"a\\u0026b"}'))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('rule="Rule 000"', '-rule="Rule 000"'),
        ("from:12:00 to:13:00", "-from:12:00 or -to:13:00"),
        ("-proc.name=gdb", "proc.name=gdb"),
        ("!x", "x"),
        ('"-x"', '-"-x"'),
        ("\\-x", "-\\-x"),
    ],
)
def test_negate_applies_de_morgan(text, expected):
    assert negate(text) == expected
    for alert in (make_alert(), make_alert(fields={"proc.name": "gdb"})):
        assert matches(negate(text), alert) is not matches(text, alert)


def test_negate_rejects_or():
    with pytest.raises(QueryError) as caught:
        negate("a or b")
    assert caught.value.column == 3


@pytest.mark.parametrize("text", ["since:999999d", "since:99999999999d"])
def test_huge_since_is_invalid(text):
    with pytest.raises(QueryError) as caught:
        parse(text)

    assert "since:" in str(caught.value) or "duration" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "aname[4]=<NA>",
        "foo.bar=1",
        "http://x",
        "https://example.com:443/a",
        "a:b:c",
        "example.com:443",
        "rule.name=x",
        "1.2.3.4:80",
        "cmdline=bash",
        "since=5",
        "-foo.bar=1",
    ],
)
def test_unknown_field_name_is_text(text):
    query = parse(text, now=NOW)

    [[term]] = query.alternatives
    assert term.kind == "text"
    assert term.value == text.lstrip("-")


@pytest.mark.parametrize(
    "text",
    [
        "proc.name=bash",
        "evt.arg[0]=x",
        "proc.aname[4]=<NA>",
        "K8S.ns.name:prod",
        "ka.uri:/api",
        "user.name=root",
        "user=root",
        "ns=prod",
    ],
)
def test_alias_or_dotted_class_is_field(text):
    query = parse(text, now=NOW)

    [[term]] = query.alternatives
    assert term.kind == "field"


def test_text_term_with_operator_matches_literally():
    assert matches("aname[2]=sshd")
    assert not matches("foo.bar=1")
    assert not matches("http://x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("proc.cmdline=bash -i", 'proc.cmdline="bash -i"'),
        ("proc.cmdline=grep -ri x", 'proc.cmdline="grep -ri x"'),
        ("rule:shell in container", 'rule:"shell in container"'),
        ("-proc.cmdline=a  b proc.name=c", '-proc.cmdline="a  b"'),
        ("x proc.cmdline=a b or c", 'proc.cmdline="a b"'),
        ("proc.cmdline=a b since:1h", 'proc.cmdline="a b"'),
        ('proc.cmdline=a "b c"', None),
        ('proc.cmdline="a b" c', None),
        ("priority>=warning shell", None),
        ("proc.pid>3 x", None),
        ("foo.bar=1 x", None),
        ("proc.name=bash", None),
        ('proc.name="bash', None),
    ],
)
def test_quote_hint(text, expected):
    assert quote_hint(text) == expected


def test_unquoted_value_splits_at_spaces():
    query = parse("proc.cmdline=bash -i", now=NOW)

    [terms] = query.alternatives
    assert [term.kind for term in terms] == ["field", "text"]
    assert terms[0].value == "bash"
    assert terms[1].negate
    assert not query(make_alert())
    assert matches('proc.cmdline="bash -i"')
