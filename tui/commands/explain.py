"""``falco-tui explain RULE``: print the knowledge-base entry of a rule name."""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
import sys
from typing import Any

import yaml

from tui.analysis.checklist import PLACEHOLDERS
from tui.analysis.knowledge import PHASES, RuleEntry, all_entries, lookup
from tui.analysis.mitre import mitre_refs
from tui.analysis.retired import RetiredRule, retired_rule, split_successors
from tui.analysis.rulesfile import (
    RULE_KEYS,
    LoadedRule,
    RuleSet,
    load_default_rules,
)
from tui.commands import ArgumentParser
from tui.parsing.text import printable

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_INDENT = "  "


def explain(name: str, rules: RuleSet | None = None) -> tuple[str, int]:
    """Return the text ``explain`` prints for ``name`` and the exit status.

    The status is 0 when the knowledge base has an entry for the name and 1
    when it has none; the text then says so and lists close names.
    """
    entry = lookup(name)
    loaded = _loaded_rule(rules, name, entry)
    retired = retired_rule(name) if entry is None else None
    if retired is not None:
        return _retired_text(retired), 0
    if entry is None:
        return _unknown_text(name, loaded), 1

    sections = [_header(name, entry), _entry_text(entry)]
    sections.append(_mitre_text(entry, loaded))
    sections.append(_checklist_text(entry))
    sections.append(_loaded_text(loaded, rules))
    return "\n".join(section for section in sections if section), 0


def _retired_text(retired: RetiredRule) -> str:
    """Describe a dropped or split rule name and where its detection went."""
    header = (
        f'"{printable(retired.name)}" is a rule name no current ruleset uses '
        f"(shipped in {retired.released})."
    )
    lines = [header, retired.note]
    for successor in retired.successors:
        lines.append(f"  See: falco-tui explain {shlex.quote(successor)}")
    return "\n".join(lines) + "\n"


def _loaded_rule(
    rules: RuleSet | None, name: str, entry: RuleEntry | None
) -> LoadedRule | None:
    if rules is None:
        return None
    names = [name] if entry is None else [name, entry.rule, *entry.aliases]
    for candidate in names:
        loaded = rules.rule(candidate)
        if loaded is not None:
            return loaded
    return None


def _header(name: str, entry: RuleEntry) -> str:
    lines = [f"Rule: {entry.rule}", f"Source: {entry.source}"]
    successors = split_successors(name)
    if successors:
        others = ", ".join(f'"{rule}"' for rule in successors if rule != entry.rule)
        lines.insert(
            0,
            f'"{printable(name)}" is an old name that was split into several '
            f'rules: this entry, "{entry.rule}", and {others}. Check the alert\'s '
            "fields to see which one it was.",
        )
    elif name != entry.rule and name.strip().casefold() != entry.rule.casefold():
        lines.insert(
            0,
            f'"{printable(name)}" is an old name of this rule; its current name '
            f'is "{entry.rule}".',
        )
    if entry.aliases:
        lines.append("Older names: " + "; ".join(entry.aliases))
    return "\n".join(lines) + "\n"


def _entry_text(entry: RuleEntry) -> str:
    parts = [
        _block("What it detects", entry.detects),
        _block("What an attacker usually wants", entry.attacker_goal),
        _block("Actor (who acted)", entry.actor),
        _block("Target (what was acted on)", entry.target),
    ]
    if entry.target_fields:
        parts.append(_block("Target fields", ", ".join(entry.target_fields)))

    benign = ["Common benign causes:"]
    for cause in entry.benign:
        benign.append(f"{_INDENT}- {cause.cause}")
        benign.append(f"{_INDENT}  How to tell: {cause.tell}")
    parts.append("\n".join(benign) + "\n")

    questions = ["First questions:"]
    questions += [f"{_INDENT}- {question}" for question in entry.questions]
    parts.append("\n".join(questions) + "\n")
    if entry.caveats:
        parts.append(
            "\n".join(["Notes:", *(f"{_INDENT}- {note}" for note in entry.caveats)])
            + "\n"
        )
    return "\n".join(parts)


def _block(title: str, text: str) -> str:
    return f"{title}:\n{_INDENT}{' '.join(text.split())}\n"


def _mitre_text(entry: RuleEntry, loaded: LoadedRule | None) -> str:
    # Tags come from the entry when the knowledge base records them, otherwise
    # from the rule as loaded from the user's rules files.
    tags = list(getattr(entry, "tags", ()) or ())
    if not tags and loaded is not None:
        tags = list(loaded.values.get("tags") or [])
    refs = mitre_refs(tags)
    if not refs:
        return ""
    lines = ["MITRE ATT&CK:"]
    lines += [f"{_INDENT}{ref.id} {ref.name} ({ref.kind})" for ref in refs]
    return "\n".join(lines) + "\n"


