"""Find logrotate's copies of a file that was truncated after it was copied.

With ``copytruncate`` logrotate copies the file to ``PATH.1`` (after moving
``PATH.1`` to ``PATH.2`` and so on), or to ``PATH-<date>`` with ``dateext``,
then truncates it. ``compress`` gzips the copies, immediately or, with
``delaycompress``, one rotation later. A follower that finds its file
truncated reads what it had not read yet from these copies.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

logger = logging.getLogger(__name__)

COPY_SUFFIX = re.compile(r"\.(?P<number>[0-9]+)|-(?P<date>[0-9][0-9_-]*)")
"""The name suffixes of logrotate's uncompressed copies: ``.1`` and ``.N``,
and ``-YYYYMMDD`` or another all-digit ``dateformat``."""

COMPRESSED_SUFFIX = ".gz"

CopyRank = tuple[str, tuple[int, ...]]
"""A copy's naming scheme (``number`` or ``date``) and a key that is larger
for a newer copy of that scheme."""


class TruncationCopies(NamedTuple):
    """The copy that contains the bytes read before a truncation, and the later ones."""

    fd: int
    """An open descriptor on ``path``, which the caller closes."""
    path: Path
    """The copy whose bytes match the ones read from the truncated file."""
    newer: list[Path]
    """Uncompressed copies made after ``path``, oldest first. Each contains a
    whole generation of the file, written and copied after ``path`` was."""
    compressed: list[Path]
    """Compressed copies made after ``path``, oldest first, which are not read."""


def copy_rank(path: Path, copy_name: str) -> CopyRank | None:
    """Return the rank of ``copy_name`` as a copy of ``path``, or None.

    ``PATH.N`` is newer for a smaller N, because logrotate renames ``.1`` to
    ``.2`` before it makes a new ``.1``. ``PATH-<digits>`` is newer for later
    digits, compared group by group, so ``-20260401`` and ``-2026-04-01_12``
    order by date. A ``.gz`` after the suffix is allowed.
    """
    if not copy_name.startswith(path.name):
        return None
    suffix = copy_name[len(path.name) :].removesuffix(COMPRESSED_SUFFIX)
    match = COPY_SUFFIX.fullmatch(suffix)
    if match is None:
        return None
    if match["number"] is not None:
        return "number", (-int(match["number"]),)
    return "date", tuple(int(group) for group in re.findall("[0-9]+", match["date"]))


def find_truncation_copy(
    path: Path, offset: int, sample: bytes, head: bytes
) -> TruncationCopies | None:
    """Open logrotate's copy of the truncated ``path``, and list the newer copies.

    A sibling named ``PATH.N`` or ``PATH-<digits>`` (``dateext``), not
    compressed, is the copy when its first bytes equal ``head`` and its bytes
    just before ``offset`` equal ``sample``: the start and the last bytes
    read from ``path``. The most recently modified such file is returned, or
    None. Copies that are compressed are never opened.
    """
    try:
        entries = list(os.scandir(path.parent))
    except OSError as error:
        logger.warning("listing %s for a copy failed: %s", path.parent, error)
        return None

    copies: list[tuple[Path, CopyRank]] = []
    candidates: list[tuple[float, Path, CopyRank]] = []
    for entry in entries:
        rank = copy_rank(path, entry.name)
        if rank is None:
            continue
        copies.append((Path(entry.path), rank))
        if entry.name.endswith(COMPRESSED_SUFFIX):
            continue
        try:
            candidates.append((entry.stat().st_mtime, Path(entry.path), rank))
        except OSError:
            continue

    for _mtime, candidate, rank in sorted(candidates, reverse=True):
        fd = _open_if_copy(candidate, offset, sample, head)
        if fd is not None:
            newer = _newer_copies(copies, rank)
            plain = [copy for copy in newer if copy.suffix != COMPRESSED_SUFFIX]
            compressed = [copy for copy in newer if copy.suffix == COMPRESSED_SUFFIX]
            return TruncationCopies(fd, candidate, plain, compressed)
    return None


def plain_copies(path: Path) -> list[Path]:
    """Return the uncompressed copies of ``path`` beside it, oldest first.

    Returns an empty list when the folder cannot be listed.
    """
    try:
        entries = list(os.scandir(path.parent))
    except OSError as error:
        logger.warning("listing %s for copies failed: %s", path.parent, error)
        return []

    ranked: list[tuple[CopyRank, Path]] = []
    for entry in entries:
        if entry.name.endswith(COMPRESSED_SUFFIX):
            continue
        rank = copy_rank(path, entry.name)
        if rank is not None:
            ranked.append((rank, Path(entry.path)))
    return [copy for _rank, copy in sorted(ranked)]


def latest_compressed_copy(path: Path) -> Path | None:
    """Return the compressed copy of ``path`` modified last, or None."""
    latest: tuple[float, Path] | None = None
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return None

    for entry in entries:
        if not entry.name.endswith(COMPRESSED_SUFFIX):
            continue
        if copy_rank(path, entry.name) is None:
            continue
        try:
            modified = entry.stat().st_mtime
        except OSError:
            continue
        if latest is None or modified > latest[0]:
            latest = (modified, Path(entry.path))
    return None if latest is None else latest[1]


def _newer_copies(copies: list[tuple[Path, CopyRank]], rank: CopyRank) -> list[Path]:
    """Return the copies of ``rank``'s scheme newer than ``rank``, oldest first."""
    scheme, key = rank
    newer = [
        (copy_key, copy)
        for copy, (copy_scheme, copy_key) in copies
        if copy_scheme == scheme and copy_key > key
    ]
    return [copy for _key, copy in sorted(newer)]


def _open_if_copy(path: Path, offset: int, sample: bytes, head: bytes) -> int | None:
    """Open ``path``; return its fd when it contains ``head`` and ``sample``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None

    try:
        file_stat = os.fstat(fd)
        matches = (
            stat.S_ISREG(file_stat.st_mode)
            and file_stat.st_size >= offset
            and os.pread(fd, len(head), 0) == head
            and os.pread(fd, len(sample), offset - len(sample)) == sample
        )
    except OSError:
        matches = False
    if not matches:
        os.close(fd)
        return None
    return fd
