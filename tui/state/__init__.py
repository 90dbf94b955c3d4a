"""Saved user state (checklist ticks) in SQLite. No Textual here."""

from tui.state.db import StateError, StateStore, default_state_dir

__all__ = ["StateError", "StateStore", "default_state_dir"]
