"""Benchmark: cost of bursts (thinning) and power models (energy accounting) in the simulator.

The `bench_sim.bench_spec` network (50 sites x 8 servers, 500 demand points, load 0.8), timed in
one process, best of ``--repeat`` runs each, after a warm-up call:

* plain: the spec as is (the reference, same as bench_sim.py's coredge figure);
* power: every site with a power model (energy columns, J/request);
* scheduled burst: x2 for the middle third of the run on every demand point;
* random burst: a two-state MMPP (x2 in bursts of mean 0.5 s, quiet 2 s); thinning generates
  candidates at twice the base rate throughout.

Run:  python benchmarks/bench_sim_bursts_energy.py [--requests 1e6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sim import bench_spec
from coredge.sim import simulate, spec_from_dict
from coredge.sim.spec import BurstSpec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = int(args.requests)
    spec = bench_spec()
    d = spec.to_dict()
    for s in d["sites"]:
        # illustrative figures (assumption; only the cost of the accounting is measured here)
        s["power"] = {"idle_w": 8 * 829.0, "busy_w_per_slot": 1394.0, "pue": 1.2}
    powered = spec_from_dict(d)
    rate = sum(x.rate_per_s for x in spec.demand)
    third_s = n / rate / 3.0
    variants: list[tuple[str, Any, list[BurstSpec]]] = [
        ("plain", spec, []),
        ("power models on every site", powered, []),
        ("scheduled burst x2 (middle third)", spec, [BurstSpec(at_s=third_s, for_s=third_s, factor=2.0)]),
        ("random burst x2 (MMPP 0.5 s / 2 s)", spec,
         [BurstSpec(kind="random", factor=2.0, mean_burst_s=0.5, mean_quiet_s=2.0)]),
    ]
    simulate(spec, requests=1000)
    simulate(powered, requests=1000)
    print("| variant | best wall [s] | requests/s | vs plain |")
    print("|---|---:|---:|---:|")
    base = None
    for name, sp, bursts in variants:
        walls = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            simulate(sp, requests=n, seed=args.seed, bursts=bursts)
            walls.append(time.perf_counter() - t)
        w = min(walls)
        base = base or w
        print(f"| {name} | {w:.3f} | {n / w:,.0f} | {w / base:.2f}x |")


if __name__ == "__main__":
    main()
