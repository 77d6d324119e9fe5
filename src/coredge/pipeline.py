"""`coredge run`: scenario -> inputs -> plan -> costs and returns -> run directory with report.

Each stage is a function of the previous stage's typed output; this module only chains them,
times them, and writes the run directory atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coredge.costing import SiteCosts, site_costs
from coredge.finance.plan_finance import PlanFinancials, financials_from_plan
from coredge.inputs import Inputs, build_inputs
from coredge.plan.portfolio import Plan, coverage_by_class, single_site_failure_shortfall
from coredge.scenario.schema import TIER_IDS, Scenario
from coredge.sim.engine import SimResult
from coredge.store import atomic_run_dir, write_json, write_parquet

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, in memory."""

    scenario: Scenario
    variant: str | None
    inputs: Inputs
    plan: Plan
    costs: SiteCosts
    finance: PlanFinancials
    coverage: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)
    sim: SimResult | None = None
    whatif: dict[str, Any] | None = None
    training: Any = None


def tier_table(plan: Plan, costs: SiteCosts, fin: PlanFinancials) -> pd.DataFrame:
    """One row per tier: count, IT MW, facility MW, GPUs, capex, opex/yr (final year), NPV, IRR."""
    s = plan.sites
    rows = []
    for t in TIER_IDS:
        m = (s["tier"] == t).to_numpy()
        rows.append(
            {
                "tier": t,
                "sites": int(m.sum()),
                "it_mw": float(s.loc[m, "it_mw"].sum()),
                "facility_mw": float(s.loc[m, "facility_mw"].sum()),
                "gpus": int(s.loc[m, "gpus"].sum()),
                "capex_usd": float(costs.capex_usd[m].sum()),
                "opex_usd_per_year": float(costs.opex_usd[m, -1].sum()) if m.any() else 0.0,
                "energy_mwh_per_year": float(costs.energy_mwh[m, -1].sum()) if m.any() else 0.0,
                "co2_t_per_year": float(costs.co2_t[m, -1].sum()) if m.any() else 0.0,
                "npv_usd": float(fin.tiers[t]["npv_usd"]) if m.any() else 0.0,
                "irr": fin.tiers[t]["irr"] if m.any() else None,
                "payback_years": fin.tiers[t]["payback_years"] if m.any() else None,
            }
        )
    return pd.DataFrame(rows)


def build_schedule(plan: Plan) -> pd.DataFrame:
    """Capacity added per site and year: site, tier, year, MW added, total MW, GPUs."""
    rows = []
    inst = plan.it_mw_by_year
    added = np.diff(inst, axis=1, prepend=0.0)
    s = plan.sites
    for i, j in zip(*np.nonzero(added > 1e-9), strict=True):
        rows.append(
            {
                "site_id": s["site_id"].iat[i],
                "tier": s["tier"].iat[i],
                "year": int(plan.years[j]),
                "it_mw_added": float(added[i, j]),
                "it_mw_total": float(inst[i, j]),
                "gpus_total": int(s["gpus"].iat[i] * inst[i, j] / inst[i, -1]) if inst[i, -1] > 0 else 0,
            }
        )
    return pd.DataFrame(
        rows, columns=["site_id", "tier", "year", "it_mw_added", "it_mw_total", "gpus_total"]
    )


def make_plan(
    inputs: Inputs,
    progress: Progress | None = None,
    planner: str | None = None,
    time_limit_s: float | None = None,
    mip_rel_gap: float | None = None,
) -> Plan:
    """Plan with the scenario's planner (or `planner`): the greedy heuristic, or the MILP
    warm-started from it.
    """
    from coredge.plan.greedy import greedy_plan

    spec = inputs.scenario.planning
    which = planner or spec.planner
    greedy = greedy_plan(inputs)
    if which == "greedy":
        return greedy
    from coredge.plan.milp import milp_plan

    return milp_plan(
        inputs,
        time_limit_s=time_limit_s if time_limit_s is not None else spec.time_limit_s,
        mip_rel_gap=mip_rel_gap if mip_rel_gap is not None else spec.mip_rel_gap,
        warm_start=greedy,
        progress=progress,
    )


