"""Write alert files for tests with the benchmark generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "generate_alerts.py"


def generated_file(path: Path, count: int, seed: int = 5) -> Path:
    """Write ``count`` alerts from the benchmark generator to ``path``."""
    with path.open("wb") as out:
        subprocess.run(
            [sys.executable, str(GENERATOR), str(count), "--seed", str(seed)],
            stdout=out,
            check=True,
        )
    return path
