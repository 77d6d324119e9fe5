"""The aggregated multi-year relaxation bounds the full multi-year model; its rebuilt plan is exact.

On a small 4-year scenario (every pair fits, so HiGHS solves the full model to optimality) the
aggregated relaxation's MILP optimum must not exceed the full model's optimum, the exact plan
rebuilt from the relaxation's solution must cost at least the relaxation and at least the full
optimum, and its modules must cover every year's load, reserve and training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pytest
from planner_util import TINY, merged, write_scenario

from coredge.inputs.build import build_inputs
from coredge.plan import model as sm
from coredge.plan.cluster import build_clusters, class_radius_km
from coredge.plan.milp import gpu_floor_slack_usd, lp_bound_full, milp_plan, reoptimise_core
from coredge.plan.multiyear import aggregation_applies, build_aggregate_model, exact_modules
from coredge.plan.result import single_site_failure_shortfall
from coredge.scenario.load import load_scenario

RAW = merged(TINY, horizon={"start_year": 2026, "end_year": 2029})


def _solve(m: sm.PlannerModel) -> tuple[float, np.ndarray]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-7)
    h.setOptionValue("time_limit", 60.0)
    h.passModel(m.to_highs())
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The 4-year scenario, its model parts and the full model's proven optimum (solved once)."""
    inp = build_inputs(load_scenario(write_scenario(tmp_path_factory.mktemp("my"), RAW)))
    fac = sm.build_facilities(inp)
    groups, full = sm.build_groups_and_pairs(inp, fac)
    econ = sm.build_economics(inp, fac)
    full_opt, _ = _solve(sm.build_model(inp, fac, groups, full, econ, True))
    return {"inp": inp, "fac": fac, "groups": groups, "full": full, "econ": econ, "full_opt": full_opt}


def test_aggregate_bounds_full_model_and_rebuild_is_exact(small: dict[str, Any]) -> None:
    inp, fac, groups, full, econ = (small[k] for k in ("inp", "fac", "groups", "full", "econ"))
    full_opt = small["full_opt"]
    assert aggregation_applies(inp, groups, "cost")
    assert not aggregation_applies(inp, groups, "npv")
    agg = build_aggregate_model(inp, fac, groups, full, econ, True)
    assert int(agg.integer.sum()) < int(sm.build_model(inp, fac, groups, full, econ, True).integer.sum())
    agg_opt, v = _solve(agg)
    # A relaxation: never above the full optimum; and not trivially weak on this scenario.
    assert agg_opt <= full_opt * (1 + 1e-7)
    assert agg_opt >= 0.9 * full_opt
    # The exact rebuild: feasible for the full model and priced by its own costs.
    n = exact_modules(agg, v)
    lay = agg.layout
    v_full = v.copy()
    v_full[lay.block("n")] = n.ravel()
    fm = sm.build_model(inp, fac, groups, full, econ, True)
    a = sm.sp.vstack([b[1] for b in fm.blocks], format="csr")
    lo = np.concatenate([b[2] for b in fm.blocks])
    hi = np.concatenate([b[3] for b in fm.blocks])
    ax = a @ v_full
    scale = 1e-6 * max(1.0, float(np.abs(v_full).max()))
    assert np.all(ax >= lo - scale) and np.all(ax <= hi + scale)
    assert np.all(v_full <= np.where(np.isfinite(fm.col_upper), fm.col_upper, np.inf) + 1e-9)
    assert np.all(v_full >= fm.col_lower - 1e-9)
    assert np.allclose(n, np.round(n)) and np.all(np.diff(n, axis=1) >= 0)
    plan_cost = float(fm.col_cost @ v_full) + fm.offset_usd
    assert plan_cost >= full_opt * (1 - 1e-7)
    assert plan_cost >= agg_opt * (1 - 1e-9)
    # Re-optimising the core build-out and training split keeps a feasible point of the full
    # model, never costs more, and stays above the full optimum.
    w, gain = reoptimise_core(fm, v_full, 20.0)
    ax = a @ w
    scale = 1e-6 * max(1.0, float(np.abs(w).max()))
    assert np.all(ax >= lo - scale) and np.all(ax <= hi + scale)
    assert np.all(w <= np.where(np.isfinite(fm.col_upper), fm.col_upper, np.inf) + 1e-9)
    assert np.all(w >= fm.col_lower - 1e-9)
    assert np.allclose(w[fm.integer], np.round(w[fm.integer]))
    non_core = np.ones(lay.num_col, dtype=bool)
    non_core[lay.block("T")] = non_core[lay.block("uT")] = non_core[lay.block("z")] = False
    non_core[lay.offsets["n"] + (fm.core[:, None] * lay.Y + np.arange(lay.Y)[None, :]).ravel()] = False
    assert np.array_equal(w[non_core], v_full[non_core])  # only the core part moves
    reopt_cost = float(fm.col_cost @ w) + fm.offset_usd
    assert gain >= 0.0 and reopt_cost == pytest.approx(plan_cost - gain, rel=1e-9)
    assert reopt_cost >= full_opt * (1 - 1e-7)


