"""The rule knowledge base: YAML files in ``tui/analysis/data``, loaded once.

Each entry describes one Falco rule: what it detects, what an attacker wants,
who the actor and the target are, common benign causes, first questions and
checklist items. Adding a rule means adding an entry to a data file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

PHASES = ("investigate", "contain", "harden", "tune")
"""Checklist phases, in the order a responder works through them."""


def _data_file_names() -> tuple[str, ...]:
    folder = resources.files(__package__).joinpath("data")
    return tuple(
        sorted(item.name for item in folder.iterdir() if item.name.endswith(".yaml"))
    )


DATA_FILES = _data_file_names()
"""Every ``*.yaml`` file in the data folder, in name order."""

REQUIRED_KEYS = (
    "rule",
    "source",
    "aliases",
    "detects",
    "attacker_goal",
    "actor",
    "target",
    "benign",
    "questions",
    "checklist",
)
OPTIONAL_KEYS = ("action", "target_fields", "caveats")


class KnowledgeBaseError(ValueError):
    """A data file does not match the knowledge-base schema."""


@dataclass(frozen=True, slots=True)
class BenignCause:
    """A common harmless reason for the alert and how to recognise it."""

    cause: str
    tell: str


@dataclass(frozen=True, slots=True)
class ChecklistTemplate:
    """A checklist item as written in the knowledge base, before filling."""

    id: str
    phase: str
    text: str
    command: str | None = None
    """Shell command with ``{name}`` placeholders, each a whole word."""


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """Everything the knowledge base stores about one rule."""

    rule: str
    source: str
    aliases: tuple[str, ...]
    detects: str
    attacker_goal: str
    actor: str
    target: str
    benign: tuple[BenignCause, ...]
    questions: tuple[str, ...]
    checklist: tuple[ChecklistTemplate, ...]
    action: str | None = None
    target_fields: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()


def lookup(rule_name: str) -> RuleEntry | None:
    """Return the entry for ``rule_name`` (current or older name), else None.

    An exact match wins; otherwise the name is compared ignoring case and
    surrounding spaces, because hand-made payloads vary the spelling.
    """
    by_name, by_folded = _index()
    entry = by_name.get(rule_name)
    if entry is not None:
        return entry
    return by_folded.get(rule_name.strip().casefold())


def all_entries() -> tuple[RuleEntry, ...]:
    """Return every entry of every data file, in file order."""
    return _load_all()


@functools.cache
def _index() -> tuple[dict[str, RuleEntry], dict[str, RuleEntry]]:
    by_name: dict[str, RuleEntry] = {}
    for entry in _load_all():
        for name in (entry.rule, *entry.aliases):
            if name in by_name:
                raise KnowledgeBaseError(f"rule name listed twice: {name!r}")
            by_name[name] = entry
    by_folded = {name.casefold(): entry for name, entry in by_name.items()}
    return by_name, by_folded


@functools.cache
def _load_all() -> tuple[RuleEntry, ...]:
    entries: list[RuleEntry] = []
    for file_name in DATA_FILES:
        entries.extend(load_file(file_name))
    return tuple(entries)


def load_file(file_name: str) -> list[RuleEntry]:
    """Read and check one data file; raise KnowledgeBaseError on a bad entry."""
    text = (
        resources.files(__package__)
        .joinpath("data")
        .joinpath(file_name)
        .read_text(encoding="utf-8")
    )
    documents = yaml.safe_load(text)
    if not isinstance(documents, list):
        raise KnowledgeBaseError(f"{file_name}: expected a list of rule entries")
    return [_build_entry(file_name, raw) for raw in documents]


def _build_entry(file_name: str, raw: Any) -> RuleEntry:
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{file_name}: entry is not a mapping: {raw!r}")
    name = raw.get("rule", "?")
    where = f"{file_name}: rule {name!r}"

    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise KnowledgeBaseError(f"{where}: missing keys {missing}")
    unknown = set(raw) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    if unknown:
        raise KnowledgeBaseError(f"{where}: unknown keys {sorted(unknown)}")

    return RuleEntry(
        rule=_text(where, raw, "rule"),
        source=_text(where, raw, "source"),
        aliases=_texts(where, raw, "aliases"),
        detects=_text(where, raw, "detects"),
        attacker_goal=_text(where, raw, "attacker_goal"),
        actor=_text(where, raw, "actor"),
        target=_text(where, raw, "target"),
        benign=tuple(_benign(where, item) for item in raw["benign"]),
        questions=_texts(where, raw, "questions"),
        checklist=_checklist(where, raw["checklist"]),
        action=_text(where, raw, "action") if "action" in raw else None,
        target_fields=_texts(where, raw, "target_fields"),
        caveats=_texts(where, raw, "caveats"),
    )


def _text(where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeBaseError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _texts(where: str, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise KnowledgeBaseError(f"{where}: {key} must be a list of strings")
    return tuple(item.strip() for item in value)


def _benign(where: str, item: Any) -> BenignCause:
    if not isinstance(item, dict) or set(item) != {"cause", "tell"}:
        raise KnowledgeBaseError(f"{where}: benign items need cause and tell")
    return BenignCause(_text(where, item, "cause"), _text(where, item, "tell"))


def _checklist(where: str, items: Any) -> tuple[ChecklistTemplate, ...]:
    if not isinstance(items, list) or not items:
        raise KnowledgeBaseError(f"{where}: checklist must be a non-empty list")

    templates: list[ChecklistTemplate] = []
    seen: set[str] = set()
    last_phase = 0
    for item in items:
        if not isinstance(item, dict) or not {"id", "phase", "text"} <= set(item):
            raise KnowledgeBaseError(f"{where}: checklist items need id, phase, text")
        template = ChecklistTemplate(
            id=_text(where, item, "id"),
            phase=_text(where, item, "phase"),
            text=_text(where, item, "text"),
            command=_text(where, item, "command") if "command" in item else None,
        )
        if template.id in seen:
            raise KnowledgeBaseError(f"{where}: checklist id {template.id!r} repeats")
        if template.phase not in PHASES:
            raise KnowledgeBaseError(f"{where}: unknown phase {template.phase!r}")
        phase_index = PHASES.index(template.phase)
        if phase_index < last_phase:
            raise KnowledgeBaseError(f"{where}: {template.id!r} is out of phase order")
        last_phase = phase_index
        seen.add(template.id)
        templates.append(template)
    return tuple(templates)
