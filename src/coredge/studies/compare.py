"""Strategies on the same demand: all-core, edge-heavy and blended, priced side by side.

Each strategy is a scenario override applied to the same validated scenario (same demand,
prices, hardware), planned and costed by the ordinary pipeline, then priced by
`coredge.finance.from_plan.financials_from_plan`:

* ``all-core``: regional and micro tiers serve nothing (``tiers.{regional,micro}.serves =
  []``): inference runs at core campuses wherever their RTT meets the class budget, the rest is
  unmet;
* ``edge-heavy``: core campuses serve only training and batch (``tiers.core.serves =
  ["batch"]``): every latency-bound class runs at regional or micro sites;
* ``blended``: the scenario as given (the planner's free choice).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from coredge.finance.from_plan import PlanFinancials
from coredge.scenario.schema import Scenario

STRATEGIES: dict[str, dict[str, Any]] = {
    "all-core": {"tiers": {"regional": {"serves": []}, "micro": {"serves": []}}},
    "edge-heavy": {"tiers": {"core": {"serves": ["batch"]}}},
    "blended": {},
}
"""Strategy name -> scenario override (deep-merged over the scenario)."""


def strategy_scenario(sc: Scenario, override: Mapping[str, Any], label: str = "") -> Scenario:
    """The scenario with an override deep-merged and validated again (InputError if invalid)."""
    from coredge.scenario.load import build_scenario, deep_merge

    raw = deep_merge(sc.model_dump(mode="json"), override)
    return build_scenario(raw, None, f" (strategy {label})" if label else "")


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's plan summary and financials."""

    name: str
    scenario: Scenario
    financials: PlanFinancials
    row: dict[str, Any]
    coverage: dict[str, dict[str, Any]]


def strategy_row(res: Any, pf: PlanFinancials) -> dict[str, Any]:
    """Flat comparison figures of one planned strategy (a `coredge.pipeline.RunResult`).

    Keys: ``sites``, ``it_mw`` [MW, final year], ``capex_usd``, ``npv_usd``, ``irr``,
    ``payback_years``, ``moic``, ``peak_funding_usd``, ``lcoc_usd_per_gpu_hour``,
    ``usd_per_mtok``, ``first_capacity_year`` and ``years_to_first_capacity`` (first plan year
    with installed IT > 0, minus the start year), ``years_to_first_inference`` (same for the
    first served latency-bound load), ``energy_mwh_total`` and ``co2_t_total`` (over the plan
    years), ``energy_mwh_final_year``, ``co2_t_final_year``, ``latency_bound_mw_at_core`` and
    ``batch_mw_at_core`` [MW, final year], ``slo_coverage_min`` (lowest coverage over classes
    with an RTT budget) and ``unmet_mw_final_year``.
    """
    plan, inputs, costs = res.plan, res.inputs, res.costs
    years = plan.years
    inst = plan.it_mw_by_year.sum(axis=0) if plan.n_sites else np.zeros(len(years))
    first = np.flatnonzero(inst > 0)
    a = plan.assignments
    tiers = plan.sites["tier"].astype(str).to_numpy() if plan.n_sites else np.array([], dtype=str)
    budgets = inputs.rtt_budget_ms
    lat_mw = 0.0
    batch_mw = 0.0
    first_inf = math.nan
    if not a.empty:
        p = a["point_index"].to_numpy(dtype=np.int64)
        k = a["class_index"].to_numpy(dtype=np.int64)
        si = a["site_index"].to_numpy(dtype=np.int64)
        mw = inputs.load_mw[p, k, -1] * a["share"].to_numpy(dtype=np.float64)
        at_core = tiers[si] == "core"
        bound = np.isfinite(budgets[k])
        lat_mw = float(mw[at_core & bound].sum())
        batch_mw = float(mw[at_core & ~bound].sum())
        online = plan.sites["online_year"].to_numpy(dtype=np.int64)[si]
        yrs = online[bound]
        if yrs.size:
            first_inf = float(max(int(yrs.min()), int(years[0])) - int(years[0]))
    cov = res.coverage
    bound_cov = [v["coverage"] for v in cov.values() if v["rtt_budget_ms"] is not None]
    port = pf.portfolio
    return {
        "sites": int(plan.n_sites),
        "sites_by_tier": {t: int((tiers == t).sum()) for t in ("core", "regional", "micro")},
        "it_mw": float(plan.it_mw_by_year[:, -1].sum()) if plan.n_sites else 0.0,
        "capex_usd": float(costs.capex_usd.sum()),
        "npv_usd": port["npv_usd"],
        "irr": port["irr"],
        "payback_years": port["payback_years"],
        "moic": port["moic"],
        "peak_funding_usd": port["peak_funding_usd"],
        "lcoc_usd_per_gpu_hour": port["lcoc_usd_per_gpu_hour"],
        "usd_per_mtok": port["usd_per_mtok"],
        "first_capacity_year": int(years[first[0]]) if first.size else None,
        "years_to_first_capacity": float(years[first[0]] - years[0]) if first.size else math.nan,
        "years_to_first_inference": first_inf,
        "energy_mwh_total": float(costs.energy_mwh.sum()),
        "co2_t_total": float(costs.co2_t.sum()),
        "energy_mwh_final_year": float(costs.energy_mwh[:, -1].sum()) if plan.n_sites else 0.0,
        "co2_t_final_year": float(costs.co2_t[:, -1].sum()) if plan.n_sites else 0.0,
        "latency_bound_mw_at_core": lat_mw,
        "batch_mw_at_core": batch_mw,
        "slo_coverage_min": float(min(bound_cov)) if bound_cov else math.nan,
        "unmet_mw_final_year": float(plan.unmet_mw[:, -1].sum()),
    }


