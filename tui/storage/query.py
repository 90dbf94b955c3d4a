"""Parse the filter language and compile it to a predicate over ``Alert``.

A filter is a list of terms separated by spaces. Terms combine with AND; the
word ``or`` (lower case) between terms splits the filter into alternatives, and
AND binds tighter: ``a b or c`` means (a AND b) OR c. There are no parentheses.

Free text matches literally and case-insensitively anywhere in the alert (rule,
output, raw line, host, source, tags, field names and values), so ``:``,
``-``, ``.``, ``/``, ``[``, ``]`` and quotes inside a word need no escaping.
A double-quoted phrase keeps its spaces: ``"bash -i"``. A quote opens a phrase
only at the start of a word or right after ``NAME OP`` (``rule:"a b"``).

A word is a field term ``NAME OP VALUE`` only when NAME is an alias (``rule``,
``priority``/``prio``, ``host``/``hostname``, ``container``, ``image``,
``source``, ``tag``/``tags``, ``output``, ``user``, ``pod``, ``ns``) or a dotted
name whose first part is a Falco field class (``proc.name``, ``fd.name``,
``k8s.ns.name``, ``evt.arg[0]``, ``proc.aname[2]``...). Any other word is free
text, even with an operator in it: ``http://x``, ``example.com:443``,
``foo.bar=1``, ``aname[4]=<NA>`` and ``a:b:c`` are searched for literally.
OP is one of:

- ``:`` contains, case-insensitive (for ``priority``: equal)
- ``~`` contains, case-sensitive
- ``=`` equal, case-sensitive; ``!=`` not equal
- ``>``, ``>=``, ``<``, ``<=`` compare: priorities by severity (``emergency`` is
  the most severe, so ``priority>=warning`` keeps warning and worse); other
  fields as numbers.

A field without a value matches as ``<NA>``, the text Falco writes for it.

Spaces separate terms, also after a field term's value, so a value with
spaces must be quoted: ``proc.cmdline="grep -ri x"``. Unquoted,
``proc.cmdline=grep -ri x`` means ``proc.cmdline=grep`` AND NOT ``ri`` AND
``x``. ``quote_hint`` builds the quoted form for a filter that matches nothing.

A leading ``-`` or ``!`` excludes the term after it. A lone ``-`` or ``!`` is an
error. To search for text that starts with one of them, quote it (``"-x"``)
or escape it (``\\-x``). A backslash escapes only ``-``, ``!``, ``"``, a space
and itself; any other backslash is literal text.

Time terms: ``since:15m`` (units s, m, h, d, measured from when the filter is
compiled), ``from:TIME`` and ``to:TIME`` (both inclusive). TIME is ISO 8601
(``2026-04-06T19:32``, UTC unless it names an offset or ``Z``) or a local clock
time ``HH:MM[:SS]``, meaning today in local time. Alerts without a time never
match a time term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from tui.parsing.alert import Alert, Priority

Predicate = Callable[[Alert], bool]

NOT_AVAILABLE = "<NA>"

FIELD_CLASSES = frozenset(
    {
        "evt",
        "proc",
        "thread",
        "user",
        "group",
        "container",
        "fd",
        "fdlist",
        "fs",
        "k8s",
        "ka",
        "k8saudit",
        "jevt",
        "ct",
        "cloudtrail",
        "aws",
        "gcp",
        "github",
        "okta",
        "keycloak",
        "mesos",
        "syslog",
        "span",
        "json",
        "falco",
        "docker",
        "cri",
        "tracer",
        "process",
    }
)
"""Falco field classes: a dotted name with one of these prefixes is a field."""

# Aliases map to the Alert attribute or the output fields they read.
ALIASES = {
    "rule": "rule",
    "priority": "priority",
    "prio": "priority",
    "host": "hostname",
    "hostname": "hostname",
    "container": "container",
    "image": "image",
    "source": "source",
    "tag": "tags",
    "tags": "tags",
    "output": "output",
    "user": "user",
    "pod": "pod",
    "ns": "ns",
}

_ALIAS_FIELDS = {
    "container": ("container.name", "container.id"),
    "image": ("container.image.repository", "container.image"),
    "user": ("user.name",),
    "pod": ("k8s.pod.name",),
    "ns": ("k8s.ns.name",),
}

TIME_KEYS = ("since", "from", "to")

OPERATORS = ("!=", ">=", "<=", "=", ":", "~", ">", "<")

_FIELD_TERM = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\[[^\]]*\])?)"
    r"(?P<op>!=|>=|<=|=|:|~|>|<)"
)

_DURATION = re.compile(r"(\d+)([smhd])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")

_ESCAPABLE = frozenset('-!" \\')


class QueryError(ValueError):
    """An invalid filter, with the 1-based column where the problem starts."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


