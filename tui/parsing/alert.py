"""The alert model shared by every layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import orjson

from tui.parsing.nesting import limit_nesting


class Priority(IntEnum):
    """Falco's eight priorities; a lower value is more severe (syslog order)."""

    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFORMATIONAL = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        """The spelling Falco writes, such as ``Warning``."""
        return self.name.capitalize()

    @property
    def short(self) -> str:
        """A four-letter form for narrow columns, readable without colour."""
        return _SHORT_NAMES[self]

    @classmethod
    def parse(cls, value: object) -> Priority | None:
        """Map a priority in any case, ``info``, or an integer 0-7 to a member."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return cls(value) if 0 <= value <= 7 else None
        if not isinstance(value, str):
            return None
        text = value.strip().upper()
        if text.isdigit():
            return cls.parse(int(text))
        return _PRIORITY_NAMES.get(text)


_SHORT_NAMES = {
    Priority.EMERGENCY: "EMER",
    Priority.ALERT: "ALRT",
    Priority.CRITICAL: "CRIT",
    Priority.ERROR: "ERR ",
    Priority.WARNING: "WARN",
    Priority.NOTICE: "NOTE",
    Priority.INFORMATIONAL: "INFO",
    Priority.DEBUG: "DBG ",
}

_PRIORITY_NAMES = {member.name: member for member in Priority}
_PRIORITY_NAMES.update({"INFO": Priority.INFORMATIONAL, "EMERG": Priority.EMERGENCY})
_PRIORITY_NAMES.update({"WARN": Priority.WARNING, "ERR": Priority.ERROR})
_PRIORITY_NAMES.update({"CRIT": Priority.CRITICAL})


@dataclass(slots=True)
class Alert:
    """One Falco alert, normalised from a JSON or plain-text line.

    ``fields`` holds ``output_fields`` with ``"<NA>"`` and ``null`` both stored
    as ``None``; every other value keeps its JSON type, so 19-digit nanosecond
    integers stay exact.
    """

    rule: str
    priority: Priority
    time_ns: int | None
    """Event time in nanoseconds since the Unix epoch, UTC; None when unknown."""
    time_inferred: bool = False
    """True when the time came from the output prefix or evt.time, not ``time``."""
    output: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    source: str | None = None
    hostname: str | None = None
    uuid: str | None = None
    kind: str = "json"
    """``json`` for a JSON alert, ``text`` for a plain-text alert line."""
    raw: str = ""
    """The original line as decoded, for the raw view and for export."""
    origin: str = ""
    """Where the line came from: a file path or ``-`` for standard input."""
    line_no: int = 0
    """1-based line number within ``origin``."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Top-level keys that are not part of the standard alert (``message``...)."""
    invalid_bytes: int = 0
    """The number of bytes in the line that were not UTF-8 and of lone surrogate
    escapes (``\\ud800``) in its JSON, each read as U+FFFD."""
    line_source: str = field(default="", compare=False)
    """The place the line was read back from (logrotate's copy, or the file a
    rotation renamed away), or "" while it is line ``line_no`` of ``origin``."""
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    @property
    def time(self) -> datetime | None:
        """The event time as an aware UTC datetime (microsecond precision)."""
        if self.time_ns is None:
            return None
        seconds, nanos = divmod(self.time_ns, 1_000_000_000)
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        return moment.replace(microsecond=nanos // 1000)

    @property
    def is_internal(self) -> bool:
        """True for Falco's own alerts (drops, metrics snapshots)."""
        return self.source == "internal" or self.rule.startswith("Falco internal")

    @property
    def fingerprint(self) -> str:
        """A stable id of the alert's content, the same in every run.

        It hashes the rule, time, host, source, output and fields, so one alert
        read from two files (or twice) shares its saved checklist state.
        """
        if self._fingerprint is None:
            self._fingerprint = compute_fingerprint(self)
        return self._fingerprint

    def field(self, *names: str) -> Any:
        """Return the first of ``names`` present with a value, else None."""
        for name in names:
            value = self.fields.get(name)
            if value is not None and value != "":
                return value
        return None


def compute_fingerprint(alert: Alert) -> str:
    """Hash the content that identifies an alert; see ``Alert.fingerprint``."""
    content = [
        alert.rule,
        alert.priority.value,
        alert.time_ns,
        alert.hostname,
        alert.source,
        alert.output,
        alert.fields,
    ]
    try:
        encoded = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # orjson rejects integers beyond 64 bits and more than 255 levels of
        # nesting. repr is stable, and the cut keeps it from recursing too far
        # on fields that did not come from the parser, which cuts them already.
        content[-1] = limit_nesting(alert.fields)
        encoded = repr(content).encode("utf-8", "backslashreplace")
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class Skip:
    """A line that is not an alert, with the reason it was skipped."""

    reason: str
    """A short category shown to the user, such as ``Falco log line``."""
    origin: str = ""
    line_no: int = 0
    sample: str = ""
    """The start of the line (at most a few hundred characters) for display."""
