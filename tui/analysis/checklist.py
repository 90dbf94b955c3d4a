"""Response checklist for one alert, with shell commands filled from its fields.

Every value taken from the alert goes through ``shlex.quote`` and fills a whole
word of the command, so command substitutions, quotes and newlines in an
attacker-chosen value stay literal text when the command is pasted into a
POSIX shell. A command whose value is missing from the alert is dropped and
the item keeps only its text.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import timedelta

from tui.analysis.analyze import PTRACE_ATTACH_RULE
from tui.analysis.knowledge import PHASES, ChecklistTemplate, lookup
from tui.analysis.targets import (
    in_container,
    int_value,
    login_uid,
    source_family,
    traced_pid,
)
from tui.parsing.alert import Alert

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Description of each placeholder, shown in the item text when it is missing.
PLACEHOLDERS = {
    "pid": "the acting process's pid (proc.pid)",
    "ppid": "the parent's pid (proc.ppid)",
    "target_pid": "the traced process's pid",
    "exepath": "an executable path (proc.exepath)",
    "loginuid": "a login uid (user.loginuid)",
    "user": "a user name (user.name)",
    "container_id": "a container id (container.id)",
    "runtime": "a container id (container.id)",
    "pod": "a pod name",
    "namespace": "a namespace",
    "target_name": "an object name (ka.target.name)",
    "file": "a file path (fd.name)",
    "newpath": "the link path (evt.arg.newpath)",
    "linkpath": "the link path (evt.arg.linkpath)",
    "k8s_user": "an API user (ka.user.name)",
    "since": "an event time",
    "until": "an event time",
    "project": "a GCP project id",
    "bucket_url": "a bucket name",
    "aws_user": "an IAM user name (ct.user)",
    "trail": "a trail name (ct.request.name)",
    "s3_bucket": "a bucket name (s3.bucket)",
    "aws_region": "an AWS region (ct.region)",
    "lambda_function": "a Lambda function name (ct.request.functionname)",
    "iam_group": "an IAM group name (ct.request.groupname)",
    "new_iam_user": "the IAM user name in the request (ct.request.username)",
    "ecs_cluster": "an ECS cluster (ct.request.cluster)",
    "github_repo": "a repository (github.owner and github.repo.name)",
    "sql_instance": "a Cloud SQL instance (gcp.cloudsql.databaseId)",
    "gcp_function": "a Cloud Function name (gcp.cloudfunctions.function)",
}

HOST_PATHS = {
    "exepath": "proc.exepath",
    "file": "fd.name",
    "newpath": "evt.arg.newpath",
    "linkpath": "evt.arg.linkpath",
}
"""Placeholders that take a file path, with the field each comes from."""

HOST_ONLY = (*HOST_PATHS, "user", "target_pid")
"""Placeholders whose value means something on the host only for host processes."""

_WINDOW = timedelta(minutes=10)

# Kubernetes object names are DNS subdomains (RFC 1123); container runtimes
# print container ids as hexadecimal. Anything else is not a real name, such
# as the string "None" that some forwarders put in place of a missing value.
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_CONTAINER_ID = re.compile(r"^[0-9a-f]{12,64}$")

# Loose name checks for the cloud values that commands take: AWS regions,
# IAM names, Lambda and ECS names or ARNs, GitHub owner/repository, Cloud SQL
# instances and Cloud Functions. They reject spaces, quotes and shell
# characters, which no real name has, without checking each provider's full
# syntax. A value that fails gets no command.
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,128}$")
_AWS_NAME_OR_ARN = re.compile(r"^[A-Za-z0-9_:/.-]{1,256}$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
_GITHUB_URL = re.compile(r"^https://github\.com/([^/]+/[^/]+)$")
_GCP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.-]{0,254}$")


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One step of the response checklist."""

    id: str
    """Stable id; saved ticks are keyed by it together with the alert."""
    phase: str
    """One of investigate, contain, harden, tune."""
    text: str
    command: str | None = None
    """A shell command ready to paste, or None."""


def checklist(alert: Alert) -> list[ChecklistItem]:
    """Return the checklist for ``alert``: rule items first, in phase order."""
    values = command_values(alert)
    reasons = host_path_reasons(alert)
    unfilled = templates(alert, values)
    items: list[ChecklistItem] = []
    seen_commands: set[str] = set()
    for phase in PHASES:
        for template in unfilled:
            if template.phase != phase:
                continue
            item = render(template, values, reasons)
            if item.command is not None and item.command in seen_commands:
                continue
            if item.command is not None:
                seen_commands.add(item.command)
            items.append(item)
    return items


