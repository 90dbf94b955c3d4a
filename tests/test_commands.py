"""Checklist commands and exception snippets: valid, quoted, filled from the alert."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from test_analysis_fixtures import TRAIL_STOPPED, every_alert, make_alert

from tui.analysis import analyze, checklist, exception_snippet
from tui.analysis.checklist import command_values, render, templates
from tui.analysis.knowledge import PHASES
from tui.parsing.alert import Alert, Priority

HOSTILE = (
    "$(touch pwned-subst)",
    "`touch pwned-backtick`",
    "a'b\"c",
    "line\nbreak; touch pwned-newline",
    "; touch pwned-semicolon #",
    "* ?[x] ~root",
    "-rf",
    "",
)
"""Values an attacker could put in a path, user name or API user."""

_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


def hostile_alerts(value: str) -> list[Alert]:
    """Build alerts whose attacker-controlled fields all hold ``value``."""
    path = f"/tmp/{value}"
    syscall = {
        "proc.name": "gdb",
        "proc.cmdline": "gdb -p 4242",
        "proc.exepath": path,
        "proc.pid": 4243,
        "user.name": value,
        "user.uid": 0,
        "user.loginuid": 1000,
        "container.id": "host",
    }
    cases = [
        ("PTRACE attached to process", "syscall", syscall),
        ("Clear Log Activities", "syscall", {**syscall, "fd.name": path}),
        (
            "Create Hardlink Over Sensitive Files",
            "syscall",
            {**syscall, "evt.arg.oldpath": "/etc/shadow", "evt.arg.newpath": path},
        ),
        (
            "Create Symlink Over Sensitive Files",
            "syscall",
            {**syscall, "evt.arg.target": "/etc", "evt.arg.linkpath": path},
        ),
        ("System user interactive", "syscall", syscall),
        (
            "Attach/Exec Pod",
            "k8s_audit",
            {
                "ka.user.name": value,
                "ka.target.name": "web-1",
                "ka.target.namespace": "prod",
                "ka.target.resource": "pods",
                "ka.uri.param[command]": value,
            },
        ),
        (
            "CloudTrail Logging Disabled",
            "aws_cloudtrail",
            {"ct.user": value, "ct.srcip": "192.0.2.10", "ct.request.name": value},
        ),
        (
            "Put Bucket Policy",
            "aws_cloudtrail",
            {"ct.user": value, "s3.bucket": value, "ct.request.policy": value},
        ),
        (
            "GCP Bucket configured to be public",
            "gcp_auditlog",
            {
                "gcp.user": value,
                "json.value[/resource/labels/bucket_name]": value,
            },
        ),
    ]
    return [
        Alert(
            rule=rule,
            priority=Priority.WARNING,
            time_ns=1730223092944887609,
            fields=fields,
            source=source,
            hostname=value or None,
        )
        for rule, source, fields in cases
    ]


def all_cases(events_dir: Path) -> list[Alert]:
    alerts = every_alert(events_dir)
    for value in HOSTILE:
        alerts.extend(hostile_alerts(value))
    return alerts


def expected_words(command: str, values: dict[str, str]) -> list[str]:
    """Return the words a template should split into once filled."""
    words = []
    for word in command.split():
        match = _PLACEHOLDER.match(word)
        words.append(values[match.group(1)] if match else word)
    return words


def assert_values_single_words(alerts: Iterable[Alert]) -> int:
    """Assert every rendered command splits into its template's words with each
    value as one word; return how many commands were rendered."""
    rendered = 0
    for alert in alerts:
        values = command_values(alert)
        for template in templates(alert, values):
            item = render(template, values)
            if item.command is None:
                continue
            rendered += 1
            assert shlex.split(item.command) == expected_words(
                template.command, values
            ), (alert.rule, item.command)
    return rendered


def test_templates_use_whole_word_placeholders(events_dir: Path) -> None:
    for alert in all_cases(events_dir):
        for template in templates(alert):
            if template.command is None:
                continue
            for word in template.command.split():
                if "{" in word or "}" in word:
                    assert _PLACEHOLDER.match(word), (template.id, word)


def test_values_stay_single_words(events_dir: Path) -> None:
    assert assert_values_single_words(all_cases(events_dir)) > 0


def test_commands_pass_bash_syntax_check(events_dir: Path) -> None:
    commands = {
        item.command
        for alert in all_cases(events_dir)
        for item in checklist(alert)
        if item.command
    }

    assert len(commands) > 20
    for command in commands:
        result = subprocess.run(
            ["bash", "-n", "-c", command], check=False, capture_output=True, text=True
        )
        assert result.returncode == 0, (command, result.stderr)


def test_hostile_values_stay_inert(tmp_path: Path) -> None:
    # Run each command with printf in place of the program: if quoting
    # failed, a substitution would create a pwned-* file in tmp_path.
    for value in HOSTILE:
        for alert in hostile_alerts(value):
            for item in checklist(alert):
                if item.command is None:
                    continue
                words = shlex.split(item.command)
                script = "printf '%s\\0' " + item.command.split(" ", 1)[-1]
                result = subprocess.run(
                    ["bash", "-c", script],
                    check=False,
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                )
                assert result.returncode == 0, (script, result.stderr)
                printed = result.stdout.split("\0")[:-1]
                if len(words) > 1:
                    assert printed == words[1:], script
    assert list(tmp_path.iterdir()) == []


def test_missing_value_drops_command() -> None:
    alert = Alert(
        rule="PTRACE attached to process",
        priority=Priority.WARNING,
        time_ns=None,
        fields={"proc.name": "gdb", "proc.cmdline": "gdb", "container.id": "host"},
        source="syscall",
    )
    items = {item.id: item for item in checklist(alert)}

    assert items["ptrace-attach.identify-target"].command is None
    assert "Command left out" in items["ptrace-attach.identify-target"].text
    assert items["ptrace-attach.scope"].command == "sysctl kernel.yama.ptrace_scope"


def test_fake_kubernetes_names_dropped(events_dir: Path) -> None:
    # Falcosidekick wrote the string "None" for missing pod and namespace.
    alert = next(
        alert
        for alert in every_alert(events_dir)
        if alert.fields.get("k8s.pod.name") == "None"
    )
    values = command_values(alert)

    assert "pod" not in values
    assert "namespace" not in values
    assert values["runtime"] == "docker"


def test_k8s_exec_commands(events_dir: Path) -> None:
    alert = next(
        alert for alert in every_alert(events_dir) if alert.rule == "Attach/Exec Pod"
    )
    commands = [item.command for item in checklist(alert) if item.command]

    assert "kubectl -n hello-app get pod nginx-676b6c5bbc-4xc6t -o yaml" in commands
    assert "kubectl auth can-i --list --as kubernetes-admin" in commands


def test_container_inspect_uses_runtime(events_dir: Path) -> None:
    by_pod = [
        alert
        for alert in every_alert(events_dir)
        if alert.rule == "Terminal shell in container"
        and alert.fields.get("k8s.pod.name") == "kubecon"
    ]
    commands = [item.command for item in checklist(by_pod[0]) if item.command]

    assert "crictl inspect ee97d9c4186f" in commands
    assert "kubectl -n default get pod kubecon -o yaml" in commands


def test_checklist_order_and_stable_ids(events_dir: Path) -> None:
    for alert in every_alert(events_dir):
        first = checklist(alert)
        second = checklist(alert)
        phases = [PHASES.index(item.phase) for item in first]

        assert [item.id for item in first] == [item.id for item in second]
        assert phases == sorted(phases), alert.rule
        assert len({item.id for item in first}) == len(first), alert.rule


def test_no_invented_tools(events_dir: Path) -> None:
    for alert in all_cases(events_dir):
        for item in checklist(alert):
            text = f"{item.text} {item.command or ''}"
            assert "falcoctl" not in text
            assert "chmod u+x" not in text


def snippet_rule(snippet: str) -> dict:
    document = yaml.safe_load(snippet)
    assert isinstance(document, list)
    assert len(document) == 1
    return document[0]


def test_exception_snippets_match_alerts(events_dir: Path) -> None:
    checked = 0
    for alert in all_cases(events_dir):
        snippet = exception_snippet(alert)
        if yaml.safe_load(snippet) is None:
            assert snippet.startswith("#")
            continue

        rule = snippet_rule(snippet)
        assert rule["rule"] == alert.rule
        assert rule["override"] == {"exceptions": "append"}
        (exception,) = rule["exceptions"]
        fields = exception["fields"]
        assert len(exception["comps"]) == len(fields)
        assert exception["values"] == [[str(alert.field(name)) for name in fields]]
        assert "proc.tty" not in fields
        assert "0.37.0" in snippet
        checked += 1

    assert checked > 80


def test_internal_alert_has_no_exception(events_dir: Path) -> None:
    internal = [alert for alert in every_alert(events_dir) if alert.is_internal]

    assert internal
    for alert in internal:
        assert yaml.safe_load(exception_snippet(alert)) is None


def test_exception_fields_per_source(events_dir: Path) -> None:
    alerts = every_alert(events_dir)
    k8s = next(alert for alert in alerts if alert.rule == "Attach/Exec Pod")
    container = next(
        alert
        for alert in alerts
        if alert.rule == "Drop and execute new binary in container"
    )

    k8s_fields = snippet_rule(exception_snippet(k8s))["exceptions"][0]["fields"]
    container_fields = snippet_rule(exception_snippet(container))["exceptions"][0][
        "fields"
    ]

    assert k8s_fields == ["ka.user.name", "ka.target.namespace"]
    assert container_fields == [
        "proc.exepath",
        "container.image.repository",
        "proc.pname",
    ]


@pytest.mark.parametrize("value", HOSTILE[:5])
def test_exception_round_trips_hostile_value(value: str) -> None:
    alert = hostile_alerts(value)[0]
    rule = snippet_rule(exception_snippet(alert))

    assert rule["exceptions"][0]["values"] == [[f"/tmp/{value}", "1000"]]


def test_cloudtrail_commands() -> None:
    fields = {**TRAIL_STOPPED, "ct.region": "eu-west-1"}
    alert = make_alert("CloudTrail Logging Disabled", "aws_cloudtrail", fields)
    commands = [item.command for item in checklist(alert) if item.command]

    assert commands == ["aws cloudtrail get-trail-status --name org-trail"]


def test_root_is_not_an_iam_user() -> None:
    alert = make_alert(
        "Console Login Without MFA",
        "aws_cloudtrail",
        {"ct.user": "root", "ct.srcip": "192.0.2.10"},
    )

    assert "aws_user" not in command_values(alert)


def test_option_like_values_dropped() -> None:
    alert = hostile_alerts("-rf")[4]

    assert alert.rule == "System user interactive"
    assert "user" not in command_values(alert)


def test_container_paths_left_out(events_dir: Path) -> None:
    alert = next(
        alert
        for alert in every_alert(events_dir)
        if alert.rule == "Clear Log Activities"
    )
    items = {item.id: item for item in checklist(alert)}
    item = items["clear-log.file-state"]

    assert item.command is None
    assert "container 920b85e0cae2" in item.text
    assert "file" not in command_values(alert)


def test_container_ptrace_pid_not_used_on_host() -> None:
    alert = make_alert(
        "PTRACE attached to process",
        "syscall",
        {
            "proc.name": "gdb",
            "proc.cmdline": "gdb -p 7",
            "container.id": "0123456789ab",
        },
    )
    items = {item.id: item for item in checklist(alert)}

    assert items["ptrace-attach.identify-target"].command is None
    assert "PID namespace" in analyze(alert).target[0].role


def test_old_rule_name_kept_in_exception(events_dir: Path) -> None:
    alert = next(
        alert
        for alert in every_alert(events_dir)
        if alert.rule == "GCP IAM serviceAccount deleted"
    )
    snippet = exception_snippet(alert)

    assert snippet_rule(snippet)["rule"] == "GCP IAM serviceAccount deleted"
    assert "older name of 'GCP IAM service account deleted'" in snippet
