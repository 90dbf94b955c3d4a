"""Read the lines of many stored alerts per file in large blocks.

``AlertStore.alert`` opens and seeks once per alert. These functions group
the alerts by file and offset, and read each run of nearby lines with one
read of at most ``BLOCK_BYTES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.parsing.alert import Alert
from tui.storage.reread import alert_from_line

if TYPE_CHECKING:
    from tui.parsing.linefile import LineFile
    from tui.storage.store import AlertStore, StoreColumns

BLOCK_BYTES = 8 << 20
"""The maximum bytes of one read; lines further apart get separate reads."""

CHUNK = 50_000
"""The maximum alerts ``iter_alerts`` keeps in memory at a time."""


@dataclass(slots=True)
class Block:
    """Bytes of one file that contain the lines of ``indices``, sorted by offset.

    ``data`` is None for alerts kept in memory and for a file that could not
    be opened; ``store.alert`` returns those alerts.
    """

    indices: list[int]
    data: bytes | None
    start: int
    """The file offset of ``data[0]``."""

    def line(self, columns: StoreColumns, index: int) -> bytes | None:
        """Return the line of ``index``, or None when the read came up short."""
        if self.data is None:
            return None
        begin = columns.offset[index] - self.start
        stop = begin + columns.length[index]
        return self.data[begin:stop] if stop <= len(self.data) else None


def read_blocks(store: AlertStore, indices: Iterable[int]) -> Iterator[Block]:
    """Yield blocks that together hold the line of each index once.

    Blocks come in file order, not in the order given.
    """
    columns = store.columns()
    # A followed file's rows read through its LineFile, which still reads
    # the file after it was rotated away; other rows open their path.
    by_file: dict[tuple[int, int], list[int]] = {}
    in_memory: list[int] = []
    for index in indices:
        if columns.offset[index] < 0:
            in_memory.append(index)
        else:
            key = (columns.origin[index], columns.file[index])
            by_file.setdefault(key, []).append(index)
    if in_memory:
        yield Block(in_memory, None, 0)

    for (origin, file_id), members in by_file.items():
        members.sort(key=columns.offset.__getitem__)
        line_file = columns.line_files[file_id]
        if line_file is None:
            yield from _file_blocks(columns, columns.strings[origin], members)
        else:
            yield from _line_file_blocks(columns, line_file, members)


def read_lines(
    store: AlertStore, indices: Iterable[int]
) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(index, line)`` for each index, in file order.

    ``line`` is None where ``Block.data`` is None or the read came up short.
    """
    columns = store.columns()
    for block in read_blocks(store, indices):
        for index in block.indices:
            yield index, block.line(columns, index)


def iter_alerts(
    store: AlertStore, indices: Sequence[int], chunk: int = CHUNK
) -> Iterator[Alert]:
    """Yield the alert of each index in order, reading lines in blocks.

    Up to ``chunk`` alerts are held at a time, so memory stays bounded for
    a million indices.
    """
    for start in range(0, len(indices), chunk):
        part = indices[start : start + chunk]
        alerts: dict[int, Alert] = {}
        for index, data in read_lines(store, part):
            if data is None:
                alerts[index] = store.alert(index)
            else:
                alerts[index] = alert_from_line(store.row(index), data)
        for index in part:
            yield alerts[index]


def _file_blocks(
    columns: StoreColumns, path: str, members: list[int]
) -> Iterator[Block]:
    """Yield the blocks of ``members`` (sorted by offset) in the file ``path``."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, across yields
    except OSError:
        # store.alert logs the failure and rebuilds each alert from its row.
        yield Block(members, None, 0)
        return

    with stream:
        for run in _runs(columns, members):
            start = columns.offset[run[0]]
            end = max(columns.offset[i] + columns.length[i] for i in run)
            try:
                stream.seek(start)
                data = stream.read(end - start)
            except OSError:
                data = b""
            yield Block(run, data, start)


def _line_file_blocks(
    columns: StoreColumns, line_file: LineFile, members: list[int]
) -> Iterator[Block]:
    """Yield the blocks of ``members`` (sorted by offset) read from ``line_file``."""
    for run in _runs(columns, members):
        start = columns.offset[run[0]]
        end = max(columns.offset[i] + columns.length[i] for i in run)
        try:
            data = line_file.read(start, end - start)
        except OSError:
            # store.alert logs the failure and rebuilds each alert from its row.
            yield Block(run, None, 0)
            continue
        yield Block(run, data, start)


def _runs(columns: StoreColumns, members: list[int]) -> Iterator[list[int]]:
    """Split offset-sorted ``members`` into runs that one read of at most
    ``BLOCK_BYTES`` covers (a single longer line makes a run of its own)."""
    offsets = columns.offset
    lengths = columns.length
    run: list[int] = []
    start = 0
    for index in members:
        if run and offsets[index] + lengths[index] - start > BLOCK_BYTES:
            yield run
            run = []
        if not run:
            start = offsets[index]
        run.append(index)
    if run:
        yield run
