"""The knowledge base data, the field glossary and the MITRE table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from test_analysis_fixtures import every_alert

from tui.analysis import field_info, lookup, mitre_refs
from tui.analysis.fields import GROUPS
from tui.analysis.knowledge import (
    DATA_FILES,
    OPTIONAL_KEYS,
    PHASES,
    REQUIRED_KEYS,
    KnowledgeBaseError,
    _build_entry,
    all_entries,
    load_file,
)
from tui.analysis.mitre import TACTICS, TECHNIQUES

DATA_DIR = Path(__file__).resolve().parents[1] / "tui" / "analysis" / "data"


def catalog_rows(shared_dir: Path) -> list[dict[str, str]]:
    """Read the rules catalog table (one row per upstream rule)."""
    path = shared_dir / "reference" / "rules-catalog.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize("file_name", DATA_FILES)
def test_data_file_keys(file_name: str) -> None:
    raw = yaml.safe_load((DATA_DIR / file_name).read_text(encoding="utf-8"))

    assert isinstance(raw, list)
    for entry in raw:
        assert set(REQUIRED_KEYS) <= set(entry), entry.get("rule")
        assert set(entry) <= set(REQUIRED_KEYS) | set(OPTIONAL_KEYS), entry["rule"]
        assert entry["benign"], entry["rule"]
        assert entry["questions"], entry["rule"]
        assert entry["checklist"], entry["rule"]


@pytest.mark.parametrize("file_name", DATA_FILES)
def test_data_file_loads(file_name: str) -> None:
    assert load_file(file_name)


def test_checklist_ids_unique() -> None:
    ids = [item.id for entry in all_entries() for item in entry.checklist]

    assert len(ids) == len(set(ids))
    assert all(not item_id.startswith("generic.") for item_id in ids)


def test_checklist_phases_in_order() -> None:
    for entry in all_entries():
        order = [PHASES.index(item.phase) for item in entry.checklist]
        assert order == sorted(order), entry.rule


def test_rule_names_unique() -> None:
    names = [name for entry in all_entries() for name in (entry.rule, *entry.aliases)]

    assert len(names) == len(set(names))


def test_lookup_by_alias_and_case() -> None:
    assert lookup("Delete Bash History").rule == "Delete or rename shell history"
    assert lookup("ptrace attached to process ").rule == "PTRACE attached to process"
    assert lookup("No such rule") is None


def test_deep_entries_present() -> None:
    for name in (
        "PTRACE attached to process",
        "PTRACE anti-debug attempt",
        "Terminal shell in container",
        "Attach/Exec Pod",
        "Disallowed K8s User",
    ):
        entry = lookup(name)
        assert entry is not None, name
        assert len(entry.checklist) >= 5, name
        assert {item.phase for item in entry.checklist} >= {"investigate", "contain"}


def test_missing_key_rejected() -> None:
    raw = {"rule": "X", "source": "syscall"}

    with pytest.raises(KnowledgeBaseError, match="missing keys"):
        _build_entry("test.yaml", raw)


def test_phase_order_enforced() -> None:
    raw = yaml.safe_load((DATA_DIR / "syscall.yaml").read_text(encoding="utf-8"))[0]
    raw["checklist"] = list(reversed(raw["checklist"]))

    with pytest.raises(KnowledgeBaseError, match="phase order"):
        _build_entry("test.yaml", raw)


def test_entries_name_real_rules(shared_dir: Path) -> None:
    rows = catalog_rows(shared_dir)
    by_name = {row["rule_name"]: row for row in rows}

    for entry in all_entries():
        assert entry.rule in by_name, entry.rule
        assert by_name[entry.rule]["source"] == entry.source, entry.rule


def test_stable_ruleset_covered(shared_dir: Path) -> None:
    stable = [
        row["rule_name"]
        for row in catalog_rows(shared_dir)
        if row["ruleset_file"] == "falco_rules.yaml"
    ]

    assert len(stable) == 25
    assert [name for name in stable if lookup(name) is None] == []


def test_captured_catalog_rules_covered(shared_dir: Path, events_dir: Path) -> None:
    catalog = {row["rule_name"] for row in catalog_rows(shared_dir)}
    uncovered = {
        alert.rule
        for alert in every_alert(events_dir)
        if alert.rule in catalog and lookup(alert.rule) is None
    }

    assert uncovered <= {"Write below binary dir"}


def test_catalog_techniques_named(shared_dir: Path) -> None:
    for row in catalog_rows(shared_dir):
        tags = [tag for tag in row["mitre_tags"].split(",") if tag]
        for ref in mitre_refs(tags):
            table = TACTICS if ref.kind == "tactic" else TECHNIQUES
            assert ref.id in table, (row["rule_name"], ref.tag)


def test_mitre_tag_forms() -> None:
    refs = mitre_refs(
        [
            "mitre_privilege_escalation",
            "T1055.008",
            "T1562-impair-defenses",
            "TA0005-defense-evasion",
            "mitre_data_destruction",
            "container",
            "T1055.008",
        ]
    )

    assert [(ref.id, ref.kind) for ref in refs] == [
        ("TA0004", "tactic"),
        ("TA0005", "tactic"),
        ("T1055.008", "technique"),
        ("T1485", "technique"),
        ("T1562", "technique"),
    ]
    assert refs[0].url == "https://attack.mitre.org/tactics/TA0004/"
    assert refs[2].url == "https://attack.mitre.org/techniques/T1055/008/"


def test_mitre_ignores_bad_input() -> None:
    assert mitre_refs(None) == []
    assert mitre_refs("T1055") == []
    assert mitre_refs([1, None, "mitre_unknown_tactic"]) == []


def test_unknown_subtechnique_uses_parent_name() -> None:
    (ref,) = mitre_refs(["T1055.099"])

    assert ref.name == "Process Injection (sub-technique T1055.099)"


@pytest.mark.parametrize(
    ("name", "group", "side"),
    [
        ("proc.name", "process", "actor"),
        ("proc.pcmdline", "parent and ancestors", "actor"),
        ("proc.aname[2]", "parent and ancestors", "actor"),
        ("user.loginuid", "user", "actor"),
        ("container.id", "container and Kubernetes", "actor"),
        ("fd.name", "file", "target"),
        ("fd.rport", "network", "target"),
        ("evt.arg.oldpath", "file", "target"),
        ("evt.type", "event", "context"),
        ("ka.user.name", "Kubernetes audit", "actor"),
        ("ka.req.pod.containers.image", "Kubernetes audit", "target"),
        ("jevt.time", "event", "context"),
        ("ct.request.username", "cloud", "target"),
        ("s3.bucket", "cloud", "target"),
        ("okta.target.user.name", "cloud", "target"),
        ("github.repo.url", "cloud", "target"),
        ("gcp.user", "cloud", "actor"),
        ("json.value[/resource/labels/project_id]", "cloud", "target"),
        ("falco.num_evts", "Falco internal", "context"),
        ("scap.n_drops", "Falco internal", "context"),
        ("lambda_name", "other", "context"),
    ],
)
def test_field_groups(name: str, group: str, side: str) -> None:
    info = field_info(name)

    assert info.group == group
    assert info.side == side


def test_field_roles_state_key_facts() -> None:
    assert "parent" in field_info("proc.pcmdline").role
    assert "grandparent" in field_info("proc.aname[2]").role
    assert "-1" in field_info("user.loginuid").role
    assert "34816" in field_info("proc.tty").role
    assert "host" in field_info("container.id").role


def test_every_captured_field_has_group(events_dir: Path) -> None:
    for alert in every_alert(events_dir):
        for name in alert.fields:
            assert field_info(name).group in GROUPS, name
