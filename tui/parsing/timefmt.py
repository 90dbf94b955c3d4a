"""Convert the time formats found in Falco output to nanoseconds since the epoch.

All results are integers of nanoseconds in UTC, so 9-digit fractions stay
exact (a float64 keeps only 6 or 7 of them for current dates).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

NS_PER_SECOND = 1_000_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()

# RFC 3339 with 0-9 fraction digits (extra digits are cut), "Z" or an offset
# with or without a colon. Falcosidekick drops trailing zeros of the fraction.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d{0,9})\d*)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))"
)

_DATE_PREFIX = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

# Magnitude thresholds for epoch numbers whose unit is not stated.
_UNIT_LIMITS = (
    (10**11, NS_PER_SECOND),  # seconds
    (10**14, 1_000_000),  # milliseconds
    (10**17, 1_000),  # microseconds
)


def parse_rfc3339(text: str) -> int | None:
    """Parse an RFC 3339 timestamp into epoch nanoseconds, or None if invalid."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()[:7]
    sign, offset_hours, offset_minutes = match.groups()[8:]

    days = _days_since_epoch(int(year), int(month), int(day))
    if days is None or int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        return None

    seconds = days * 86400 + int(hour) * 3600 + int(minute) * 60 + int(second)
    if sign is not None:
        offset = int(offset_hours) * 3600 + int(offset_minutes) * 60
        seconds -= offset if sign == "+" else -offset
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return seconds * NS_PER_SECOND + nanos


def parse_date_prefix(text: str) -> int | None:
    """Return epoch nanoseconds of midnight UTC for a leading YYYY-MM-DD."""
    match = _DATE_PREFIX.match(text.strip())
    if match is None:
        return None
    days = _days_since_epoch(*(int(part) for part in match.groups()))
    return None if days is None else days * 86400 * NS_PER_SECOND


def epoch_number_to_ns(value: object) -> int | None:
    """Convert an epoch number of unknown unit to nanoseconds.

    Falco writes ``evt.time`` as integer nanoseconds, but hand-written payloads
    use seconds or microseconds and log pipelines turn the number into a string
    of digits, so the unit is taken from the magnitude.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            return None
        value = int(text)
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None

    for limit, scale in _UNIT_LIMITS:
        if value < limit:
            return int(value * scale)
    return int(value) if value < 10**19 else None


def seconds_nanos_to_ns(value: dict) -> int | None:
    """Convert a gRPC ``{"seconds": .., "nanos": ..}`` timestamp object."""
    seconds = value.get("seconds")
    nanos = value.get("nanos", 0)
    if isinstance(seconds, str) and seconds.isdigit():
        seconds = int(seconds)
    if isinstance(nanos, str) and nanos.isdigit():
        nanos = int(nanos)
    if not isinstance(seconds, int) or not isinstance(nanos, int):
        return None
    if isinstance(seconds, bool) or not 0 <= nanos < NS_PER_SECOND:
        return None
    return seconds * NS_PER_SECOND + nanos


def clock_to_ns(hours: str, minutes: str, seconds: str, fraction: str) -> int | None:
    """Return nanoseconds since midnight for a time of day, None if out of range."""
    if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 60:
        return None
    whole = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return whole * NS_PER_SECOND + int(fraction[:9].ljust(9, "0") or 0)


def format_ns(time_ns: int) -> str:
    """Format epoch nanoseconds as ISO 8601 UTC with 9 fraction digits and Z."""
    seconds, nanos = divmod(time_ns, NS_PER_SECOND)
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        # Outside years 1-9999; only a hand-made time with a large offset gets here.
        return f"{time_ns}ns"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def _days_since_epoch(year: int, month: int, day: int) -> int | None:
    try:
        return date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
