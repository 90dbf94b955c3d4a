"""A Markdown report of one alert: summary, fields, analysis, checklist, tuning.

Alert values are attacker-controlled, so each one is passed through
``printable`` (no control characters or line breaks survive) and then escaped
for Markdown: outside code, every character that could start markup, HTML or a
link is backslash-escaped, and code spans and fences are longer than any run
of backticks inside them. A value therefore stays one line, one table cell and
plain text in any CommonMark or GitHub renderer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from tui.analysis.analyze import PTRACE_ATTACH_RULE, Analysis, FieldRole, analyze
from tui.analysis.checklist import checklist
from tui.analysis.exceptions import exception_snippet
from tui.analysis.fields import field_info
from tui.analysis.knowledge import PHASES, RuleEntry
from tui.analysis.rulesfile import LoadedRule, RuleSet, add_loaded_rule
from tui.analysis.targets import in_container
from tui.parsing.alert import Alert
from tui.parsing.text import printable

# ASCII punctuation that can open Markdown, HTML, a link or an autolink
# (":" and "@" for GitHub's URL and e-mail autolinks) anywhere in a line.
# CommonMark allows a backslash before any ASCII punctuation character.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>!|~&#:@])")
_WWW_AUTOLINK = re.compile(r"(www)\.", re.IGNORECASE)
# Characters that open a list, a heading underline or a quote at a line start.
_LIST_BULLET = re.compile(r"^([-+=])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")
_BACKTICK_RUN = re.compile(r"`+")


def md_text(value: Any) -> str:
    """Return ``value`` as Markdown text that renders literally, on one line."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", _value_text(value))
    text = _WWW_AUTOLINK.sub(r"\1\\.", text)
    text = _LIST_BULLET.sub(r"\\\1", text)
    return _LIST_NUMBER.sub(r"\1\\\2", text)


def md_code(value: Any) -> str:
    """Return ``value`` as an inline code span that no backtick inside can close.

    Pipes are escaped too, because GitHub splits table cells on them even
    inside code spans.
    """
    text = _value_text(value).replace("|", "\\|")
    fence = "`" * (_longest_backtick_run(text) + 1)
    if text.startswith("`") or text.endswith("`") or not text.strip():
        text = f" {text} "
    return f"{fence}{text}{fence}"


def md_block(text: str, language: str = "") -> str:
    """Return ``text`` as a fenced code block that no line inside can close."""
    safe = "\n".join(printable(line) for line in text.rstrip("\n").split("\n"))
    fence = "`" * max(3, _longest_backtick_run(safe) + 1)
    return f"{fence}{language}\n{safe}\n{fence}\n"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)


def _value_text(value: Any) -> str:
    if value is None:
        return "<NA>"
    if isinstance(value, (list, tuple, dict)):
        try:
            value = orjson.dumps(value).decode()
        except TypeError:
            value = repr(value)
    return printable(value)


