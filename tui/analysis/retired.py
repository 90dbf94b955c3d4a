"""Rule names that Falco dropped or split, so no single current entry fits.

Old alerts keep their rule's name. A renamed rule maps to its current entry
through the entry's aliases, and so do the k8s audit rules that were split
(their entries explain how to tell the halves apart). The syscall names here
were removed, or split between rules of different kinds, so they point to
every successor instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetiredRule:
    """A rule name no current ruleset uses, with what replaced it."""

    name: str
    released: str
    """The Falco or plugin releases that shipped the name."""
    successors: tuple[str, ...]
    """Current rules that took over its detection; empty when none did."""
    note: str


_SHELL_SPLIT = (
    "Removed in Falco 0.9, when shell detection was reworked: a shell started "
    "by an unexpected program is now 'Run shell untrusted', and an interactive "
    "shell in a container is 'Terminal shell in container'."
)
_INSTALLER = (
    "One of the Falco 0.4-0.8 rules that watched 'curl | bash' installer "
    "sessions. It was removed in Falco 0.9 with no direct successor; analyse "
    "the alert from its fields."
)

RETIRED_RULES = (
    RetiredRule(
        "Run shell in container",
        "Falco 0.4-0.8.1",
        ("Run shell untrusted", "Terminal shell in container"),
        _SHELL_SPLIT,
    ),
    RetiredRule(
        "run_shell_in_container",
        "Falco 0.1-0.3",
        ("Run shell untrusted", "Terminal shell in container"),
        _SHELL_SPLIT,
    ),
    RetiredRule("Write below etc in installer", "Falco 0.4-0.8.1", (), _INSTALLER),
    RetiredRule("write_etc_installer", "Falco 0.1-0.3", (), _INSTALLER),
    RetiredRule(
        "syscall_returns_eaccess",
        "Falco 0.1-0.3",
        (),
        "Dropped in Falco 0.4.0 with no successor: it flagged any system call "
        "that failed with EACCES. Check evt.res and the process in the fields.",
    ),
    RetiredRule(
        "ssh_error_syslog",
        "Falco 0.1-0.3",
        (),
        "Dropped in Falco 0.4.0 with no successor: it matched sshd error "
        "messages written to syslog.",
    ),
)

# The five 'Installer bash ...' rules of Falco 0.4-0.8 (for example
# 'Installer bash starts network server') and their 0.1-0.3 snake_case forms
# are matched by prefix, since all of them share one fate.
_INSTALLER_PREFIXES = ("installer bash ", "installer_bash_")

_BY_NAME = {rule.name.casefold(): rule for rule in RETIRED_RULES}


def retired_rule(name: str) -> RetiredRule | None:
    """Return what became of a dropped or split rule ``name``, or None."""
    key = name.strip().casefold()
    found = _BY_NAME.get(key)
    if found is not None:
        return found
    if key.startswith(_INSTALLER_PREFIXES):
        return RetiredRule(name.strip(), "Falco 0.1-0.8.1", (), _INSTALLER)
    return None


SPLIT_NAMES = {
    "k8s role/clusterrole created": ("K8s Role Created", "K8s ClusterRole Created"),
    "k8s role/clusterrole deleted": ("K8s Role Deleted", "K8s ClusterRole Deleted"),
    "k8s role/clusterrolebinding created": (
        "K8s RoleBinding Created",
        "K8s ClusterRoleBinding Created",
    ),
    "k8s role/clusterrolebinding deleted": (
        "K8s RoleBinding Deleted",
        "K8s ClusterRoleBinding Deleted",
    ),
    "gcp kms updated or deleted": ("GCP KMS updated", "GCP KMS deleted"),
    "gcp cloud function updated or deleted": (
        "GCP cloud function modified",
        "GCP cloud function deleted",
    ),
}
"""Old names whose alias points to the first of several successors: the
entry's notes tell the halves apart, and explain names them all."""


def split_successors(name: str) -> tuple[str, ...]:
    """Return every current rule an old, split rule name became, or ()."""
    return SPLIT_NAMES.get(name.strip().casefold(), ())
