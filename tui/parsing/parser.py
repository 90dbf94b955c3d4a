"""Parse one line of Falco output into alerts and skipped parts.

A line is a JSON alert (any Falco version, gRPC renderings, Falcosidekick
payloads), a plain-text alert (``json_output: false``), or something else that
lands in the same stream: Falco's own log lines, its exit summary, blank lines
and junk. ``parse_line`` never raises; anything it cannot use becomes a
``Skip`` with a short reason for the user.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from tui.parsing.alert import Alert, Priority, Skip
from tui.parsing.lines import RepairedText
from tui.parsing.nesting import MAX_NESTING, limit_nesting
from tui.parsing.text import printable
from tui.parsing.timefmt import (
    clock_to_ns,
    epoch_number_to_ns,
    parse_date_prefix,
    parse_rfc3339,
    seconds_nanos_to_ns,
)

Item = Alert | Skip

RULE_MAX_CHARS = 80
"""Maximum length of the rule label taken from a plain-text alert's message."""

SAMPLE_CHARS = 200

INVALID_UTF8_KEY = "invalid UTF-8"
"""The ``Alert.extra`` key of the note on a line with bytes that are not UTF-8."""

LONE_SURROGATE_KEY = "lone surrogates"
"""The ``Alert.extra`` key of the note on a line with lone surrogate escapes."""

DOCUMENT_NESTING = MAX_NESTING + 2
"""Levels a JSON alert may nest: itself, ``output_fields``, and a field's value."""

STDLIB_MAX_NESTING = 500
"""Levels beyond which a line is not given to the stdlib ``json`` decoder.

It recurses in Python, so whether it raises ``RecursionError`` would depend
on the caller's stack depth (the limit is 1000 frames in all). A fixed limit
makes the outcome the same on every path."""

_NESTED_TOO_DEEPLY = object()
"""The marker ``_load_json`` returns for a line nested deeper than a decoder reads."""

_STANDARD_KEYS = frozenset(
    {"rule", "priority", "time", "output", "output_fields", "tags", "source"}
    | {"hostname", "uuid"}
)

_PRIORITY_WORDS = (
    "Emergency|Alert|Critical|Error|Warning|Notice|Informational|Info|Debug"
)

# "<time>: <Priority> <message>": Falco's text alert, with a local time of day
# (%evt.time) or an ISO 8601 time with offset (%evt.time.iso8601).
_TEXT_ALERT = re.compile(
    r"(?:(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})\.(?P<fraction>\d{1,9})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?"
    r"(?:Z|[+-]\d{2}:?\d{2}))): "
    rf"(?P<priority>(?i:{_PRIORITY_WORDS}))(?: (?P<message>.*)|$)",
    re.DOTALL,
)

# Falco's own log lines: ctime ("Tue May 21 12:55:58 2019: ") or ISO 8601
# without a fraction ("2026-04-06T15:31:32+0000: "), written by its logger.
_LOG_PREFIX = re.compile(
    r"(?:[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:?\d{2})): "
)

# Prefixes added by collectors: syslog/journald ("Jan  3 19:39:42 host falco: ",
# also with an RFC 3339 stamp), docker-compose ("falco_1   | ") and
# kubectl logs --prefix ("[pod/falco-abc/falco] ").
_COLLECTOR_PREFIX = re.compile(
    r"(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))"
    r" \S+ [^\s:\[]+(?:\[\d+\])?: "
    r"|[\w.-]+ *\| "
    r"|\[[^\]\s]+\] "
)

# Falco's shutdown statistics: "Events detected: N", the severity and rule
# count blocks and the "Syscall event drop monitoring:" block.
_SUMMARY_LINE = re.compile(
    r"Events detected: \d+"
    r"|Rule counts by severity:"
    r"|Triggered rules by rule name:"
    r"|Syscall event drop monitoring:"
    r"|\s+(?:- )?\S.*: \d+(?: occurrences)?"
)

_GLUED_SUMMARY = re.compile(r"(?<=\S)(Events detected: \d+)$")

_MESSAGE_END = re.compile(r" \| | \(")


