"""Loading the user's Falco rules files with append and override semantics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.analysis import analyze
from tui.analysis.rulesfile import (
    add_loaded_rule,
    expand_rules_paths,
    load_rules_files,
)
from tui.parsing.alert import Alert, Priority

BASE = """\
- list: shell_binaries
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Custom Shell Spawned
  desc: A shell started under the web server.
  condition: spawned_process and proc.name in (shell_binaries)
  output: Shell spawned (user=%user.name command=%proc.cmdline)
  priority: WARNING
  tags: [mitre_execution, T1059.004]
  exceptions:
    - name: known_parents
      fields: [proc.pname]
      values: [[cron]]
- rule: Old Style Rule
  desc: Changed with append true.
  condition: evt.type = open
  output: opened
  priority: NOTICE
"""

LOCAL = """\
- list: shell_binaries
  items: [zsh]
  override:
    items: append
- rule: Custom Shell Spawned
  exceptions:
    - name: known_parents
      values: [[systemd]]
    - name: admin_login
      fields: [user.loginuid]
      comps: ["="]
      values: [["1000"]]
  override:
    exceptions: append
- rule: Old Style Rule
  condition: and fd.name startswith /etc
  append: true
"""

RULES_D = """\
- rule: Custom Shell Spawned
  priority: ERROR
  enabled: false
  override:
    priority: replace
    enabled: replace
- macro: spawned_process
  condition: and proc.pid > 0
  override:
    condition: append
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    (tmp_path / "falco_rules.yaml").write_text(BASE)
    (tmp_path / "falco_rules.local.yaml").write_text(LOCAL)
    folder = tmp_path / "rules.d"
    folder.mkdir()
    (folder / "10-site.yaml").write_text(RULES_D)
    return tmp_path


def load_all(rules_dir: Path, *extra: Path):
    paths = [
        rules_dir / "falco_rules.yaml",
        rules_dir / "falco_rules.local.yaml",
        rules_dir / "rules.d",
        *extra,
    ]
    return load_rules_files(expand_rules_paths(paths))


def test_override_appends_exception(rules_dir):
    rules = load_all(rules_dir)
    rule = rules.rule("Custom Shell Spawned")

    assert rules.messages == []
    exceptions = rule.values["exceptions"]
    assert [item["name"] for item in exceptions] == ["known_parents", "admin_login"]
    assert exceptions[0]["values"] == [["cron"], ["systemd"]]
    assert rule.origins["exceptions"] == [
        str(rules_dir / "falco_rules.yaml"),
        str(rules_dir / "falco_rules.local.yaml"),
    ]


def test_rules_d_replaces_priority_and_enabled(rules_dir):
    rule = load_all(rules_dir).rule("Custom Shell Spawned")

    assert rule.values["priority"] == "ERROR"
    assert rule.enabled is False
    assert rule.origins["priority"] == [str(rules_dir / "rules.d" / "10-site.yaml")]
    assert rule.values["desc"] == "A shell started under the web server."
    assert rule.origins["desc"] == [str(rules_dir / "falco_rules.yaml")]


def test_append_true_joins_condition(rules_dir):
    rule = load_all(rules_dir).rule("Old Style Rule")

    assert rule.values["condition"] == "evt.type = open and fd.name startswith /etc"
    assert len(rule.origins["condition"]) == 2


def test_lists_and_macros_change(rules_dir):
    rules = load_all(rules_dir)

    assert rules.lists["shell_binaries"] == ["bash", "sh", "zsh"]
    assert rules.macros["spawned_process"] == (
        "evt.type in (execve, execveat) and proc.pid > 0"
    )


def test_invalid_yaml_named(rules_dir, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- rule: x\n  condition: [unclosed\n")
    rules = load_all(rules_dir, broken)

    assert len(rules.messages) == 1
    assert str(broken) in rules.messages[0]
    assert "invalid YAML" in rules.messages[0]
    assert rules.rule("Custom Shell Spawned") is not None


def test_missing_path_named(rules_dir, tmp_path):
    missing = tmp_path / "nowhere.yaml"
    rules = load_all(rules_dir, missing)

    assert rules.messages == [f"{missing}: cannot be read (No such file or directory)"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_named(rules_dir, tmp_path):
    locked = tmp_path / "locked.yaml"
    locked.write_text(BASE)
    locked.chmod(0)
    rules = load_all(rules_dir, locked)

    assert rules.messages == [f"{locked}: cannot be read (Permission denied)"]


def test_override_of_undefined_rule(tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text(LOCAL)
    rules = load_rules_files([path])

    assert rules.rule("Custom Shell Spawned") is None
    assert any("is not defined earlier" in message for message in rules.messages)


def test_not_a_list_named(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("rule: x\n")
    rules = load_rules_files([path])

    assert rules.messages == [f"{path}: not a Falco rules file (expected a list)"]


def test_custom_rule_analysis_uses_rules_file(rules_dir):
    rules = load_all(rules_dir)
    alert = Alert(
        rule="Custom Shell Spawned",
        priority=Priority.WARNING,
        time_ns=None,
        fields={"proc.name": "bash", "user.name": "www-data"},
        source="syscall",
    )
    analysis = analyze(alert)
    assert analysis.mitre == []

    add_loaded_rule(analysis, rules)

    ids = [ref.id for ref in analysis.mitre]
    assert ids == ["TA0002", "T1059.004"]
    base = str(rules_dir / "falco_rules.yaml")
    assert (
        f"Rule description from {base}: A shell started under the web server."
        in analysis.notes
    )
    assert any(note.startswith("Rule condition from") for note in analysis.notes)