def utc_time(alert: Alert) -> str:
    """Return the event time as ``YYYY-MM-DD HH:MM:SS.nnnnnnnnn UTC``."""
    if alert.time_ns is None:
        return "unknown"
    seconds, nanos = divmod(alert.time_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{nanos:09d} UTC"


def markdown_report(
    alert: Alert,
    ticks: Mapping[str, bool] | None = None,
    rules: RuleSet | None = None,
    *,
    generated_at: datetime | None = None,
) -> str:
    """Build the Markdown report of ``alert``.

    ``ticks`` maps checklist item ids to their saved state, ``rules`` adds the
    rule as loaded from the user's rules files.
    """
    analysis = analyze(alert)
    add_loaded_rule(analysis, rules)
    loaded = rules.rule(alert.rule) if rules is not None else None
    generated = generated_at or datetime.now(UTC)

    title = (
        f"# Falco alert: {md_text(alert.rule)}\n\n"
        f"Report written by falco-tui at {generated:%Y-%m-%d %H:%M:%S} UTC. "
        "Every value below is copied from the alert; treat it as untrusted.\n"
    )
    sections = [
        title,
        _summary_section(alert, analysis),
        _details_section(alert, analysis),
        _analysis_section(analysis),
        _rule_section(analysis.entry),
        _mitre_section(analysis),
        _loaded_rule_section(loaded),
        _checklist_section(alert, ticks or {}),
        "## Exception snippet\n\n"
        "Review the values before loading the snippet into Falco.\n\n"
        + md_block(exception_snippet(alert), "yaml"),
    ]
    return "\n".join(section for section in sections if section)


def _summary_section(alert: Alert, analysis: Analysis) -> str:
    lines = [
        "## Summary",
        "",
        md_text(analysis.summary),
        "",
        f"- Rule: {md_text(alert.rule)}",
        *_actor_target_lines(alert, analysis),
        f"- Priority: {alert.priority.label}",
        f"- Time: {utc_time(alert)}" + (" (inferred)" if alert.time_inferred else ""),
        f"- Host: {md_text(alert.hostname or alert.field('evt.hostname'))}",
        f"- Where: {_where_text(alert)}",
        f"- Source: {md_text(alert.source or analysis.source)}",
        f"- Read from: {md_text(f'{alert.origin}:{alert.line_no}')}",
        f"- Alert fingerprint: {md_code(alert.fingerprint)}",
    ]
    return "\n".join(lines) + "\n"


def _actor_target_lines(alert: Alert, analysis: Analysis) -> list[str]:
    lines: list[str] = []
    name = alert.field("proc.name", "proc.exepath")
    if name is not None:
        # Every proc.* field is the process that made the system call, which
        # for the ptrace rule is the tracer, never the traced process.
        label = "Tracer" if alert.rule == PTRACE_ATTACH_RULE else "Acting process"
        exepath = alert.field("proc.exepath")
        path = f" ({md_text(exepath)})" if exepath and exepath != name else ""
        lines.append(f"- {label}: {md_text(name)}{path}")
    for role in analysis.target[:1]:
        how = f", inferred from {md_code(role.field)}" if role.inferred else ""
        lines.append(f"- Target: {md_text(role.value)}{how}")
    return lines


def _where_text(alert: Alert) -> str:
    where = in_container(alert)
    if where is False:
        return "on the host, not in a container (container.id is host)"
    if where is None:
        return "not recorded (the alert has no container.id)"

    parts = [f"container {md_code(alert.fields['container.id'])}"]
    for label, name in (
        ("name", "container.name"),
        ("image", "container.image.repository"),
        ("pod", "k8s.pod.name"),
        ("namespace", "k8s.ns.name"),
    ):
        value = alert.field(name)
        if value is not None:
            parts.append(f"{label} {md_code(value)}")
    return ", ".join(parts)


def _details_section(alert: Alert, analysis: Analysis) -> str:
    lines = ["## Details", "", "| Field | Value | Role |", "|---|---|---|"]
    for role in analysis.target:
        if role.inferred:
            name = f"inferred from {role.field}"
            lines.append(_row(name, role.value, role.role))
    for name, value in alert.fields.items():
        lines.append(_row(name, value, field_info(name).role))
    if alert.tags:
        lines.append(_row("tags", list(alert.tags), "Tags the rule carries."))
    return "\n".join(lines) + "\n"


def _row(name: str, value: Any, role: str) -> str:
    return f"| {md_code(name)} | {md_text(value)} | {md_text(role)} |"


def _meaning(role: FieldRole) -> str:
    return f"{role.role} (inferred)" if role.inferred else role.role


def _analysis_section(analysis: Analysis) -> str:
    lines = ["## Analysis", ""]
    lines += _roles_part("Who acted", analysis.actor)
    if analysis.human:
        lines += ["### The human behind it", "", md_text(analysis.human), ""]
    lines += _roles_part("Target", analysis.target)
    if analysis.why:
        lines += ["### Why it matters", "", md_text(analysis.why), ""]
    lines += _bullets_part("First questions", analysis.questions)
    lines += _bullets_part("Notes", analysis.notes)
    return "\n".join(lines)


def _roles_part(title: str, roles: list[FieldRole]) -> list[str]:
    if not roles:
        return []
    lines = [f"### {title}", ""]
    for role in roles:
        name = md_code(role.field)
        if role.inferred:
            name = f"{md_text(role.value)}, inferred from {name}"
        else:
            name = f"{name} = {md_text(role.value)}"
        lines.append(f"- {name}: {md_text(_meaning(role))}")
    return lines + [""]


def _bullets_part(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"### {title}", "", *(f"- {md_text(item)}" for item in items), ""]


def _rule_section(entry: RuleEntry | None) -> str:
    if entry is None:
        return (
            "## What the rule detects\n\n"
            "The knowledge base has no entry for this rule; the analysis above is "
            "built from the alert's fields and tags.\n"
        )
    lines = [
        "## What the rule detects",
        "",
        md_text(entry.detects),
        "",
        f"Attacker's usual aim: {md_text(entry.attacker_goal)}",
        "",
        "### Possible benign causes and how to tell",
        "",
    ]
    for benign in entry.benign:
        lines.append(f"- {md_text(benign.cause)} How to tell: {md_text(benign.tell)}")
    return "\n".join(lines) + "\n"


def _mitre_section(analysis: Analysis) -> str:
    if not analysis.mitre:
        return "## MITRE ATT&CK\n\nThe alert carries no MITRE ATT&CK tags.\n"
    lines = ["## MITRE ATT&CK", "", "| ID | Name | Kind | Tag |", "|---|---|---|---|"]
    for ref in analysis.mitre:
        lines.append(
            f"| {md_text(ref.id)} | {md_text(ref.name)} | {ref.kind} | {md_code(ref.tag)} |"
        )
    return "\n".join(lines) + "\n"


def _loaded_rule_section(loaded: LoadedRule | None) -> str:
    if loaded is None:
        return ""
    lines = ["## Rule as loaded from the rules files", ""]
    lines += [f"- Enabled: {'yes' if loaded.enabled else 'no'}"]
    for key in ("priority", "desc", "output"):
        if key in loaded.values:
            lines.append(
                f"- {key} ({_origin_text(loaded, key)}): "
                f"{md_text(' '.join(str(loaded.values[key]).split()))}"
            )
    text = "\n".join(lines) + "\n"
    if "condition" in loaded.values:
        text += f"\nCondition ({_origin_text(loaded, 'condition')}):\n\n"
        text += md_block(str(loaded.values["condition"]).strip())
    if loaded.values.get("exceptions"):
        text += f"\nExceptions ({_origin_text(loaded, 'exceptions')}):\n\n"
        text += md_block(_yaml_text(loaded.values["exceptions"]), "yaml")
    return text


def _origin_text(loaded: LoadedRule, key: str) -> str:
    return "from " + ", ".join(md_text(path) for path in loaded.origins.get(key, []))


def _yaml_text(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


def _checklist_section(alert: Alert, ticks: Mapping[str, bool]) -> str:
    items = checklist(alert)
    done = sum(ticks.get(item.id, False) for item in items)
    lines = [
        "## Checklist",
        "",
        (
            f"{done} of {len(items)} steps done, as saved in the state file. "
            "Commands are filled from the alert with every value shell-quoted."
        ),
    ]
    for phase in PHASES:
        phase_items = [item for item in items if item.phase == phase]
        if not phase_items:
            continue
        lines += ["", f"### {phase.capitalize()}", ""]
        for item in phase_items:
            box = "[x]" if ticks.get(item.id, False) else "[ ]"
            lines.append(f"- {box} {md_text(item.text)}")
            if item.command:
                block = md_block(item.command, "sh").rstrip("\n")
                lines.append("\n".join("  " + line for line in block.split("\n")))
    return "\n".join(lines) + "\n"


def write_report_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8.

    Raises ``OSError`` when the file cannot be written, and
    ``UnicodeEncodeError`` for text that UTF-8 cannot encode. The text is
    encoded before the file is opened, so an encoding error leaves no file. A file that this call created is removed when writing
    fails, so a failure never leaves an empty or cut report behind.
    """
    data = text.encode("utf-8")
    existed = path.exists()
    try:
        path.write_bytes(data)
    except OSError:
        if not existed:
            path.unlink(missing_ok=True)
        raise
