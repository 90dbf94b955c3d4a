"""The user's Falco rules files, loaded the way Falco combines them.

Files are read in load order with ``yaml.safe_load``. A later ``list``,
``macro`` or ``rule`` with the name of an earlier one either replaces it, or
changes it with ``append: true`` (older syntax) or ``override:`` (Falco 0.37.0
and later). Each rule remembers which file set or changed each of its keys, so
the user can see where a local override came from.

A file that cannot be read or parsed gives a message naming the file and is
otherwise skipped, because one broken local file should not hide the rest.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tui.analysis.analyze import Analysis
from tui.analysis.mitre import mitre_refs

DEFAULT_RULES_PATHS = (
    "/etc/falco/falco_rules.yaml",
    "/etc/falco/falco_rules.local.yaml",
    "/etc/falco/rules.d",
)
"""The default ``rules_files`` entries of falco.yaml, in load order."""

RULE_KEYS = (
    "desc",
    "condition",
    "output",
    "priority",
    "enabled",
    "tags",
    "source",
    "exceptions",
)
"""The rule keys shown to the user, in display order."""

# Keys an ``override`` may append to or replace, following Falco's rule loader.
_APPENDABLE = {"condition", "output", "desc", "tags", "exceptions"}
_REPLACEABLE = _APPENDABLE | {"priority", "enabled"}

# A limit far above any rules file Falco ships, so a wrong path to a huge
# file is rejected instead of read into memory.
MAX_RULES_FILE_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class LoadedRule:
    """A rule as Falco would hold it after every file was applied."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    """Rule keys (desc, condition, output, priority, enabled, tags, exceptions)."""
    origins: dict[str, list[str]] = field(default_factory=dict)
    """For each key, the files that set or changed it, in load order."""

    @property
    def enabled(self) -> bool:
        """Whether Falco runs the rule: True unless ``enabled`` is false."""
        return self.values.get("enabled", True) is not False

    @property
    def files(self) -> list[str]:
        """Every file that contributed to the rule, in load order."""
        seen: dict[str, None] = {}
        for paths in self.origins.values():
            seen.update(dict.fromkeys(paths))
        return list(seen)


@dataclass(slots=True)
class RuleSet:
    """Rules, macros and lists from the loaded files, with the problems found."""

    rules: dict[str, LoadedRule] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """Files read successfully, in load order."""
    messages: list[str] = field(default_factory=list)
    """One line per file or item that could not be used, naming the file."""

    def rule(self, name: str) -> LoadedRule | None:
        """Return the loaded rule called ``name``, or None."""
        return self.rules.get(name)


def expand_rules_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their ``*.yaml`` and ``*.yml`` files, sorted by name.

    Falco loads a folder's files in alphabetical order, so the same order is
    used here.
    """
    expanded: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = glob.glob(str(path / "*.yaml")) + glob.glob(str(path / "*.yml"))
            expanded.extend(Path(name) for name in sorted(found))
        else:
            expanded.append(path)
    return expanded


def load_default_rules(extra: Sequence[str | Path] = ()) -> RuleSet:
    """Load Falco's default rules paths that exist, then ``extra`` paths.

    Default paths that do not exist are skipped without a message, since many
    hosts running the dashboard have no Falco installed. Every ``extra`` path
    must exist.
    """
    defaults = [path for path in DEFAULT_RULES_PATHS if os.path.exists(path)]
    rules = load_rules_files(expand_rules_paths(defaults))
    load_into(rules, expand_rules_paths(extra))
    return rules


def load_rules_files(paths: Iterable[str | Path]) -> RuleSet:
    """Load ``paths`` in order into a new RuleSet."""
    rules = RuleSet()
    load_into(rules, paths)
    return rules


def load_into(rules: RuleSet, paths: Iterable[str | Path]) -> None:
    """Apply each file of ``paths`` to ``rules`` in order."""
    for path in paths:
        documents = _read_documents(rules, str(path))
        if documents is None:
            continue
        rules.files.append(str(path))
        for item in documents:
            _apply_item(rules, str(path), item)


def _read_documents(rules: RuleSet, path: str) -> list[Any] | None:
    try:
        size = os.path.getsize(path)
        if size > MAX_RULES_FILE_BYTES:
            rules.messages.append(
                f"{path}: skipped, {size} bytes is too large for a rules file"
            )
            return None
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as error:
        reason = error.strerror or str(error)
        rules.messages.append(f"{path}: cannot be read ({reason})")
        return None
    except UnicodeDecodeError as error:
        rules.messages.append(f"{path}: not UTF-8 text ({error.reason})")
        return None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        rules.messages.append(f"{path}: invalid YAML{line}")
        return None

    if data is None:
        return []
    if not isinstance(data, list):
        rules.messages.append(f"{path}: not a Falco rules file (expected a list)")
        return None
    return data


def _apply_item(rules: RuleSet, path: str, item: Any) -> None:
    if not isinstance(item, dict):
        rules.messages.append(f"{path}: skipped an item that is not a mapping")
        return
    if "rule" in item:
        _apply_rule(rules, path, item)
    elif "macro" in item:
        _apply_macro(rules, path, item)
    elif "list" in item:
        _apply_list(rules, path, item)
    # Other items (required_engine_version, required_plugin_versions) do not
    # change what the dashboard shows.


# Lists and macros.