def test_capex_budget_falls_back_to_full_model(tmp_path: Path) -> None:
    inp = build_inputs(load_scenario(write_scenario(
        tmp_path, merged(RAW, planning={"capex_budget_usd_per_year": 5.0e9}))))
    groups, _ = sm.build_groups_and_pairs(inp, sm.build_facilities(inp))
    assert not aggregation_applies(inp, groups, "cost")


def test_multiyear_plan_survives_every_failure(small: dict[str, Any]) -> None:
    inp = small["inp"]
    plan = milp_plan(inp, time_limit_s=30, mip_rel_gap=1e-3)
    # Only lone load (no other candidate site within budget: no plan can re-home it) is stranded,
    # besides the load the MILP serves unprotected on purpose (reported in its solver record).
    from test_planner_coverage import lone_load_mw, unprotected

    unprot, unprot_mw = unprotected(inp, plan)
    lone = lone_load_mw(inp, plan)
    assert np.allclose(single_site_failure_shortfall(inp, plan, exempt=unprot), lone, rtol=1e-9, atol=1e-12)
    short = single_site_failure_shortfall(inp, plan)
    assert np.all(short <= lone + unprot_mw + 1e-9)
    s = plan.solver
    assert s["single_site_failure_shortfall_mw"] == pytest.approx(float(short.max()), rel=1e-12)
    assert s["repair_exact"] == (float(short.max()) == 0.0)
    assert s["bound_usd"] <= s["objective_usd"] * (1 + 1e-9)
    assert s["gap"] == pytest.approx((s["objective_usd"] - s["bound_usd"]) / s["objective_usd"])
    # The plan is a feasible point of the full model: never below its proven optimum (less the
    # whole-GPU slack costing may take off).
    assert s["objective_usd"] >= small["full_opt"] - gpu_floor_slack_usd(inp, small["fac"])


@pytest.mark.parametrize("frac", [0.6])
def test_cluster_relaxation_bounds_full_optimum(small: dict[str, Any], frac: float) -> None:
    """bound (cluster relaxation, per-year and year-aggregated) <= full optimum <= plan cost."""
    inp, fac, groups, full, econ = (small[k] for k in ("inp", "fac", "groups", "full", "econ"))
    full_opt = small["full_opt"]
    cl = build_clusters(inp, fac, groups, full, class_radius_km(inp, frac))
    # Fewer groups, every member mapped, loads preserved, union reach contains each member's.
    assert cl.groups.count < int((groups.load_mw.max(axis=1) > 0).sum())
    has = groups.load_mw.max(axis=1) > 0
    assert np.all(cl.of_group[has] >= 0) and np.all(cl.of_group[~has] == -1)
    assert np.allclose(cl.groups.load_mw.sum(axis=0), groups.load_mw[has].sum(axis=0))
    ck = set((cl.pairs.group * fac.count + cl.pairs.fac).tolist())
    keep = cl.of_group[full.group] >= 0
    assert set((cl.of_group[full.group[keep]] * fac.count + full.fac[keep]).tolist()) <= ck
    per_year, _ = _solve(sm.build_model(inp, fac, cl.groups, cl.pairs, econ, True))
    both, _ = _solve(build_aggregate_model(inp, fac, cl.groups, cl.pairs, econ, True))
    assert both <= per_year * (1 + 1e-7)
    assert per_year <= full_opt * (1 + 1e-7)
    # Not trivially weak on this scenario.
    assert both >= 0.9 * full_opt
    # Its LP by column generation (what milp_plan uses on large scenarios) is below both.
    res = lp_bound_full(inp, fac, cl.groups, cl.pairs, sm.nearest_per_tier(cl.pairs, fac, 1), econ, True,
                        time_limit_s=30.0, builder=build_aggregate_model)
    assert res["bound_usd"] <= both * (1 + 1e-7)
    assert res["bound_usd"] >= 0.8 * full_opt
