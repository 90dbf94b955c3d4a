"""Map and count the string ids of indexed columns without a Python step per row.

The history indexer sends each part's string columns as ids into a table of
its own, so the store maps every id to its own interner's id when it merges
the part. A part of a few MiB usually has at most 256 distinct strings (a
part of the generated benchmark file has under 50), so each id fits in the
lowest byte of its array item. ``bytes.translate`` then maps a whole
column one byte of the result at a time, in C. Larger tables take a slower
path with one C-level lookup per row.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter

BYTE_IDS = 256
"""Table sizes up to this many strings use ``bytes.translate``."""


def remap_ids(local: array, mapping: list[int]) -> array:
    """Return an "I" array with ``mapping[id]`` for each id in ``local``.

    Every id in ``local`` must be an index into ``mapping``.
    """
    if mapping == list(range(len(mapping))):
        return array("I", local)
    if len(mapping) > BYTE_IDS or local.itemsize != 4:
        return array("I", map(mapping.__getitem__, local))

    ids = _low_bytes(local)
    result = bytearray(len(ids) * 4)
    for shift in range(4):
        table = bytes((target >> (8 * shift)) & 0xFF for target in mapping)
        if not any(table):
            # The result's bytes start as zero already.
            continue
        result[_byte_position(shift) :: 4] = ids.translate(table.ljust(256, b"\0"))
    mapped = array("I")
    mapped.frombytes(result)
    return mapped


def count_ids(local: array, table_size: int) -> dict[int, int]:
    """Return how often each id occurs in ``local``, an array of ids below
    ``table_size``."""
    if table_size > BYTE_IDS or local.itemsize != 4:
        return dict(Counter(local))
    ids = _low_bytes(local)
    return {value: ids.count(value) for value in set(ids)}


def count_bytes(values: array) -> dict[int, int]:
    """Return how often each value occurs in ``values``, a signed byte array."""
    data = values.tobytes()
    counts = {}
    for byte in set(data):
        # Type "b" stores values below 0 as their two's complement byte.
        value = byte - 256 if byte >= 128 else byte
        counts[value] = data.count(byte)
    return counts


def _low_bytes(local: array) -> bytes:
    """Return the lowest byte of each item of an array of 4-byte ids."""
    return local.tobytes()[_byte_position(0) :: 4]


def _byte_position(shift: int) -> int:
    """Return where byte ``shift`` (0 is the lowest) sits in a 4-byte item."""
    return shift if sys.byteorder == "little" else 3 - shift
