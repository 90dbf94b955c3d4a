"""Replay the bundled sample alerts at a live pace, for a demo without Falco."""

from __future__ import annotations

import random
from pathlib import Path

import tui
from tui.parsing.alert import Alert
from tui.parsing.reader import iter_items
from tui.sources.base import Item, Source, SourceState

INITIAL_BURST = 20
"""How many alerts arrive at once at the start, about one screenful."""

SAMPLE_PATTERNS = ("*.jsonl", "*.json", "*.log")


def sample_alerts_dir() -> Path:
    """Find the ``sample_alerts`` folder in an installed wheel or a checkout.

    The wheel places it inside the package (``tui/sample_alerts``); a source
    checkout has it at the repository root. Raises ``FileNotFoundError`` when
    neither exists.
    """
    package_dir = Path(tui.__file__).resolve().parent
    candidates = [package_dir / "sample_alerts", package_dir.parent / "sample_alerts"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    searched = " and ".join(str(candidate) for candidate in candidates)
    raise FileNotFoundError(
        f"The sample alerts folder is missing (looked in {searched}). "
        "Reinstall falco-tui, or pass alert files to read instead of --demo."
    )


def sample_alert_files() -> list[Path]:
    """Return the sample files in ``sample_alerts_dir()``, sorted by name."""
    folder = sample_alerts_dir()
    files = {path for pattern in SAMPLE_PATTERNS for path in folder.glob(pattern)}
    return sorted(path for path in files if path.is_file())


class DemoSource(Source):
    """Replay alerts from ``paths`` (default: the bundled samples).

    The first ``INITIAL_BURST`` alerts arrive together, then one alert about
    every ``1 / rate`` seconds with up to 50 % jitter. Alerts keep the times
    recorded in the files. When all are replayed the status becomes "ended".
    Without ``paths``, raises ``FileNotFoundError`` when the bundled samples
    are missing.
    """

    def __init__(
        self,
        paths: list[Path] | None = None,
        rate: float = 2.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if rate <= 0:
            raise ValueError(
                f"The demo rate must be above 0 alerts per second, not {rate}."
            )
        self.paths = list(paths) if paths is not None else sample_alert_files()
        self.rate = rate
        self.label = "demo"
        self._random = random.Random(seed)

    def _run(self) -> None:
        items = self._load()
        if items is None:
            return
        alert_count = sum(isinstance(item, Alert) for item in items)
        self._set_status(
            SourceState.FOLLOWING, f"Replaying {alert_count} sample alerts."
        )

        burst_end = _index_after_alerts(items, INITIAL_BURST)
        self._deliver(items[:burst_end])
        self._flush_items()

        for item in items[burst_end:]:
            if isinstance(item, Alert) and self._stop_event.wait(self._next_delay()):
                return
            self._deliver([item])
            self._flush_items()

        self._set_status(SourceState.ENDED, "demo replay finished")

    def _load(self) -> list[Item] | None:
        """Read every sample file; report an error and return None on failure."""
        self._set_status(SourceState.READING_HISTORY, "Loading the sample alerts.")
        items: list[Item] = []
        for path in self.paths:
            try:
                items.extend(iter_items(path))
            except OSError as error:
                self._set_status(
                    SourceState.ERROR,
                    f"Cannot read the sample file {path}: {error.strerror or error}. "
                    "Reinstall falco-tui, or pass alert files instead of --demo.",
                )
                return None
        return items

    def _next_delay(self) -> float:
        interval = 1.0 / self.rate
        return interval * self._random.uniform(0.5, 1.5)


def _index_after_alerts(items: list[Item], count: int) -> int:
    """Return the index just past the ``count``-th alert (or the list's end)."""
    seen = 0
    for index, item in enumerate(items):
        if isinstance(item, Alert):
            seen += 1
            if seen == count:
                return index + 1
    return len(items)
