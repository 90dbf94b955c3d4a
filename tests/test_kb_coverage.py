"""Knowledge-base coverage of the syscall rule catalog and of old rule names."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_commands import HOSTILE, assert_values_single_words
from test_knowledge import catalog_rows

from tui.analysis import lookup
from tui.analysis.checklist import checklist
from tui.parsing.alert import Alert, Priority

OLD_SYSCALL_NAMES = {
    # Renamed or replaced rules, as the rules catalog lists them (old -> current).
    "The docker client is executed in a container": (
        "Kubernetes Client Tool Launched in Container"
    ),
    "Delete Bash History": "Delete or rename shell history",
    "Lauch Suspicious Network Tool in Container": (
        "Launch Suspicious Network Tool in Container"
    ),
    "File Open by Privileged Container": "Launch Privileged Container",
    "Sensitive Mount by Container": "Launch Sensitive Mount Container",
    # snake_case names of Falco 0.1 to 0.3, renamed in 0.4.0.
    "write_binary_dir": "Write below binary dir",
    "write_etc": "Write below etc",
    "read_sensitive_file_untrusted": "Read sensitive file untrusted",
    "read_sensitive_file_trusted_after_startup": (
        "Read sensitive file trusted after startup"
    ),
    "write_rpm_database": "Write below rpm database",
    "db_program_spawned_process": "DB program spawned process",
    "db_program_spawn_process": "DB program spawned process",
    "modify_binary_dirs": "Modify binary dirs",
    "mkdir_binary_dirs": "Mkdir binary dirs",
    "change_thread_namespace": "Change thread namespace",
    "run_shell_untrusted": "Run shell untrusted",
    "system_user_interactive": "System user interactive",
    "system_procs_network_activity": "System procs network activity",
    "system_binaries_network_activity": "System procs network activity",
    "non_sudo_setuid": "Non sudo setuid",
    "user_mgmt_binaries": "User mgmt binaries",
    "create_files_below_dev": "Create files below dev",
}

INTEGER_FIELDS = {
    "user.uid": 0,
    "user.loginuid": 1000,
    "proc.tty": 34816,
    "fd.lport": 4444,
    "fd.rport": 443,
    "fd.sport": 443,
}
"""Numeric output fields, with a plausible value each."""

PATH_FIELDS = {
    "proc.exepath",
    "fd.name",
    "fd.nameraw",
    "evt.arg.filename",
    "evt.arg.name",
    "evt.arg.newpath",
    "evt.arg.oldpath",
    "evt.arg.path",
    "evt.arg.linkpath",
    "evt.arg.target",
}
"""Output fields that hold a file path, filled with the hostile value under /tmp."""

CONTAINER = {
    "container.id": "0123456789ab",
    "container.name": "web",
    "k8s.pod.name": "web-1",
    "k8s.ns.name": "prod",
}
HOST = {"container.id": "host", "container.name": "host"}


def syscall_rows(shared_dir: Path) -> list[dict[str, str]]:
    return [row for row in catalog_rows(shared_dir) if row["source"] == "syscall"]


def synthetic_alert(row: dict[str, str], value: str, where: dict[str, str]) -> Alert:
    """Build an alert of the row's rule with every output field filled."""
    fields: dict[str, object] = {"proc.pid": 4243, "proc.ppid": 4242, **where}
    for name in row["output_fields"].split(","):
        if name in INTEGER_FIELDS:
            fields[name] = INTEGER_FIELDS[name]
        elif name in PATH_FIELDS:
            fields[name] = f"/tmp/{value}"
        else:
            fields[name] = value
    return Alert(
        rule=row["rule_name"],
        priority=Priority.WARNING,
        time_ns=1730223092944887609,
        fields=fields,
        source="syscall",
        hostname="web-01",
    )


def synthetic_alerts(shared_dir: Path) -> list[Alert]:
    return [
        synthetic_alert(row, value, where)
        for row in syscall_rows(shared_dir)
        for value in HOSTILE
        for where in (HOST, CONTAINER)
    ]


def test_catalog_has_97_syscall_rules(shared_dir: Path) -> None:
    assert len(syscall_rows(shared_dir)) == 97


@pytest.mark.parametrize("maturity", ["stable", "incubating", "sandbox", "deprecated"])
def test_syscall_rules_have_entries(shared_dir: Path, maturity: str) -> None:
    rows = [row for row in syscall_rows(shared_dir) if row["maturity"] == maturity]

    assert rows
    for row in rows:
        entry = lookup(row["rule_name"])
        assert entry is not None, row["rule_name"]
        assert entry.rule == row["rule_name"]
        assert entry.source == "syscall", row["rule_name"]


def test_old_names_resolve_to_current(shared_dir: Path) -> None:
    current_names = {row["rule_name"] for row in syscall_rows(shared_dir)}

    for old, current in OLD_SYSCALL_NAMES.items():
        assert current in current_names, current
        entry = lookup(old)
        assert entry is not None, old
        assert entry.rule == current, old


def test_old_names_listed_in_catalog(shared_dir: Path) -> None:
    catalog_text = (shared_dir / "reference" / "rules-catalog.md").read_text(
        encoding="utf-8"
    )
    section = catalog_text.split("### 6.1", 1)[1].split("### 6.2", 1)[0]

    for old in OLD_SYSCALL_NAMES:
        assert f"`{old}`" in section, old


def test_entries_phases_in_order(shared_dir: Path) -> None:
    phases = ("investigate", "contain", "harden", "tune")
    for row in syscall_rows(shared_dir):
        entry = lookup(row["rule_name"])
        order = [phases.index(item.phase) for item in entry.checklist]
        assert order == sorted(order), row["rule_name"]
        assert entry.benign, row["rule_name"]
        assert entry.questions, row["rule_name"]


def test_synthetic_values_stay_single_words(shared_dir: Path) -> None:
    assert assert_values_single_words(synthetic_alerts(shared_dir)) > 1000


def test_synthetic_commands_pass_bash_syntax_check(shared_dir: Path) -> None:
    commands = sorted(
        {
            item.command
            for alert in synthetic_alerts(shared_dir)
            for item in checklist(alert)
            if item.command
        }
    )

    assert len(commands) > 100
    # Quoted values keep any newline inside their quotes, so the commands
    # joined by newlines form one script that bash checks in a single run.
    # A failure is then narrowed to one command.
    script = "\n".join(commands)
    result = subprocess.run(
        ["bash", "-n", "-c", script], check=False, capture_output=True, text=True
    )
    if result.returncode != 0:
        for command in commands:
            single = subprocess.run(
                ["bash", "-n", "-c", command],
                check=False,
                capture_output=True,
                text=True,
            )
            assert single.returncode == 0, (command, single.stderr)
    assert result.returncode == 0, result.stderr


def test_synthetic_hostile_values_stay_inert(shared_dir: Path, tmp_path: Path) -> None:
    # printf replaces each program. A value that escaped its quotes would
    # run a touch and leave a pwned-* file in tmp_path.
    lines = []
    for alert in synthetic_alerts(shared_dir):
        for item in checklist(alert):
            if item.command is not None and " " in item.command:
                lines.append("printf '%s\\0' " + item.command.split(" ", 1)[1])
    script = "\n".join(sorted(set(lines)))

    result = subprocess.run(
        ["bash", "-c", script], check=False, cwd=tmp_path, capture_output=True
    )

    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
