"""Subcommands of ``falco-tui`` that run without the dashboard."""
