"""Analysis of real alerts: actor, target, human, MITRE and the summary text."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_analysis_fixtures import (
    TRAIL_STOPPED,
    alert_at,
    every_alert,
    example_report_alert,
    make_alert,
)

from tui.analysis import analyze, checklist, exception_snippet
from tui.analysis.analyze import FieldRole
from tui.parsing.alert import Alert, Priority


def roles(found: list[FieldRole]) -> dict[str, object]:
    """Map each field name to its value, for field-by-field asserts."""
    return {role.field: role.value for role in found}


@pytest.fixture()
def example(shared_dir: Path) -> Alert:
    return example_report_alert(shared_dir)


def test_example_actor_is_gdb(example: Alert) -> None:
    analysis = analyze(example)
    actor = roles(analysis.actor)

    assert actor["proc.name"] == "gdb"
    assert actor["proc.exepath"] == "/usr/bin/gdb"
    assert actor["user.loginuid"] == 1000
    assert actor["proc.tty"] == 34817


def test_example_target_is_inferred_pid(example: Alert) -> None:
    analysis = analyze(example)

    assert len(analysis.target) == 1
    target = analysis.target[0]
    assert target.value == "4242"
    assert target.inferred is True
    assert target.field == "proc.cmdline"
    assert any("4242" in note and "command line" in note for note in analysis.notes)


def test_example_gdb_is_never_the_target(example: Alert) -> None:
    analysis = analyze(example)
    target_text = " ".join(f"{role.value} {role.role}" for role in analysis.target)

    assert "gdb" not in target_text
    assert "/usr/bin/gdb" not in target_text
    assert all(role.field != "proc.exepath" for role in analysis.target)


def test_example_parent_is_bash_not_a_command(example: Alert) -> None:
    analysis = analyze(example)
    parent = next(role for role in analysis.actor if role.field == "proc.pcmdline")

    assert parent.value == "bash"
    assert "parent" in parent.role
    assert "started from bash" in analysis.summary


def test_example_summary_sentence(example: Alert) -> None:
    analysis = analyze(example)

    assert analysis.summary == (
        "gdb (/usr/bin/gdb), started from bash, running as root (uid 0) under "
        "login uid 1000 on an interactive terminal, requested ptrace attach on "
        "pid 4242 on host web-01 (not in a container)."
    )


def test_example_human_is_login_uid(example: Alert) -> None:
    analysis = analyze(example)

    assert "1000" in analysis.human
    assert "user.loginuid" in analysis.human


def test_example_mitre(example: Alert) -> None:
    ids = [ref.id for ref in analyze(example).mitre]
    names = [ref.name for ref in analyze(example).mitre]

    assert ids == ["TA0004", "T1055.008"]
    assert names == ["Privilege Escalation", "Process Injection: Ptrace System Calls"]


def test_example_checklist_commands(example: Alert) -> None:
    items = checklist(example)
    commands = [item.command for item in items if item.command]

    assert "ps -o pid,ppid,user,lstart,cmd -p 4242" in commands
    assert "sysctl kernel.yama.ptrace_scope" in commands
    assert "getent passwd 1000" in commands
    assert not any("falcoctl" in command for command in commands)
    assert not any("chmod" in command for command in commands)
    assert any("ptrace_scope" in item.text for item in items if item.phase == "harden")


def test_example_text_avoids_report_errors(example: Alert) -> None:
    analysis = analyze(example)
    items = checklist(example)
    text = " ".join(
        [analysis.summary, analysis.why, analysis.human, *analysis.notes]
        + [item.text for item in items]
    )

    assert "falcoctl" not in text
    assert "chmod" not in text
    assert "misconfigured" not in text


def test_example_exception_avoids_tty(example: Alert) -> None:
    snippet = exception_snippet(example)

    assert "proc.tty" not in snippet
    assert "proc.exepath" in snippet
    assert "user.loginuid" in snippet


def test_ptrace_without_pid_says_where_target_is(events_dir: Path) -> None:
    alert = alert_at(events_dir, "syscall.jsonl", 16)
    analysis = analyze(alert)

    assert alert.rule == "PTRACE attached to process"
    assert analysis.target == []
    assert any("pid argument" in note for note in analysis.notes)
    assert "process the alert does not name" in analysis.summary
    assert roles(analysis.actor)["proc.pname"] == "containerd-shim"


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        ("gdb -p 4242", "4242"),
        ("gdb --pid=31337", "31337"),
        ("gdb --pid 77", "77"),
        ("gdb /usr/sbin/sshd 812", "812"),
        ("strace -f -p 99", "99"),
        ("strace -p99", "99"),
        ("lldb --attach-pid 5", "5"),
        ("gcore -o /tmp/core 1234", "1234"),
        ("gdb ./prog", None),
        ("gdb -p $(pidof sshd)", None),
    ],
)
def test_ptrace_target_from_cmdline(cmdline: str, expected: str | None) -> None:
    name = cmdline.split()[0]
    alert = Alert(
        rule="PTRACE attached to process",
        priority=Priority.WARNING,
        time_ns=None,
        fields={"proc.name": name, "proc.cmdline": cmdline, "container.id": "host"},
        source="syscall",
    )
    inferred = [role.value for role in analyze(alert).target if role.inferred]

    assert inferred == ([expected] if expected else [])


def test_traceme_actor_is_the_caller(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 15))
    actor = roles(analysis.actor)

    assert actor["proc.exepath"] == "/bin/event-generator"
    assert actor["proc.pcmdline"] == "event-generator run syscall"
    assert analysis.target == []
    assert "PTRACE_TRACEME" in analysis.summary
    assert [ref.id for ref in analysis.mitre] == ["TA0005", "T1622"]


def test_hardlink_target_fields(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 2))
    target = roles(analysis.target)

    assert target["evt.arg.oldpath"] == "/etc/shadow"
    assert target["evt.arg.newpath"].endswith("/shadow_link")
    assert roles(analysis.actor)["proc.name"] == "ln"
    assert "proc.name" not in target


def test_symlink_target_fields(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 3))
    target = roles(analysis.target)

    assert target["evt.arg.target"] == "/etc"
    assert "evt.arg.linkpath" in target


def test_sensitive_read_target_is_file(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 19))

    assert roles(analysis.target) == {"fd.name": "/etc/shadow"}
    assert "read /etc/shadow" in analysis.summary


def test_ssh_port_target_is_connection(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 7))
    target = roles(analysis.target)

    assert "fd.name" in target
    assert "fd.rport" in target
    assert "proc.cmdline" in roles(analysis.actor)


def test_terminal_shell_in_container(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 24))
    actor = roles(analysis.actor)

    assert actor["proc.tty"] == 34816
    assert actor["container.id"] == "d2cf683d0b12"
    assert "no login session" in analysis.human.lower()
    assert "container lab9-helper" in analysis.summary
    assert "on an interactive terminal" in analysis.summary


def test_host_login_uid_human(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 28))

    assert "Login uid 1000" in analysis.human
    assert "not in a container" in analysis.summary


def test_k8s_exec_actor_and_target(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "k8s_audit.jsonl", 4))
    target = roles(analysis.target)

    assert roles(analysis.actor) == {"ka.user.name": "kubernetes-admin"}
    assert target["ka.target.name"] == "nginx-676b6c5bbc-4xc6t"
    assert target["ka.target.namespace"] == "hello-app"
    assert target["ka.uri.param[command]"] == "cat"
    assert analysis.summary.startswith("kubernetes-admin ran cat in pod hello-app/")
    assert "kubernetes-admin (ka.user.name)" in analysis.human


def test_k8s_forbidden_request(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "k8s_audit.jsonl", 2))

    assert roles(analysis.actor) == {"ka.user.name": "yacht"}
    assert "403 (forbidden)" in analysis.summary


def test_k8s_service_account_human(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "k8s_audit.jsonl", 8))

    assert "service account replicaset-controller" in analysis.human
    assert "kube-system" in analysis.human


def test_gcp_bucket_actor_and_target(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "plugins.jsonl", 2))
    actor = roles(analysis.actor)
    target = roles(analysis.target)

    assert actor["gcp.user"] == "jane.doex@test.com"
    assert actor["gcp.callerIP"] == "203.0.113.94"
    assert target["json.value[/resource/labels/bucket_name]"] == "jdoex-test"
    assert "gcp.policyDelta" in target
    assert "made the bucket jdoex-test public" in analysis.summary


def test_gcp_old_rule_name_resolves(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "plugins.jsonl", 3))

    assert analysis.entry is not None
    assert analysis.entry.rule == "GCP IAM service account deleted"
    assert any("older name" in note for note in analysis.notes)


def test_gcp_tags_become_mitre(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "plugins.jsonl", 1))

    assert [ref.id for ref in analysis.mitre] == ["TA0005", "T1562"]


def test_old_alert_source_inferred(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "k8s_audit.jsonl", 9))

    assert analysis.source == "k8s_audit"
    assert any("no known source" in note for note in analysis.notes)


def test_internal_drop_summary(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "odd.jsonl", 2))

    assert analysis.source == "internal"
    assert analysis.summary.startswith("Falco dropped 2 of 13973")
    assert analysis.actor == []


def test_missing_values_noted(events_dir: Path) -> None:
    analysis = analyze(alert_at(events_dir, "syscall.jsonl", 16))

    assert any("container.name" in note for note in analysis.notes)
    assert any("no name or image" in note for note in analysis.notes)


def test_every_capture_analyses(events_dir: Path) -> None:
    alerts = every_alert(events_dir)

    assert len(alerts) > 100
    for alert in alerts:
        analysis = analyze(alert)
        where = f"{alert.origin}:{alert.line_no}"
        assert analysis.summary, where
        assert analysis.human, where
        assert analysis.why, where
        assert analysis.questions, where
        assert "[/" not in analysis.summary.replace("[/resource", ""), where


def test_field_roles_never_mark_proc_as_target(events_dir: Path) -> None:
    for alert in every_alert(events_dir):
        analysis = analyze(alert)
        for role in analysis.target:
            if role.inferred:
                continue
            assert not role.field.startswith(("proc.", "user.", "thread.")), role


def test_text_alert_without_fields() -> None:
    alert = Alert(
        rule="Some custom rule",
        priority=Priority.NOTICE,
        time_ns=None,
        output="Some custom rule fired on something",
        kind="text",
    )
    analysis = analyze(alert)

    assert "carries no fields" in analysis.summary
    assert analysis.actor == []
    assert any("plain-text" in note for note in analysis.notes)
    assert any("no usable event time" in note for note in analysis.notes)


def test_cloudtrail_summary_and_human() -> None:
    alert = make_alert("CloudTrail Logging Disabled", "aws_cloudtrail", TRAIL_STOPPED)
    analysis = analyze(alert)

    assert analysis.summary == (
        "deploy-bot (from 192.0.2.10) stopped logging of the trail org-trail."
    )
    assert analysis.human == "deploy-bot (ct.user), calling from 192.0.2.10."
    assert roles(analysis.target) == {"ct.request.name": "org-trail"}


def test_okta_and_github_actors() -> None:
    okta = make_alert(
        "Too many denied MFA Pushes in last 5min",
        "okta",
        {"okta.actor.name": "Jane Doe", "okta.client.ip": "192.0.2.5"},
    )
    github = make_alert(
        "Private Repository Becoming Public",
        "github",
        {"github.user": "octo", "github.repo.name": "secrets"},
    )

    assert roles(analyze(okta).actor) == {
        "okta.actor.name": "Jane Doe",
        "okta.client.ip": "192.0.2.5",
    }
    assert analyze(github).summary == "octo made the repository secrets public."
    assert roles(analyze(github).target) == {"github.repo.name": "secrets"}


def test_ptrace_pid_argument_beats_cmdline():
    # When the alert carries ptrace's own pid argument, that is the target;
    # the pid on the tracer's command line is only a guess.
    from tui.analysis.checklist import checklist as build_checklist
    from tui.parsing.alert import Alert, Priority

    alert = Alert(
        rule="PTRACE attached to process",
        priority=Priority.WARNING,
        time_ns=None,
        fields={
            "container.id": "host",
            "proc.cmdline": "gdb -p 4242",
            "proc.name": "gdb",
            "evt.arg.pid": "sshd",
            "evt.rawarg.pid": 4321,
        },
        tags=("T1055.008",),
    )

    analysis = analyze(alert)
    commands = [item.command or "" for item in build_checklist(alert)]

    assert analysis.target[0].field == "evt.rawarg.pid"
    assert analysis.target[0].value == "4321"
    assert not analysis.target[0].inferred
    assert "pid 4321" in analysis.summary
    assert "4242" not in analysis.summary
    assert any("-p 4321" in command for command in commands)
    assert not any("4242" in command for command in commands)
