"""Alert sources: file tails, folders, standard input and the demo replay.

Each source is a plain thread that reports parsed items and status changes
through callbacks. No Textual here.
"""

from tui.sources.base import Source, SourceState, SourceStatus
from tui.sources.demo import DemoSource, sample_alerts_dir
from tui.sources.files import DEFAULT_PATHS, expand_paths, first_existing_default
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
    "expand_paths",
    "first_existing_default",
    "sample_alerts_dir",
]