def _apply_list(rules: RuleSet, path: str, item: dict[str, Any]) -> None:
    name = str(item["list"])
    items = item.get("items") or []
    if not isinstance(items, list):
        rules.messages.append(f"{path}: list {name!r} has items that are not a list")
        return

    mode = _change_mode(item, "items")
    if mode is None:
        rules.lists[name] = list(items)
    elif name not in rules.lists:
        rules.messages.append(f"{path}: list {name!r} is changed but never defined")
    elif mode == "append":
        rules.lists[name].extend(items)
    else:
        rules.lists[name] = list(items)


def _apply_macro(rules: RuleSet, path: str, item: dict[str, Any]) -> None:
    name = str(item["macro"])
    condition = str(item.get("condition", ""))
    mode = _change_mode(item, "condition")
    if mode is None:
        rules.macros[name] = condition
    elif name not in rules.macros:
        rules.messages.append(f"{path}: macro {name!r} is changed but never defined")
    elif mode == "append":
        rules.macros[name] = _joined(rules.macros[name], condition)
    else:
        rules.macros[name] = condition


def _change_mode(item: dict[str, Any], key: str) -> str | None:
    """Return ``append`` or ``replace`` for a change of ``key``, None for a definition."""
    override = item.get("override")
    if isinstance(override, dict) and key in override:
        return "append" if override[key] == "append" else "replace"
    if item.get("append") is True:
        return "append"
    return None


# Rules.


def _apply_rule(rules: RuleSet, path: str, item: dict[str, Any]) -> None:
    name = str(item["rule"])
    existing = rules.rules.get(name)
    override = item.get("override")

    if isinstance(override, dict):
        if existing is None:
            rules.messages.append(
                f"{path}: rule {name!r} has an override but is not defined earlier"
            )
            return
        _override_rule(rules, path, existing, item, override)
    elif item.get("append") is True:
        if existing is None:
            rules.messages.append(
                f"{path}: rule {name!r} has append: true but is not defined earlier"
            )
            return
        for key in _APPENDABLE & set(item):
            _append_key(existing, path, key, item[key])
    elif existing is not None and set(item) <= {"rule", "enabled"}:
        # A rule item with only a name and enabled switches an existing rule
        # on or off (the form used before override existed).
        if "enabled" in item:
            _set_key(existing, path, "enabled", item["enabled"])
    else:
        rules.rules[name] = _new_rule(name, path, item)


def _new_rule(name: str, path: str, item: dict[str, Any]) -> LoadedRule:
    rule = LoadedRule(name)
    for key in RULE_KEYS:
        if key in item:
            _set_key(rule, path, key, item[key])
    return rule


def _override_rule(
    rules: RuleSet,
    path: str,
    rule: LoadedRule,
    item: dict[str, Any],
    override: dict[str, Any],
) -> None:
    for key, mode in override.items():
        if key not in item:
            rules.messages.append(
                f"{path}: rule {rule.name!r} overrides {key!r} without a value"
            )
        elif mode == "append" and key in _APPENDABLE:
            _append_key(rule, path, key, item[key])
        elif mode == "replace" and key in _REPLACEABLE:
            _set_key(rule, path, key, item[key])
        else:
            rules.messages.append(
                f"{path}: rule {rule.name!r} cannot {mode} the key {key!r}"
            )


def _set_key(rule: LoadedRule, path: str, key: str, value: Any) -> None:
    rule.values[key] = value
    rule.origins[key] = [path]


def _append_key(rule: LoadedRule, path: str, key: str, value: Any) -> None:
    current = rule.values.get(key)
    if key == "exceptions":
        rule.values[key] = _merged_exceptions(current, value)
    elif key == "tags":
        tags = list(current or [])
        tags += [tag for tag in value or [] if tag not in tags]
        rule.values[key] = tags
    else:
        rule.values[key] = _joined(current, value)
    rule.origins.setdefault(key, []).append(path)


def _merged_exceptions(current: Any, added: Any) -> list[Any]:
    """Append exceptions; one whose name exists adds its values to that one."""
    merged = [dict(item) if isinstance(item, dict) else item for item in current or []]
    by_name = {item.get("name"): item for item in merged if isinstance(item, dict)}
    for item in added or []:
        if not isinstance(item, dict):
            continue
        known = by_name.get(item.get("name"))
        if known is not None and "fields" not in item:
            known["values"] = list(known.get("values") or []) + list(
                item.get("values") or []
            )
        else:
            merged.append(dict(item))
            by_name[item.get("name")] = merged[-1]
    return merged


def _joined(current: Any, added: Any) -> str:
    # Falco joins an appended condition or output to the old one with a space.
    if not current:
        return str(added)
    return f"{current} {added}"


# Use in the analysis.


def add_loaded_rule(analysis: Analysis, rules: RuleSet | None) -> None:
    """Add the alert's rule, as the user's rules files define it, to ``analysis``.

    A rule without a knowledge-base entry (a custom rule, say) gets its
    description and condition as notes. A rule whose alert carries no MITRE
    tags takes them from the loaded rule.
    """
    loaded = rules.rule(analysis.rule) if rules is not None else None
    if loaded is None:
        return

    if not analysis.mitre:
        analysis.mitre = mitre_refs(loaded.values.get("tags") or [])
    if analysis.entry is not None:
        return
    for key, label in (("desc", "description"), ("condition", "condition")):
        value = loaded.values.get(key)
        if value:
            where = ", ".join(loaded.origins.get(key, []))
            analysis.notes.append(f"Rule {label} from {where}: {_one_line(value)}")


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
