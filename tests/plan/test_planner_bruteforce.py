"""MILP optimum vs brute force on a 4-candidate, one-year scenario.

The brute force is independent of the planner's model: it enumerates every tier choice of every
candidate (closed, regional, micro) and every module count, solves the assignment for each with
`scipy.optimize.linprog`, and prices capex, fixed opex, energy and the unmet penalty from the tier
specifications directly (each site's climate-adjusted PUE; whole GPUs per site, as costing buys).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from planner_util import write_scenario
from scipy.optimize import linprog

from coredge.geo import haversine_km
from coredge.inputs.build import build_inputs
from coredge.latency import rtt_ms
from coredge.plan.milp import milp_plan
from coredge.scenario.load import load_scenario
from coredge.units import HOURS_PER_YEAR

OFF = {"enabled": False}
RAW = {
    "name": "brute",
    "horizon": {"start_year": 2026, "end_year": 2026},
    "demand": {"source": "cities", "countries": ["US"], "min_population": 1_500_000, "market_share": 0.5},
    "candidates": {"core_regions": ["dallas-fort-worth"], "regional_min_population": 3_000_000,
                   "micro_min_population": 2_000_000},
    "workloads": {"consumer-assistant": {"demand_share": 0.7}, "voice-agent": {"demand_share": 0.3},
                  "gaming-xr": OFF, "video-analytics": OFF, "financial": OFF,
                  "autonomous-industrial": OFF, "content-delivery": OFF, "batch": OFF},
    "tiers": {"regional": {"lead_time_months": 0}, "micro": {"lead_time_months": 0}},
    "training": {"it_mw_start": 0.0},
    "economics": {"unmet_demand_penalty_usd_per_mw_year": 1.0e9},
    "planning": {"single_site_failure": False},
}


def brute_force(inp) -> float:  # type: ignore[no-untyped-def]
    sc = inp.scenario
    cand = inp.candidates
    edge = np.flatnonzero((cand["allow_regional"] | cand["allow_micro"]).to_numpy())
    load = inp.load_mw[:, :, 0]  # (N, K)
    net = sc.network
    d = haversine_km(inp.demand["lat"].to_numpy()[:, None], inp.demand["lon"].to_numpy()[:, None],
                     cand["lat"].to_numpy()[edge][None, :], cand["lon"].to_numpy()[edge][None, :])
    rtt = rtt_ms(net, d)
    pairs = [(p, k, e) for p in range(load.shape[0]) for k in range(load.shape[1]) for e in range(edge.size)
             if rtt[p, e] <= inp.rtt_budget_ms[k] + 1e-9 and load[p, k] > 0]
    pk = sorted({(p, k) for p in range(load.shape[0]) for k in range(load.shape[1]) if load[p, k] > 0})
    pen = sc.economics.unmet_demand_penalty_usd_per_mw_year
    util = sc.hardware.utilisation_frac
    gpus_per_mw = 1000.0 / inp.it_kw_per_gpu
    price = cand["price_usd_per_mwh"].to_numpy()[edge]
    total = float(load.sum())
    options = []
    for j in edge:
        opts = [("closed", 0)]
        for t in ("regional", "micro"):
            if cand[f"allow_{t}"].iat[j]:
                spec = sc.tiers[t]
                top = int(min(np.floor(spec.it_mw_max / spec.module_it_mw + 1e-9),
                              np.floor(cand["grid_available_mw"].iat[j] / cand[f"pue_{t}"].iat[j]
                                       / spec.module_it_mw + 1e-9),
                              np.ceil(total / spec.module_it_mw)))
                opts += [(t, n) for n in range(1, top + 1)]
        options.append(opts)
    best = np.inf
    for choice in itertools.product(*options):
        fixed = 0.0
        cap = np.zeros(edge.size)
        energy = np.zeros(edge.size)
        for e, (t, n) in enumerate(choice):
            if t == "closed":
                continue
            spec = sc.tiers[t]
            fac = spec.facility_capex_usd_per_mw * (1 + spec.land_and_soft_cost_frac)
            mw = n * spec.module_it_mw
            # capex, first year undiscounted; whole GPUs per site as costing buys them
            fixed += mw * fac + np.floor(mw * gpus_per_mw) * inp.gpu_capex_usd
            fixed += mw * (spec.opex_frac_of_facility_capex_per_year * fac + spec.staff_usd_per_mw_year)
            cap[e] = mw
            # site PUE; a busy GPU draws its measured average (energy_draw_frac), not its nameplate
            energy[e] = util * inp.energy_draw_frac * cand[f"pue_{t}"].iat[edge[e]] * HOURS_PER_YEAR * price[e]
        use = [q for q in pairs if cap[q[2]] > 0]
        nx, nu = len(use), len(pk)
        c = np.r_[[load[p, k] * energy[e] for p, k, e in use], [load[p, k] * pen for p, k in pk]]
        a_eq = np.zeros((nu, nx + nu))
        for i, (p, k, _e) in enumerate(use):
            a_eq[pk.index((p, k)), i] = 1.0
        a_eq[:, nx:] = np.eye(nu)
        a_ub = np.zeros((edge.size, nx + nu))
        for i, (p, k, e) in enumerate(use):
            a_ub[e, i] = load[p, k]
        res = linprog(c, A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=np.ones(nu), bounds=(0, 1), method="highs")
        assert res.status == 0
        best = min(best, fixed + float(res.fun))
    return float(best)


def test_milp_matches_brute_force(tmp_path: Path) -> None:
    inp = build_inputs(load_scenario(write_scenario(tmp_path, RAW)))
    cand = inp.candidates
    n_edge = int((cand["allow_regional"] | cand["allow_micro"]).sum())
    assert 3 <= n_edge <= 5
    assert cand["allow_regional"].any() and cand["allow_micro"].any()
    expected = brute_force(inp)
    plan = milp_plan(inp, time_limit_s=math.inf, mip_rel_gap=1e-9)  # no wall-clock limit: the optimum is asserted
    assert plan.solver["objective_usd"] == pytest.approx(expected, rel=1e-6)
    # The bound certifies it: the model's bound (fractional GPUs) less at most one GPU per
    # candidate site for costing's whole-GPU rounding.
    slack = plan.solver["gpu_floor_slack_usd"]
    assert 0 < slack <= len(cand) * inp.gpu_capex_usd
    assert slack < 0.01 * expected
    assert plan.solver["bound_usd"] <= expected * (1 + 1e-9)
    assert plan.solver["bound_usd"] >= expected * (1 - 1e-6) - slack
    # The separable relaxation (no LP) is a valid bound too, and a weaker one.
    sep = plan.solver["bound_separable_usd"]
    assert 0 < sep - slack <= expected
    assert sep <= plan.solver["bound_usd"] + slack + 1e-6 * expected
    # Something is served (the penalty makes serving worth it) and nothing is wasted.
    assert plan.n_sites >= 1