def parse_line(text: str, origin: str = "", line_no: int = 0) -> list[Item]:
    """Parse one decoded line into alerts and skips (usually exactly one item).

    A Falco log line glued to an alert yields a ``Skip`` for the log part and
    the alert, in the order they appear in the line.
    """
    try:
        items = _parse(text, origin, line_no)
    except Exception:  # noqa: BLE001 - one odd line must never stop a stream.
        return [_skip("unreadable line", text, origin, line_no)]
    if isinstance(text, RepairedText):
        mark_repaired(items, text.invalid_bytes)
    return items


def mark_repaired(items: list[Item], invalid_bytes: int) -> None:
    """Note on each alert of ``items`` that its line had bytes that are not UTF-8."""
    note = (
        f"This line had {invalid_bytes} bytes that are not UTF-8, shown as U+FFFD."
        if invalid_bytes != 1
        else "This line had 1 byte that is not UTF-8, shown as U+FFFD."
    )
    for item in items:
        if isinstance(item, Alert):
            # Lone surrogate escapes may have been counted already.
            item.invalid_bytes += invalid_bytes
            item.extra[INVALID_UTF8_KEY] = note


def _parse(text: str, origin: str, line_no: int) -> list[Item]:
    body = text.strip().lstrip("\ufeff")
    if not body:
        return [_skip("blank line", text, origin, line_no)]

    if body[0] == "{":
        return _parse_json_line(body, text, origin, line_no)

    stripped = _strip_collector_prefix(body)
    if stripped[:1] == "{":
        return _parse_json_line(stripped, text, origin, line_no)
    return _parse_text_line(stripped, text, origin, line_no)


def _strip_collector_prefix(body: str) -> str:
    match = _COLLECTOR_PREFIX.match(body)
    if match is None:
        return body
    return body[match.end() :]


# --- plain text ------------------------------------------------------------


def _parse_text_line(body: str, raw: str, origin: str, line_no: int) -> list[Item]:
    match = _TEXT_ALERT.match(body)
    if match is not None:
        return _text_alert(match, raw, origin, line_no)

    log = _LOG_PREFIX.match(body)
    if log is not None:
        return _log_line(body, log.end(), origin, line_no)

    if _SUMMARY_LINE.fullmatch(body) or _SUMMARY_LINE.fullmatch(raw.rstrip()):
        return [_skip("Falco exit summary", body, origin, line_no)]
    return [_skip("not an alert", body, origin, line_no)]


def _log_line(body: str, start: int, origin: str, line_no: int) -> list[Item]:
    """Skip a Falco log line, recovering an alert glued to its end."""
    glued = _TEXT_ALERT_SEARCH.search(body, start)
    if glued is not None:
        match = _TEXT_ALERT.match(body, glued.start())
        if match is not None:
            log = _skip("Falco log line", body[: glued.start()], origin, line_no)
            return [log, *_text_alert(match, None, origin, line_no)]

    brace = body.find('{"', start)
    if brace >= 0:
        items = _parse_json_line(body[brace:], None, origin, line_no)
        if isinstance(items[-1], Alert):
            return [_skip("Falco log line", body[:brace], origin, line_no), *items]
    return [_skip("Falco log line", body, origin, line_no)]


_TEXT_ALERT_SEARCH = re.compile(
    r"(?:\d{2}:\d{2}:\d{2}\.\d{1,9}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}"
    rf"(?:Z|[+-]\d{{2}}:?\d{{2}})): (?i:{_PRIORITY_WORDS})\b"
)


def _text_alert(
    match: re.Match[str], raw: str | None, origin: str, line_no: int
) -> list[Item]:
    message = (match.group("message") or "").strip()
    items: list[Item] = []

    glued = _GLUED_SUMMARY.search(message)
    if glued is not None:
        # The exit summary was written right after an alert without a newline.
        items.append(_skip("Falco exit summary", glued.group(1), origin, line_no))
        message = message[: glued.start()].rstrip()

    priority = Priority.parse(match.group("priority"))
    output = match.string[match.start() :]
    if glued is not None:
        output = output[: len(output) - len(glued.group(1))].rstrip()

    # NOTE: key=value pairs in the message are not parsed into ``fields``,
    # because values may contain spaces and rules pick their own separators.
    time_ns = None
    if match.group("iso"):
        time_ns = parse_rfc3339(match.group("iso"))
    alert = Alert(
        rule=_text_rule(message),
        priority=priority,
        time_ns=time_ns,
        time_inferred=time_ns is not None,
        output=output,
        source="internal" if message.startswith("Falco internal: ") else None,
        kind="text",
        raw=raw if raw is not None else output,
        origin=origin,
        line_no=line_no,
    )
    return [alert, *items]