def templates(
    alert: Alert, values: dict[str, str] | None = None
) -> list[ChecklistTemplate]:
    """Return the unfilled items for ``alert``: the rule's own, then generic ones."""
    entry = lookup(alert.rule)
    source, _ = source_family(alert, entry.source if entry else None)
    if values is None:
        values = command_values(alert, source)
    found = list(entry.checklist) if entry else []
    found.extend(_generic_templates(alert, source, values))
    return found


def render(
    template: ChecklistTemplate,
    values: dict[str, str],
    reasons: dict[str, str] | None = None,
) -> ChecklistItem:
    """Fill the template's command with quoted values, or drop the command.

    ``reasons`` explains placeholders that have a value the command cannot use
    (a path inside a container, for one); other missing ones are described
    from PLACEHOLDERS.
    """
    if template.command is None:
        return ChecklistItem(template.id, template.phase, template.text)

    names = _PLACEHOLDER.findall(template.command)
    missing = [name for name in names if name not in values]
    if missing:
        text = f"{template.text} (Command left out: {_missing_text(missing, reasons)})"
        return ChecklistItem(template.id, template.phase, text)

    command = _PLACEHOLDER.sub(
        lambda match: shlex.quote(values[match.group(1)]), template.command
    )
    return ChecklistItem(template.id, template.phase, template.text, command)


def _missing_text(missing: list[str], reasons: dict[str, str] | None) -> str:
    for name in missing:
        if reasons and name in reasons:
            return reasons[name] + "."
    needs = " and ".join(
        dict.fromkeys(PLACEHOLDERS.get(name, name) for name in missing)
    )
    # A value can be absent, or present but rejected (it starts with '-', or
    # is not a valid name for the command), so the text names both cases.
    return (
        f"it needs {needs}, which the alert lacks or holds in a form unsafe "
        "to paste into a shell."
    )


def host_path_reasons(alert: Alert) -> dict[str, str]:
    """Explain why host commands are left out for processes not on the host.

    A path, user name or command-line pid in a container alert names the
    container's own file, user or process, so running stat, getent or ps on
    the host would look at something else.
    """
    where = in_container(alert)
    if where is False:
        return {}
    if where is None:
        text = (
            "the alert does not say whether the process ran in a container, so "
            "its paths, user names and pids may not be the host's"
        )
    else:
        text = (
            f"the value belongs to container {alert.fields['container.id']} "
            "(its own files, users and process ids), so check it there, not "
            "on the host"
        )
    return dict.fromkeys(HOST_ONLY, text)


def command_values(alert: Alert, source: str | None = None) -> dict[str, str]:
    """Collect the values a command may use, each checked for its kind."""
    if source is None:
        entry = lookup(alert.rule)
        source, _ = source_family(alert, entry.source if entry else None)
    values: dict[str, str] = {}
    _add_process_values(alert, values)
    _add_container_values(alert, values)
    if source == "k8s_audit":
        _add_k8s_values(alert, values)
    if source == "gcp_auditlog":
        _add_gcp_values(alert, values)
    if source == "aws_cloudtrail":
        _add_aws_values(alert, values)
    if source == "github":
        _add_github_values(alert, values)
    _add_time_values(alert, values)

    # A value starting with "-" would be read as an option by the program.
    return {key: value for key, value in values.items() if not value.startswith("-")}


def _add_process_values(alert: Alert, values: dict[str, str]) -> None:
    for key, name in (("pid", "proc.pid"), ("ppid", "proc.ppid")):
        number = int_value(alert.fields.get(name))
        if number is not None and number > 0:
            values[key] = str(number)
    loginuid = login_uid(alert)
    if loginuid is not None and loginuid >= 0:
        values["loginuid"] = str(loginuid)

    # Paths, user names and command-line pids describe the host only when the
    # process ran on the host; in a container they name its own files, users
    # and PID namespace.
    if in_container(alert) is not False:
        return
    if alert.rule == PTRACE_ATTACH_RULE:
        pid = traced_pid(alert)
        if pid is not None:
            values["target_pid"] = pid
    user = alert.field("user.name")
    if isinstance(user, str):
        values["user"] = user
    for key, name in HOST_PATHS.items():
        path = alert.field(name)
        if isinstance(path, str) and path.startswith("/"):
            values[key] = path