def compare_strategies(
    sc: Scenario,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
    reuse: Mapping[str, Any] | None = None,
    reuse_plans: bool = False,
    workers: int | None = None,
) -> list[StrategyResult]:
    """Plan, cost and price each strategy on the scenario's demand.

    Each strategy is planned once (`plan_strategy`): no column of the comparison comes from the
    busy-hour or training simulation, so neither is run; the financials of that one plan give
    the row (``plan_reused`` says whether the plan came from the plan store).

    Parameters
    ----------
    sc : Scenario
        The base scenario (its demand, prices and hardware are shared by every strategy).
    strategies : mapping, optional
        Name -> override; default `STRATEGIES`.
    progress : callable, optional
        Receives one line per stage.
    reuse : mapping, optional
        Strategy name -> a `coredge.pipeline.RunResult` already computed for it (e.g. the run of
        the scenario as given for ``blended``, whose override is empty): not planned again.
    reuse_plans : bool
        Take each strategy's plan from the plan store (`coredge.plan.cache`) when an earlier
        command planned the same strategy scenario with the same settings and code (a
        ``coredge run`` of the scenario as given supplies ``blended``'s).
    workers : int, optional
        Processes planning strategies at the same time; default one per strategy to plan, at
        most one per CPU. The planner (HiGHS) uses about one core, so on an otherwise idle
        machine each strategy gets the CPU it would get planned alone; 1 plans them in turn in
        this process.

    Returns
    -------
    list of StrategyResult
        In the order of `strategies`.
    """
    say = progress or (lambda _m: None)
    todo: dict[str, Mapping[str, Any]] = {}
    done: dict[str, StrategyResult] = {}
    order = list((strategies or STRATEGIES).items())
    for name, override in order:
        known = (reuse or {}).get(name)
        if known is not None and known.finance is not None:
            pf = known.finance
            done[name] = StrategyResult(name, known.scenario, pf, strategy_row(known, pf), known.coverage)
        else:
            todo[name] = override
    if reuse_plans:  # strategies the plan store holds: priced here, no worker needed
        from coredge.plan.cache import has_plan, plan_key

        for name in list(todo):
            s = strategy_scenario(sc, todo[name], name)
            if has_plan(plan_key(s, s.planning.planner, None, None)):
                done[name] = plan_strategy(sc, name, todo.pop(name), True, say)
    n_workers = min(len(todo), os.cpu_count() or 1) if workers is None else max(1, min(workers, len(todo)))
    if n_workers <= 1:
        for name, override in todo.items():
            say(f"strategy {name}: planning")
            done[name] = plan_strategy(sc, name, override, reuse_plans, say)
    elif todo:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        say(f"planning {len(todo)} strategies in {n_workers} processes: {', '.join(todo)}")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn")) as pool:
            futs = {
                pool.submit(plan_strategy, sc, name, override, reuse_plans, None): name
                for name, override in todo.items()
            }
            for fut in as_completed(futs):
                name = futs[fut]
                done[name] = fut.result()
                src = "stored plan" if done[name].row.get("plan_reused") else "planned"
                say(f"strategy {name}: {src} ({time.perf_counter() - t0:.0f} s)")
    return [done[name] for name, _ in order]


def plan_strategy(
    sc: Scenario,
    name: str,
    override: Mapping[str, Any],
    reuse_plans: bool = False,
    progress: Callable[[str], None] | None = None,
) -> StrategyResult:
    """Plan, cost and price one strategy (`coredge.pipeline.execute` with
    `coredge.pipeline.MONEY_ONLY`); a module-level function so that a worker process can
    run it."""
    from coredge.pipeline import MONEY_ONLY, execute

    s = strategy_scenario(sc, override, name)
    res = execute(s, name, progress=progress, compute=MONEY_ONLY, reuse_plan=reuse_plans)
    pf = res.finance
    assert pf is not None  # MONEY_ONLY computes it
    row = strategy_row(res, pf)
    row["plan_reused"] = bool(res.summary.get("plan_source", {}).get("reused", False))
    return StrategyResult(name, s, pf, row, res.coverage)


def comparison_table(results: list[StrategyResult]) -> dict[str, Any]:
    """JSON-ready comparison: ``strategies`` (name -> flat row incl. ``coverage`` by class) and
    ``classes`` (class id -> RTT budget)."""
    strategies: dict[str, Any] = {}
    classes: dict[str, Any] = {}
    for r in results:
        cov = {k: float(v["coverage"]) for k, v in r.coverage.items()}
        classes.update({k: v["rtt_budget_ms"] for k, v in r.coverage.items()})
        strategies[r.name] = {
            **r.row,
            "coverage": cov,
            "override": STRATEGIES.get(r.name),
            "npv_usd_by_tier": {t: v["npv_usd"] for t, v in r.financials.tiers.items()},
            "capex_usd_by_tier": {t: v["capex_usd"] for t, v in r.financials.tiers.items()},
        }
    return {"strategies": strategies, "classes": classes}


__all__ = [
    "STRATEGIES",
    "StrategyResult",
    "compare_strategies",
    "comparison_table",
    "plan_strategy",
    "strategy_row",
    "strategy_scenario",
]
