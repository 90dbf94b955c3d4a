"""Run a filter over many stored alerts without re-reading every line.

``AlertStore.alert`` opens, seeks, reads and parses one line per call, which
takes minutes over a million indexed alerts. A ``Scan`` first decides each
term it can on the store's columns (rule, priority, host, source, process,
time). The rows still undecided are read per file in blocks, sorted by
offset. A free-text term is then settled on the raw line when
``TextNeedle.raw_settles`` allows it, and only the rest is parsed and checked
with the filter's own predicate. Every result equals what the predicate
returns for the full alert, which ``tests/test_scan.py`` checks.

NOTE: when a file changed after it was indexed, ``store.alert`` rebuilds a
line it cannot find from the columns alone, without fields. A column term
then follows the columns the list shows, where the predicate would see the
rebuilt alert.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from tui.parsing.alert import Alert, Priority
from tui.parsing.located import decode_line
from tui.storage.blocks import Block, read_blocks
from tui.storage.query import Query, Term, TextNeedle, compile_term
from tui.storage.reread import alert_from_line
from tui.storage.store import NO_TIME, AlertStore, StoreColumns

# A JSON alert glued to a Falco log line ("}Tue May 21 ..." or "}2026-...")
# is parsed from the part before the log line, so its raw text is not the
# whole line. This finds every such line, and a few more.
_GLUED_LOG = re.compile(r"\}(?:[A-Z][a-z]{2} |\d{4}-)")

# A process or container label this long may have been cut, because the
# store keeps printable(value, 64): longer values become 63 characters and
# an ellipsis.
_LABEL_LIMIT = 64

State = bool | None
"""A term's or filter's result for one alert: None while undecided."""


class ColumnTerm:
    """A term decided from one column of interned strings (or priorities).

    ``decide`` maps a column value to True, False or None (the column does
    not settle it). The table of decisions grows as new strings are interned.
    """

    def __init__(
        self,
        column: Sequence[int],
        decide: Callable[[Any], State],
        values: Sequence[Any],
    ) -> None:
        self.column = column
        self.decide = decide
        self.values = values
        self.table: list[State] = []
        self.decisive = True
        self.needle = None

    def refresh(self) -> None:
        """Decide the values interned since the last refresh."""
        table = self.table
        for value in self.values[len(table) :]:
            state = self.decide(value)
            table.append(state)
            if state is None:
                self.decisive = False

    def state(self, index: int) -> State:
        """Return the term's result for the alert at ``index``, None if unknown."""
        return self.table[self.column[index]]

    def narrow(self, matching: list[int], pending: list[int]) -> tuple[list, list]:
        """Keep the indices the term may match: matching ones, and undecided ones."""
        table = self.table
        column = self.column
        if self.decisive:
            return (
                [i for i in matching if table[column[i]]],
                [i for i in pending if table[column[i]]],
            )
        states = [table[column[i]] for i in matching]
        matched = [i for i, state in zip(matching, states, strict=True) if state]
        undecided = [
            i for i, state in zip(matching, states, strict=True) if state is None
        ]
        pending = [i for i in pending if table[column[i]] is not False]
        return matched, pending + undecided


class TimeTerm:
    """A ``since:``, ``from:`` or ``to:`` term, decided on the time column."""

    def __init__(self, term: Term, times: Sequence[int]) -> None:
        self.needle = None
        self.times = times
        self.bound = int(term.value)
        self.upper = term.name == "to"
        self.negate = term.negate

    def state(self, index: int) -> State:
        """Return the term's result for the alert at ``index``."""
        time_ns = self.times[index]
        if time_ns == NO_TIME:
            inside = False
        elif self.upper:
            inside = time_ns <= self.bound
        else:
            inside = time_ns >= self.bound
        return inside != self.negate

    def refresh(self) -> None:
        """Do nothing: times are compared directly."""

    def narrow(self, matching: list[int], pending: list[int]) -> tuple[list, list]:
        """Keep the indices whose time the term accepts."""
        state = self.state
        return [i for i in matching if state(i)], [i for i in pending if state(i)]