def _add_container_values(alert: Alert, values: dict[str, str]) -> None:
    pod = _k8s_name(alert.field("k8s.pod.name"))
    namespace = _k8s_name(alert.field("k8s.ns.name"))
    container_id = alert.field("container.id")
    if in_container(alert) and _CONTAINER_ID.match(str(container_id)):
        values["container_id"] = str(container_id)
        # Kubernetes nodes run containerd or CRI-O, which crictl talks to.
        values["runtime"] = "crictl" if pod else "docker"
    if pod is not None and namespace is not None:
        values["pod"] = pod
        values["namespace"] = namespace


def _add_k8s_values(alert: Alert, values: dict[str, str]) -> None:
    user = alert.field("ka.user.name")
    if isinstance(user, str):
        values["k8s_user"] = user
    name = _k8s_name(alert.field("ka.target.name"))
    if name is not None:
        values["target_name"] = name
    namespace = _k8s_name(alert.field("ka.target.namespace"))
    if namespace is None:
        return
    values["namespace"] = namespace
    resource = alert.field("ka.target.resource")
    pod = _k8s_name(alert.field("ka.resp.name", "ka.target.name"))
    if pod is not None and resource in ("pods", None):
        values["pod"] = pod


def _k8s_name(value: object) -> str | None:
    if isinstance(value, str) and _K8S_NAME.match(value):
        return value
    return None


def _add_gcp_values(alert: Alert, values: dict[str, str]) -> None:
    project = alert.field("gcp.projectId", "json.value[/resource/labels/project_id]")
    if isinstance(project, str):
        values["project"] = project
    bucket = alert.field(
        "gcp.storage.bucket", "json.value[/resource/labels/bucket_name]"
    )
    if isinstance(bucket, str):
        values["bucket_url"] = f"gs://{bucket}"
    # Cloud SQL labels the database as PROJECT:INSTANCE; gcloud wants the
    # instance alone. Older gcpaudit versions print resource labels instead.
    database = alert.field(
        "gcp.cloudsql.databaseId", "json.value[/resource/labels/database_id]"
    )
    if isinstance(database, str):
        _add_matching(values, "sql_instance", database.split(":")[-1], _GCP_NAME)
    function = alert.field(
        "gcp.cloudfunctions.function", "json.value[/resource/labels/function_name]"
    )
    _add_matching(values, "gcp_function", function, _GCP_NAME)


def _add_aws_values(alert: Alert, values: dict[str, str]) -> None:
    user = alert.field("ct.user")
    identity_type = alert.field("ct.user.identitytype")
    # Root and assumed-role callers are not IAM users, so IAM user commands do
    # not apply. Most rules do not print the identity type; then the name decides.
    is_iam_user = identity_type == "IAMUser" or (
        identity_type is None and str(user).lower() != "root"
    )
    if isinstance(user, str) and is_iam_user:
        values["aws_user"] = user
    for key, name in (("trail", "ct.request.name"), ("s3_bucket", "s3.bucket")):
        value = alert.field(name)
        if isinstance(value, str):
            values[key] = value
    _add_matching(values, "aws_region", alert.field("ct.region"), _AWS_REGION)
    for key, name, pattern in (
        ("iam_group", "ct.request.groupname", _IAM_NAME),
        ("new_iam_user", "ct.request.username", _IAM_NAME),
        ("lambda_function", "ct.request.functionname", _AWS_NAME_OR_ARN),
        ("ecs_cluster", "ct.request.cluster", _AWS_NAME_OR_ARN),
    ):
        _add_matching(values, key, alert.field(name), pattern)


def _add_github_values(alert: Alert, values: dict[str, str]) -> None:
    owner = alert.field("github.owner", "github.org")
    name = alert.field("github.repo.name")
    if not isinstance(name, str):
        # Older plugin versions print only the web address, as github.repo.
        url = alert.field("github.repo.url", "github.repo")
        match = _GITHUB_URL.match(url) if isinstance(url, str) else None
        if match is not None:
            _add_matching(values, "github_repo", match.group(1), _GITHUB_REPO)
        return
    # Webhook payloads name the repository without its owner; accept a full
    # owner/name as well in case a plugin version prints that.
    if "/" in name:
        full_name = name
    elif isinstance(owner, str):
        full_name = f"{owner}/{name}"
    else:
        return
    _add_matching(values, "github_repo", full_name, _GITHUB_REPO)


