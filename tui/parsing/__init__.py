"""Falco output parsing: bytes in, alerts and skipped lines out. No Textual here."""
