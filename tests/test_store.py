"""Tests for AlertStore: counts, skip samples, sorting and text search."""

from __future__ import annotations

import pytest

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.reader import iter_items
from tui.storage.store import MAX_SKIP_SAMPLES, AlertStore


def make_alert(rule: str, priority: Priority, time_ns: int | None, **kw) -> Alert:
    return Alert(rule=rule, priority=priority, time_ns=time_ns, **kw)


@pytest.fixture
def store() -> AlertStore:
    store = AlertStore()
    store.add(
        [
            make_alert("Zeta rule", Priority.NOTICE, 300, source="syscall"),
            Skip("blank line"),
            make_alert("alpha rule", Priority.CRITICAL, None, output="shell"),
            make_alert(
                "Beta rule",
                Priority.WARNING,
                100,
                source="k8s_audit",
                fields={"k8s.pod.name": "Web-Pod", "fd.name": None},
            ),
            make_alert("Delta", Priority.CRITICAL, 200, raw='{"x": "RawOnly"}'),
        ]
    )
    return store


def test_add_returns_new_indices():
    store = AlertStore()

    first = store.add([make_alert("a", Priority.DEBUG, 1), Skip("x")])
    second = store.add([make_alert("b", Priority.DEBUG, 2)] * 2)

    assert first == [0]
    assert second == [1, 2]
    assert len(store) == 3


def test_counts(store):
    assert len(store) == 4
    assert store.by_priority[Priority.CRITICAL] == 2
    assert store.by_priority[Priority.NOTICE] == 1
    assert store.by_source["syscall"] == 1
    assert store.by_source["unknown"] == 2
    assert store.skipped["blank line"] == 1
    assert store.skipped_total == 1


def test_skip_samples_capped():
    store = AlertStore()

    store.add(Skip("not an alert", line_no=n) for n in range(50))

    assert store.skipped["not an alert"] == 50
    samples = store.skip_samples("not an alert")
    assert len(samples) == MAX_SKIP_SAMPLES
    assert samples[0].line_no == 0
    assert store.skip_samples("other") == []


@pytest.mark.parametrize(
    ("sort", "reverse", "expected"),
    [
        ("arrival", False, [0, 1, 2, 3]),
        ("arrival", True, [3, 2, 1, 0]),
        ("time", False, [2, 3, 0, 1]),
        ("priority", False, [1, 3, 2, 0]),
        ("priority", True, [0, 2, 3, 1]),
        ("rule", False, [1, 2, 3, 0]),
    ],
)
def test_view_sorting(store, sort, reverse, expected):
    assert store.view(sort=sort, reverse=reverse) == expected


def test_view_text_matches_everywhere(store):
    assert store.view(text="ALPHA") == [1]
    assert store.view(text="shell") == [1]
    assert store.view(text="web-pod") == [2]
    assert store.view(text="k8s.pod.name") == [2]
    assert store.view(text="rawonly") == [3]
    assert store.view(text="rule") == [0, 1, 2]
    assert store.view(text="nothing like this") == []


def test_view_text_is_literal(store):
    assert store.view(text=".*") == []
    assert store.view(text="(") == []


def test_view_rejects_unknown_sort(store):
    with pytest.raises(ValueError, match="invalid sort"):
        store.view(sort="colour")


def test_store_from_real_capture(events_dir):
    store = AlertStore()

    name = "streams/json_alerts_with_exit_summary.log"
    store.add(iter_items(events_dir / name))

    assert len(store) == 24
    assert store.skipped_total == 7
    assert store.by_source["syscall"] == 24
    # Two PTRACE rules, plus the release_agent alert listing CAP_SYS_PTRACE.
    assert len(store.view(text="ptrace")) == 3
    assert len(store.view(text="ptrace", sort="rule")) == 3


def test_sort_key_matches_view(store):
    for sort in ("arrival", "time", "priority", "rule"):
        key = store.sort_key(sort)
        assert sorted(range(len(store)), key=key) == store.view(sort=sort)
