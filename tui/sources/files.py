"""Turn command-line paths into sources, and find Falco's usual output file."""

from __future__ import annotations

import glob
import os
import stat
from pathlib import Path
from typing import NamedTuple

from tui.sources.base import Source
from tui.sources.gzip_history import GzipSource, is_gzip_path
from tui.sources.stdin import StdinSource
from tui.sources.tail import (
    DIRECTORY_PATTERNS,
    DirectorySource,
    FileSource,
    list_matching_files,
)

# Falco ships file_output disabled, with `filename: ./events.txt` in both
# falco.yaml and the Helm chart's values, so there is no standard location.
# These are the absolute paths that Falco guides and deployments commonly
# configure, with JSON output first because it carries the most fields.
DEFAULT_PATHS: tuple[Path, ...] = (
    Path("/var/log/falco/events.json"),
    Path("/var/log/falco/falco_events.json"),
    Path("/var/log/falco/falco.json"),
    Path("/var/log/falco.json"),
    Path("/var/log/falco/events.txt"),
    Path("/var/log/falco_events.log"),
)

STDIN_ARGUMENT = "-"

_GLOB_CHARACTERS = frozenset("*?[")


def first_existing_default() -> Path | None:
    """Return the first of ``DEFAULT_PATHS`` that is a file, or None."""
    for path in DEFAULT_PATHS:
        if path.is_file():
            return path
    return None


def make_sources(
    args: list[str],
    poll: bool = False,
    stdin_fd: int | None = None,
    from_end: bool = False,
    *,
    rows: bool = False,
    spool_dir: Path | None = None,
) -> list[Source]:
    """Create one source per argument, in order, without starting any.

    - ``-`` reads standard input once, however often it is given. With
      ``stdin_fd`` it reads that descriptor (the pipe moved aside so the
      terminal can have fd 0), which the source then owns and closes.
    - A folder follows every ``*.json``, ``*.jsonl`` and ``*.log`` in it.
    - A glob whose wildcards are all in the last part, such as
      ``/var/log/falco/*.json``, follows the matching files in that folder,
      including files created later.
    - Any other glob is expanded now, and each match becomes a source.
    - A named pipe is read like standard input.
    - A ``.gz`` file is read once as history.
    - Anything else is a file, which may not exist yet: its source waits for it.

    A path given twice gets one source. ``poll`` makes file watchers poll
    instead of using inotify. ``from_end`` skips the content that files
    hold at start. ``rows`` makes every source deliver compact rows instead
    of full alerts (see ``Source.delivers_rows``), and standard input and
    named pipes then spool what they read to a file in ``spool_dir``.
    """
    options = _Options(poll, from_end, rows, spool_dir)
    sources: list[Source] = []
    seen: set[str] = set()
    for argument in args:
        if argument == STDIN_ARGUMENT:
            if STDIN_ARGUMENT not in seen:
                seen.add(STDIN_ARGUMENT)
                stdin = StdinSource(fd=stdin_fd, rows=rows, spool_dir=spool_dir)
                sources.append(stdin)
            continue

        for source in _sources_for(argument, options):
            key = _identity_key(source)
            if key not in seen:
                seen.add(key)
                sources.append(source)
    return sources


def expand_file_paths(args: list[str]) -> list[str]:
    """Expand folders and globs into file paths for a one-shot read.

    Folders give their matching files and globs their matches, both sorted.
    ``-`` and paths that do not exist are passed through, so the reader can
    report them.
    """
    paths: list[str] = []
    for argument in args:
        path = Path(argument).expanduser()
        if argument == STDIN_ARGUMENT:
            paths.append(argument)
        elif path.is_dir():
            paths.extend(str(file) for file in _matching_files_or_none(path))
        elif not path.exists() and _is_glob(argument):
            paths.extend(_expand_glob(str(path)) or [argument])
        else:
            paths.append(str(path))
    return list(dict.fromkeys(paths))


def _matching_files_or_none(folder: Path) -> list[Path]:
    try:
        return list_matching_files(folder, DIRECTORY_PATTERNS)
    except OSError:
        # An unreadable folder is passed on as itself, so the reader reports it.
        return [folder]


def _expand_glob(pattern: str) -> list[str]:
    """Return the files matching ``pattern``, with folders expanded, sorted."""
    files: list[str] = []
    for match in sorted(glob.glob(pattern)):
        if os.path.isdir(match):
            files.extend(str(file) for file in _matching_files_or_none(Path(match)))
        else:
            files.append(match)
    return files


class _Options(NamedTuple):
    """The options ``make_sources`` passes to each source it builds."""

    poll: bool
    from_end: bool
    rows: bool
    spool_dir: Path | None


def _sources_for(argument: str, options: _Options) -> list[Source]:
    path = Path(argument).expanduser()
    if path.exists() or not _is_glob(argument):
        return [_source_for_path(path, options)]

    if not _is_glob(str(path.parent)):
        patterns = (path.name,)
        return [
            DirectorySource(
                path.parent,
                patterns,
                poll=options.poll,
                from_end=options.from_end,
                rows=options.rows,
            )
        ]

    matches = sorted(glob.glob(str(path)))
    if not matches:
        # Nothing matches yet; waiting on the literal path reports it plainly.
        return [_file_source(path, options)]
    return [_source_for_path(Path(match), options) for match in matches]


def _source_for_path(path: Path, options: _Options) -> Source:
    if path.is_dir():
        return DirectorySource(
            path, poll=options.poll, from_end=options.from_end, rows=options.rows
        )
    if _is_stream(path):
        # A named pipe or a process substitution such as <(kubectl logs -f ...)
        # has no end to follow and no history, so it is read like stdin.
        return StdinSource(
            pipe_path=path, rows=options.rows, spool_dir=options.spool_dir
        )
    if is_gzip_path(path):
        return GzipSource(path, rows=options.rows)
    return _file_source(path, options)


def _file_source(path: Path, options: _Options) -> FileSource:
    return FileSource(
        path, poll=options.poll, from_end=options.from_end, rows=options.rows
    )


def _is_stream(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _is_glob(text: str) -> bool:
    return any(character in _GLOB_CHARACTERS for character in text)


def _identity_key(source: Source) -> str:
    if isinstance(source, (FileSource, GzipSource)):
        return f"file:{os.path.abspath(source.path)}"
    if isinstance(source, DirectorySource):
        folder = os.path.abspath(source.folder)
        return f"folder:{folder}:{','.join(source.patterns)}"
    return f"{type(source).__name__}:{source.label}"
