"""Tests for LineSplitter: chunk boundaries, encodings and bad lines."""

from __future__ import annotations

import random

from tui.parsing.alert import Skip
from tui.parsing.lines import LineSplitter, LocatedText, RepairedText, decode_utf8


def split_all(splitter: LineSplitter, chunks: list[bytes]) -> list:
    """Feed every chunk, then flush, and return all items."""
    items = []
    for chunk in chunks:
        items.extend(splitter.feed(chunk))
    items.extend(splitter.flush())
    return items


def test_line_split_across_chunks_comes_out_once():
    splitter = LineSplitter("t")

    first = splitter.feed(b'{"rule": "a", ')
    second = splitter.feed(b'"priority": "Notice"}\nnext')

    assert first == []
    assert second == [(1, '{"rule": "a", "priority": "Notice"}')]
    assert splitter.line_no == 2
    assert splitter.buffered_bytes == 4
    assert splitter.flush() == [(2, "next")]


def test_crlf_and_lf_endings_removed():
    items = split_all(LineSplitter("t"), [b"one\r\ntwo\nthree\r\n"])

    assert items == [(1, "one"), (2, "two"), (3, "three")]


def test_crlf_split_between_chunks():
    items = split_all(LineSplitter("t"), [b"one\r", b"\ntwo\r\n"])

    assert items == [(1, "one"), (2, "two")]


def test_first_line_no_is_used():
    items = split_all(LineSplitter("t", first_line_no=41), [b"a\nb\n"])

    assert items == [(41, "a"), (42, "b")]


def test_nul_padding_removed_and_reported():
    items = split_all(LineSplitter("t"), [b"\x00" * 500 + b"alert\n\x00\x00\x00\n"])

    assert items[0] == (1, "alert")
    assert isinstance(items[1], Skip)
    assert items[1].reason == "NUL padding"
    assert items[1].line_no == 2


def test_unterminated_nul_run_reported_at_flush():
    splitter = LineSplitter("t")

    assert splitter.feed(b"\x00" * 64) == []
    items = splitter.flush()

    assert [item.reason for item in items] == ["NUL padding"]


def test_invalid_utf8_replaced_next_line_kept():
    items = split_all(LineSplitter("bad.log"), [b"ok\n\xff\xfe bad \xc3\r\nfine\n"])

    assert items[0] == (1, "ok")
    assert items[1] == (2, "\ufffd\ufffd bad \ufffd")
    assert isinstance(items[1][1], RepairedText)
    assert items[1][1].invalid_bytes == 3
    assert items[2] == (3, "fine")


def test_utf8_bom_removed():
    items = split_all(LineSplitter("t"), [b"\xef\xbb", b"\xbfhello\n"])

    assert items == [(1, "hello")]


def test_utf16_le_bom_decoded_across_odd_chunks():
    data = b"\xff\xfe" + "first\r\nsecond é\r\nthird".encode("utf-16-le")
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]

    items = split_all(LineSplitter("t"), chunks)

    assert items == [(1, "first"), (2, "second é"), (3, "third")]


def test_utf16_be_bom_decoded():
    data = b"\xfe\xff" + "a\nb\n".encode("utf-16-be")

    items = split_all(LineSplitter("t"), [data])

    assert items == [(1, "a"), (2, "b")]


def test_long_line_skipped_with_bounded_buffer():
    limit = 64 * 1024
    splitter = LineSplitter("t", max_line_bytes=limit)
    chunk = b"x" * 65536
    items = splitter.feed(b"before\n")
    largest_buffer = 0

    for _ in range(80):  # 5 MiB without a newline
        items.extend(splitter.feed(chunk))
        largest_buffer = max(largest_buffer, splitter.buffered_bytes)
    items.extend(splitter.feed(b"tail of the long line\nafter\n"))

    assert largest_buffer <= limit
    assert items[0] == (1, "before")
    assert isinstance(items[1], Skip)
    assert items[1].reason == "line too long"
    assert items[1].line_no == 2
    assert len(items[1].sample) <= 200
    assert items[2] == (3, "after")
    assert len(items) == 3


def test_long_line_in_one_chunk_skipped_once():
    splitter = LineSplitter("t", max_line_bytes=100)

    items = splitter.feed(b"y" * 5000 + b"\nshort\n")

    assert [getattr(item, "reason", item) for item in items] == [
        "line too long",
        (2, "short"),
    ]


def test_long_utf16_line_skipped():
    data = b"\xff\xfe" + ("z" * 500 + "\nok\n").encode("utf-16-le")

    items = split_all(LineSplitter("t", max_line_bytes=100), [data])

    assert items[0].reason == "line too long"
    assert items[1] == (2, "ok")


def test_reset_forgets_partial_line():
    splitter = LineSplitter("t")
    splitter.feed(b"partial")

    splitter.reset(first_line_no=1)

    assert splitter.buffered_bytes == 0
    assert splitter.feed(b"new\n") == [(1, "new")]


def test_flush_on_empty_stream_returns_nothing():
    assert LineSplitter("t").flush() == []


def test_random_bytes_never_raise():
    rng = random.Random(1234)
    for _ in range(200):
        splitter = LineSplitter("t", max_line_bytes=rng.choice([16, 256, 1 << 20]))
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
        cuts = sorted(rng.sample(range(len(data) + 1), k=min(5, len(data) + 1)))

        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        items = split_all(splitter, chunks)

        for item in items:
            assert isinstance(item, (Skip, tuple))
        assert splitter.buffered_bytes == 0


# Byte offsets of lines


def test_offsets_point_at_line_bytes():
    # Lines that split across chunks, CRLF, NUL bytes, a BOM and a base offset.
    rng = random.Random(5)
    pieces = [b'{"a":1}', b"abc", b"", b"x\x00y", b"caf\xc3\xa9", b"\xff bad"]
    for _ in range(500):
        lines = [rng.choice(pieces) + rng.choice([b"\n", b"\r\n"]) for _ in range(6)]
        data = rng.choice([b"", b"\xef\xbb\xbf"]) + b"".join(lines) + b"tail"
        base = rng.randrange(100)
        splitter = LineSplitter("t", offsets=True, first_offset=base)
        chunks = [data[start : start + 5] for start in range(0, len(data), 5)]

        for item in split_all(splitter, chunks):
            if isinstance(item, Skip):
                continue
            stored = data[item.offset - base : item.offset - base + item.length]
            text = decode_utf8(stored.replace(b"\x00", b"")).removesuffix("\r")
            assert text == item.text


def test_offsets_after_released_line():
    splitter = LineSplitter("t", offsets=True, first_offset=100)
    splitter.feed(b'{"a":1}')

    released = splitter.release_pending_json()
    later = splitter.feed(b'\r\n{"b":2}\n')

    assert released == [LocatedText(1, '{"a":1}', 100, 7, None)]
    assert later == [LocatedText(2, '{"b":2}', 109, 7, None)]


def test_offsets_unknown_for_utf16():
    splitter = LineSplitter("t", offsets=True)
    splitter.file = "tag"

    lines = splitter.feed("\ufeffone\n".encode("utf-16-le"))

    assert lines == [LocatedText(1, "one", -1, 0, "tag")]


def test_offsets_restart_after_reset():
    splitter = LineSplitter("t", offsets=True)
    splitter.feed(b"one\ntw")

    splitter.reset(first_line_no=1, first_offset=0)

    assert splitter.feed(b"new\n") == [LocatedText(1, "new", 0, 3, None)]
