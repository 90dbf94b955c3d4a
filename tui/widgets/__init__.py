"""Textual widgets of the dashboard: the alert list, detail pane and checklist."""
