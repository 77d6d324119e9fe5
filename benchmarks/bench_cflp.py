"""Benchmark the coredge CFLP engine (coredge.plan.solve_cflp) on OR-Library and random instances.

Parts (``--part``):

- ``cap``: all 37 OR-Library cap instances (cap41-cap134), multi-source, each timed, and total.
- ``capabc``: capa, capb, capc at their four capacities each (time to proven optimum or gap at
  the limit).
- ``random``: a random 1000-customer x 100-facility multi-source instance generated as in
  Cornuejols, Sridharan and Thizy (1991) (see `cornuejols_instance`), solved by the engine, by
  the plain strong formulation (all ``x_ij <= y_i`` rows) handed to HiGHS as is, and by the same
  model through PuLP + CBC, all with the same time limit, in the same run.

Usage::

    python benchmarks/bench_cflp.py --part all --limit 300

Prints one line per solve and a markdown summary at the end. Machine: 2 shared cores; figures
are noisy.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from coredge.cflp import CflpInstance, read_orlib_cap, solve_cflp
from coredge.cflp.model import build_cflp_milp
from coredge.cflp.solve import relative_gap, solve_milp

ORLIB = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "orlib"
CAP_NAMES = sorted(
    {f"cap{a}{b}" for a in (4, 6, 7, 8, 9, 10, 11, 12, 13) for b in (1, 2, 3, 4)} | {"cap51"},
    key=lambda s: (len(s), s),
)
CAP_NAMES = [n for n in CAP_NAMES if (ORLIB / "cap" / f"{n}.txt").exists()]
ABC = {
    "capa": ("capa.txt", (8000, 10000, 12000, 14000)),
    "capb": ("capb.txt", (5000, 6000, 7000, 8000)),
    "capc": ("capc_capacity5750_aimms.txt", (5000, 5750, 6500, 7250)),
}


def optima() -> dict[tuple[str, str], float]:
    rows = csv.DictReader((ORLIB / "optima.csv").read_text().splitlines())
    return {
        (r["instance"], r["parameter"]): float(r["published_optimum"])
        for r in rows
        if r["variant"] == "MS-CFLP"
    }


def cornuejols_instance(
    n_customers: int, n_facilities: int, ratio: float, rng: np.random.Generator
) -> CflpInstance:
    """Random CFLP instance after Cornuejols, Sridharan and Thizy (1991), EJOR 50:280-297.

    Customers and facilities uniform in the unit square; demand d_j ~ U[5, 35]; capacity
    s_i ~ U[10, 160], then scaled so that sum s = ratio * sum d and rounded up to integers;
    cost of serving all of j from i c_ij = 10 * distance * d_j; fixed cost
    f_i = U[0, 90] + U[100, 110] * sqrt(s_i) (on the scaled capacity).
    """
    cust = rng.uniform(size=(n_customers, 2))
    fac = rng.uniform(size=(n_facilities, 2))
    d = rng.uniform(5, 35, n_customers)
    s = rng.uniform(10, 160, n_facilities)
    s = np.ceil(s * ratio * d.sum() / s.sum())
    dist = np.linalg.norm(fac[:, None, :] - cust[None, :, :], axis=2)
    c = 10.0 * dist * d[None, :]
    f = rng.uniform(0, 90, n_facilities) + rng.uniform(100, 110, n_facilities) * np.sqrt(s)
    return CflpInstance(f, s, d, c, name=f"cornuejols_{n_customers}x{n_facilities}_r{ratio:g}")


def plain_highs(inst: CflpInstance, limit_s: float) -> dict[str, Any]:
    """The strong formulation (all x<=y rows, no cover, no heuristics of ours) through HiGHS."""
    t0 = time.perf_counter()
    model, _ = build_cflp_milp(inst, "multi-source", linking="all", cover=False)
    out = solve_milp(model, limit_s - (time.perf_counter() - t0), 1e-9)
    return {
        "objective": out.objective,
        "bound": out.bound,
        "gap": relative_gap(out.objective, out.bound),
        "status": out.status,
        "seconds": time.perf_counter() - t0,
    }


def pulp_cbc(inst: CflpInstance, limit_s: float) -> dict[str, Any]:
    """The same strong formulation built with PuLP and solved by CBC (1 thread)."""
    import pulp

    t0 = time.perf_counter()
    m, n = inst.m, inst.n
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(m)]
    x = [[pulp.LpVariable(f"x{i}_{j}", 0, 1) for j in range(n)] for i in range(m)]
    c = inst.assign_cost_usd
    prob += pulp.lpSum(float(inst.fixed_cost_usd[i]) * y[i] for i in range(m)) + pulp.lpSum(
        float(c[i, j]) * x[i][j] for i in range(m) for j in range(n)
    )
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1
    for i in range(m):
        prob += (
            pulp.lpSum(float(inst.demand[j]) * x[i][j] for j in range(n))
            <= float(inst.capacity[i]) * y[i]
        )
        for j in range(n):
            prob += x[i][j] <= y[i]
    build = time.perf_counter() - t0
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, limit_s - build), threads=1)
    prob.solve(solver)
    obj = pulp.value(prob.objective)
    return {
        "objective": float(obj) if obj is not None else np.inf,
        "bound": float("nan"),
        "gap": float("nan"),
        "status": pulp.LpStatus[prob.status] + f" (sol: {prob.sol_status})",
        "seconds": time.perf_counter() - t0,
        "build_s": build,
    }


def run_cap(limit_s: float) -> list[str]:
    opt = optima()
    lines = ["| instance | objective | published | status | seconds |", "|---|---|---|---|---|"]
    total = 0.0
    worst = 0.0
    for name in CAP_NAMES:
        inst = read_orlib_cap(ORLIB / "cap" / f"{name}.txt")
        res = solve_cflp(inst, time_limit_s=limit_s)
        total += res.seconds
        err = abs(res.objective - opt[(name, "")])
        worst = max(worst, err)
        print(f"{name}: {res.objective:.4f} {res.status} {res.seconds:.3f}s", file=sys.stderr)
        lines.append(
            f"| {name} | {res.objective:.3f} | {opt[(name, '')]:.3f} | {res.status} | "
            f"{res.seconds:.3f} |"
        )
    lines.append(
        f"| **total ({len(CAP_NAMES)})** | | max abs diff {worst:.4f} | | **{total:.2f}** |"
    )
    return lines


def run_abc(limit_s: float) -> list[str]:
    opt = optima()
    lines = [
        "| instance | capacity | objective | published | bound | gap | status | seconds | "
        "free after fixing | MILP s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    total = 0.0
    for key, (fname, caps) in ABC.items():
        for k, cap in enumerate(caps, start=1):
            inst = read_orlib_cap(ORLIB / "cap" / fname, capacity=cap)
            res = solve_cflp(inst, time_limit_s=limit_s)
            total += res.seconds
            pub = opt[(f"{key}{k}", str(cap))]
            print(f"{key}{k}: {res.objective:.4f} {res.status} {res.seconds:.2f}s", file=sys.stderr)
            lines.append(
                f"| {key}{k} | {cap} | {res.objective:.3f} | {pub:.3f} | {res.bound:.3f} | "
                f"{res.gap:.2e} | {res.status} | {res.seconds:.2f} | "
                f"{res.stats.get('free', '-')} | {res.stats.get('t_milp_s', 0.0):.2f} |"
            )
    lines.append(f"| **total (12)** | | | | | | | **{total:.1f}** | | |")
    return lines


def run_random(limit_s: float, seed: int, ratio: float, peers: bool) -> list[str]:
    rng = np.random.default_rng(seed)
    inst = cornuejols_instance(1000, 100, ratio, rng)
    rows: list[tuple[str, dict[str, Any]]] = []
    res = solve_cflp(inst, time_limit_s=limit_s)
    eng = {k: getattr(res, k) for k in ("objective", "bound", "gap", "status", "seconds")}
    print(f"engine: {eng}", file=sys.stderr)
    rows.append(("coredge solve_cflp", eng))
    if peers:
        ph = plain_highs(inst, limit_s)
        print(f"plain HiGHS: {ph}", file=sys.stderr)
        rows.append(("plain strong formulation, HiGHS", ph))
        cb = pulp_cbc(inst, limit_s)
        print(f"PuLP+CBC: {cb}", file=sys.stderr)
        rows.append(("plain strong formulation, PuLP + CBC", cb))
    lines = [
        f"Instance {inst.name}, seed {seed} (numpy default_rng), limit {limit_s:g} s each.",
        "",
        "| solver | objective | bound | gap | status | seconds | time ratio vs engine |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        ratio_t = r["seconds"] / eng["seconds"]
        lines.append(
            f"| {label} | {r['objective']:.3f} | {r['bound']:.3f} | {r['gap']:.2e} | "
            f"{r['status']} | {r['seconds']:.1f} | {ratio_t:.1f}x |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("cap", "capabc", "random", "all"), default="all")
    ap.add_argument("--limit", type=float, default=300.0, help="time limit per solve [s]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ratio", type=float, default=5.0, help="capacity / demand ratio (random)")
    ap.add_argument("--no-peers", action="store_true", help="skip plain HiGHS and PuLP+CBC")
    args = ap.parse_args()
    out = [
        f"machine: {platform.machine()}, {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}; command: python benchmarks/bench_cflp.py "
        + " ".join(sys.argv[1:]),
        "",
    ]
    if args.part in ("cap", "all"):
        out += ["### OR-Library cap41-cap134, multi-source", "", *run_cap(args.limit), ""]
    if args.part in ("capabc", "all"):
        out += ["### capa, capb, capc (multi-source)", "", *run_abc(args.limit), ""]
    if args.part in ("random", "all"):
        out += ["### Random 1000 x 100 (Cornuejols et al. 1991)", ""]
        out += run_random(args.limit, args.seed, args.ratio, not args.no_peers)
    print("\n".join(out))


if __name__ == "__main__":
    main()
