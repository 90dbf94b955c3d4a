"""Messages that cross the app: what sources report from their threads."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class SourceStatusChanged(Message):
    """Posted from a source's thread when the source changes state."""

    def __init__(self, source: Any, status: Any) -> None:
        super().__init__()
        self.source = source
        """The source that changed, with a ``label`` for display."""
        self.status = status
        """The new ``SourceStatus`` (state and message)."""