def _text_rule(message: str) -> str:
    """Derive a rule label from a text alert's message, which omits the rule name."""
    if message.startswith("Falco internal: "):
        # "Falco internal: syscall event drop. 9 system calls dropped ..."
        head = message.split(". ", 1)[0].split("(", 1)[0]
        return head.rstrip(". ")[:RULE_MAX_CHARS]

    end = _MESSAGE_END.search(message)
    label = message[: end.start()] if end else message
    label = label.strip() or message.strip()
    if len(label) > RULE_MAX_CHARS:
        label = label[: RULE_MAX_CHARS - 1].rstrip() + "…"
    return label


# --- JSON ------------------------------------------------------------------


def _parse_json_line(
    body: str, raw: str | None, origin: str, line_no: int
) -> list[Item]:
    raw_text = raw if raw is not None else body
    document, surrogates = _load_json(body)
    if document is _NESTED_TOO_DEEPLY:
        return [_skip("JSON nested too deeply", body, origin, line_no)]
    if document is None:
        return _recover_glued_json(body, raw_text, origin, line_no)
    if not isinstance(document, dict):
        return [_skip("not an alert", body, origin, line_no)]
    return [_json_alert(document, raw_text, origin, line_no, surrogates)]


def _load_json(body: str) -> tuple[Any, int]:
    """Decode JSON with orjson, or the stdlib for what orjson rejects.

    Returns the document and the number of lone surrogate escapes replaced
    with U+FFFD in it. The document is None for invalid JSON, and
    ``_NESTED_TOO_DEEPLY`` for a line that neither decoder reads because of
    its nesting. Values nested more than ``MAX_NESTING`` levels are cut, so
    later steps never recurse too far.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson reads 1024 levels at most, so a line nested deeper than
        # that gets here and is rejected by the stdlib's lower limit.
        return _load_with_stdlib(body)
    if _is_flat(document):
        return document, 0
    if _has_big_float(document):
        # orjson 3.13 reads an integer beyond 64 bits as a float, and the
        # stdlib keeps it exact. A line nested too deeply for the stdlib
        # keeps orjson's floats.
        exact, surrogates = _load_with_stdlib(body)
        if isinstance(exact, (dict, list)):
            return exact, surrogates
    return limit_nesting(document, DOCUMENT_NESTING), 0


_SCALAR_TYPES = frozenset({str, int, bool, type(None)})


def _is_flat(document: Any) -> bool:
    """Return True for an object of scalars and of lists or objects of scalars.

    Falco writes alerts in this shape unless a field value is a float. Such a
    document has neither deep nesting nor floats, so the slower checks after
    this one are skipped. ``map`` and ``issuperset`` check the output fields
    in C.
    """
    if type(document) is not dict:
        return False
    for value in document.values():
        kind = type(value)
        if kind is dict:
            value = value.values()
        elif kind is not list:
            if kind not in _SCALAR_TYPES:
                return False
            continue
        if not _SCALAR_TYPES.issuperset(map(type, value)):
            return False
    return True


_BIG_FLOAT = float(2**63)


def _has_big_float(document: Any) -> bool:
    """Return True when ``document`` contains a float of magnitude 2**63 or more.

    Checking the decoded values costs less than searching the line's text
    for a run of 20 digits. The walk uses a stack, so no nesting makes it
    recurse.
    """
    pending = [document] if isinstance(document, (dict, list)) else []
    while pending:
        value = pending.pop()
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            if type(item) is float:
                if abs(item) >= _BIG_FLOAT:
                    return True
            elif isinstance(item, (dict, list)):
                pending.append(item)
    return False


def _load_with_stdlib(body: str) -> tuple[Any, int]:
    """Decode with the stdlib ``json``: big integers, NaN, lone surrogates."""
    if _nesting_depth(body) > STDLIB_MAX_NESTING:
        return _NESTED_TOO_DEEPLY, 0
    try:
        document = _STDLIB_DECODER.decode(body)
    except (ValueError, RecursionError):
        return None, 0

    document = limit_nesting(document, DOCUMENT_NESTING)
    if _SURROGATE_ESCAPE.search(body) is None:
        return document, 0
    # orjson rejects a lone surrogate escape such as "\ud800", but the stdlib
    # decodes it to a str that cannot be encoded as UTF-8 and breaks every
    # output. jq 1.6 replaces it with U+FFFD, and so does this. A valid
    # pair was joined into one character by the decoder, so it stays.
    return replace_surrogates(document)


def _number_or_text(text: str) -> float | str:
    """Read a JSON number as a float, or keep its text when it is not finite.

    JSON output cannot hold infinity or NaN, so keeping ``1e999`` as text
    shows the same value in the detail, the report and ``tail --json``.
    """
    number = float(text)
    return number if math.isfinite(number) else text


def _integer_or_text(text: str) -> int | str:
    """Read a JSON integer, or keep its text beyond Python's digit limit."""
    try:
        return int(text)
    except ValueError:
        # int() rejects more than sys.get_int_max_str_digits() digits (4300
        # by default), and str() of such an int would fail as well.
        return text