def _add_matching(
    values: dict[str, str], key: str, value: object, pattern: re.Pattern[str]
) -> None:
    if isinstance(value, str) and pattern.match(value):
        values[key] = value


def _add_time_values(alert: Alert, values: dict[str, str]) -> None:
    moment = alert.time
    if moment is None:
        return
    # journalctl reads a trailing "UTC" as the time zone (systemd.time(7)).
    values["since"] = (moment - _WINDOW).strftime("%Y-%m-%d %H:%M:%S UTC")
    values["until"] = (moment + _WINDOW).strftime("%Y-%m-%d %H:%M:%S UTC")


def _generic_templates(
    alert: Alert, source: str, values: dict[str, str]
) -> list[ChecklistTemplate]:
    if source == "internal":
        return _internal_templates(alert)

    templates = [_timeline_template(alert, source)]
    if source in ("syscall", "unknown"):
        templates.extend(_syscall_templates(alert, values))
    elif source == "k8s_audit":
        templates.append(
            ChecklistTemplate(
                "generic.k8s-permissions",
                "investigate",
                "List what the API user is allowed to do (needs impersonation rights).",
                "kubectl auth can-i --list --as {k8s_user}",
            )
        )
    else:
        templates.append(
            ChecklistTemplate(
                "generic.identity-history",
                "investigate",
                "Review the identity's other API calls in the provider's audit "
                "log around this time, and whether its credentials are still "
                "in use from the same address.",
            )
        )

    templates.append(
        ChecklistTemplate(
            "generic.contain",
            "contain",
            "If the activity is not explained, isolate the workload, host or "
            "identity and keep it for analysis; deleting it destroys evidence.",
        )
    )
    templates.append(
        ChecklistTemplate(
            "generic.tune-exception",
            "tune",
            "If the alert is benign and recurring, add the rule exception "
            "snippet to a local rules file loaded after the default rules "
            "(override needs Falco 0.37.0 or later).",
        )
    )
    return templates


def _timeline_template(alert: Alert, source: str) -> ChecklistTemplate:
    scope = {
        "syscall": "host, container or login uid",
        "k8s_audit": "API user or namespace",
    }.get(source, "identity")
    return ChecklistTemplate(
        "generic.timeline",
        "investigate",
        f"Collect the other alerts from the same {scope} within ten minutes "
        "of this one to see what happened before and after.",
    )


def _syscall_templates(alert: Alert, values: dict[str, str]) -> list[ChecklistTemplate]:
    templates = [
        ChecklistTemplate(
            "generic.process",
            "investigate",
            "Check whether the acting process is still running.",
            "ps -o pid,ppid,user,lstart,cmd -p {pid}",
        )
    ]
    if "loginuid" in values:
        templates.append(
            ChecklistTemplate(
                "generic.login-account",
                "investigate",
                "Find the account behind the login uid.",
                "getent passwd {loginuid}",
            )
        )
    if "container_id" in values:
        templates.append(
            ChecklistTemplate(
                "generic.container-inspect",
                "investigate",
                "Inspect the container: image, start time, mounts, privileges.",
                "{runtime} inspect {container_id}",
            )
        )
    if "pod" in values:
        templates.append(
            ChecklistTemplate(
                "generic.pod-spec",
                "investigate",
                "Review the pod's spec: service account, security context, volumes.",
                "kubectl -n {namespace} get pod {pod} -o yaml",
            )
        )
    if in_container(alert) is False:
        templates.append(
            ChecklistTemplate(
                "generic.host-journal",
                "investigate",
                "Read the host's journal around the alert time.",
                "journalctl --since {since} --until {until}",
            )
        )
    return templates


def _internal_templates(alert: Alert) -> list[ChecklistTemplate]:
    if "n_drops" in alert.fields or "scap.n_drops" in alert.fields:
        return [
            ChecklistTemplate(
                "internal.drops-cause",
                "investigate",
                "Check whether the drops coincide with load peaks or with "
                "alerts that may have been missed on this host.",
            ),
            ChecklistTemplate(
                "internal.drops-buffer",
                "harden",
                "Raise the driver's buffer size (buf_size_preset of the engine "
                "in falco.yaml) or reduce noisy rules, so Falco keeps up with "
                "the event rate.",
            ),
        ]
    return [
        ChecklistTemplate(
            "internal.review",
            "investigate",
            "Review Falco's own logs and metrics around this time.",
        )
    ]
