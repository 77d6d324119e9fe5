"""Fit the engine efficiencies of coredge's serving model on H100 engine measurements.

Usage (from the repository root)::

    python scripts/fit_engine_efficiency.py [--out src/coredge/physics/engine_fit.json]

Fits ``compute_eff``, ``step_overhead_ms`` and ``link_eff`` (`coredge.physics.throughput.EngineFit`) of each
TensorRT-LLM version with H100 rows on the
``fit`` rows of ``coredge/data/engines_trtllm_max_throughput.csv`` (the rule is in
`coredge.physics.engine_calibration.HOLDOUT_RULE`). Deterministic: rerunning reproduces the file
up to the date stamp.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coredge.physics.engine_calibration import fit_engines

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "coredge" / "physics" / "engine_fit.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    fits = fit_engines()
    doc = {k: ef.to_json_dict() for k, ef in fits.items()}
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for k, ef in fits.items():
        print(f"{k}: compute_eff={ef.compute_eff} step_overhead_ms={ef.step_overhead_ms} "
              f"link_eff={ef.link_eff} {json.dumps(ef.meta['median_abs_error'])}")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