_STDLIB_DECODER = json.JSONDecoder(
    parse_float=_number_or_text, parse_int=_integer_or_text, parse_constant=str
)
"""The stdlib decoder, which keeps ``NaN``, ``Infinity`` and ``1e999`` as text."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def replace_surrogates(value: Any) -> tuple[Any, int]:
    """Return ``value`` with every surrogate code point replaced by U+FFFD.

    Also returns the number replaced. Keys of objects are repaired too.
    Recurses once per level, so ``value`` must be cut by ``limit_nesting``.
    """
    if isinstance(value, str):
        return _SURROGATE.subn("\ufffd", value)
    if isinstance(value, list):
        pairs = [replace_surrogates(item) for item in value]
        return [item for item, _ in pairs], sum(count for _, count in pairs)
    if isinstance(value, dict):
        repaired = {}
        total = 0
        for key, item in value.items():
            key, key_count = replace_surrogates(key)
            repaired[key], count = replace_surrogates(item)
            total += key_count + count
        return repaired, total
    return value, 0


_SURROGATE = re.compile("[\ud800-\udfff]")

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')

_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting_depth(body: str) -> int:
    """Return how deep the brackets of ``body`` nest outside of strings.

    Returns 0 when ``body`` has too few brackets to pass the limit. Only
    lines that take the stdlib decoder are scanned.
    """
    if body.count("[") + body.count("{") <= STDLIB_MAX_NESTING:
        return 0
    depth = 0
    deepest = 0
    for char in _BRACKETS.findall(_JSON_STRING.sub("", body)):
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _recover_glued_json(body: str, raw: str, origin: str, line_no: int) -> list[Item]:
    """Split an alert from a Falco log line written right after it."""
    for log in _LOG_PREFIX_SEARCH.finditer(body):
        head = body[: log.start()]
        if not head.endswith("}"):
            continue
        document, surrogates = _load_json(head)
        if isinstance(document, dict):
            alert = _json_alert(document, head, origin, line_no, surrogates)
            tail = _skip("Falco log line", body[log.start() :], origin, line_no)
            return [alert, tail]
    return [_skip("invalid JSON", body, origin, line_no)]


_LOG_PREFIX_SEARCH = re.compile(_LOG_PREFIX.pattern)


def _json_alert(
    document: dict, raw: str, origin: str, line_no: int, surrogates: int = 0
) -> Item:
    doc = _normalise_keys(document)
    event = doc.get("event")
    if "rule" not in doc and isinstance(event, dict):
        # Falcosidekick web UI wrapper: {"event": {...}, "outputs": [...]}.
        outer = {key: value for key, value in doc.items() if key != "event"}
        doc = _normalise_keys(event)
        doc.update({f"webui.{key}": value for key, value in outer.items()})

    rule = doc.get("rule")
    priority = Priority.parse(doc.get("priority"))
    if not isinstance(rule, str) or not rule.strip() or priority is None:
        return _skip("JSON without rule or priority", raw, origin, line_no)

    output = doc.get("output")
    output = output if isinstance(output, str) else ""
    fields, bad_fields = _fields(doc.get("output_fields"))
    time_ns, inferred = _alert_time(doc.get("time"), output, fields)

    extra = {key: value for key, value in doc.items() if key not in _STANDARD_KEYS}
    if bad_fields is not None:
        extra["output_fields"] = bad_fields
    if surrogates:
        extra[LONE_SURROGATE_KEY] = (
            f"This line had {surrogates} lone surrogate escapes (\\ud800 to"
            " \\udfff without their pair), shown as U+FFFD."
            if surrogates != 1
            else "This line had 1 lone surrogate escape (\\ud800 to \\udfff"
            " without its pair), shown as U+FFFD."
        )
    return Alert(
        rule=rule.strip(),
        priority=priority,
        time_ns=time_ns,
        time_inferred=inferred,
        output=output,
        fields=fields,
        tags=_tags(doc.get("tags")),
        source=_text_or_none(doc.get("source")),
        hostname=_text_or_none(doc.get("hostname")),
        uuid=_text_or_none(doc.get("uuid")),
        kind="json",
        raw=raw,
        origin=origin,
        line_no=line_no,
        extra=extra,
        invalid_bytes=surrogates,
    )


def _normalise_keys(document: dict) -> dict:
    """Lower-case and trim keys, so ``"Rule"`` and ``"hostname "`` match."""
    if all(key.islower() and key == key.strip() for key in document):
        return document
    normal: dict[str, Any] = {}
    for key, value in document.items():
        normal.setdefault(key.strip().lower(), value)
    return normal


def _fields(value: Any) -> tuple[dict[str, Any], Any]:
    """Return output_fields with ``<NA>`` as None, and the value if not an object."""
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return {}, value

    fields: dict[str, Any] = {}
    for key, item in value.items():
        # Hand-edited payloads carry keys with trailing spaces.
        fields[key.strip()] = None if item == "<NA>" else item
    return fields, None


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(tag) for tag in value if tag is not None)
    if isinstance(value, str) and value:
        return tuple(tag.strip() for tag in value.split(",") if tag.strip())
    return ()


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


# --- time --------------------------------------------------------------------


def _alert_time(
    value: Any, output: str, fields: dict[str, Any]
) -> tuple[int | None, bool]:
    """Return the alert time in ns and whether it was inferred, not read.

    ``time`` wins when valid. Otherwise an ISO output prefix gives the full
    time, then ``evt.time``/``evt.time.iso8601`` (the exact event time Falco
    resolves the prefix from), then a bare HH:MM:SS prefix on the date part of
    an invalid ``time``.
    """
    time_ns = _read_time(value)
    if time_ns is not None:
        return time_ns, False

    prefix = _TEXT_ALERT.match(output)
    if prefix is not None and prefix.group("iso"):
        iso_ns = parse_rfc3339(prefix.group("iso"))
        if iso_ns is not None:
            return iso_ns, True

    for name in ("evt.time", "evt.time.iso8601"):
        field_ns = epoch_number_to_ns(fields.get(name))
        if field_ns is not None:
            return field_ns, True

    if prefix is not None and prefix.group("hour") and isinstance(value, str):
        midnight = parse_date_prefix(value)
        clock = clock_to_ns(*prefix.group("hour", "minute", "second", "fraction"))
        if midnight is not None and clock is not None:
            return midnight + clock, True
    return None, False


def _read_time(value: Any) -> int | None:
    if isinstance(value, str):
        return parse_rfc3339(value)
    if isinstance(value, dict):
        return seconds_nanos_to_ns(value)
    if isinstance(value, (int, float)):
        return epoch_number_to_ns(value)
    return None


def _skip(reason: str, text: str, origin: str, line_no: int) -> Skip:
    sample = printable(text.strip()[:SAMPLE_CHARS]) if text else ""
    return Skip(reason=reason, origin=origin, line_no=line_no, sample=sample)