class LineTerm:
    """A term that needs the line, except where a column settles it.

    ``column_term`` settles some alerts: free text found in the rule
    matches, and a container whose name the column shows may decide the
    ``container`` alias. Other fields (output, tags, Falco fields but the
    process name) always need the line, but ``field`` may rule a match out
    on an ASCII block.
    """

    def __init__(self, term: Term, column_term: ColumnTerm | None = None):
        self.negate = term.negate
        self.needle = TextNeedle(term.value) if term.kind == "text" else None
        self.field = FieldNeedle.of(term) if term.kind == "field" else None
        self.column_term = column_term

    def refresh(self) -> None:
        """Decide the column values interned since the last refresh."""
        if self.column_term is not None:
            self.column_term.refresh()

    def state(self, index: int) -> State:
        """Return True or False when the column settles the term, else None."""
        if self.column_term is None:
            return None
        return self.column_term.state(index)

    def narrow(self, matching: list[int], pending: list[int]) -> tuple[list, list]:
        """Move every matching index to undecided unless the column settles it."""
        if self.column_term is None:
            return [], pending + matching
        return self.column_term.narrow(matching, pending)

    def line_state(self, folded_line: str | None) -> State:
        """Return the term's result from the case-folded raw JSON line, or None.

        ``folded_line`` is None when the line is not a whole JSON alert.
        """
        if self.needle is None or folded_line is None:
            return None
        if self.needle.folded in folded_line:
            return not self.negate
        if self.needle.raw_settles(folded_line):
            return self.negate
        return None


AnyTerm = ColumnTerm | TimeTerm | LineTerm

# Characters that a field value may show in another form in the raw line:
# quotes and backslashes are escaped, and lists and maps (which a filter
# writes as compact JSON) may have spaces after their brackets and commas.
_FIELD_UNSAFE = frozenset('"\\[]{},')

# str(float) writes only these characters (1e-06, 1.5e+16, inf, nan).
_FLOAT_CHARS = frozenset("0123456789.+-einfa")


class FieldNeedle:
    """Text that a field term's value must contain for the term to match.

    A ``~``, ``:`` or ``=`` term matches only if its value is in the field's
    text. On a line parsed whole as JSON, without escapes that hide text,
    that text is written in the line as it is, so a line without the value
    cannot match. That fails for values that ``value_text`` writes in
    another form: null as <NA>, floats, lists and maps, and ``str`` of a
    non-string tag (True), so those terms get no FieldNeedle.
    """

    def __init__(self, text: str, folded: bool) -> None:
        self.text = text
        self.folded = folded
        """True when ``text`` is case-folded and searched in folded text."""

    @classmethod
    def of(cls, term: Term) -> FieldNeedle | None:
        """Return the needle of a field term, or None when a line without it
        could still match."""
        if term.op not in ("~", ":", "=") or term.name in ("tags", "priority"):
            return None
        text = term.value.casefold() if term.op == ":" else term.value
        folded = term.value.casefold()
        usable = (
            text.isascii()
            and text.isprintable()
            and not any(char in _FIELD_UNSAFE for char in text)
            # A map's key and value meet at '":'.
            and not text.startswith(":")
            and not set(folded) <= _FLOAT_CHARS
            and folded not in "<na>"
        )
        return cls(text, term.op == ":") if usable else None


