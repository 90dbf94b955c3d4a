"""Tests for mapping and counting the string ids of indexed columns."""

from __future__ import annotations

from array import array

from tui.storage.remap import BYTE_IDS, count_bytes, count_ids, remap_ids


def test_remap_identity_copies() -> None:
    local = array("I", [0, 2, 1, 2])

    mapped = remap_ids(local, [0, 1, 2])

    assert mapped == local
    assert mapped is not local


def test_remap_small_table_all_bytes() -> None:
    # Targets with every byte set check all four translated byte planes.
    mapping = [0x01020304, 7, 0xFFFFFFFF, 0x00FF0000]
    local = array("I", [3, 0, 2, 1, 0, 3])

    mapped = remap_ids(local, mapping)

    assert mapped.typecode == "I"
    assert list(mapped) == [mapping[i] for i in local]


def test_remap_large_table() -> None:
    mapping = [5000 - i for i in range(BYTE_IDS + 10)]
    local = array("I", [0, BYTE_IDS + 9, 255, 256, 1])

    mapped = remap_ids(local, mapping)

    assert list(mapped) == [mapping[i] for i in local]


def test_remap_empty_column() -> None:
    assert list(remap_ids(array("I"), [3, 4])) == []


def test_count_ids_small_and_large_tables() -> None:
    local = array("I", [1, 1, 0, 1, 4])

    assert count_ids(local, 5) == {0: 1, 1: 3, 4: 1}
    assert count_ids(local, BYTE_IDS + 1) == {0: 1, 1: 3, 4: 1}


def test_count_ids_large_ids() -> None:
    local = array("I", [300, 44, 300])

    assert count_ids(local, 301) == {300: 2, 44: 1}


def test_count_bytes_negative_values() -> None:
    values = array("b", [7, -1, 0, 7, -128])

    assert count_bytes(values) == {7: 2, -1: 1, 0: 1, -128: 1}
