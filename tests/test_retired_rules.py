"""Dropped and split rule names explain where their detection went."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tui.analysis import analyze, lookup
from tui.analysis.retired import RETIRED_RULES, retired_rule
from tui.parsing.alert import Alert, Priority

CATALOG_SECTION = "### 6.1 Renames and replacements"


def catalog_old_names(reference_dir: Path) -> list[str]:
    """Return every back-quoted old name in the first column of the renames table."""
    text = (reference_dir / "rules-catalog.md").read_text(encoding="utf-8")
    section = text.split(CATALOG_SECTION, 1)[1].split("\n### ", 1)[0]
    names = []
    for row in section.splitlines():
        if not row.startswith("| ") or row.startswith("| old name"):
            continue
        first_cell = row.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first_cell):
            names += expand_slashes(name)
    return names


def expand_slashes(name: str) -> list[str]:
    """Expand 'X created/deleted' into 'X created' and 'X deleted'."""
    head, _, last = name.rpartition(" ")
    if "/" not in last or not head:
        return [name]
    return [f"{head} {word}" for word in last.split("/")]


@pytest.fixture
def reference_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference"


def test_every_old_name_resolves(reference_dir):
    names = catalog_old_names(reference_dir)
    unresolved = []
    for name in names:
        if name.endswith(("…", "_*")):
            # A family name such as 'Installer bash …' stands for several rules.
            name = name.rstrip("…*").strip() + " starts network server"
        if lookup(name) is None and retired_rule(name) is None:
            unresolved.append(name)

    assert len(names) > 20
    assert unresolved == []


def test_split_shell_rule_names_both():
    retired = retired_rule("Run shell in container")

    assert retired is not None
    assert retired.successors == ("Run shell untrusted", "Terminal shell in container")
    for successor in retired.successors:
        assert lookup(successor) is not None


def test_installer_family_by_prefix():
    retired = retired_rule("Installer bash starts network server")

    assert retired is not None
    assert retired.successors == ()


def test_retired_names_have_no_entry():
    for retired in RETIRED_RULES:
        assert lookup(retired.name) is None, retired.name


def test_analysis_notes_retired_rule():
    alert = Alert(
        rule="Run shell in container",
        priority=Priority.WARNING,
        time_ns=None,
        fields={"proc.name": "bash", "container.id": "3ad8e0b1c2d4"},
    )

    notes = analyze(alert).notes

    assert any("Terminal shell in container" in note for note in notes)


def test_explain_retired_name_exits_zero():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "explain", "Run shell in container"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "no current ruleset uses" in result.stdout
    assert "falco-tui explain 'Terminal shell in container'" in result.stdout


def test_split_names_resolve_to_all_successors():
    from tui.analysis.retired import SPLIT_NAMES, split_successors

    for old, successors in SPLIT_NAMES.items():
        assert lookup(old) is not None, old
        assert lookup(old).rule == successors[0]
        assert split_successors(old.upper()) == successors
        for successor in successors:
            assert lookup(successor) is not None, successor


def test_explain_split_name_lists_successors():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "explain", "K8s Role/Clusterrole Created"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "split into several rules" in result.stdout
    assert '"K8s ClusterRole Created"' in result.stdout
