"""Glossary of Falco output fields: which group each belongs to and what it means.

In a syscall alert every ``proc.*``, ``thread.*``, ``user.*`` and ``group.*``
field describes the thread that made the system call (the actor), never the
object it acted on. The object is in ``fd.*`` and ``evt.arg.*``, and some rules
(the ptrace rules, for one) do not print it at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GROUPS = (
    "process",
    "parent and ancestors",
    "user",
    "container and Kubernetes",
    "file",
    "network",
    "event",
    "Kubernetes audit",
    "cloud",
    "Falco internal",
    "other",
)
"""Display groups in the order the detail pane shows them."""


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """The display group of a field, its meaning, and its side in the action."""

    group: str
    role: str
    side: str = "context"
    """``actor`` (who did it), ``target`` (what was acted on) or ``context``."""


_ACTOR = "actor"
_TARGET = "target"

_EXACT: dict[str, FieldInfo] = {
    # The process that made the system call.
    "proc.name": FieldInfo(
        "process",
        "Short name (comm, at most 15 characters) of the process that made the "
        "system call; the program can change it.",
        _ACTOR,
    ),
    "proc.exepath": FieldInfo(
        "process",
        "Path of the executable the kernel actually ran for the acting process "
        "(symlinks resolved); more reliable than proc.exe or proc.name.",
        _ACTOR,
    ),
    "proc.exe": FieldInfo(
        "process",
        "argv[0] of the acting process as passed to execve; the caller chooses "
        "it, so it can be relative or fake.",
        _ACTOR,
    ),
    "proc.cmdline": FieldInfo(
        "process",
        "Command line of the acting process: its short name followed by the arguments.",
        _ACTOR,
    ),
    "proc.args": FieldInfo(
        "process", "Arguments of the acting process, without argv[0].", _ACTOR
    ),
    "proc.pid": FieldInfo("process", "Process id of the acting process.", _ACTOR),
    "proc.vpid": FieldInfo(
        "process",
        "Process id of the acting process inside its own PID namespace.",
        _ACTOR,
    ),
    "proc.cwd": FieldInfo(
        "process", "Working directory of the acting process.", _ACTOR
    ),
    "proc.env": FieldInfo(
        "process",
        "Environment of the acting process; it can contain secrets.",
        _ACTOR,
    ),
    "proc.tty": FieldInfo(
        "process",
        "Controlling terminal of the acting process: 0 means none, non-zero "
        "means an interactive terminal (34816 is /dev/pts/0, 34817 /dev/pts/1).",
        _ACTOR,
    ),
    "proc.sname": FieldInfo(
        "process",
        "Name of the session leader of the acting process, often the login "
        "shell or the container's first process.",
        _ACTOR,
    ),
    "proc.exe_ino.ctime": FieldInfo(
        "process",
        "Inode change time (ns since the epoch) of the acting process's executable.",
        _ACTOR,
    ),
    "proc.exe_ino.mtime": FieldInfo(
        "process",
        "Content modification time (ns since the epoch) of the acting "
        "process's executable.",
        _ACTOR,
    ),
    "proc.exe_ino.ctime_duration_proc_start": FieldInfo(
        "process",
        "Nanoseconds between the last change of the executable and the start "
        "of the process; a small value means written and run almost at once.",
        _ACTOR,
    ),
    "proc.pname": FieldInfo(
        "parent and ancestors",
        "Short name of the acting process's parent (after any re-parenting).",
        _ACTOR,
    ),
    "proc.pcmdline": FieldInfo(
        "parent and ancestors",
        "Command line of the acting process's parent: how the parent was "
        "started, not a command the actor ran.",
        _ACTOR,
    ),
    "proc.pexe": FieldInfo(
        "parent and ancestors", "argv[0] of the acting process's parent.", _ACTOR
    ),
    "proc.pexepath": FieldInfo(
        "parent and ancestors",
        "Executable path of the acting process's parent.",
        _ACTOR,
    ),
    "proc.ppid": FieldInfo(
        "parent and ancestors", "Process id of the acting process's parent.", _ACTOR
    ),
    "thread.cap_effective": FieldInfo(
        "process",
        "Capabilities the acting thread can use at the time of the event.",
        _ACTOR,
    ),
    "thread.cap_permitted": FieldInfo(
        "process", "Capabilities the acting thread is allowed to raise.", _ACTOR
    ),
    "thread.tid": FieldInfo("process", "Thread id of the acting thread.", _ACTOR),
    # Identity of the actor.
    "user.name": FieldInfo(
        "user",
        "User name of the acting process's effective uid (looked up inside the "
        "container when in one).",
        _ACTOR,
    ),
    "user.uid": FieldInfo(
        "user", "Effective uid of the acting process (0 is root).", _ACTOR
    ),
    "user.loginuid": FieldInfo(
        "user",
        "Login uid: the human who logged in, kept across su and sudo. -1 means "
        "no login session, as for daemons and docker or kubectl exec.",
        _ACTOR,
    ),
    "user.loginname": FieldInfo(
        "user", "User name of the login uid (user.loginuid).", _ACTOR
    ),
    "group.gid": FieldInfo("user", "Effective gid of the acting process.", _ACTOR),
    "group.name": FieldInfo("user", "Group name of the acting process's gid.", _ACTOR),
    # Where the actor runs.
    "container.id": FieldInfo(
        "container and Kubernetes",
        "Container of the acting process; the value host means the process ran "
        "on the host, outside any container.",
        _ACTOR,
    ),
    "container.name": FieldInfo(
        "container and Kubernetes", "Name of the acting process's container.", _ACTOR
    ),
    "container.image.repository": FieldInfo(
        "container and Kubernetes",
        "Image repository of the acting process's container.",
        _ACTOR,
    ),
    "container.image.tag": FieldInfo(
        "container and Kubernetes",
        "Image tag of the acting process's container.",
        _ACTOR,
    ),
    "container.image": FieldInfo(
        "container and Kubernetes", "Image of the acting process's container.", _ACTOR
    ),
    "container.privileged": FieldInfo(
        "container and Kubernetes",
        "Whether the acting process's container runs privileged.",
        _ACTOR,
    ),
    "container.start_ts": FieldInfo(
        "container and Kubernetes",
        "Start time of the container (ns since the epoch).",
    ),
    "container.mounts": FieldInfo(
        "container and Kubernetes", "Mounts of the acting process's container."
    ),
    "k8s.pod.name": FieldInfo(
        "container and Kubernetes", "Pod of the acting process's container.", _ACTOR
    ),
    "k8s.ns.name": FieldInfo(
        "container and Kubernetes",
        "Kubernetes namespace of the acting process's pod.",
        _ACTOR,
    ),
    # What was acted on.
    "fd.name": FieldInfo(
        "file",
        "The file descriptor acted on: a file path, or client:port->server:port "
        "for a socket; empty on rules triggered by execve.",
        _TARGET,
    ),
    "fd.nameraw": FieldInfo(
        "file",
        "The path exactly as the process passed it, before normalisation "
        "(keeps ../ sequences).",
        _TARGET,
    ),
    "fd.directory": FieldInfo("file", "Directory of the file acted on.", _TARGET),
    "fd.filename": FieldInfo("file", "Base name of the file acted on.", _TARGET),
    "fd.type": FieldInfo(
        "file", "Kind of the file descriptor: file, directory, ipv4, unix...", _TARGET
    ),
    "fd.num": FieldInfo("file", "Number of the file descriptor acted on.", _TARGET),
    "fd.l4proto": FieldInfo("network", "Transport protocol of the socket.", _TARGET),
    "fd.sip": FieldInfo(
        "network",
        "Server-side IP: the remote end for an outgoing connect, the local end "
        "for an accepted connection.",
        _TARGET,
    ),
    "fd.cip": FieldInfo("network", "Client-side IP of the connection.", _TARGET),
    "fd.rip": FieldInfo("network", "Remote IP, seen from the acting process.", _TARGET),
    "fd.lip": FieldInfo("network", "Local IP, seen from the acting process.", _TARGET),
    "fd.sport": FieldInfo("network", "Server-side port of the connection.", _TARGET),
    "fd.cport": FieldInfo("network", "Client-side port of the connection.", _TARGET),
    "fd.rport": FieldInfo("network", "Remote port of the connection.", _TARGET),
    "fd.lport": FieldInfo("network", "Local port of the connection.", _TARGET),
    # The event itself.
    "evt.type": FieldInfo(
        "event", "System call or event that triggered the rule (execve, ptrace...)."
    ),
    "evt.res": FieldInfo(
        "event",
        "Result of the call: SUCCESS or an errno name; most rules fire on "
        "failed calls too.",
    ),
    "evt.args": FieldInfo(
        "event", "All arguments of the system call as one string.", _TARGET
    ),
    "evt.time": FieldInfo("event", "Time of the event."),
    "evt.time.iso8601": FieldInfo("event", "Time of the event."),
    "evt.num": FieldInfo("event", "Falco's sequence number of the event."),
    "evt.hostname": FieldInfo("event", "Host that produced the event."),
    "evt.source": FieldInfo("event", "Event source of the alert."),
    "evt.plugininfo": FieldInfo("event", "One-line summary of the plugin event."),
    "evt.dir": FieldInfo("event", "Direction: > for call entry, < for exit."),
    "evt.arg.flags": FieldInfo(
        "event",
        "Flags argument of the call; on execve the flags of the executable "
        "(EXE_WRITABLE, EXE_UPPER_LAYER, EXE_FROM_MEMFD...), not command flags.",
    ),
    "evt.arg.request": FieldInfo(
        "event", "ptrace request (PTRACE_ATTACH, PTRACE_TRACEME...)."
    ),
    "evt.arg.uid": FieldInfo("event", "uid requested from setuid().", _TARGET),
    "evt.arg.pid": FieldInfo(
        "event", "Process id argument of the call: the process acted on.", _TARGET
    ),
    "evt.rawarg.pid": FieldInfo(
        "event", "Process id argument of the call: the process acted on.", _TARGET
    ),
    "evt.arg.target": FieldInfo(
        "file", "What the new symbolic link points to.", _TARGET
    ),
    "evt.arg.linkpath": FieldInfo(
        "file", "Where the new symbolic link was created.", _TARGET
    ),
    "evt.arg.oldpath": FieldInfo(
        "file", "Existing path of a link or rename call.", _TARGET
    ),
    "evt.arg.newpath": FieldInfo("file", "New path of a link or rename call.", _TARGET),
    "evt.arg.name": FieldInfo(
        "file", "Path argument of an unlink or rename call.", _TARGET
    ),
    "evt.arg.path": FieldInfo(
        "file", "Path argument of a mkdir or unlink call.", _TARGET
    ),
    "evt.arg.filename": FieldInfo("file", "File name argument of the call.", _TARGET),
    "evt.arg.mode": FieldInfo("file", "Mode bits argument of the call.", _TARGET),
    # Kubernetes audit.
    "ka.user.name": FieldInfo(
        "Kubernetes audit",
        "User or service account that sent the API request.",
        _ACTOR,
    ),
    "ka.user.groups": FieldInfo(
        "Kubernetes audit", "Groups of the requesting user.", _ACTOR
    ),
    "ka.impuser.name": FieldInfo(
        "Kubernetes audit", "User impersonated by the requester.", _ACTOR
    ),
    "ka.sourceips": FieldInfo(
        "Kubernetes audit", "Source IPs of the API request.", _ACTOR
    ),
    "ka.useragent": FieldInfo(
        "Kubernetes audit", "User agent of the API request.", _ACTOR
    ),
    "ka.verb": FieldInfo(
        "Kubernetes audit", "API verb: get, list, create, patch, delete..."
    ),
    "ka.uri": FieldInfo("Kubernetes audit", "Request URI.", _TARGET),
    "ka.uri.param[command]": FieldInfo(
        "Kubernetes audit",
        "First command argument of an exec request (the full argv is split over "
        "repeated parameters).",
        _TARGET,
    ),
    "ka.target.name": FieldInfo(
        "Kubernetes audit", "Name of the object the request acts on.", _TARGET
    ),
    "ka.target.namespace": FieldInfo(
        "Kubernetes audit", "Namespace of the object the request acts on.", _TARGET
    ),
    "ka.target.resource": FieldInfo(
        "Kubernetes audit", "Resource type the request acts on.", _TARGET
    ),
    "ka.target.subresource": FieldInfo(
        "Kubernetes audit",
        "Subresource of the request: exec, attach, portforward, status...",
        _TARGET,
    ),
    "ka.resp.name": FieldInfo(
        "Kubernetes audit", "Name of the object in the API response.", _TARGET
    ),
    "ka.response.code": FieldInfo(
        "Kubernetes audit", "HTTP status of the response (403 means forbidden)."
    ),
    "ka.response.reason": FieldInfo(
        "Kubernetes audit", "Reason given for a failed request."
    ),
    "ka.auth.decision": FieldInfo(
        "Kubernetes audit", "Authorisation decision: allow or forbid."
    ),
    "ka.auth.reason": FieldInfo(
        "Kubernetes audit", "Which RBAC binding allowed or denied the request."
    ),
    "jevt.time": FieldInfo("event", "Time of the audit event (time of day only)."),
    "jevt.obj": FieldInfo("Kubernetes audit", "The whole audit event as JSON."),
    # Cloud and SaaS audit sources.
    "ct.user": FieldInfo("cloud", "AWS identity that made the call.", _ACTOR),
    "ct.user.arn": FieldInfo("cloud", "ARN of the calling AWS identity.", _ACTOR),
    "ct.user.identitytype": FieldInfo(
        "cloud",
        "Kind of AWS identity: Root, IAMUser, AssumedRole, AWSService...",
        _ACTOR,
    ),
    "ct.user.principalid": FieldInfo(
        "cloud", "Principal id of the calling AWS identity.", _ACTOR
    ),
    "ct.srcip": FieldInfo(
        "cloud",
        "Source IP of the AWS call, or an AWS service name for calls made by a "
        "service.",
        _ACTOR,
    ),
    "ct.useragent": FieldInfo("cloud", "User agent of the AWS call.", _ACTOR),
    "ct.region": FieldInfo("cloud", "AWS region of the call."),
    "ct.name": FieldInfo("cloud", "Name of the AWS API call."),
    "ct.error": FieldInfo("cloud", "Error code of the AWS call; empty on success."),
    "ct.id": FieldInfo("cloud", "CloudTrail event id."),
    "s3.bucket": FieldInfo("cloud", "S3 bucket of the request.", _TARGET),
    "gcp.user": FieldInfo(
        "cloud", "Principal (e-mail) that made the GCP call.", _ACTOR
    ),
    "gcp.callerIP": FieldInfo("cloud", "IP address of the GCP caller.", _ACTOR),
    "gcp.userAgent": FieldInfo("cloud", "User agent of the GCP caller.", _ACTOR),
    "gcp.methodName": FieldInfo("cloud", "GCP API method called."),
    "gcp.serviceName": FieldInfo("cloud", "GCP API service called."),
    "gcp.projectId": FieldInfo("cloud", "GCP project of the call.", _TARGET),
    "gcp.request": FieldInfo(
        "cloud", "Request body of the GCP call: what was changed.", _TARGET
    ),
    "gcp.policyDelta": FieldInfo(
        "cloud", "IAM bindings added or removed by the call.", _TARGET
    ),
    "gcp.authorizationInfo": FieldInfo(
        "cloud", "Permissions checked for the call and whether they were granted."
    ),
    "okta.actor.name": FieldInfo(
        "cloud", "Okta actor: the person or admin who caused the event.", _ACTOR
    ),
    "okta.client.ip": FieldInfo("cloud", "Client IP of the Okta request.", _ACTOR),
    "github.user": FieldInfo(
        "cloud", "GitHub login that triggered the webhook event.", _ACTOR
    ),
}

# Prefix fallbacks, most specific first, for fields not listed above.
_PREFIXES: tuple[tuple[str, FieldInfo], ...] = (
    ("proc.", FieldInfo("process", "A property of the acting process.", _ACTOR)),
    ("thread.", FieldInfo("process", "A property of the acting thread.", _ACTOR)),
    ("user.", FieldInfo("user", "Identity of the acting process.", _ACTOR)),
    ("group.", FieldInfo("user", "Group of the acting process.", _ACTOR)),
    (
        "container.",
        FieldInfo(
            "container and Kubernetes",
            "A property of the acting process's container.",
            _ACTOR,
        ),
    ),
    (
        "k8s.",
        FieldInfo(
            "container and Kubernetes",
            "Kubernetes metadata of the acting process's pod.",
            _ACTOR,
        ),
    ),
    (
        "fd.",
        FieldInfo("network", "A property of the file descriptor acted on.", _TARGET),
    ),
    ("evt.rawarg.", FieldInfo("event", "Raw argument of the system call.", _TARGET)),
    ("evt.arg.", FieldInfo("event", "Argument of the system call.", _TARGET)),
    ("evt.", FieldInfo("event", "A property of the event.")),
    ("ka.req.", FieldInfo("Kubernetes audit", "Content of the API request.", _TARGET)),
    (
        "ka.target.",
        FieldInfo("Kubernetes audit", "Object of the API request.", _TARGET),
    ),
    ("ka.user.", FieldInfo("Kubernetes audit", "Requesting user.", _ACTOR)),
    ("ka.", FieldInfo("Kubernetes audit", "A field of the Kubernetes audit event.")),
    (
        "jevt.value[/requestObject",
        FieldInfo("Kubernetes audit", "Content of the API request.", _TARGET),
    ),
    ("jevt.", FieldInfo("Kubernetes audit", "A value read from the raw audit event.")),
    ("ct.request.", FieldInfo("cloud", "Parameter of the AWS request.", _TARGET)),
    ("ct.response.", FieldInfo("cloud", "Value from the AWS response.", _TARGET)),
    ("ct.", FieldInfo("cloud", "A field of the CloudTrail event.")),
    ("s3.", FieldInfo("cloud", "S3 detail of the AWS request.", _TARGET)),
    ("gcp.", FieldInfo("cloud", "A field of the GCP audit log entry.")),
    (
        "json.value[/resource",
        FieldInfo("cloud", "Resource named in the audit log entry.", _TARGET),
    ),
    ("json.", FieldInfo("cloud", "A value read from the raw JSON event.")),
    (
        "okta.target.",
        FieldInfo("cloud", "User, group or app the Okta event affects.", _TARGET),
    ),
    ("okta.actor.", FieldInfo("cloud", "The Okta actor who caused the event.", _ACTOR)),
    ("okta.", FieldInfo("cloud", "A field of the Okta event.")),
    (
        "github.collaborator.",
        FieldInfo("cloud", "Collaborator added or removed.", _TARGET),
    ),
    (
        "github.repo",
        FieldInfo("cloud", "Repository the GitHub event is about.", _TARGET),
    ),
    ("github.", FieldInfo("cloud", "A field of the GitHub webhook event.")),
    (
        "falco.",
        FieldInfo("Falco internal", "A Falco metric or property of Falco itself."),
    ),
    ("scap.", FieldInfo("Falco internal", "A kernel-capture (libscap) metric.")),
    ("n_", FieldInfo("Falco internal", "A counter from Falco's event-drop report.")),
)

_ANCESTOR = re.compile(r"^proc\.a(name|exepath|cmdline|pid|exe)\[(\d+)\]$")

_ORDINALS = {1: "parent", 2: "grandparent", 3: "great-grandparent"}


def field_info(name: str) -> FieldInfo:
    """Return the group, role sentence and side of the Falco field ``name``."""
    info = _EXACT.get(name)
    if info is not None:
        return info

    ancestor = _ANCESTOR.match(name)
    if ancestor is not None:
        return _ancestor_info(ancestor.group(1), int(ancestor.group(2)))

    for prefix, fallback in _PREFIXES:
        if name.startswith(prefix):
            return fallback
    return FieldInfo("other", "A field this dashboard has no description for.")


def _ancestor_info(kind: str, level: int) -> FieldInfo:
    if level == 0:
        return FieldInfo("process", "A property of the acting process itself.", _ACTOR)
    ancestor = _ORDINALS.get(level, f"ancestor {level} levels up")
    what = {
        "name": "Short name",
        "exepath": "Executable path",
        "cmdline": "Command line",
        "pid": "Process id",
        "exe": "argv[0]",
    }[kind]
    role = f"{what} of the acting process's {ancestor} (at the time of the event)."
    return FieldInfo("parent and ancestors", role, _ACTOR)


def known_field_names() -> tuple[str, ...]:
    """Return the Falco field names this glossary describes one by one."""
    return tuple(_EXACT)
