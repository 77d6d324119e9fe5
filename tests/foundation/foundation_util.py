from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"

TINY = """
name: tiny
description: The largest US cities over five years.
horizon: {start_year: 2026, end_year: 2030}
demand:
  source: cities
  countries: [US]
  min_population: 1500000
candidates:
  core_regions: [dallas-fort-worth, northern-virginia, phoenix-mesa]
  regional_min_population: 1500000
  micro_min_population: 1500000
workloads:
  batch: {dtype: fp8}
training: {it_mw_start: 50.0}
variants:
  bigger:
    demand: {market_share: 0.5}
"""




def tiny_path(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the coredge CLI in a subprocess (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "coredge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
