"""Small scenarios for the planner tests (written into tmp_path as YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TINY: dict[str, Any] = {
    "name": "tiny-planner",
    "horizon": {"start_year": 2026, "end_year": 2030},
    "demand": {"source": "cities", "countries": ["US"], "min_population": 1_500_000},
    "candidates": {
        "core_regions": ["dallas-fort-worth", "northern-virginia", "phoenix-mesa"],
        "regional_min_population": 1_500_000,
        "micro_min_population": 1_500_000,
    },
    "workloads": {"batch": {"dtype": "fp8"}},
    "training": {"it_mw_start": 50.0},
}


def write_scenario(tmp_path: Path, raw: dict[str, Any], name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return p


def merged(base: dict[str, Any], **over: Any) -> dict[str, Any]:
    """A deep copy of `base` with top-level sections updated (section dicts merged)."""
    import copy

    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out