class Scan:
    """A compiled filter that checks store indices column-first.

    Its time bounds are those fixed when the query was parsed, as in the
    query's predicate, and its decision tables grow with the store, so one
    Scan serves a filter for as long as the filter is active.
    """

    def __init__(self, store: AlertStore, query: Query) -> None:
        self.store = store
        self.query = query
        self.columns = store.columns()
        self.alternatives = [
            [self._compile(term) for term in terms] for terms in query.alternatives
        ]
        self.text_terms = [
            term
            for terms in self.alternatives
            for term in terms
            if isinstance(term, LineTerm) and term.needle is not None
        ]
        self.field_terms = [
            term
            for terms in self.alternatives
            for term in terms
            if isinstance(term, LineTerm) and term.field is not None
        ]

    def select(self, indices: Iterable[int]) -> list[int]:
        """Return the indices whose alert matches, in the order given."""
        indices = list(indices)
        if not self.alternatives:
            return indices
        for terms in self.alternatives:
            for term in terms:
                term.refresh()

        matched: set[int] = set()
        undecided: set[int] = set()
        for terms in self.alternatives:
            matching, pending = indices, []
            for term in terms:
                matching, pending = term.narrow(matching, pending)
                if not matching and not pending:
                    break
            matched.update(matching)
            undecided.update(pending)
        undecided -= matched
        if undecided:
            matched.update(self._select_by_line(undecided))
        return [index for index in indices if index in matched]

    def _compile(self, term: Term) -> AnyTerm:
        columns = self.columns
        if term.kind == "time":
            return TimeTerm(term, columns.time)
        if term.kind == "text":
            folded = term.value.casefold()
            hit = not term.negate
            rules = ColumnTerm(
                columns.rule,
                lambda rule: hit if folded in rule.casefold() else None,
                columns.strings,
            )
            return LineTerm(term, rules)
        check = compile_term(term)
        if term.name == "container":
            # Matching one value proves a match of "any of name and id", and
            # for != (or an excluded term) a failure proves a failure.
            proven = (term.op != "!=") != term.negate
            decide = _decide_container(check, proven)
            return LineTerm(
                term, ColumnTerm(columns.container, decide, columns.strings)
            )
        if term.name == "priority":
            return ColumnTerm(
                columns.priority, _decide_priority(check), range(len(Priority))
            )
        column = _STRING_COLUMNS.get(term.name)
        if column is None:
            return LineTerm(term)
        attribute, candidates = column
        return ColumnTerm(
            getattr(columns, attribute), _decide(check, candidates), columns.strings
        )

    def _select_by_line(self, indices: Iterable[int]) -> list[int]:
        """Return the indices that match, reading their lines in blocks."""
        matched: list[int] = []
        predicate = self.query.predicate
        columns = self.columns
        for block in read_blocks(self.store, indices):
            data = block.data
            searched = self.text_terms or self.field_terms
            by_block = searched and data is not None and data.isascii()
            states = self._block_states(block) if by_block else None
            for position, index in enumerate(block.indices):
                state = None if states is None else states[position]
                if state is not None:
                    if state:
                        matched.append(index)
                    continue
                line = block.line(columns, index)
                if states is None and line is not None:
                    state = self._line_state(index, line)
                if state is None:
                    state = predicate(self._alert(index, line))
                if state:
                    matched.append(index)
        return matched

    def _block_states(self, block: Block) -> list[State]:
        """Return the filter's result per line of an ASCII block, None to parse.

        It makes the same decisions as ``_line_state``, with the searches
        done once over the whole block rather than once per line.
        """
        raw = RawBlock(block, self.columns)
        if self.text_terms and [self.text_terms] == self.alternatives:
            # One free-text term, the most common filter that reads lines.
            return raw.text_states(self.text_terms[0], block.indices)
        hits = {id(term): raw.lines_with(term.needle) for term in self.text_terms}
        for term in self.field_terms:
            hits[id(term)] = raw.lines_with_field(term.field)
        results: list[State] = []
        for position, index in enumerate(block.indices):
            eligible = raw.eligible[position]
            result: State = False
            for terms in self.alternatives:
                state: State = True
                for term in terms:
                    term_state = term.state(index)
                    if term_state is None and eligible:
                        term_state = raw.line_term_state(
                            term, position, hits.get(id(term))
                        )
                    if term_state is False:
                        state = False
                        break
                    if term_state is None:
                        state = None
                if state is True:
                    result = True
                    break
                if state is None:
                    result = None
            results.append(result)
        return results

    def _line_state(self, index: int, data: bytes) -> State:
        """Return the filter's result from the raw line, or None to parse it."""
        folded = self._folded_json_line(index, data)
        result: State = False
        for terms in self.alternatives:
            state: State = True
            for term in terms:
                if isinstance(term, LineTerm):
                    term_state = term.state(index)
                    if term_state is None:
                        term_state = term.line_state(folded)
                else:
                    term_state = term.state(index)
                if term_state is False:
                    state = False
                    break
                if term_state is None:
                    state = None
            if state is True:
                return True
            if state is None:
                result = None
        return result

    def _folded_json_line(self, index: int, data: bytes) -> str | None:
        """Return the case-folded line when the parser takes it whole as JSON.

        Then the alert's raw text is exactly this line, so free text found in
        it matches. None for any other line, which is parsed instead.
        """
        if not data.startswith(b'{"'):
            return None
        text = decode_line(data, "", 0)
        if not isinstance(text, str) or not text.rstrip().endswith("}"):
            return None
        if _GLUED_LOG.search(text):
            return None
        # The store's rule must be in the line, or the file changed since it
        # was indexed and the alert would be rebuilt from the columns alone.
        if self.store.rule(index) not in text:
            return None
        return text.casefold()

    def _alert(self, index: int, data: bytes | None) -> Alert:
        """Return the full alert, parsing ``data`` when it was read."""
        if data is None:
            return self.store.alert(index)
        return alert_from_line(self.store.row(index), data)


def _decide(check: Callable[[Alert], bool], candidates: Callable) -> Callable:
    """Return a column decision: the check's result when every alert the
    column value may stand for gives the same one, else None."""

    def decide(value: str) -> State:
        alerts = candidates(value)
        if alerts is None:
            return None
        results = {check(alert) for alert in alerts}
        return results.pop() if len(results) == 1 else None

    return decide


def _decide_priority(check: Callable[[Alert], bool]) -> Callable[[int], State]:
    return lambda value: check(_alert_with(priority=Priority(value)))


