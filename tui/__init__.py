"""falco-tui: a terminal dashboard for Falco alerts."""

__version__ = "0.1.0"
