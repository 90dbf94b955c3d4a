"""Alert sources: file tails, folders, standard input and the demo replay.

Each source is a plain thread that reports parsed items and status changes
through callbacks. No Textual here.
"""

from tui.sources.base import Source, SourceState, SourceStatus
from tui.sources.demo import DemoSource, sample_alert_files, sample_alerts_dir
from tui.sources.files import (
    DEFAULT_PATHS,
    expand_file_paths,
    first_existing_default,
    make_sources,
)
from tui.sources.stdin import StdinSource
from tui.sources.tail import DirectorySource, FileSource

__all__ = [
    "DEFAULT_PATHS",
    "DemoSource",
    "DirectorySource",
    "FileSource",
    "Source",
    "SourceState",
    "SourceStatus",
    "StdinSource",
    "expand_file_paths",
    "first_existing_default",
    "make_sources",
    "sample_alert_files",
    "sample_alerts_dir",
]
