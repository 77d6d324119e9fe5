"""Plan-level finance benchmark: plan -> financials -> Monte Carlo, on a scenario.

Usage::

    python benchmarks/bench_finance_plan.py [SCENARIO] [--trials N]

Times `coredge.pipeline.execute` (the peer stage: planning and costing, which every finance
command runs first), `financials_from_plan` and `risk_from_plan`. Prints a markdown section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

from coredge.finance.from_plan import financials_from_plan, risk_from_plan
from coredge.pipeline import Compute, execute
from coredge.scenario.load import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="us")
    ap.add_argument("--trials", type=int, default=100_000)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    sc = load_scenario(args.scenario)
    t0 = time.perf_counter()
    res = execute(sc, compute=Compute(finance=False, simulation=False, training=False))
    t1 = time.perf_counter()
    pf = financials_from_plan(res.inputs, res.plan, res.costs)
    t2 = time.perf_counter()
    risk_from_plan(pf, sc, 1024, 0, with_tornado=False)  # warm the compiled kernel
    t3 = time.perf_counter()
    rr = risk_from_plan(pf, sc, args.trials, 0)
    t4 = time.perf_counter()
    s = rr.summary()["portfolio"]
    print("## Finance on a plan (coredge.finance.from_plan)\n")
    print(f"Machine: {platform.machine()}, 2 cores shared (load average at start {load:.1f}; figures may be noisy); "
          f"date {dt.date.today()}; command `python benchmarks/bench_finance_plan.py {args.scenario} --trials {args.trials}`.\n")
    print(f"Scenario `{sc.name}`: {res.plan.n_sites} sites, {len(pf.rows)} build phases, {pf.assumptions.horizon_years} years.\n")
    print("| stage | wall time [s] |\n|---|---|")
    print(f"| peer stage: `execute` (inputs, plan, costing) | {t1 - t0:.2f} |")
    print(f"| `financials_from_plan` (rows, cash flows, metrics, edge premium) | {t2 - t1:.3f} |")
    print(f"| `risk_from_plan`, {args.trials:,} trials incl. tornado (kernel warm; warm-up {t3 - t2:.2f} s) | {t4 - t3:.2f} |")
    print(f"\nRatio finance / planning: {(t2 - t1 + t4 - t3) / (t1 - t0):.2f}. "
          f"NPV P10/P50/P90 = {s['npv_usd']['p10'] / 1e9:.2f} / {s['npv_usd']['p50'] / 1e9:.2f} / "
          f"{s['npv_usd']['p90'] / 1e9:.2f} G$, P(loss) {s['prob_loss']:.2f} (default assumptions; not a forecast).")


if __name__ == "__main__":
    main()
