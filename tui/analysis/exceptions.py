"""A Falco rules snippet that adds an exception for one alert to its rule.

The snippet appends an ``exceptions`` entry with ``override`` so the default
rule stays untouched. Rule exceptions need Falco 0.28.0 or later, and the
``override`` key needs Falco 0.37.0 or later (earlier releases used
``append: true``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tui.analysis.knowledge import lookup
from tui.analysis.targets import in_container, login_uid, source_family
from tui.parsing.alert import Alert

MIN_FALCO_VERSION = "0.37.0"

# Candidate field groups per source: the first present field of each group is
# used. A terminal number (proc.tty) is never used because ttys are reused.
_SYSCALL_GROUPS = (
    ("proc.exepath", "proc.name"),
    ("container.image.repository",),
    ("user.loginuid", "proc.pname"),
)
_AUDIT_GROUPS = {
    "k8s_audit": (("ka.user.name",), ("ka.target.namespace",)),
    "aws_cloudtrail": (("ct.user.arn", "ct.user"), ("ct.region",)),
    "gcp_auditlog": (("gcp.user",), ("gcp.methodName",)),
    "okta": (("okta.actor.name",), ("okta.target.user.name",)),
    "github": (("github.user",), ("github.repo.name",)),
}


def exception_snippet(alert: Alert) -> str:
    """Return rules YAML that appends an exception matching this alert.

    The values come from the alert, so review them before loading the file.
    When the alert has no usable field (internal and text-only alerts), the
    result is a YAML comment that explains why.
    """
    entry = lookup(alert.rule)
    # The running ruleset knows the rule by the name in the alert, which can be
    # an older name of a knowledge-base entry.
    rule_name = alert.rule
    source, _ = source_family(alert, entry.source if entry else None)
    if source == "internal":
        return "# Falco internal events are not rules and cannot take exceptions.\n"

    pairs = _exception_fields(alert, source)
    if not pairs:
        return (
            f"# The alert for rule {rule_name!r} carries none of the fields an "
            "exception can match on,\n# so no exception can be suggested.\n"
        )

    fields = [name for name, _ in pairs]
    document = [
        {
            "rule": rule_name,
            "exceptions": [
                {
                    "name": _exception_name(fields),
                    "fields": fields,
                    "comps": ["="] * len(fields),
                    "values": [[_as_text(value) for _, value in pairs]],
                }
            ],
            "override": {"exceptions": "append"},
        }
    ]
    body = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=None, allow_unicode=True
    )
    header = (
        "# Add to a rules file loaded after the default rules, such as\n"
        "# /etc/falco/falco_rules.local.yaml or a file in /etc/falco/rules.d.\n"
        f"# The override key needs Falco {MIN_FALCO_VERSION} or later.\n"
    )
    if entry is not None and entry.rule != rule_name:
        header += (
            f"# {rule_name!r} is an older name of {entry.rule!r}; older Falco\n"
            "# releases take append: true instead of the override key.\n"
        )
    return header + body


def _exception_fields(alert: Alert, source: str) -> list[tuple[str, Any]]:
    if source in ("syscall", "unknown"):
        return _syscall_fields(alert)
    groups = _AUDIT_GROUPS.get(source, ())
    return _pick(alert, groups)


def _syscall_fields(alert: Alert) -> list[tuple[str, Any]]:
    pairs = _pick(alert, _SYSCALL_GROUPS[:1])
    if in_container(alert):
        pairs += _pick(alert, _SYSCALL_GROUPS[1:2])

    # A login uid of -1 is shared by every daemon, so it does not narrow the
    # exception; the parent name does.
    loginuid = login_uid(alert)
    if loginuid is not None and loginuid >= 0:
        pairs.append(("user.loginuid", loginuid))
    else:
        pairs += _pick(alert, (("proc.pname",),))
    return pairs


def _pick(alert: Alert, groups: tuple[tuple[str, ...], ...]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for group in groups:
        for name in group:
            value = alert.field(name)
            if value is not None:
                pairs.append((name, value))
                break
    return pairs


def _exception_name(fields: list[str]) -> str:
    words = [re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") for name in fields]
    return "falco_tui_" + "_".join(words)


def _as_text(value: Any) -> str:
    # Written as strings so YAML cannot reinterpret a value (0755 as an octal
    # number, say).
    return value if isinstance(value, str) else str(value)