def summarise(
    sc: Scenario,
    variant: str | None,
    inputs: Inputs,
    plan: Plan,
    costs: SiteCosts,
    fin: PlanFinancials,
    coverage: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The summary object (``summary.json`` and the ``--json`` line)."""
    s = plan.sites
    tiers = {t: (s["tier"] == t).to_numpy() for t in TIER_IDS}
    added = np.diff(plan.it_mw_by_year, axis=1, prepend=0.0)
    unmet_final = plan.unmet_mw[:, -1]
    short = single_site_failure_shortfall(inputs, plan) if len(s) else np.zeros(0)
    worst = int(np.argmax(short)) if short.size else -1
    first_year = {
        t: (int(s.loc[m, "online_year"].min()) if m.any() else None) for t, m in tiers.items()
    }
    return {
        "scenario": sc.name,
        "variant": variant,
        "years": [int(plan.years[0]), int(plan.years[-1])],
        "demand_points": inputs.n_points,
        "candidates": len(inputs.candidates),
        "sites_by_tier": {t: int(m.sum()) for t, m in tiers.items()},
        "it_mw_by_tier": {t: float(s.loc[m, "it_mw"].sum()) for t, m in tiers.items()},
        "facility_mw_by_tier": {t: float(s.loc[m, "facility_mw"].sum()) for t, m in tiers.items()},
        "gpus_by_tier": {t: int(s.loc[m, "gpus"].sum()) for t, m in tiers.items()},
        "build_by_year": {
            str(int(y)): {t: float(added[m, k].sum()) for t, m in tiers.items()}
            for k, y in enumerate(plan.years)
        },
        "coverage_by_class": {
            k: {"rtt_budget_ms": v["rtt_budget_ms"], "coverage": v["coverage"]} for k, v in coverage.items()
        },
        "unmet_mw_final_year": {
            **{c: float(unmet_final[k]) for k, c in enumerate(inputs.classes)},
            "training": float(unmet_final[-1]),
        },
        "inference_mw_final_year": float(inputs.load_mw[:, :, -1].sum()),
        "training_mw_final_year": float(inputs.training_mw[-1]),
        "first_capacity_year_by_tier": first_year,
        "single_site_failure": {
            "required": sc.planning.single_site_failure,
            "survives": bool(short.size == 0 or float(short.max()) <= 1e-6),
            "sites_short": int((short > 1e-6).sum()),
            "worst_site": str(s["site_id"].iat[worst]) if worst >= 0 else None,
            "worst_shortfall_mw": float(short.max()) if short.size else 0.0,
        },
        "capex_usd": float(costs.capex_usd.sum()),
        "opex_usd_final_year": float(costs.opex_usd[:, -1].sum()) if len(s) else 0.0,
        "energy_mwh_final_year": float(costs.energy_mwh[:, -1].sum()) if len(s) else 0.0,
        "co2_t_final_year": float(costs.co2_t[:, -1].sum()) if len(s) else 0.0,
        "npv_usd": float(fin.portfolio["npv_usd"]),
        "npv_usd_by_tier": {t: (float(fin.tiers[t]["npv_usd"]) if m.any() else 0.0) for t, m in tiers.items()},
        "irr": fin.portfolio["irr"],
        "payback_years": fin.portfolio["payback_years"],
        "moic": fin.portfolio["moic"],
        "peak_funding_usd": fin.portfolio["peak_funding_usd"],
        "lcoc_usd_per_gpu_hour": fin.portfolio["lcoc_usd_per_gpu_hour"],
        "usd_per_mtok": fin.portfolio["usd_per_mtok"],
        "finance": fin.summary(),
        "discount_rate": sc.economics.discount_rate,
        "planner": plan.method,
        "objective_usd": plan.solver.get("objective_usd"),
        "bound_usd": plan.solver.get("bound_usd"),
        "gap": plan.solver.get("gap"),
        "status": plan.solver.get("status"),
        "solve_s": plan.solver.get("solve_s"),
        # MILP only: load served without a failure backup, and any shortfall below the coverage
        # targets (planning.min_coverage_frac); see docs/planner.md.
        "unprotected_mw": plan.solver.get("unprotected_mw"),
        "coverage_shortfall_mw": plan.solver.get("coverage_shortfall_mw"),
        "seed": sc.seed,
    }


def execute(
    sc: Scenario,
    variant: str | None = None,
    progress: Progress | None = None,
    planner: str | None = None,
    time_limit_s: float | None = None,
    mip_rel_gap: float | None = None,
    simulate: bool | None = None,
) -> RunResult:
    """Run every stage in memory (no files)."""
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("building demand points, candidates and loads")
    inputs = build_inputs(sc)
    timings["inputs_s"] = time.perf_counter() - t0
    say(f"planning {inputs.n_points} demand points x {inputs.n_classes} classes over {len(inputs.candidates)} candidates")
    t1 = time.perf_counter()
    plan = make_plan(inputs, progress, planner, time_limit_s, mip_rel_gap)
    timings["plan_s"] = time.perf_counter() - t1
    say("costing sites and computing returns")
    costs = site_costs(inputs, plan)
    fin = financials_from_plan(inputs, plan, costs)
    coverage = coverage_by_class(inputs, plan)
    summary = summarise(sc, variant, inputs, plan, costs, fin, coverage)
    sim, whatif = None, None
    inference_final_mw = float(
        (plan.load_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1]).sum()
    ) if plan.n_sites else 0.0
    if (
        sc.simulation.enabled
        and inference_final_mw > 1e-9
        and (simulate if simulate is not None else True)
    ):
        t2 = time.perf_counter()
        sim, whatif = simulate_busy_hour(inputs, plan, say)
        timings["simulate_s"] = time.perf_counter() - t2
        summary["simulation"] = sim_summary(sim, whatif)
    training = None
    if sc.simulation.enabled and sc.simulation.training and plan.training_mw_by_year[:, -1].sum() > 0:
        from coredge.sim.training import training_from_plan

        t3 = time.perf_counter()
        say("simulating a year of training jobs at the core campuses")
        training = training_from_plan(inputs, plan, seed=sc.seed)
        timings["training_sim_s"] = time.perf_counter() - t3
        summary["training_simulation"] = training.summary
    timings["total_s"] = time.perf_counter() - t0
    summary["timings_s"] = timings
    return RunResult(
        sc, variant, inputs, plan, costs, fin, coverage, summary, timings, sim, whatif, training
    )


def simulate_busy_hour(
    inputs: Inputs, plan: Plan, say: Progress
) -> tuple[SimResult, dict[str, Any] | None]:
    """Simulate the final plan year's busy hour request by request, and a site-failure what-if."""
    from coredge.sim.from_plan import failure_whatif, simulate_plan

    spec = inputs.scenario.simulation
    seed = inputs.scenario.seed
    say(f"simulating the {int(plan.years[-1])} busy hour ({spec.requests:,} requests)")
    sim = simulate_plan(inputs, plan, requests=spec.requests, seed=seed, policy=spec.policy)
    whatif = None
    edge = plan.sites["tier"].isin(["micro", "regional"]).to_numpy()
    if spec.failure_whatif and edge.any() and plan.load_mw_by_year[edge, -1].sum() > 0:
        say("simulating the loss of the largest edge site")
        whatif = failure_whatif(inputs, plan, requests=spec.requests, seed=seed, policy=spec.policy)
    return sim, whatif


def sim_summary(sim: SimResult, whatif: dict[str, Any] | None) -> dict[str, Any]:
    """The simulation's headline figures for summary.json."""
    s = sim.summary
    keys = ("requests", "completed", "dropped", "p50_ms", "p95_ms", "p99_ms", "mean_wait_ms",
            "slo_attainment", "spilled_frac", "dropped_frac", "utilization", "plan_year", "scale",
            "busy_hour_rate_per_s", "sim_wall_s", "requests_per_s", "policy")
    out: dict[str, Any] = {k: s.get(k) for k in keys}
    classes = s.get("classes") or {}
    out["slo_attainment_by_class"] = {
        k: v.get("slo_attainment") for k, v in classes.items() if isinstance(v, dict)
    }
    out["p99_ms_by_class"] = {k: v.get("p99_ms") for k, v in classes.items() if isinstance(v, dict)}
    energy = s.get("energy") or {}
    out["energy"] = {
        k: energy.get(k)
        for k in ("facility_j_per_token", "it_j_per_token", "mean_facility_power_kw", "facility_energy_kwh")
    }
    out["facility_j_per_token_by_class"] = {
        k: v.get("facility_j_per_token") for k, v in (energy.get("classes") or {}).items()
    }
    out["failure_whatif"] = whatif
    return out


def plan_json(res: RunResult) -> dict[str, Any]:
    """The plan as JSON: sites with yearly capacity, unmet load, solver report, scenario echo."""
    p = res.plan
    sites = p.sites.copy()
    sites["it_mw_by_year"] = [list(map(float, r)) for r in p.it_mw_by_year]
    sites["load_mw_by_year"] = [list(map(float, r)) for r in p.load_mw_by_year]
    return {
        "scenario": res.scenario.model_dump(mode="json"),
        "variant": res.variant,
        "years": [int(y) for y in p.years],
        "classes": res.inputs.classes,
        "method": p.method,
        "solver": p.solver,
        "sites": sites.to_dict(orient="records"),
        "unmet_mw": {
            **{c: list(map(float, p.unmet_mw[k])) for k, c in enumerate(res.inputs.classes)},
            "training": list(map(float, p.unmet_mw[-1])),
        },
    }


def write_run(res: RunResult, out_dir: Path, progress: Progress | None = None) -> Path:
    """Write the run directory atomically; returns its final path."""
    from coredge.report.html import write_report

    say = progress or (lambda _msg: None)
    final = Path(out_dir).resolve()
    with atomic_run_dir(final) as tmp:
        res.summary["run_dir"] = str(final)
        res.summary["report"] = str(final / "report.html")
        write_json(tmp / "plan.json", plan_json(res))
        sites = res.plan.sites.copy()
        sites["capex_usd"] = res.costs.capex_usd.sum(axis=1)
        sites["opex_usd_final_year"] = res.costs.opex_usd[:, -1] if len(sites) else []
        fs = res.finance.sites.set_index("site_id")
        for col in ("npv_usd", "irr", "payback_years", "lcoc_usd_per_gpu_hour"):
            sites[col] = sites["site_id"].map(fs[col]) if col in fs.columns else np.nan
        sites.to_csv(tmp / "sites.csv", index=False)
        write_parquet(tmp / "cashflows.parquet", res.finance.yearly)
        build_schedule(res.plan).to_csv(tmp / "build_schedule.csv", index=False)
        write_parquet(tmp / "assignments.parquet", res.plan.assignments)
        write_parquet(tmp / "demand.parquet", res.inputs.demand)
        tiers = tier_table(res.plan, res.costs, res.finance)
        write_parquet(tmp / "tiers.parquet", tiers)
        if res.sim is not None:
            write_parquet(tmp / "sim_classes.parquet", res.sim.classes)
            write_parquet(tmp / "sim_sites.parquet", res.sim.sites)
            write_parquet(tmp / "sim_timeseries.parquet", res.sim.timeseries)
        if res.training is not None:
            write_parquet(tmp / "training_campuses.parquet", res.training.campuses)
            write_parquet(tmp / "training_jobs.parquet", res.training.jobs)
        say("rendering report.html")
        write_report(tmp / "report.html", res, tiers)
        write_json(tmp / "summary.json", res.summary)
    return final
