"""Read a whole Falco output file (plain or gzip) into alerts and skips."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tui.parsing.alert import Alert, Skip
from tui.parsing.lines import LineSplitter
from tui.parsing.parser import parse_line


def iter_items(
    path: str | Path, max_line_bytes: int = 1 << 20, chunk_size: int = 1 << 20
) -> Iterator[Alert | Skip]:
    """Yield every alert and skip in the file at ``path``, in line order.

    Files ending in ``.gz`` are decompressed on the fly. The file is read in
    ``chunk_size`` byte chunks, so memory stays bounded by the chunk size plus
    ``max_line_bytes``. Raises ``OSError`` when the file cannot be opened or
    read (``gzip.BadGzipFile`` is an ``OSError``).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        yield from iter_stream(stream, str(path), max_line_bytes, chunk_size)


def iter_stream(
    stream: BinaryIO,
    origin: str,
    max_line_bytes: int = 1 << 20,
    chunk_size: int = 1 << 20,
) -> Iterator[Alert | Skip]:
    """Yield every alert and skip read from the binary ``stream`` until its end.

    ``origin`` names the stream in each item, ``-`` for standard input. The
    stream is not closed.
    """
    splitter = LineSplitter(origin, max_line_bytes=max_line_bytes)
    while chunk := stream.read(chunk_size):
        yield from _parse_lines(splitter.feed(chunk), origin)
    yield from _parse_lines(splitter.flush(), origin)


def _parse_lines(
    lines: list[tuple[int, str] | Skip], origin: str
) -> Iterator[Alert | Skip]:
    for line in lines:
        if isinstance(line, Skip):
            yield line
        else:
            yield from parse_line(line[1], origin, line[0])
