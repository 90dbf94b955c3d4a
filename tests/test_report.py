"""The Markdown report, ``falco-tui report`` and ``falco-tui explain``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from test_analysis_fixtures import every_alert, example_report_alert

from tui.analysis.checklist import checklist
from tui.analysis.report import markdown_report, md_code, md_text
from tui.analysis.rulesfile import load_rules_files
from tui.commands.explain import explain
from tui.parsing.parser import parse_line
from tui.state.db import StateStore

REPO = Path(__file__).resolve().parents[1]

PTRACE_ALERT = {
    "hostname": "web-01",
    "output": "17:31:32.944887609: Warning Detected ptrace PTRACE_ATTACH attempt "
    "(proc_pcmdline=bash evt_type=ptrace user=root user_uid=0 user_loginuid=1000 "
    "process=gdb proc_exepath=/usr/bin/gdb parent=bash command=gdb -p 4242 "
    "terminal=34817 exe_flags=<NA> container_id=host container_name=host)",
    "output_fields": {
        "container.id": "host",
        "container.name": "host",
        "evt.type": "ptrace",
        "proc.cmdline": "gdb -p 4242",
        "proc.exepath": "/usr/bin/gdb",
        "proc.name": "gdb",
        "proc.pcmdline": "bash",
        "proc.pname": "bash",
        "proc.tty": 34817,
        "user.loginuid": 1000,
        "user.name": "root",
        "user.uid": 0,
    },
    "priority": "Warning",
    "rule": "PTRACE attached to process",
    "source": "syscall",
    "tags": [
        "T1055.008",
        "container",
        "host",
        "maturity_stable",
        "mitre_privilege_escalation",
        "process",
    ],
    "time": "2024-10-29T17:31:32.944887609Z",
}


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        **kwargs,
    )


def write_alerts(path: Path, *alerts: dict, skipped_first: bool = True) -> Path:
    lines = ["Mon Oct 28 10:00:00 2024: Falco initialized"] if skipped_first else []
    lines += [orjson.dumps(alert).decode() for alert in alerts]
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_alert(data: dict):
    return parse_line(orjson.dumps(data).decode(), "test", 1)[0]


def section(report: str, title: str) -> str:
    match = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", report, re.MULTILINE | re.DOTALL
    )
    assert match is not None, f"no section {title!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def ptrace_report(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("report")
    path = write_alerts(folder / "alerts.json", PTRACE_ALERT)
    result = run_cli("report", str(path), "--index", "1", "--state", str(folder))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_report_has_sections(ptrace_report):
    for title in (
        "Summary",
        "Details",
        "Analysis",
        "What the rule detects",
        "MITRE ATT&CK",
        "Checklist",
        "Exception snippet",
    ):
        assert f"\n## {title}\n" in ptrace_report


def test_report_tracer_and_target(ptrace_report):
    summary = section(ptrace_report, "Summary")

    assert "- Tracer: gdb (/usr/bin/gdb)" in summary
    assert "- Target: 4242, inferred from `proc.cmdline`" in summary
    assert "requested ptrace attach on pid 4242" in summary
    assert "- Time: 2024-10-29 17:31:32.944887609 UTC" in summary
    assert "- Host: web-01" in summary
    assert "not in a container" in summary


def test_report_field_roles(ptrace_report):
    details = section(ptrace_report, "Details")

    assert "| Field | Value | Role |" in details
    exepath = next(line for line in details.splitlines() if "`proc.exepath`" in line)
    assert "acting process" in exepath
    assert "attached to" not in exepath
    pcmdline = next(line for line in details.splitlines() if "`proc.pcmdline`" in line)
    assert "parent" in pcmdline
    assert "used to attach" not in pcmdline


def test_report_avoids_review_errors(ptrace_report):
    text = ptrace_report.lower()

    assert "falcoctl" not in text
    assert "chmod" not in text
    assert "the program being attached to" not in text
    assert "the command used to attach" not in text
    assert "kernel.yama.ptrace\\_scope" in text or "kernel.yama.ptrace_scope" in text


def test_report_mitre_names(ptrace_report):
    mitre = section(ptrace_report, "MITRE ATT&CK")

    assert "| TA0004 | Privilege Escalation | tactic |" in mitre
    assert "| T1055.008 | Process Injection\\: Ptrace System Calls |" in mitre


def test_report_exception_block(ptrace_report):
    snippet = section(ptrace_report, "Exception snippet")

    assert "```yaml\n" in snippet
    assert "- rule: PTRACE attached to process" in snippet
    assert "override: {exceptions: append}" in snippet
    assert "proc.exepath, user.loginuid" in snippet


def test_report_checklist_ticks(tmp_path):
    path = write_alerts(tmp_path / "alerts.json", PTRACE_ALERT)
    state_dir = tmp_path / "state"
    alert = parse_alert(PTRACE_ALERT)
    item = next(item for item in checklist(alert) if item.command)
    with StateStore(state_dir) as state:
        state.set_checked(alert.fingerprint, item.id, True)

    result = run_cli("report", str(path), "--index", "1", "--state", str(state_dir))

    assert result.returncode == 0, result.stderr
    steps = section(result.stdout, "Checklist")
    assert f"- [x] {md_text(item.text)}" in steps
    assert steps.count("- [x] ") == 1
    assert "- [ ] " in steps
    assert "1 of " in steps


def test_report_index_counts_alerts(tmp_path):
    second = {**PTRACE_ALERT, "rule": "Clear Log Activities", "hostname": "db-02"}
    path = write_alerts(tmp_path / "alerts.json", PTRACE_ALERT, second)
    out = tmp_path / "report.md"

    result = run_cli(
        "report", str(path), "--index", "2", "-o", str(out), "--state", str(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text().startswith("# Falco alert: Clear Log Activities\n")


def test_report_index_out_of_range(tmp_path):
    path = write_alerts(tmp_path / "alerts.json", PTRACE_ALERT)

    result = run_cli("report", str(path), "--index", "2", "--state", str(tmp_path))

    assert result.returncode == 1
    assert "has 1 alerts, so there is no alert number 2" in result.stderr


def test_report_with_rules_file(tmp_path):
    rules = tmp_path / "local.yaml"
    rules.write_text(
        "- rule: PTRACE attached to process\n"
        "  desc: Local copy.\n"
        "  condition: evt.type = ptrace\n"
        "  output: traced\n"
        "  priority: WARNING\n"
        "- rule: PTRACE attached to process\n"
        "  exceptions:\n"
        "    - name: debuggers\n"
        "      fields: [proc.exepath]\n"
        "      values: [[/usr/bin/gdb]]\n"
        "  override:\n"
        "    exceptions: append\n"
    )
    path = write_alerts(tmp_path / "alerts.json", PTRACE_ALERT)

    result = run_cli(
        "report",
        str(path),
        "--index",
        "1",
        "--state",
        str(tmp_path),
        "--rules",
        str(rules),
    )

    assert result.returncode == 0, result.stderr
    loaded = section(result.stdout, "Rule as loaded from the rules files")
    assert "evt.type = ptrace" in loaded
    assert "name: debuggers" in loaded
    assert md_text(str(rules)) in loaded


def test_hostile_values_stay_in_cell():
    hostile = {
        **PTRACE_ALERT,
        "output_fields": {
            **PTRACE_ALERT["output_fields"],
            "proc.cmdline": "gdb | x\n| <script>alert(1)</script> [a](http://e.com) ```",
            "proc.name": "# gdb",
        },
    }
    report = markdown_report(parse_alert(hostile))
    row = next(
        line for line in report.splitlines() if line.startswith("| `proc.cmdline`")
    )

    assert "<script>" not in report
    assert "\\<script\\>" in row
    assert "[a](" not in report
    # Four unescaped pipes: the borders of three cells.
    assert len(re.findall(r"(?<!\\)\|", row)) == 4
    assert "\\n" in row
    assert not any(line.startswith("# gdb") for line in report.splitlines())


def test_code_span_outlasts_backticks():
    assert md_code("a``b") == "```a``b```"
    assert md_code("`x") == "`` `x ``"
    assert md_code("a|b") == "`a\\|b`"


def test_explain_current_name():
    text, status = explain("PTRACE attached to process")

    assert status == 0
    assert text.startswith("Rule: PTRACE attached to process\n")
    for heading in (
        "What it detects:",
        "What an attacker usually wants:",
        "Actor (who acted):",
        "Target (what was acted on):",
        "Common benign causes:",
        "How to tell:",
        "First questions:",
        "Checklist (commands show their placeholders",
    ):
        assert heading in text
    assert "$ ps -o pid,ppid,user,lstart,cmd -p {target_pid}" in text
    assert "{target_pid}: the traced process's pid" in text


def test_explain_old_name_cli():
    result = run_cli("explain", "Lauch Suspicious Network Tool in Container")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        '"Lauch Suspicious Network Tool in Container" is an old name of this '
        'rule; its current name is "Launch Suspicious Network Tool in Container".'
    )


def test_explain_unknown_name_cli():
    result = run_cli("explain", "PTRACE atached to proces")

    assert result.returncode == 1
    assert 'no entry for the rule "PTRACE atached to proces"' in result.stdout
    assert '"PTRACE attached to process"' in result.stdout


def test_explain_shows_loaded_rule(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- rule: PTRACE attached to process\n"
        "  desc: Local copy.\n"
        "  condition: evt.type = ptrace\n"
        "  output: traced\n"
        "  priority: WARNING\n"
        "  tags: [T1055.008, mitre_privilege_escalation]\n"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(": [\n")

    result = run_cli(
        "explain",
        "PTRACE attached to process",
        "--rules",
        str(rules),
        "--rules",
        str(broken),
    )

    assert result.returncode == 0, result.stderr
    assert "Definition in your rules files:" in result.stdout
    assert f"condition (from {rules}):\n  evt.type = ptrace" in result.stdout
    assert "T1055.008 Process Injection: Ptrace System Calls" in result.stdout
    assert f"Rules file problem: {broken}: invalid YAML" in result.stdout


def test_report_names_human(ptrace_report):
    analysis = section(ptrace_report, "Analysis")

    assert "Login uid 1000 (user.loginuid)" in analysis
    assert "The process now runs as root (uid 0)" in analysis
    assert "on an interactive terminal" in section(ptrace_report, "Summary")


def test_commands_load_without_textual():
    code = (
        "import sys, tui.commands.explain, tui.commands.report; "
        "sys.exit('textual' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    result = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, timeout=60
    )

    assert result.returncode == 0


def test_custom_rule_report(tmp_path):
    rules_path = tmp_path / "custom.yaml"
    rules_path.write_text(
        "- rule: Shop Binary Changed\n"
        "  desc: A file under /opt/shop/bin was written.\n"
        "  condition: open_write and fd.name startswith /opt/shop/bin\n"
        "  output: shop binary written (file=%fd.name)\n"
        "  priority: ERROR\n"
        "  tags: [mitre_persistence, T1543]\n"
    )
    alert = parse_alert(
        {
            "rule": "Shop Binary Changed",
            "priority": "Error",
            "source": "syscall",
            "time": "2024-10-29T17:31:32Z",
            "output": "shop binary written (file=/opt/shop/bin/api)",
            "output_fields": {"fd.name": "/opt/shop/bin/api", "proc.name": "cp"},
        }
    )
    rules = load_rules_files([rules_path])

    report = markdown_report(alert, rules=rules)

    mitre = section(report, "MITRE ATT&CK")
    assert "| TA0003 | Persistence | tactic |" in mitre
    assert "| T1543 | Create or Modify System Process |" in mitre
    notes = section(report, "Analysis")
    assert f"Rule description from {md_text(str(rules_path))}" in notes
    assert "A file under /opt/shop/bin was written." in notes
    assert "Rule condition from" in notes
    assert "no entry for this rule" in section(report, "What the rule detects")
    assert "| `fd.name` | /opt/shop/bin/api |" in section(report, "Details")


def test_every_real_alert_reports(events_dir):
    alerts = every_alert(events_dir)
    assert len(alerts) > 10

    for alert in alerts:
        report = markdown_report(alert)
        for title in ("Summary", "Details", "Analysis", "Checklist"):
            assert f"\n## {title}\n" in report, (alert.rule, title)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", report), alert.rule
        for line in report.splitlines():
            if line.startswith("| `"):
                assert len(re.findall(r"(?<!\\)\|", line)) == 4, line


def test_example_review_alert(shared_dir):
    report = markdown_report(example_report_alert(shared_dir))

    assert "- Tracer: gdb (/usr/bin/gdb)" in report
    assert "- Target: 4242, inferred from `proc.cmdline`" in report
