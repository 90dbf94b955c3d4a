"""The in-memory alert store and summary figures. No Textual here."""

from tui.storage.store import AlertStore
from tui.storage.summary import Summary

__all__ = ["AlertStore", "Summary"]