def _checklist_text(entry: RuleEntry) -> str:
    lines = ["Checklist (commands show their placeholders; the app fills them):"]
    used: dict[str, None] = {}
    for phase in PHASES:
        steps = [item for item in entry.checklist if item.phase == phase]
        if not steps:
            continue
        lines.append(f"{_INDENT}{phase.capitalize()}:")
        for step in steps:
            lines.append(f"{_INDENT * 2}- {' '.join(step.text.split())}")
            if step.command:
                lines.append(f"{_INDENT * 3}$ {step.command}")
                used.update(dict.fromkeys(_PLACEHOLDER.findall(step.command)))
    if used:
        lines.append("Placeholders:")
        for name in used:
            lines.append(f"{_INDENT}{{{name}}}: {PLACEHOLDERS.get(name, name)}")
    return "\n".join(lines) + "\n"


def loaded_rule_text(loaded: LoadedRule) -> str:
    """Return a loaded rule's keys, each with the files that set or changed it."""
    lines = [f"Enabled: {'yes' if loaded.enabled else 'no'}"]
    for key in RULE_KEYS:
        if key == "enabled" or key not in loaded.values:
            continue
        origin = ", ".join(printable(path) for path in loaded.origins.get(key, []))
        lines.append(f"{key} (from {origin}):")
        lines += [f"{_INDENT}{line}" for line in _value_lines(loaded.values[key])]
    return "\n".join(lines) + "\n"


def _value_lines(value: Any) -> list[str]:
    if isinstance(value, (list, dict)):
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    else:
        text = str(value)
    return [printable(line) for line in text.strip().splitlines()]


def _loaded_text(loaded: LoadedRule | None, rules: RuleSet | None) -> str:
    if rules is None:
        return ""
    lines = []
    if loaded is not None:
        lines.append("Definition in your rules files:")
        lines.append(loaded_rule_text(loaded))
    elif rules.files:
        lines.append("The rule is not defined in the rules files read:")
        lines += [f"{_INDENT}{printable(path)}" for path in rules.files]
    else:
        lines.append(
            "No Falco rules file was readable, so its definition is not shown."
        )
    for message in rules.messages:
        lines.append(f"Rules file problem: {printable(message)}")
    return "\n".join(lines) + "\n"


def _unknown_text(name: str, loaded: LoadedRule | None) -> str:
    lines = [f'The knowledge base has no entry for the rule "{printable(name)}".']
    close = close_names(name)
    if close:
        lines.append("Close names: " + "; ".join(f'"{item}"' for item in close))
    if loaded is not None:
        lines.append("It is defined in your rules files:")
        lines.append(loaded_rule_text(loaded))
    return "\n".join(lines) + "\n"


def close_names(name: str, limit: int = 5) -> list[str]:
    """Return rule names (current and old) that resemble ``name``, best first."""
    names = [rule for entry in all_entries() for rule in (entry.rule, *entry.aliases)]
    folded = {item.casefold(): item for item in names}
    matches = difflib.get_close_matches(
        name.strip().casefold(), list(folded), n=limit, cutoff=0.6
    )
    found = [folded[match] for match in matches]

    # A word of the name found inside a rule name also counts (e.g. "ptrace").
    needle = name.strip().casefold()
    if len(needle) >= 4:
        found += [item for key, item in folded.items() if needle in key]
    return list(dict.fromkeys(found))[:limit]


def build_explain_parser() -> argparse.ArgumentParser:
    """Build the parser for ``falco-tui explain``."""
    parser = ArgumentParser(
        prog="falco-tui explain",
        description="Print what falco-tui knows about a Falco rule: what it "
        "detects, its fields, benign causes, questions and checklist.",
    )
    parser.add_argument("rule", metavar="RULE", help="rule name, current or old")
    add_rules_option(parser)
    return parser


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--rules PATH`` option."""
    parser.add_argument(
        "--rules",
        metavar="PATH",
        action="append",
        default=[],
        help="Falco rules file or folder to load after the default ones "
        "(/etc/falco/falco_rules.yaml, falco_rules.local.yaml, rules.d); "
        "repeat for several",
    )


def run_explain(options: argparse.Namespace) -> int:
    """Print the entry for ``options.rule``; exit 1 when it has none."""
    rules = load_default_rules(options.rules)
    text, status = explain(options.rule, rules)
    sys.stdout.write(text)
    return status
