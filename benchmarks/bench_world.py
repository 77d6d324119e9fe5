"""World planner benchmark: the built-in `world` scenario (or a reduced world) through the MILP
planner, with the greedy heuristic as the peer in the same run.

Usage: python benchmarks/bench_world.py [--min-population 100000] [--time-limit 300] [--gap 0.02]

Prints one markdown table row: demand points, candidates, latency regions (all classes / classes
of 30 ms or less) and the largest region's share of pairs, inputs time, greedy time and
objective, MILP wall time (build + solve + bound + repair), status, objective, certified bound
and gap, the restricted model's gap, the process's CPU seconds over wall seconds (1.0 = one
core to itself; less: the machine was shared) and peak RSS.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

from coredge.inputs.build import build_inputs
from coredge.plan.greedy import greedy_plan
from coredge.plan.milp import milp_plan, plan_objective_usd
from coredge.plan.regions import latency_regions
from coredge.scenario.load import load_scenario


def run(min_population: int, regional_min: int, micro_min: int, time_limit_s: float, gap: float) -> str:
    sc = load_scenario("world")
    sc = sc.model_copy(update={
        "demand": sc.demand.model_copy(update={"min_population": min_population}),
        "candidates": sc.candidates.model_copy(update={
            "regional_min_population": max(regional_min, min_population),
            "micro_min_population": max(micro_min, min_population)}),
    })
    wall0, cpu0 = time.perf_counter(), time.process_time()
    inp = build_inputs(sc)
    inputs_s = time.perf_counter() - wall0
    reg = latency_regions(inp)
    reg30 = latency_regions(inp, max_budget_ms=30.0)
    t0 = time.perf_counter()
    g = greedy_plan(inp)
    greedy_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    p = milp_plan(inp, time_limit_s=time_limit_s, mip_rel_gap=gap, warm_start=g)
    milp_s = time.perf_counter() - t1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    s = p.solver
    bound = s.get("bound_usd")
    return (
        f"| {min_population:,} | {inp.n_points:,} | {len(inp.candidates):,} | {reg.count} / {reg30.count} "
        f"({reg.largest_pair_share:.0%} / {reg30.largest_pair_share:.0%}) | {s['columns']:,} x {s['rows']:,} | "
        f"{s['pairs']:,} / {s['pairs_full']:,} | {inputs_s:.1f} | {greedy_s:.1f} | "
        f"{plan_objective_usd(inp, g) / 1e9:.2f} | {milp_s:.1f} (solve {s['solve_s']:.1f}, bound {s.get('bound_s', 0.0):.1f}) | "
        f"{s['status']} | {s['objective_usd'] / 1e9:.2f} | {(bound or float('nan')) / 1e9:.2f} | "
        f"{100 * s['gap']:.2f} % | {100 * (s['restricted_gap'] or 0):.2f} % | {cpu / wall:.2f} | {rss_gb:.2f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-population", type=int, nargs="+", default=[100_000])
    ap.add_argument("--regional-min", type=int, default=1_000_000)
    ap.add_argument("--micro-min", type=int, default=250_000)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--gap", type=float, default=0.02)
    a = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}")
    print("| min population | points | candidates | regions all / <=30 ms (largest's pairs) | MILP columns x rows | "
          "pairs (model / reachable) | inputs s | greedy s | greedy G$ | MILP s | status | objective G$ | "
          "bound G$ | certified gap | restricted gap | CPU / wall | peak RSS GB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in a.min_population:
        print(run(n, a.regional_min, a.micro_min, a.time_limit, a.gap), flush=True)


if __name__ == "__main__":
    main()
