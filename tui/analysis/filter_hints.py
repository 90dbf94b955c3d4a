"""Explain why a filter matched no alert: missing fields and unquoted values."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from tui.analysis.fields import known_field_names
from tui.parsing.alert import Alert
from tui.storage.query import Query, quote_hint

CHECK_EVERY = 50_000
"""Alerts a field scan reads between looks at whether it was cancelled."""


def zero_match_hints(
    query: Query,
    alerts: Iterable[Alert],
    cancelled: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Return sentences that explain why ``query`` matched none of ``alerts``.

    One sentence names each field of the query that no alert has, with a
    close field name when there is one, and one offers the quoted form of a
    value that spaces split. Returns an empty list when nothing applies or
    ``cancelled`` returned True.
    """
    hints: list[str] = []
    names = field_names(query)
    if names:
        missing, seen = missing_fields(names, alerts, cancelled)
        if cancelled():
            return []
        hints += [missing_field_message(name, seen) for name in missing]
    quoted = quote_sentence(query.text)
    if quoted is not None:
        hints.append(quoted)
    return hints


def quote_sentence(text: str) -> str | None:
    """Return a sentence offering ``quote_hint``'s quoted value, or None."""
    quoted = quote_hint(text)
    if quoted is None:
        return None
    return (
        "Spaces separate terms, also after a field value; to match a "
        f"value with spaces, quote it: {quoted}"
    )


def field_names(query: Query) -> list[str]:
    """Return the dotted Falco field names the query's field terms read."""
    names: list[str] = []
    for terms in query.alternatives:
        for term in terms:
            dotted = term.kind == "field" and "." in term.name
            if dotted and term.name not in names:
                names.append(term.name)
    return names


def missing_fields(
    names: list[str],
    alerts: Iterable[Alert],
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[list[str], set[str]]:
    """Return the ``names`` no alert has, and every field name seen.

    The scan stops as soon as every name was found, so it reads all alerts
    only when a field is missing. It returns no names when cancelled.
    """
    requested = set(names)
    seen: set[str] = set()
    for count, alert in enumerate(alerts, start=1):
        seen.update(alert.fields)
        if requested <= seen:
            return [], seen
        if count % CHECK_EVERY == 0 and cancelled():
            return [], seen
    return [name for name in names if name not in seen], seen


def missing_field_message(name: str, seen: Iterable[str]) -> str:
    """Return the sentence for a field no alert has, with a close name if any."""
    # Falco field names are lower case, so ``Proc.Name`` should suggest proc.name.
    candidates = {each.lower(): each for each in (*seen, *known_field_names())}
    close = difflib.get_close_matches(name.lower(), candidates, n=1, cutoff=0.8)
    if close:
        return f"No alert has field {name}; did you mean {candidates[close[0]]}?"
    return f"No alert has field {name}."
