"""Values derived from an alert's fields: source family, login uid, traced pid.

These helpers are shared by the analysis text, the checklist and the rule
exception snippet, so all three read a field the same way.
"""

from __future__ import annotations

import shlex
from typing import Any

from tui.parsing.alert import Alert

KNOWN_SOURCES = (
    "syscall",
    "k8s_audit",
    "aws_cloudtrail",
    "gcp_auditlog",
    "okta",
    "github",
    "internal",
)

# Field prefixes that identify a source when the alert has no usable source key.
_SOURCE_PREFIXES = (
    (("ka.", "jevt."), "k8s_audit"),
    (("ct.", "s3."), "aws_cloudtrail"),
    (("gcp.",), "gcp_auditlog"),
    (("okta.",), "okta"),
    (("github.",), "github"),
    (("proc.", "fd.", "user.", "thread.", "container.", "evt.type"), "syscall"),
)

# Programs that attach to a pid with ptrace, as found in proc.name.
_TRACERS = {"gdb", "strace", "ltrace", "lldb", "gcore", "dlv", "pstack", "gdbserver"}
_PID_OPTIONS = {"-p", "--pid", "--attach-pid", "--attach"}


def source_family(alert: Alert, entry_source: str | None = None) -> tuple[str, bool]:
    """Return the alert's event source and whether it had to be inferred.

    Old alerts (before Falco 0.30) have no ``source`` key, and hand-made ones
    may spell it differently, so the field prefixes decide in that case.
    """
    if alert.is_internal:
        return "internal", alert.source != "internal"
    if alert.source in KNOWN_SOURCES:
        return alert.source, False

    for prefixes, family in _SOURCE_PREFIXES:
        if any(name.startswith(prefixes) for name in alert.fields):
            return family, True
    if entry_source is not None:
        return entry_source, True
    return "unknown", True


def int_value(value: Any) -> int | None:
    """Return ``value`` as an int when it is an integer or a decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def login_uid(alert: Alert) -> int | None:
    """Return user.loginuid, with 4294967295 (unset) mapped to -1."""
    value = int_value(alert.fields.get("user.loginuid"))
    if value == 4294967295:
        return -1
    return value


def in_container(alert: Alert) -> bool | None:
    """Return True in a container, False on the host, None when unknown."""
    container_id = alert.fields.get("container.id")
    if not isinstance(container_id, str) or not container_id:
        return None
    return container_id != "host"


PID_ARGUMENT_FIELDS = ("evt.rawarg.pid", "evt.arg.pid")
"""Fields that carry ptrace's pid argument when a rule or output adds them.
``evt.arg.pid`` may be rendered as ``4321(sshd)`` or as the name alone."""


def pid_argument(alert: Alert) -> tuple[str, str] | None:
    """Return (field, pid) from ptrace's own pid argument, when the alert has it."""
    for name in PID_ARGUMENT_FIELDS:
        value = alert.fields.get(name)
        if value is None:
            continue
        digits = str(value).split("(", 1)[0].strip()
        if digits.isdigit():
            return name, digits
    return None


def traced_pid(alert: Alert) -> str | None:
    """Return the traced pid: the syscall argument, else the tracer's command line.

    Handles ``gdb -p N``, ``gdb --pid=N``, ``gdb PROGRAM N``, ``strace -p N``,
    ``strace -pN``, ``lldb --attach-pid N``, ``gcore N`` and ``dlv attach N``.
    """
    argument = pid_argument(alert)
    if argument is not None:
        return argument[1]
    return pid_from_cmdline(alert)


def pid_from_cmdline(alert: Alert) -> str | None:
    """Return the pid a ptrace tracer names on its command line, if any."""
    cmdline = alert.fields.get("proc.cmdline")
    if not isinstance(cmdline, str):
        return None
    try:
        words = shlex.split(cmdline)
    except ValueError:
        words = cmdline.split()
    if not words:
        return None

    program = words[0].rsplit("/", 1)[-1]
    name = alert.fields.get("proc.name")
    if program not in _TRACERS and name not in _TRACERS:
        return None
    return _pid_from_words(program, words[1:])


def _pid_from_words(program: str, words: list[str]) -> str | None:
    positional: list[str] = []
    for index, word in enumerate(words):
        if word in _PID_OPTIONS and index + 1 < len(words):
            candidate = words[index + 1]
            return candidate if candidate.isdigit() else None
        for option in ("--pid=", "--attach-pid=", "--attach=", "-p"):
            if word.startswith(option) and word[len(option) :].isdigit():
                return word[len(option) :]
        if not word.startswith("-"):
            positional.append(word)

    # gdb PROGRAM PID attaches to PID; gcore PID and dlv attach PID name it last.
    if program in ("gdb", "gdbserver") and len(positional) >= 2:
        return positional[1] if positional[1].isdigit() else None
    if program == "gcore" and positional and positional[-1].isdigit():
        return positional[-1]
    if program == "dlv" and positional[:1] == ["attach"] and len(positional) > 1:
        return positional[1] if positional[1].isdigit() else None
    return None