def _alert_with(**values: Any) -> Alert:
    """Return an empty alert with only ``values`` set, for a column decision."""
    defaults: dict[str, Any] = {
        "rule": "",
        "priority": Priority.INFORMATIONAL,
        "time_ns": None,
    }
    return Alert(**(defaults | values))


def _rule_alerts(value: str) -> list[Alert]:
    return [_alert_with(rule=value)]


def _optional_alerts(name: str) -> Callable[[str], list[Alert]]:
    """Return the candidates of a host or source column value.

    The store keeps a missing value (None, or "") as "".
    """

    def candidates(value: str) -> list[Alert]:
        if value:
            return [_alert_with(**{name: value})]
        return [_alert_with(**{name: None}), _alert_with(**{name: ""})]

    return candidates


def _process_alerts(value: str) -> list[Alert] | None:
    """Return alerts whose ``proc.name`` the process column value stands for.

    The column contains ``printable(value, 64)`` of a present value and "" for
    a missing, null, "" or "<NA>" one. A value is known only when printable
    left it unchanged and it is not a non-string that a filter writes in
    another form (booleans and lists are written as JSON there).
    """
    if not value:
        return [_alert_with(fields={}), _alert_with(fields={"proc.name": ""})]
    if not _exact_label(value):
        return None
    return [_alert_with(fields={"proc.name": value})]


def _exact_label(label: str) -> bool:
    """Return True when ``label`` (``printable(value, 64)``) is the filter's
    text of the value: printable left it unchanged, and it is not a boolean,
    list or map, which a filter writes as JSON."""
    if not label or len(label) >= _LABEL_LIMIT or "\\" in label:
        return False
    return label not in ("True", "False") and label[0] not in "[{"


def _decide_container(check: Callable[[Alert], bool], proven: bool) -> Callable:
    """Return the decision of a ``container`` term from the container column.

    The term tests the container name and id. Where the column shows the
    name (or, without a name, the id), testing that one value settles the
    term when the result is ``proven``. The column shows ``host`` both for
    host events and for alerts without an id, so that label settles nothing.
    """

    def decide(label: str) -> State:
        if label == "host" or not _exact_label(label):
            return None
        fields = {"container.name": label, "container.id": label}
        result = check(_alert_with(fields=fields))
        return result if result == proven else None

    return decide


# Field names decided on a string column: (StoreColumns attribute, the
# alerts a column value may stand for).
_STRING_COLUMNS: dict[str, tuple[str, Callable]] = {
    "rule": ("rule", _rule_alerts),
    "hostname": ("host", _optional_alerts("hostname")),
    "source": ("source", _optional_alerts("source")),
    "proc.name": ("process", _process_alerts),
}


# An escape that may hide a needle character (not \\" or \\\\).
_HIDING_ESCAPE_BYTES = re.compile(rb'\\[^"\\]')
_GLUED_LOG_BYTES = re.compile(_GLUED_LOG.pattern.encode())
# The same as query._FLOAT_TOKEN within one line.
_FLOAT_TOKEN_BYTES = re.compile(rb"[:\[,][^\S\n]*-?\d+[.e]")
_CLOSING_BRACE = ord("}")
# Bytes that stop a line from settling free text: the web UI wrapper's key,
# and the NUL bytes that decode_line removes. (It also removes a final \r,
# but a line ending in \r does not end in "}" and is parsed anyway.)
_UNSETTLED_LITERALS = (b'"event', b"\x00")


