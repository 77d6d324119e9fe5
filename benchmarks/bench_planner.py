"""Planner benchmark: the default US scenario at 1 and 10 periods, MILP vs the greedy heuristic.

Usage: python benchmarks/bench_planner.py [--time-limit 60] [--periods 1 10]

Prints one markdown table row per run: periods, columns, rows, integer columns, pairs in the
restricted model / reachable pairs, MILP wall time (build + solve + bound), greedy time, objective,
certified bound and gap (full model), restricted-model gap, the greedy plan's objective, the
single-site-failure check's worst site (MW), load served unprotected, the lowest class coverage
and any coverage shortfall.
"""

from __future__ import annotations

import argparse
import platform
import time

from coredge.inputs.build import build_inputs
from coredge.plan.greedy import greedy_plan
from coredge.plan.milp import milp_plan, plan_objective_usd
from coredge.plan.result import coverage_by_class
from coredge.scenario.load import load_scenario


def run(periods: int, time_limit_s: float) -> str:
    sc = load_scenario()
    sc = sc.model_copy(update={"horizon": sc.horizon.model_copy(update={"end_year": sc.horizon.start_year + periods - 1})})
    inp = build_inputs(sc)
    t0 = time.perf_counter()
    g = greedy_plan(inp)
    greedy_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    p = milp_plan(inp, time_limit_s=time_limit_s, warm_start=g)
    milp_s = time.perf_counter() - t1
    s = p.solver
    gap = s["gap"]
    return (
        f"| {periods} | {s['columns']:,} | {s['rows']:,} | {s['integer_columns']:,} | "
        f"{s['pairs']:,} / {s['pairs_full']:,} | {milp_s:.1f} (solve {s['solve_s']:.1f}, bound {s.get('bound_s', 0.0):.1f}) | "
        f"{greedy_s:.2f} | {s['status']} | {s['objective_usd'] / 1e9:.3f} | "
        f"{(s['bound_usd'] or float('nan')) / 1e9:.3f} | {100 * gap:.2f} % | "
        f"{100 * (s['restricted_gap'] or 0):.2f} % | {plan_objective_usd(inp, g) / 1e9:.3f} | "
        f"{s.get('single_site_failure_shortfall_mw', 0.0):.3g} | {s.get('unprotected_mw', 0.0):.3g} | "
        f"{min(v['coverage'] for v in coverage_by_class(inp, p).values()):.4f} | "
        f"{sum(s.get('coverage_shortfall_mw', {}).values()):.3g} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--periods", type=int, nargs="+", default=[1, 10])
    a = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}")
    print("| periods | columns | rows | integer | pairs (model / reachable) | MILP s | greedy s | status | "
          "objective G$ | bound G$ | certified gap | restricted gap | greedy G$ | SSF shortfall MW | "
          "unprotected MW | min class coverage | coverage shortfall MW |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in a.periods:
        print(run(n, a.time_limit), flush=True)


if __name__ == "__main__":
    main()
