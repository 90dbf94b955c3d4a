"""Knowledge-base entries of the plugin rules (k8s audit, CloudTrail, Okta,
GitHub, GCP audit): coverage, checklist commands and real alerts."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from test_analysis_fixtures import alert_at, make_alert
from test_commands import HOSTILE, assert_values_single_words
from test_knowledge import catalog_rows

from tui.analysis import analyze, checklist, lookup
from tui.analysis.checklist import PLACEHOLDERS, command_values, render
from tui.parsing.alert import Alert

PLUGIN_SOURCES = ("k8s_audit", "aws_cloudtrail", "okta", "github", "gcp_auditlog")

NUMERIC_FIELDS = {
    "ka.response.code": 201,
    "okta.mfa.failure.countlast[300]": 4,
    "okta.mfa.deny.countlast[300]": 5,
    "evt.num": 42,
    "github.webhook.id": 123456,
}
"""Fields that Falco prints as numbers, with a plausible value."""

PLAUSIBLE = {
    "ka.user.name": "jane",
    "ka.target.name": "web-1",
    "ka.resp.name": "web-1",
    "ka.target.namespace": "prod",
    "ka.target.resource": "pods",
    "ct.user": "deploy-bot",
    "ct.region": "eu-west-1",
    "ct.request.functionname": "billing-export",
    "ct.request.groupname": "admins",
    "ct.request.username": "new-user",
    "ct.request.cluster": "prod-cluster",
    "ct.request.name": "org-trail",
    "s3.bucket": "reports",
    "github.owner": "acme",
    "github.org": "acme",
    "github.repo.name": "payments",
    "gcp.projectId": "acme-prod",
    "gcp.storage.bucket": "acme-data",
    "gcp.cloudsql.databaseId": "orders-db",
    "gcp.cloudfunctions.function": "resize",
}
"""Valid-looking values, so that name-checked placeholders get filled."""


def plugin_rows(shared_dir: Path) -> list[dict[str, str]]:
    return [row for row in catalog_rows(shared_dir) if row["source"] in PLUGIN_SOURCES]


def catalog_alert(row: dict[str, str], value: str | None) -> Alert:
    """Build an alert of the row's rule with every catalog output field set.

    With ``value`` None each field gets a plausible value; otherwise every
    string field contains ``value``.
    """
    fields: dict[str, object] = {}
    for name in row["output_fields"].split(","):
        if not name:
            continue
        if name in NUMERIC_FIELDS:
            fields[name] = NUMERIC_FIELDS[name]
        elif value is None:
            fields[name] = PLAUSIBLE.get(name, "example")
        else:
            fields[name] = value
    return make_alert(row["rule_name"], row["source"], fields)


def all_catalog_alerts(shared_dir: Path) -> list[Alert]:
    alerts = []
    for row in plugin_rows(shared_dir):
        alerts.append(catalog_alert(row, None))
        alerts.extend(catalog_alert(row, value) for value in HOSTILE)
    return alerts


def test_plugin_rule_counts(shared_dir: Path) -> None:
    counts: dict[str, int] = {}
    for row in plugin_rows(shared_dir):
        counts[row["source"]] = counts.get(row["source"], 0) + 1

    assert counts == {
        "k8s_audit": 48,
        "aws_cloudtrail": 22,
        "okta": 21,
        "github": 15,
        "gcp_auditlog": 39,
    }


def test_every_plugin_rule_has_entry(shared_dir: Path) -> None:
    for row in plugin_rows(shared_dir):
        entry = lookup(row["rule_name"])
        assert entry is not None, row["rule_name"]
        assert entry.rule == row["rule_name"]
        assert entry.source == row["source"], row["rule_name"]


def test_plugin_entries_go_through_phases(shared_dir: Path) -> None:
    for row in plugin_rows(shared_dir):
        entry = lookup(row["rule_name"])
        phases = {item.phase for item in entry.checklist}
        assert "tune" in phases, row["rule_name"]
        assert phases & {"investigate", "contain"}, row["rule_name"]


OLDER_OUTPUT_FIELDS = {
    "json.value[/resource/labels/bucket_name]",
    "github.repo",
    "okta.app",
    "json.value[/resource/labels/database_id]",
    "json.value[/resource/labels/function_name]",
}
"""Fields that only older plugin versions print, kept for old alerts."""


def test_target_fields_are_printed(shared_dir: Path) -> None:
    # A target field the rule does not print would never show in the pane.
    for row in plugin_rows(shared_dir):
        entry = lookup(row["rule_name"])
        printed = set(row["output_fields"].split(",")) | OLDER_OUTPUT_FIELDS
        for name in entry.target_fields:
            assert name in printed, (row["rule_name"], name)


def test_action_placeholders_are_printed(shared_dir: Path) -> None:
    for row in plugin_rows(shared_dir):
        entry = lookup(row["rule_name"])
        if entry.action is None:
            continue
        printed = set(row["output_fields"].split(",")) | OLDER_OUTPUT_FIELDS
        for word in entry.action.split("{")[1:]:
            names = set(word.split("}")[0].split("|"))
            assert names & printed, (row["rule_name"], names)


def test_command_placeholders_known(shared_dir: Path) -> None:
    for row in plugin_rows(shared_dir):
        for template in lookup(row["rule_name"]).checklist:
            if template.command is None:
                continue
            for word in template.command.split():
                if word.startswith("{"):
                    assert word.strip("{}") in PLACEHOLDERS, (template.id, word)
                else:
                    assert "{" not in word, (template.id, word)
                    assert "}" not in word, (template.id, word)


def test_catalog_alert_values_single_words(shared_dir: Path) -> None:
    assert assert_values_single_words(all_catalog_alerts(shared_dir)) > 0


def test_catalog_alert_commands_parse(shared_dir: Path) -> None:
    commands = {
        item.command
        for alert in all_catalog_alerts(shared_dir)
        for item in checklist(alert)
        if item.command
    }

    assert len(commands) > 100
    script = "\n".join(f"true || {command}" for command in sorted(commands))
    result = subprocess.run(
        ["bash", "-n", "-c", script], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_catalog_hostile_commands_inert(shared_dir: Path, tmp_path: Path) -> None:
    # Run every command with printf in place of the program, in one bash
    # process: a failed quote would split a word or create a pwned-* file.
    commands = sorted(
        {
            item.command
            for alert in all_catalog_alerts(shared_dir)
            for item in checklist(alert)
            if item.command
        }
    )
    lines = [
        "printf '%s\\0' " + command.split(" ", 1)[-1] + "; printf 'END\\0'"
        for command in commands
    ]
    result = subprocess.run(
        ["bash", "-c", "\n".join(lines)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    printed = result.stdout.split("\0")[:-1]
    for command in commands:
        end = printed.index("END")
        assert printed[:end] == shlex.split(command)[1:], command
        printed = printed[end + 1 :]
    assert list(tmp_path.iterdir()) == []


def test_plausible_values_fill_commands(shared_dir: Path) -> None:
    # Every rule command must be fillable from the rule's own output fields.
    for row in plugin_rows(shared_dir):
        alert = catalog_alert(row, None)
        values = command_values(alert)
        for template in lookup(row["rule_name"]).checklist:
            item = render(template, values)
            assert (item.command is None) == (template.command is None), (
                template.id,
                item.text,
            )


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_names_not_used(value: str) -> None:
    alert = make_alert(
        "Update Lambda Function Code",
        "aws_cloudtrail",
        {"ct.user": "dev", "ct.region": value, "ct.request.functionname": value},
    )
    values = command_values(alert)

    assert "aws_region" not in values
    assert "lambda_function" not in values


def test_aws_request_values() -> None:
    alert = make_alert(
        "Create Group",
        "aws_cloudtrail",
        {
            "ct.user": "ops",
            "ct.region": "us-gov-west-1",
            "ct.request.groupname": "admins",
        },
    )
    values = command_values(alert)

    assert values["aws_region"] == "us-gov-west-1"
    assert values["iam_group"] == "admins"


def test_region_with_space_rejected() -> None:
    alert = make_alert(
        "Run Instances", "aws_cloudtrail", {"ct.region": "eu-west-1 --profile x"}
    )

    assert "aws_region" not in command_values(alert)


def test_github_repo_value() -> None:
    alert = make_alert(
        "Create Deploy Key",
        "github",
        {"github.owner": "acme", "github.repo.name": "payments"},
    )
    items = {item.id: item for item in checklist(alert)}

    assert command_values(alert)["github_repo"] == "acme/payments"
    assert items["gh-key-new.list"].command == (
        "gh repo deploy-key list --repo acme/payments"
    )


def test_github_repo_from_older_url() -> None:
    alert = make_alert(
        "Create Deploy Key",
        "github",
        {"github.repo": "https://github.com/acme/payments", "github.user": "dev"},
    )

    assert command_values(alert)["github_repo"] == "acme/payments"
    assert "https://github.com/acme/payments" in analyze(alert).summary


def test_github_repo_needs_owner() -> None:
    alert = make_alert("Create Repository", "github", {"github.repo.name": "x"})

    assert "github_repo" not in command_values(alert)


def test_github_repo_hostile_rejected() -> None:
    alert = make_alert(
        "Create Repository",
        "github",
        {"github.owner": "acme", "github.repo.name": "x;$(id)"},
    )

    assert "github_repo" not in command_values(alert)


def test_gcp_sql_instance_command() -> None:
    alert = make_alert(
        "GCP Cloud SQL database backup deleted",
        "gcp_auditlog",
        {"gcp.projectId": "acme-prod", "gcp.cloudsql.databaseId": "orders-db"},
    )
    items = {item.id: item for item in checklist(alert)}

    assert items["gcp-sql-backup.list"].command == (
        "gcloud sql backups list --instance orders-db --project acme-prod"
    )


def test_bucket_action_uses_current_field() -> None:
    alert = make_alert(
        "GCP Bucket configured to be public",
        "gcp_auditlog",
        {"gcp.user": "jane@example.com", "gcp.storage.bucket": "acme-data"},
    )

    assert "made the bucket acme-data public" in analyze(alert).summary


def test_sql_instance_from_database_label() -> None:
    alert = make_alert(
        "GCP Cloud SQL database instance deleted",
        "gcp_auditlog",
        {
            "gcp.user": "jane@example.com",
            "json.value[/resource/labels/project_id]": "acme-prod",
            "json.value[/resource/labels/database_id]": "acme-prod:orders-db",
        },
    )

    assert command_values(alert)["sql_instance"] == "orders-db"
    assert "acme-prod:orders-db" in analyze(alert).summary


def test_message_slips_noted() -> None:
    assert (
        "locked out"
        in lookup("Admin permission has been assigned to a user in OKTA").caveats[0]
    )
    assert "Pub/Sub" in lookup("GCP logging sink deleted").caveats[0]
    assert "image id" in lookup("Run Instances in Non-approved Region").caveats[0]


def test_inert_rules_say_so() -> None:
    for name in (
        "Create Disallowed Pod",
        "Full K8s Administrative Access",
        "Untrusted Node Successfully Joined the Cluster",
        "Untrusted Node Unsuccessfully Tried to Join the Cluster",
        "All K8s Audit Events",
    ):
        assert "never fires" in lookup(name).detects, name


def test_old_plugin_names_resolve() -> None:
    pairs = {
        "K8s Role/Clusterrole Created": "K8s Role Created",
        "K8s Role/Clusterrole Deleted": "K8s Role Deleted",
        "K8s Role/Clusterrolebinding Created": "K8s RoleBinding Created",
        "K8s Role/Clusterrolebinding Deleted": "K8s RoleBinding Deleted",
        "GCP IAM serviceAccount created": "GCP IAM service account created",
        "GCP IAM serviceAccount deleted": "GCP IAM service account deleted",
        "GCP IAM serviceAccount modified": "GCP IAM service account modified",
        "GCP IAM serviceAccount key created": "GCP IAM service account key created",
        "GCP IAM serviceAccount key deleted": "GCP IAM service account key deleted",
        "GCP IAM principle modified": "GCP IAM policy modified",
        "GCP KMS updated or deleted": "GCP KMS updated",
        "GCP Pub/Sub Subscriber modified": "GCP Pub/Sub subscription modified",
        "GCP backendService deleted": "GCP backend service deleted",
        "GCP cloud function updated or deleted": "GCP cloud function modified",
    }
    for old, new in pairs.items():
        assert lookup(old).rule == new


def roles(items) -> dict[str, object]:
    return {item.field: item.value for item in items}


REAL_ALERTS = [
    (
        "k8s_audit.jsonl",
        1,
        "Disallowed K8s User",
        {"ka.user.name": "csi-cinder-controller"},
        {"ka.target.resource": "volumeattachments"},
    ),
    (
        "k8s_audit.jsonl",
        5,
        "K8s Serviceaccount Created",
        {"ka.user.name": "system:node:ip-192-168-34-135.ec2.internal"},
        {"ka.target.name": "default", "ka.target.namespace": "default"},
    ),
    (
        "k8s_audit.jsonl",
        8,
        "Create HostNetwork Pod",
        {"ka.user.name": "system:serviceaccount:kube-system:replicaset-controller"},
        {
            "ka.resp.name": "hostnetwork-deployment-748bd48fcb-hrj2q",
            "ka.target.namespace": "falco-event-generator",
            "ka.req.pod.containers.image": "busybox",
        },
    ),
    (
        "k8s_audit.jsonl",
        9,
        "Service Account Created in Kube Namespace",
        {"ka.user.name": "system:kube-controller-manager"},
        {
            "ka.target.name": "pod-garbage-collector",
            "ka.target.namespace": "kube-system",
        },
    ),
    (
        "k8s_audit.jsonl",
        10,
        "K8s Secret Get Successfully",
        {"ka.user.name": "kubernetes-admin"},
        {"ka.target.name": "falco-token-xdkwt", "ka.target.namespace": "security"},
    ),
    (
        "plugins.jsonl",
        1,
        "GCP WAF rule modified or deleted",
        {"gcp.user": "jane.doex@test.com", "gcp.callerIP": "203.0.113.69"},
        {"json.value[/resource/labels/policy_name]": "**********"},
    ),
    (
        "plugins.jsonl",
        3,
        "GCP IAM service account deleted",
        {"gcp.user": "jane.doex@test.com", "gcp.callerIP": "203.0.113.94"},
        {},
    ),
]
"""Real alerts: file, line, entry, and the actor and target values expected."""


@pytest.mark.parametrize(
    ("file_name", "line_no", "rule", "actor", "target"), REAL_ALERTS
)
def test_real_alert_actor_and_target(
    events_dir: Path,
    file_name: str,
    line_no: int,
    rule: str,
    actor: dict[str, str],
    target: dict[str, str],
) -> None:
    analysis = analyze(alert_at(events_dir, file_name, line_no))
    actor_roles = roles(analysis.actor)
    target_roles = roles(analysis.target)

    assert analysis.entry.rule == rule
    for name, value in actor.items():
        assert actor_roles[name] == value, name
    for name, value in target.items():
        assert target_roles[name] == value, name


def test_real_plugin_alerts_have_entries(events_dir: Path) -> None:
    for file_name in ("k8s_audit.jsonl", "plugins.jsonl"):
        line_no = 0
        for line in (events_dir / file_name).read_text().splitlines():
            line_no += 1
            if not line.strip():
                continue
            alert = alert_at(events_dir, file_name, line_no)
            analysis = analyze(alert)
            assert analysis.entry is not None, (file_name, line_no, alert.rule)
            actor = roles(analysis.actor)
            assert actor, (file_name, line_no)
            assert analysis.target, (file_name, line_no)
