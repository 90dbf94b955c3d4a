"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
"""Real Falco captures and reference notes kept next to the repository."""


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the shared data folder, failing under CI and skipping elsewhere if missing."""
    if SHARED_DIR.is_dir():
        return SHARED_DIR
    message = f"shared test data folder not found: {SHARED_DIR}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def events_dir(shared_dir: Path) -> Path:
    """Return the folder of real Falco event captures."""
    return shared_dir / "falco-events"