@dataclass(slots=True)
class Token:
    """One space-separated word of a filter, with quotes and escapes resolved."""

    text: str
    column: int
    """1-based column of the token's first character in the filter."""
    quoted_prefix: int = -1
    """Length of ``text`` before the first quoted character, or -1 if unquoted."""
    escaped_start: bool = False
    """True when the first character was escaped with a backslash."""
    end: int = 0
    """0-based position just after the token in the filter."""


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed term: free text, a field comparison or a time bound."""

    kind: str
    """``text``, ``field`` or ``time``."""
    name: str = ""
    op: str = ""
    value: str = ""
    negate: bool = False
    column: int = 0


@dataclass(slots=True)
class Query:
    """A parsed filter: alternatives (OR) of term lists (AND), and its text."""

    text: str
    alternatives: list[list[Term]] = field(default_factory=list)
    predicate: Predicate = field(default=lambda alert: True, repr=False)

    @property
    def empty(self) -> bool:
        """True for a filter with no terms, which matches every alert."""
        return not self.alternatives

    def __call__(self, alert: Alert) -> bool:
        return self.predicate(alert)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens at unquoted spaces; raise QueryError on bad quotes."""
    tokens: list[Token] = []
    position = 0
    length = len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        token, position = _read_token(text, position)
        tokens.append(token)
    return tokens


def _read_token(text: str, start: int) -> tuple[Token, int]:
    chars: list[str] = []
    token = Token("", start + 1)
    position = start
    # A quote opens a phrase only at the token start or right after a field
    # operator; anywhere else it is an ordinary character.
    while position < len(text) and not text[position].isspace():
        char = text[position]
        if (
            char == "\\"
            and position + 1 < len(text)
            and text[position + 1] in _ESCAPABLE
        ):
            if position == start:
                token.escaped_start = True
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"' and _opens_phrase(chars, position == start):
            token.quoted_prefix = len(chars)
            phrase, position = _read_phrase(text, position)
            chars.append(phrase)
            continue
        chars.append(char)
        position += 1
    token.text = "".join(chars)
    token.end = position
    return token, position


def _opens_phrase(chars: list[str], at_start: bool) -> bool:
    if at_start or chars in (["-"], ["!"]):
        return True
    prefix = "".join(chars).lstrip("-!")
    match = _FIELD_TERM.match(prefix)
    return match is not None and match.end() == len(prefix)


def _read_phrase(text: str, quote: int) -> tuple[str, int]:
    """Read a double-quoted phrase from ``quote``; return it and the next position."""
    chars: list[str] = []
    position = quote + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in '"\\':
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise QueryError(
        'unterminated quote; close it with " or write \\" for a literal quote',
        quote + 1,
    )


def parse(text: str, now: datetime | None = None) -> Query:
    """Parse ``text`` into a Query with a compiled predicate.

    ``now`` (aware) fixes the clock for ``since:`` and local clock times; the
    default is the current time. Raises QueryError with the column on error.
    """
    now = datetime.now().astimezone() if now is None else now
    alternatives: list[list[Term]] = [[]]
    previous_or: Token | None = None
    tokens = tokenize(text)

    for token in tokens:
        if token.text == "or" and token.quoted_prefix < 0 and not token.escaped_start:
            if not alternatives[-1]:
                raise QueryError("'or' needs a term before it", token.column)
            alternatives.append([])
            previous_or = token
            continue
        alternatives[-1].append(parse_term(token, now))

    if previous_or is not None and not alternatives[-1]:
        raise QueryError("'or' needs a term after it", previous_or.column)
    if alternatives == [[]]:
        alternatives = []
    return Query(text, alternatives, compile_alternatives(alternatives))


