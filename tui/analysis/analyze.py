"""Turn one alert into plain-text analysis: who did what, where, and why it matters.

Works for any rule and any source from the alert's own fields and tags; the
knowledge base adds rule-specific text when it has an entry. Values are
inserted as they are, and the UI escapes them for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tui.analysis.fields import field_info
from tui.analysis.knowledge import RuleEntry, lookup
from tui.analysis.mitre import MitreRef, mitre_refs
from tui.analysis.retired import retired_rule
from tui.analysis.targets import (
    in_container,
    int_value,
    login_uid,
    pid_argument,
    pid_from_cmdline,
    source_family,
)
from tui.parsing.alert import Alert

PTRACE_ATTACH_RULE = "PTRACE attached to process"

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_EXEC_TYPES = {"execve", "execveat"}
_OPEN_TYPES = {"open", "openat", "openat2", "creat"}

# Identity fields of the audit sources, most specific first.
_IDENTITY_FIELDS = {
    "k8s_audit": ("ka.user.name",),
    "aws_cloudtrail": ("ct.user.arn", "ct.user", "ct.user.principalid"),
    "gcp_auditlog": ("gcp.user",),
    "okta": ("okta.actor.name",),
    "github": ("github.user",),
}
_ADDRESS_FIELDS = ("ct.srcip", "gcp.callerIP", "okta.client.ip", "al.principal.ip")


@dataclass(frozen=True, slots=True)
class FieldRole:
    """One value of the alert, the part it plays, and the field that contains it."""

    field: str
    value: Any
    role: str
    inferred: bool = False
    """True when the value was derived (from a command line, say), not printed."""


@dataclass(slots=True)
class Analysis:
    """The analysis of one alert, as plain text and field references."""

    rule: str
    source: str
    summary: str
    actor: list[FieldRole]
    target: list[FieldRole]
    human: str
    mitre: list[MitreRef]
    why: str
    questions: list[str]
    notes: list[str] = field(default_factory=list)
    entry: RuleEntry | None = None
    """The knowledge-base entry used, or None for a rule it does not cover."""


def analyze(alert: Alert) -> Analysis:
    """Build the analysis of ``alert`` from its fields, tags and the knowledge base."""
    entry = lookup(alert.rule)
    source, source_inferred = source_family(alert, entry.source if entry else None)
    notes = _notes(alert, entry, source, source_inferred)

    actor, target = _split_fields(alert, entry)
    ptrace = alert.rule == PTRACE_ATTACH_RULE
    argument = pid_argument(alert) if ptrace else None
    target_pid = pid_from_cmdline(alert) if ptrace and argument is None else None
    if argument is not None:
        # The syscall's own argument is a fact; the command line is a guess.
        field, pid = argument
        target = [role for role in target if role.field != field]
        target.insert(0, FieldRole(field, pid, PID_ARGUMENT_ROLE))
    elif target_pid is not None:
        target.insert(0, _traced_pid_role(target_pid, in_container(alert)))
        notes.append(
            f"The traced pid {target_pid} was taken from the tracer's command "
            "line (proc.cmdline); the rule itself does not print the target."
        )
    elif entry is not None and not target:
        notes.append(f"Target: {entry.target}")

    retired = retired_rule(alert.rule) if entry is None else None
    if retired is not None:
        notes.append(retired.note)

    refs = mitre_refs(alert.tags)
    return Analysis(
        rule=alert.rule,
        source=source,
        summary=_summary(alert, entry, source, argument[1] if argument else target_pid),
        actor=actor,
        target=target,
        human=_human(alert, source),
        mitre=refs,
        why=_why(alert, entry, refs),
        questions=_questions(entry, source),
        notes=notes,
        entry=entry,
    )


PID_ARGUMENT_ROLE = (
    "Process id the tracer attached to (the traced process), from the ptrace "
    "system call's pid argument."
)


def _traced_pid_role(pid: str, container: bool | None) -> FieldRole:
    role = (
        "Process id the tracer attached to (the traced process), read from the "
        "tracer's command line."
    )
    if container is not False:
        role += " In a container this is a pid of the container's PID namespace."
    return FieldRole("proc.cmdline", pid, role, inferred=True)


def _split_fields(
    alert: Alert, entry: RuleEntry | None
) -> tuple[list[FieldRole], list[FieldRole]]:
    target_names = set(entry.target_fields) if entry else set()
    actor: list[FieldRole] = []
    target: list[FieldRole] = []
    for name, value in alert.fields.items():
        if value is None or value == "":
            continue
        info = field_info(name)
        if name in target_names or info.side == "target":
            target.append(FieldRole(name, value, info.role))
        elif info.side == "actor":
            actor.append(FieldRole(name, value, info.role))
    return actor, target


# Summary sentence.


def _summary(
    alert: Alert, entry: RuleEntry | None, source: str, target_pid: str | None
) -> str:
    if source == "internal":
        return _internal_summary(alert)
    if not alert.fields and not alert.raw and alert.kind == "json":
        return _unread_summary(alert)
    if not alert.fields:
        return _text_only_summary(alert)
    if source == "syscall" or source == "unknown":
        return _syscall_summary(alert, entry, target_pid)
    return _audit_summary(alert, entry, source)


def _syscall_summary(
    alert: Alert, entry: RuleEntry | None, target_pid: str | None
) -> str:
    action = _syscall_action(alert, entry, target_pid)
    return f"{_actor_phrase(alert)} {action} {_location_phrase(alert)}."


def _actor_phrase(alert: Alert) -> str:
    name = alert.field("proc.name") or _first_word(alert.field("proc.cmdline"))
    exepath = alert.field("proc.exepath")
    parts = [str(name) if name else "A process"]
    if exepath and exepath != name:
        parts[0] += f" ({exepath})"

    parent = alert.field("proc.pname")
    if parent:
        parts.append(f"started from {parent}")

    identity = _identity_phrase(alert)
    if identity:
        parts.append(identity)
    # A bare name reads "cat opened /x"; qualifiers are set off by commas.
    return ", ".join(parts) + ("," if len(parts) > 1 else "")


def _identity_phrase(alert: Alert) -> str:
    user = alert.field("user.name")
    uid = int_value(alert.fields.get("user.uid"))
    words: list[str] = []
    if user is not None and uid is not None:
        words.append(f"running as {user} (uid {uid})")
    elif user is not None:
        words.append(f"running as {user}")
    elif uid is not None:
        words.append(f"running as uid {uid}")

    loginuid = login_uid(alert)
    if loginuid is not None and loginuid >= 0:
        loginname = alert.field("user.loginname")
        suffix = f" ({loginname})" if loginname else ""
        words.append(f"under login uid {loginuid}{suffix}")
    elif loginuid == -1:
        words.append("with no login session")

    tty = int_value(alert.fields.get("proc.tty"))
    if tty is not None:
        words.append("on an interactive terminal" if tty else "without a terminal")
    return " ".join(words)


def _syscall_action(
    alert: Alert, entry: RuleEntry | None, target_pid: str | None
) -> str:
    if alert.rule == PTRACE_ATTACH_RULE:
        if target_pid is not None:
            return f"requested ptrace attach on pid {target_pid}"
        return "requested ptrace attach on a process the alert does not name"

    filled = _fill_action(alert, entry)
    if filled is not None:
        return filled

    event = alert.field("evt.type")
    fd_name = alert.field("fd.name")
    cmdline = alert.field("proc.cmdline")
    if event in _EXEC_TYPES and cmdline:
        return f"ran the command line {cmdline}"
    if event in _OPEN_TYPES and fd_name:
        return f"opened {fd_name}"
    if event == "connect" and fd_name:
        return f"connected to {fd_name}"
    if event and fd_name:
        return f"called {event} on {fd_name}"
    if event:
        return f"called {event}"
    return f'triggered the rule "{alert.rule}"'


def _fill_action(alert: Alert, entry: RuleEntry | None) -> str | None:
    """Fill the entry's action template, or return None if a value is missing.

    A placeholder may list fields separated by "|"; the first one the alert
    carries is used, for fields that plugin versions named differently.
    """
    if entry is None or entry.action is None:
        return None
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        value = alert.field(*match.group(1).split("|"))
        if value is None:
            missing = True
            return ""
        return str(value)

    text = _PLACEHOLDER.sub(replace, entry.action)
    return None if missing else text


def _location_phrase(alert: Alert) -> str:
    host = alert.hostname or alert.field("evt.hostname")
    on_host = f"on host {host}" if host else "on an unnamed host"
    where = in_container(alert)
    if where is False:
        return f"{on_host} (not in a container)"
    if where is None:
        return on_host

    container = _container_phrase(alert)
    pod = alert.field("k8s.pod.name")
    namespace = alert.field("k8s.ns.name")
    if pod and namespace:
        container += f", pod {namespace}/{pod}"
    elif pod:
        container += f", pod {pod}"
    return f"in {container}, {on_host}"


def _container_phrase(alert: Alert) -> str:
    container_id = alert.fields["container.id"]
    name = alert.field("container.name")
    image = alert.field("container.image.repository")
    tag = alert.field("container.image.tag")
    details = [str(container_id)]
    if image:
        details.append(f"image {image}:{tag}" if tag else f"image {image}")
    if name:
        return f"container {name} ({', '.join(details)})"
    return f"container {', '.join(details)}"


def _audit_summary(alert: Alert, entry: RuleEntry | None, source: str) -> str:
    _, identity = _identity(alert, source)
    who = str(identity) if identity else "An unknown identity"
    address = alert.field(*_ADDRESS_FIELDS)
    if address:
        who += f" (from {address})"

    action = _fill_action(alert, entry) or _generic_audit_action(alert)
    sentence = f"{who} {action}"

    code = alert.field("ka.response.code")
    if code is not None:
        sentence += f"; the API server answered {code}"
        if str(code) == "403":
            sentence += " (forbidden)"
    return sentence + "."


def _generic_audit_action(alert: Alert) -> str:
    verb = alert.field("ka.verb")
    resource = alert.field("ka.target.resource")
    name = alert.field("ka.target.name", "ka.resp.name")
    namespace = alert.field("ka.target.namespace")
    if verb or resource:
        what = " ".join(str(part) for part in (resource, name) if part)
        if namespace:
            what += f" in namespace {namespace}"
        request = f"{_article(str(verb))} {verb} request" if verb else "a request"
        return f"sent {request} on {what}".rstrip()
    return f'triggered the rule "{alert.rule}"'


def _internal_summary(alert: Alert) -> str:
    drops = int_value(alert.fields.get("n_drops"))
    events = int_value(alert.fields.get("n_evts"))
    host = f" on host {alert.hostname}" if alert.hostname else ""
    if drops is not None and events is not None:
        return (
            f"Falco dropped {drops} of {events} system call events{host}, so "
            "some activity in that interval was not inspected."
        )
    version = alert.field("falco.version")
    if version is not None:
        return f"Falco {version} reported a metrics snapshot{host}."
    return f"Falco reported an internal event{host}: {alert.rule}."


def _unread_summary(alert: Alert) -> str:
    host = f" on host {alert.hostname}" if alert.hostname else ""
    return (
        f'Rule "{alert.rule}" fired{host}. The alert\'s line could not be read '
        "back from its file (it was rotated, truncated or changed), so only its "
        "list columns are known."
    )


def _text_only_summary(alert: Alert) -> str:
    host = f" on host {alert.hostname}" if alert.hostname else ""
    message = alert.output.strip() or alert.rule
    return f'Rule "{alert.rule}" fired{host}; the alert carries no fields: {message}'


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _first_word(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split()[0]


# The human behind the activity.


def _identity(alert: Alert, source: str) -> tuple[str | None, Any]:
    for name in _IDENTITY_FIELDS.get(source, ()):
        value = alert.field(name)
        if value is not None:
            return name, value
    return None, None


def _human(alert: Alert, source: str) -> str:
    if source == "internal":
        return "Falco itself reported this event; no person is involved."
    if source in ("syscall", "unknown"):
        return _syscall_human(alert)
    return _audit_human(alert, source)


def _syscall_human(alert: Alert) -> str:
    loginuid = login_uid(alert)
    user = alert.field("user.name")
    if loginuid is None:
        known = f" The effective user is {user} (user.name)." if user else ""
        return (
            "The alert has no user.loginuid, so the person behind it is not "
            f"recorded.{known}"
        )
    if loginuid == -1:
        return (
            "No login session (user.loginuid is -1): a service, the container "
            "runtime, or a docker or kubectl exec started this process. Look "
            "for the person in the Kubernetes audit log (pods/exec) or the "
            "container runtime's events."
        )

    loginname = alert.field("user.loginname")
    name = f" ({loginname}, user.loginname)" if loginname else ""
    text = (
        f"Login uid {loginuid}{name} (user.loginuid): the account that logged "
        "in, kept across su and sudo."
    )
    uid = int_value(alert.fields.get("user.uid"))
    if uid is not None and uid != loginuid:
        text += f" The process now runs as {user or 'uid'} (uid {uid})."
    if in_container(alert):
        text += (
            " A login uid inside a container means a host login session is in "
            "its ancestry (nsenter, podman, a script run by an administrator), "
            "which is unusual."
        )
    return text


def _audit_human(alert: Alert, source: str) -> str:
    name, identity = _identity(alert, source)
    if identity is None:
        return "The alert names no identity for this event."

    text = f"{identity} ({name})"
    token_note = ""
    if source == "k8s_audit" and str(identity).startswith("system:serviceaccount:"):
        parts = str(identity).split(":")
        if len(parts) == 4:
            text = f"The service account {parts[3]} in namespace {parts[2]} ({name})"
            token_note = (
                " Whoever holds its token (a pod or a person) is not in the alert."
            )
    impersonated = alert.field("ka.impuser.name")
    if impersonated is not None:
        text += f", acting as {impersonated} (ka.impuser.name)"
    address = alert.field(*_ADDRESS_FIELDS)
    if address is not None:
        text += f", calling from {address}"
    return text + "." + token_note


# Why it matters, questions and notes.


def _why(alert: Alert, entry: RuleEntry | None, refs: list[MitreRef]) -> str:
    tagged = ", ".join(f"{ref.id} {ref.name}" for ref in refs)
    if entry is not None:
        text = entry.attacker_goal
        return f"{text} Falco tags: {tagged}." if tagged else text
    if tagged:
        return (
            f"Falco maps this rule to MITRE ATT&CK {tagged}. The knowledge base "
            "has no entry for it, so read the rule's description in your rules "
            "files."
        )
    return (
        f'The knowledge base has no entry for the rule "{alert.rule}" and the '
        f"alert carries no MITRE tags; its priority is {alert.priority.label}."
    )


def _questions(entry: RuleEntry | None, source: str) -> list[str]:
    questions = list(entry.questions) if entry else []
    if source in ("syscall", "unknown"):
        questions.append(
            "Were there other alerts from the same process, container or login "
            "uid in the minutes around this one?"
        )
    elif source == "internal":
        questions.append("Did Falco drop events or restart around this time?")
    else:
        questions.append(
            "Were there other events from the same identity or address around "
            "this time?"
        )
    return questions


def _notes(
    alert: Alert, entry: RuleEntry | None, source: str, source_inferred: bool
) -> list[str]:
    notes: list[str] = []
    if alert.time_ns is None:
        notes.append("The alert has no usable event time.")
    elif alert.time_inferred:
        notes.append(
            "The event time was taken from the output text or evt.time, not "
            "from the alert's time key; check its time zone."
        )

    if source_inferred and source != "internal":
        notes.append(
            f"The alert has no known source key; it was read as {source} from "
            "its fields."
        )
    if entry is not None and alert.rule != entry.rule:
        notes.append(
            f'"{alert.rule}" is an older name of the rule now called "{entry.rule}".'
        )
    if alert.kind == "text":
        notes.append(
            "This is a plain-text alert: only the fields that could be read "
            "from its message are available."
        )

    missing = [name for name, value in alert.fields.items() if value is None]
    if missing:
        notes.append(f"Fields without a value (<NA>): {', '.join(missing)}.")
    if in_container(alert) and not alert.field(
        "container.name", "container.image.repository"
    ):
        notes.append(
            "The container has no name or image: the runtime lookup had not "
            "finished or it is a pod sandbox; the process still ran in a "
            "container."
        )
    if entry is not None:
        notes.extend(entry.caveats)
    return notes