class RawBlock:
    """The lines of an ASCII block, searched once for every line.

    For ASCII text, ``bytes.lower`` equals ``str.casefold``, so searching
    the block's lower-case copy gives the results that ``_folded_json_line``
    and ``TextNeedle.raw_settles`` give line by line.
    """

    def __init__(self, block: Block, columns: StoreColumns) -> None:
        data = block.data or b""
        self.data = data
        self.lowered = data.lower()
        self.begins = [columns.offset[index] - block.start for index in block.indices]
        self.stops = [
            begin + columns.length[index]
            for begin, index in zip(self.begins, block.indices, strict=True)
        ]
        self._float_lines: set[int] | None = None
        self.eligible = self._eligible_lines(block.indices, columns)

    def _eligible_lines(self, indices: list[int], columns: StoreColumns) -> list[bool]:
        """Return, per line, whether the parser takes it whole as the row's JSON
        alert with text that the searches settle (as ``_folded_json_line``)."""
        data = self.data
        unsettled = self._marked(_HIDING_ESCAPE_BYTES.finditer(self.lowered))
        unsettled |= self._marked(_GLUED_LOG_BYTES.finditer(data))
        for literal in _UNSETTLED_LITERALS:
            unsettled |= self._marked(_find_all(self.lowered, literal))

        # The "rule" key usually comes after the long "output" (Falco sorts
        # the keys), so rfind finds the rule sooner than find.
        rule_ids = columns.rule
        strings = columns.strings
        rules = {key: strings[key].encode() for key in {rule_ids[i] for i in indices}}
        size = len(data)
        return [
            stop <= size
            and data[stop - 1] == _CLOSING_BRACE
            and data.startswith(b'{"', begin)
            and data.rfind(rules[rule_ids[index]], begin, stop) >= 0
            and position not in unsettled
            for position, (index, begin, stop) in enumerate(
                zip(indices, self.begins, self.stops, strict=True)
            )
        ]

    def lines_with(self, needle: TextNeedle | None) -> set[int]:
        """Return the positions of the lines whose lower-case text has ``needle``."""
        if needle is None or not needle.folded.isascii():
            return set()
        return self._lines_with(self.lowered, needle.folded.encode())

    def _lines_with(self, text: bytes, needle: bytes) -> set[int]:
        """Return the positions of the lines in which ``text`` contains ``needle``."""
        found: set[int] = set()
        at = text.find(needle)
        while at >= 0:
            position = self._line_at(at, at + len(needle))
            if position is not None:
                found.add(position)
                at = text.find(needle, self.stops[position])
            else:
                at = text.find(needle, at + 1)
        return found

    def lines_with_field(self, field: FieldNeedle | None) -> set[int]:
        """Return the positions of the lines that contain a field term's value."""
        if field is None:
            return set()
        text = self.lowered if field.folded else self.data
        return self._lines_with(text, field.text.encode())

    def line_term_state(
        self, term: AnyTerm, position: int, hits: set[int] | None
    ) -> State:
        """Return a line term's result for an eligible line, or None to parse.

        ``hits`` are the positions of the lines that contain its needle.
        """
        if hits is None or not isinstance(term, LineTerm):
            return None
        if term.needle is not None:
            return self.text_state(term, position, position in hits)
        if position in hits:
            return None
        return term.negate

    def text_states(self, term: LineTerm, indices: list[int]) -> list[State]:
        """Return ``text_state`` of each line, with the rule decided first."""
        assert term.needle is not None and term.column_term is not None
        hits = self.lines_with(term.needle)
        table = term.column_term.table
        rules = term.column_term.column
        eligible = self.eligible
        hit_state = not term.negate
        if term.needle.float_like or not term.needle.raw_may_settle:
            return [
                table[rules[index]]
                if table[rules[index]] is not None
                else self.text_state(term, position, position in hits)
                if eligible[position]
                else None
                for position, index in enumerate(indices)
            ]
        miss_state = term.negate
        return [
            table[rules[index]]
            if table[rules[index]] is not None
            else (hit_state if position in hits else miss_state)
            if eligible[position]
            else None
            for position, index in enumerate(indices)
        ]

    def text_state(self, term: LineTerm, position: int, hit: bool) -> State:
        """Return the text term's result for an eligible line, as line_state does."""
        needle = term.needle
        assert needle is not None
        if hit:
            return not term.negate
        if not needle.raw_may_settle:
            return None
        if needle.float_like and position in self.float_lines:
            return None
        return term.negate

    @property
    def float_lines(self) -> set[int]:
        """The positions of lines with a JSON number that has a fraction or
        exponent, searched on first use because few needles need it."""
        if self._float_lines is None:
            matches = _FLOAT_TOKEN_BYTES.finditer(self.lowered)
            self._float_lines = self._marked(
                (match.start(), match.end()) for match in matches
            )
        return self._float_lines

    def _marked(self, spans: Iterable[tuple[int, int] | re.Match[bytes]]) -> set[int]:
        """Return the positions of the lines that contain any of ``spans``."""
        marked: set[int] = set()
        for span in spans:
            start, end = span if isinstance(span, tuple) else span.span()
            position = self._line_at(start, end)
            if position is not None:
                marked.add(position)
        return marked

    def _line_at(self, start: int, end: int) -> int | None:
        """Return the position of the line that contains bytes start to end."""
        position = bisect_right(self.begins, start) - 1
        if position < 0 or end > self.stops[position]:
            return None
        return position


def _find_all(data: bytes, literal: bytes) -> Iterator[tuple[int, int]]:
    """Yield the span of each occurrence of ``literal`` in ``data``."""
    at = data.find(literal)
    while at >= 0:
        yield at, at + len(literal)
        at = data.find(literal, at + 1)