def parse_term(token: Token, now: datetime) -> Term:
    """Parse one token into a Term, checking values that can be checked early."""
    body = token.text
    negate = False
    column = token.column
    if not token.escaped_start and token.quoted_prefix != 0 and body[:1] in "-!":
        if len(body) == 1:
            raise QueryError(
                f"nothing after '{body}' to exclude; write \\{body} to search "
                f"for a literal {body}",
                column,
            )
        negate = True
        body = body[1:]

    if token.quoted_prefix == 0 or (negate and token.quoted_prefix == 1):
        return Term("text", value=body, negate=negate, column=column)

    match = _FIELD_TERM.match(body)
    if match is None:
        return Term("text", value=body, negate=negate, column=column)
    name = match["name"]
    op = match["op"]
    value = body[match.end() :]
    lowered = name.lower()
    # Errors in the value point at the value, not at the start of the term.
    value_column = column + int(negate) + match.end()

    if lowered in TIME_KEYS and op == ":":
        bound = _time_bound(lowered, value, now, value_column)
        return Term("time", lowered, op, str(bound), negate, column)
    if lowered in ALIASES:
        attribute = ALIASES[lowered]
        return _alias_term(attribute, name, op, value, negate, value_column)
    if is_field_name(name):
        _check_value(name, op, value, value_column)
        return Term("field", name, op, value, negate, column)
    # Not a field (``example.com:443``, ``http://x``, ``aname[4]=x``): text.
    return Term("text", value=body, negate=negate, column=column)


def is_field_name(name: str) -> bool:
    """Return True when ``name`` is a dotted name of a known Falco field class.

    The class is compared in any case. An index (``evt.arg[0]``) may follow
    the dotted part, so ``aname[4]`` (no class) and ``foo.bar`` (no such
    class) are not field names.
    """
    if "." not in name:
        return False
    match = _FIELD_TERM.match(name + "=")
    if match is None or match.end() != len(name) + 1:
        return False
    return name.split(".", 1)[0].lower() in FIELD_CLASSES


def quote_hint(text: str) -> str | None:
    """Return the first field term of ``text`` with the words after it quoted.

    Spaces end a field value, so ``proc.cmdline=grep -ri x`` is three terms.
    For a filter that matches nothing, the caller can offer the quoted form
    ``proc.cmdline="grep -ri x"``. Only ``:``, ``~``, ``=`` and ``!=`` terms
    on fields other than priority qualify, followed by unquoted free-text
    words up to the next field term, time term, quoted word or ``or``.
    Returns None when no term qualifies or ``text`` is invalid.
    """
    try:
        tokens = tokenize(text)
    except QueryError:
        return None
    now = datetime.now().astimezone()
    for position, token in enumerate(tokens):
        parts = _text_value_parts(token)
        if parts is None:
            continue
        words = _free_words(tokens[position + 1 :], now)
        if words:
            prefix, value = parts
            value += text[token.end : words[-1].end]
            return prefix + quote_value(value)
    return None


def _text_value_parts(token: Token) -> tuple[str, str] | None:
    """Split an unquoted field term on text into ``-NAME OP`` and its value."""
    body = token.text
    if token.quoted_prefix >= 0 or token.escaped_start:
        return None
    sign = body[:1] if body[:1] in "-!" else ""
    match = _FIELD_TERM.match(body[len(sign) :])
    if match is None or match["op"] not in (":", "~", "=", "!="):
        return None
    name = match["name"]
    lowered = name.lower()
    if lowered in ("priority", "prio") or not (
        lowered in ALIASES or is_field_name(name)
    ):
        return None
    value = body[len(sign) + match.end() :]
    if not value:
        return None
    return sign + name + match["op"], value


def _free_words(tokens: list[Token], now: datetime) -> list[Token]:
    """Return the leading tokens that parse as unquoted free-text terms."""
    words: list[Token] = []
    for token in tokens:
        if _is_or(token) or token.quoted_prefix >= 0:
            break
        try:
            term = parse_term(token, now)
        except QueryError:
            break
        if term.kind != "text":
            break
        words.append(token)
    return words


def _alias_term(
    attribute: str, name: str, op: str, value: str, negate: bool, column: int
) -> Term:
    """Build the term on ``attribute``; errors name the alias as typed."""
    if attribute == "priority":
        if Priority.parse(value) is None:
            names = ", ".join(member.name.lower() for member in Priority)
            raise QueryError(
                f"unknown priority {value!r}; expected one of {names}", column
            )
        return Term("field", "priority", op, value, negate, column)
    _check_value(name, op, value, column)
    return Term("field", attribute, op, value, negate, column)


def _check_value(name: str, op: str, value: str, column: int) -> None:
    if not value:
        raise QueryError(
            f"missing value after '{name}{op}'; write it right after '{op}', "
            f'in quotes if it contains spaces: {name}{op}"two words"',
            column,
        )
    if op in (">", ">=", "<", "<=") and _number(value) is None:
        raise QueryError(
            f"'{op}' compares numbers, but {value!r} is not a number", column
        )


def _time_bound(key: str, value: str, now: datetime, column: int) -> int:
    """Return the bound of a time term in epoch nanoseconds."""
    if key == "since":
        match = _DURATION.fullmatch(value)
        if match is None:
            raise QueryError(
                f"invalid duration {value!r}; write a number and a unit "
                "s, m, h or d, such as since:15m",
                column,
            )
        seconds = int(match[1]) * _DURATION_UNITS[match[2]]
        try:
            return _to_ns(now - timedelta(seconds=seconds))
        except OverflowError:
            raise QueryError(
                f"duration {value!r} reaches back past the year 1; use a smaller "
                "number, or leave since: out to see every alert",
                column,
            ) from None
    moment = parse_time(value, now)
    if moment is None:
        raise QueryError(
            f"invalid time {value!r}; write ISO 8601 (2026-04-06T19:32:00Z) "
            "or a local clock time HH:MM[:SS]",
            column,
        )
    return _to_ns(moment)


def parse_time(value: str, now: datetime | None = None) -> datetime | None:
    """Parse ISO 8601 (UTC unless it has an offset) or a local HH:MM[:SS] today.

    ``now`` (aware) sets "today" and the local time zone. Returns None when
    ``value`` is neither form.
    """
    now = datetime.now().astimezone() if now is None else now
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        return now.replace(hour=hour, minute=minute, second=second, microsecond=0)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _to_ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + (
        delta.microseconds * 1000
    )


def _number(text: str) -> int | float | None:
    """Return ``text`` as a number, an int when it is one.

    Python compares an int with an int or a float exactly, so pids, inodes
    and counters above 2**53 compare right, where floats would round them.
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def value_text(value: Any) -> str:
    """Return a field value as the text a filter compares against.

    None is ``<NA>``; booleans, lists and maps are written as JSON.
    """
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, list, tuple, dict)):
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            return repr(value)
    return str(value)


def compile_alternatives(alternatives: list[list[Term]]) -> Predicate:
    """Compile OR-of-AND term lists into one predicate."""
    if not alternatives:
        return lambda alert: True
    compiled = [[compile_term(term) for term in terms] for terms in alternatives]
    if len(compiled) == 1:
        checks = compiled[0]
        if len(checks) == 1:
            return checks[0]
        return lambda alert: all(check(alert) for check in checks)
    return lambda alert: any(
        all(check(alert) for check in checks) for checks in compiled
    )


def compile_term(term: Term) -> Predicate:
    """Compile one term, wrapping it in NOT when it excludes."""
    if term.kind == "text":
        check = _text_check(term.value)
    elif term.kind == "time":
        check = _time_check(term.name, int(term.value))
    else:
        check = _field_check(term)
    if term.negate:
        return lambda alert: not check(alert)
    return check


def _text_check(needle: str) -> Predicate:
    text = TextNeedle(needle)
    needle = text.folded

    def check(alert: Alert) -> bool:
        rule = alert.rule.casefold()
        raw = alert.raw.casefold()
        if needle in rule or needle in raw:
            return True
        if alert.kind == "json" and raw and text.raw_settles(raw):
            return False
        if needle in alert.output.casefold():
            return True
        return needle in searchable_fields(alert)

    return check


# Needle characters that the raw JSON line may show in another form than the
# searchable text: quotes and backslashes are escaped, ``name=value`` pairs
# exist only in the searchable text, Go's encoder escapes < > &, and lists,
# maps and Python's repr of tags write brackets, commas and apostrophes.
_RAW_UNSAFE = frozenset("\"\\=<>&[]{},'")

# str(float) writes only these characters (1e-06, 1.5e+16, inf, nan).
_FLOAT_CHARS = frozenset("0123456789.+-einfa")

# A backslash escape other than \" and \\ (such as \/, \n or \u00e9) decodes
# to a character the needle may contain.
_HIDING_ESCAPE = re.compile(r'\\[^"\\]')

# A JSON number with a fraction or exponent after a colon, bracket or comma,
# which str(float) may write differently (1e5 becomes 100000.0).
_FLOAT_TOKEN = re.compile(r"[:\[,]\s*-?\d+[.e]")


class TextNeedle:
    """A free-text needle, and whether a JSON alert's raw line settles it.

    The searchable text contains the raw line, so finding the needle there
    is always a match. Not finding it is a sound "no match" only when every
    part of the searchable text appears in the raw line as it is written,
    which ``raw_settles`` checks.
    """

    def __init__(self, needle: str) -> None:
        self.folded = needle.casefold()
        folded = self.folded
        self.raw_may_settle = (
            folded.isascii()
            and folded.isprintable()
            and not any(char in _RAW_UNSAFE for char in folded)
            and not folded.startswith(":")
            # Fields with a JSON null are searched as <NA>.
            and folded not in "<na>"
        )
        self.float_like = set(folded) <= _FLOAT_CHARS

    def raw_settles(self, folded_raw: str) -> bool:
        """Return True when the needle's absence from ``folded_raw`` means no match.

        ``folded_raw`` is the case-folded raw line of a JSON alert that was
        parsed from exactly that line.
        """
        if not self.raw_may_settle:
            return False
        if "\\" in folded_raw and _HIDING_ESCAPE.search(folded_raw):
            return False
        # The Falcosidekick web UI wrapper names its outer keys "webui.KEY".
        if '"event' in folded_raw:
            return False
        return not (self.float_like and _FLOAT_TOKEN.search(folded_raw))


def searchable_fields(alert: Alert) -> str:
    """Return host, source, tags and ``name=value`` of every field, case-folded."""
    parts = [alert.hostname or "", alert.source or "", *alert.tags]
    for name, value in alert.fields.items():
        parts.append(f"{name}={value_text(value)}")
    for name, value in alert.extra.items():
        parts.append(f"{name}={value_text(value)}")
    return "\n".join(parts).casefold()


def _time_check(key: str, bound: int) -> Predicate:
    if key == "to":
        return lambda alert: alert.time_ns is not None and alert.time_ns <= bound
    return lambda alert: alert.time_ns is not None and alert.time_ns >= bound


def _field_check(term: Term) -> Predicate:
    if term.name == "priority":
        return _priority_check(term.op, Priority.parse(term.value))
    single = _single_value_getter(term.name)
    if single is not None:
        return _value_check(single, term.op, term.value)
    return _values_check(_value_getter(term.name), term.op, term.value)


def _priority_check(op: str, priority: Priority | None) -> Predicate:
    assert priority is not None  # parse_term rejected unknown priorities
    level = priority.value
    # A lower value is more severe, so "greater" severity is a lower value.
    checks: dict[str, Callable[[int], bool]] = {
        ":": lambda value: value == level,
        "=": lambda value: value == level,
        "~": lambda value: value == level,
        "!=": lambda value: value != level,
        ">": lambda value: value < level,
        ">=": lambda value: value <= level,
        "<": lambda value: value > level,
        "<=": lambda value: value >= level,
    }
    compare = checks[op]
    return lambda alert: compare(alert.priority.value)


def _single_value_getter(name: str) -> Callable[[Alert], Any] | None:
    """Return a function giving the one value a field term tests, if it has one.

    Terms on one value skip the loop over candidates, the slow part of a pass.
    """
    if name in ("rule", "output", "hostname", "source"):
        return lambda alert: getattr(alert, name)
    if name == "tags" or name in _ALIAS_FIELDS:
        return None
    return lambda alert: alert.fields.get(name)


def _value_getter(name: str) -> Callable[[Alert], Iterable[Any]]:
    """Return a function giving the values a field term tests (any may match)."""
    if name == "tags":
        return lambda alert: alert.tags
    fields = _ALIAS_FIELDS[name]
    return lambda alert: [alert.fields.get(each) for each in fields]


def _value_check(getter: Callable[[Alert], Any], op: str, expected: str) -> Predicate:
    compare = _comparison(op, expected)
    if op == "!=":
        return lambda alert: value_text(getter(alert)) != expected
    return lambda alert: compare(value_text(getter(alert)))


def _values_check(
    getter: Callable[[Alert], Iterable[Any]], op: str, expected: str
) -> Predicate:
    compare = _comparison(op, expected)
    if op == "!=":
        # Not equal is true when no value equals, so a tag list works as expected.
        equal = _comparison("=", expected)
        return lambda alert: (
            not any(equal(value_text(value)) for value in getter(alert))
        )
    return lambda alert: any(compare(value_text(value)) for value in getter(alert))


def _comparison(op: str, expected: str) -> Callable[[str], bool]:
    if op == ":":
        folded = expected.casefold()
        return lambda text: folded in text.casefold()
    if op == "~":
        return lambda text: expected in text
    if op in ("=", "!="):
        return lambda text: text == expected
    bound = _number(expected)
    if bound is None:
        # The parser accepts only numbers after these operators.
        raise ValueError(f"invalid number: {expected!r}")
    numeric = {
        ">": lambda number: number > bound,
        ">=": lambda number: number >= bound,
        "<": lambda number: number < bound,
        "<=": lambda number: number <= bound,
    }[op]

    def compare(text: str) -> bool:
        number = _number(text)
        return number is not None and numeric(number)

    return compare


def quote_value(value: str) -> str:
    """Return ``value`` so that the tokenizer reads it back as one word."""
    if value and not any(char.isspace() or char in '"\\' for char in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def field_term(name: str, value: Any, exclude: bool = False) -> str:
    """Build the filter term that keeps (or with ``exclude`` drops) ``name=value``.

    Names the language cannot address become a quoted free-text term on the
    value, so the result is always a valid filter.
    """
    prefix = "-" if exclude else ""
    text = value_text(value)
    lowered = name.lower()
    addressable = lowered in ALIASES or is_field_name(name)
    if not addressable:
        return prefix + quote_value(text) if text else prefix + '""'
    if lowered in ("priority", "prio"):
        return f"{prefix}priority={text.lower()}"
    return f"{prefix}{name}={quote_value(text)}"


def combine(current: str, term: str) -> str:
    """Return the filter ``current`` AND ``term``; either may contain ``or``.

    The language has no parentheses, so AND is distributed over the
    alternatives: (a or b) AND (c or d) becomes a c or a d or b c or b d.
    """
    left = alternatives_of(current)
    right = alternatives_of(term)
    if not left:
        return " or ".join(right)
    if not right:
        return " or ".join(left)
    return " or ".join(f"{mine} {theirs}" for mine in left for theirs in right)


def negate(text: str) -> str:
    """Return a filter that keeps exactly the alerts ``text`` leaves out.

    ``text`` is terms joined by AND (no ``or``). By De Morgan's law, NOT
    (a AND b) is (NOT a) OR (NOT b), so each term is negated on its own.
    Raises QueryError when ``text`` contains ``or``.
    """
    pieces: list[str] = []
    for token in tokenize(text):
        if _is_or(token):
            raise QueryError("cannot negate a filter that contains 'or'", token.column)
        raw = text[token.column - 1 : token.end]
        excluded = raw[:1] in "-!" and len(raw) > 1 and token.quoted_prefix != 0
        pieces.append(raw[1:] if excluded else "-" + raw)
    return " or ".join(pieces)


def alternatives_of(text: str) -> list[str]:
    """Split a filter's text at each ``or`` word; return the non-empty pieces."""
    pieces: list[str] = []
    start = 0
    for token in tokenize(text):
        if _is_or(token):
            pieces.append(text[start : token.column - 1].strip())
            start = token.end
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def _is_or(token: Token) -> bool:
    return token.text == "or" and token.quoted_prefix < 0 and not token.escaped_start
