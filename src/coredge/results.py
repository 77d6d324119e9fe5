"""What a run produced, in memory (`RunResult`), and the figures derived from it for the summary.

Below `coredge.store` (which writes and reads it back), `coredge.report` (which renders it) and
`coredge.pipeline` (which produces it); imports only the stages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.finance.from_plan import PlanFinancials
from coredge.inputs.build import Inputs
from coredge.plan.costing import SiteCosts
from coredge.plan.resilience import single_site_failure_summary
from coredge.plan.result import Plan
from coredge.scenario.schema import TIER_IDS, Scenario, TierId
from coredge.sim.engine import SimResult


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, in memory.

    ``finance`` is None when the run did not ask for it; ``sim``, ``whatif``, ``training`` and
    ``power`` (a `coredge.power.study.PowerStudy`) are None when not asked for or not applicable
    (see `coredge.pipeline.Compute`).
    """

    scenario: Scenario
    variant: str | None
    inputs: Inputs
    plan: Plan
    costs: SiteCosts
    finance: PlanFinancials | None
    coverage: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)
    sim: SimResult | None = None
    whatif: dict[str, Any] | None = None
    training: Any = None
    power: Any = None


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


def summarise(
    sc: Scenario,
    variant: str | None,
    inputs: Inputs,
    plan: Plan,
    costs: SiteCosts,
    fin: PlanFinancials | None,
    coverage: dict[str, dict[str, Any]],
    failure_check: bool = True,
) -> dict[str, Any]:
    """The summary object (``summary.json`` and the ``--json`` line).

    ``failure_check`` False leaves ``single_site_failure`` None (the check re-homes the load of
    every site in turn: seconds on the default plan, and no study reads it).

    Without financials (``fin`` None) the money figures (NPV, IRR, payback, MOIC, peak funding,
    levelised costs, ``finance``) are left out; capex, opex, energy and CO2 come from the costs
    and are always there.
    """
    s = plan.sites
    tiers = {t: (s["tier"] == t).to_numpy() for t in TIER_IDS}
    added = np.diff(plan.it_mw_by_year, axis=1, prepend=0.0)
    unmet_final = plan.unmet_mw[:, -1]
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
        # the accelerator of each tier, only when some tier has its own (hardware.tiers)
        **({"gpu_by_tier": {t: inputs.tier_gpu(t) for t in TIER_IDS}} if sc.hardware.per_tier else {}),
        "build_by_year": {
            str(int(y)): {t: float(added[m, k].sum()) for t, m in tiers.items()}
            for k, y in enumerate(plan.years)
        },
        "coverage_by_class": {
            k: {"rtt_budget_ms": v["rtt_budget_ms"],
                "coverage": round(min(max(float(v["coverage"]), 0.0), 1.0), COVERAGE_DIGITS)}
            for k, v in coverage.items()
        },
        "unmet_mw_final_year": {
            **{c: float(unmet_final[k]) for k, c in enumerate(inputs.classes)},
            "training": float(unmet_final[-1]),
        },
        "inference_mw_final_year": float(inputs.load_mw[:, :, -1].sum()),
        "training_mw_final_year": float(inputs.training_mw[-1]),
        "first_capacity_year_by_tier": first_year,
        # what one site's loss costs, the load left unprotected on purpose and why
        # (coredge.plan.resilience: survives / survives_all defined there)
        "single_site_failure": (
            single_site_failure_summary(inputs, plan, sc.planning.single_site_failure)
            if failure_check else None
        ),
        "capex_usd": float(costs.capex_usd.sum()),
        "opex_usd_final_year": float(costs.opex_usd[:, -1].sum()) if len(s) else 0.0,
        "energy_mwh_final_year": float(costs.energy_mwh[:, -1].sum()) if len(s) else 0.0,
        "co2_t_final_year": float(costs.co2_t[:, -1].sum()) if len(s) else 0.0,
        **(money_summary(fin, tiers, s) if fin is not None else {}),
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
        "market": market_block(inputs),
    }


MIN_TOKEN_SHARE: float = 0.5
"""Least inference share of a tier's final-year IT load [fraction] for its cost per million
tokens to be reported: below it the tier mostly trains (a core campus), its few tokens carry a
meaningless per-token cost, and its cost is read per GPU-hour (``lcoc_usd_per_gpu_hour``)."""

COVERAGE_DIGITS: int = 4
"""Decimals of a coverage fraction in the summary (0.01 percentage point)."""

EDGE_PREMIUM_MEANING: str = (
    "extra_cost_usd_per_year: what serving the class's edge load costs per year beyond serving it "
    "at the core tier's cost per GPU-hour (negative: the edge is cheaper, a saving, not a cost); "
    "usd_per_ms_saved_per_year: that extra cost per ms of RTT saved, only where the edge costs "
    "more (null where it is cheaper: the latency comes with a saving, there is no price per ms)."
)
"""How to read ``finance.edge_premium`` (written next to it in the summary)."""


def readable_edge_premium(ep: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``edge_premium`` in a form that cannot mislead: a negative extra cost is reported as
    ``edge_cheaper`` with ``edge_saving_usd_per_year`` and no "USD per ms saved".

    Examples
    --------
    >>> readable_edge_premium({"chat": {"extra_cost_usd_per_year": -10.0, "rtt_saved_ms": 5.0,
    ...                                 "usd_per_ms_saved_per_year": -2.0}})["chat"]["usd_per_ms_saved_per_year"] is None
    True
    """
    out: dict[str, dict[str, Any]] = {}
    for k, v in ep.items():
        e = dict(v)
        extra = e.get("extra_cost_usd_per_year")
        cheaper = isinstance(extra, (int, float)) and extra < 0
        e["edge_cheaper"] = bool(cheaper)
        e["edge_saving_usd_per_year"] = float(-extra) if cheaper and extra is not None else 0.0
        if cheaper:
            e["usd_per_ms_saved_per_year"] = None
        out[k] = e
    return out


def tier_token_share(sites: pd.DataFrame) -> dict[str, float]:
    """Inference share of each tier's final-year IT load [fraction] (NaN for an empty tier)."""
    out: dict[str, float] = {}
    for t in TIER_IDS:
        m = (sites["tier"] == t).to_numpy() if len(sites) else np.zeros(0, dtype=bool)
        inf = float(sites.loc[m, "inference_mw"].sum()) if "inference_mw" in sites.columns else 0.0
        tr = float(sites.loc[m, "training_mw"].sum()) if "training_mw" in sites.columns else 0.0
        out[t] = inf / (inf + tr) if inf + tr > 0 else float("nan")
    return out


def readable_finance(fin_summary: dict[str, Any], sites: pd.DataFrame) -> dict[str, Any]:
    """The finance block for people: per-token cost only for tiers that mostly serve tokens
    (`MIN_TOKEN_SHARE`; others get ``usd_per_mtok`` None and ``cost_basis`` "gpu_hour"), and
    `readable_edge_premium` with its `EDGE_PREMIUM_MEANING`."""
    out = dict(fin_summary)
    share = tier_token_share(sites)
    tiers: dict[str, Any] = {}
    for t, m in (fin_summary.get("tiers") or {}).items():
        row = dict(m)
        sh = share.get(t, float("nan"))
        row["inference_share"] = None if sh != sh else float(sh)
        if sh == sh and sh < MIN_TOKEN_SHARE:
            row["usd_per_mtok"] = None
            row["cost_basis"] = "gpu_hour"
        else:
            row["cost_basis"] = "token"
        tiers[t] = row
    out["tiers"] = tiers
    if fin_summary.get("edge_premium"):
        out["edge_premium"] = readable_edge_premium(fin_summary["edge_premium"])
        out["edge_premium_meaning"] = EDGE_PREMIUM_MEANING
    return out


def market_block(inputs: Inputs) -> dict[str, Any] | None:
    """The ``market`` block: the whole market the portfolio takes its share from, by year
    (`coredge.inputs.market.market_summary`); None for inputs built without one."""
    from coredge.inputs.market import market_summary

    m = inputs.market
    if m is None:
        return None
    sc = inputs.scenario
    active = sc.active_workloads
    tok_k = np.array([active[k].tokens_in + active[k].tokens_out for k in inputs.classes], dtype=np.float64)
    # the portfolio's mean tokens/s: busy-hour requests / busy-hour factor x tokens per request
    port_tok = np.einsum("nky,k->y", inputs.requests_per_s, tok_k) / sc.demand.peak_to_mean_ratio
    port_mw = inputs.load_mw.sum(axis=(0, 1))
    return market_summary(m, port_tok, port_mw, inputs.training_mw)


def money_summary(fin: PlanFinancials, tiers: Mapping[TierId, npt.NDArray[np.bool_]],
                  sites: pd.DataFrame | None = None) -> dict[str, Any]:
    """The summary's money figures: portfolio NPV (and by tier, 0 for a tier without sites),
    IRR, payback, MOIC, peak funding, levelised costs and the ``finance`` block
    (`readable_finance`)."""
    if sites is None:
        sites = pd.DataFrame(columns=["tier"])
    return {
        "npv_usd": float(fin.portfolio["npv_usd"]),
        "npv_usd_by_tier": {t: (float(fin.tiers[t]["npv_usd"]) if m.any() else 0.0) for t, m in tiers.items()},
        "irr": fin.portfolio["irr"],
        "payback_years": fin.portfolio["payback_years"],
        "moic": fin.portfolio["moic"],
        "peak_funding_usd": fin.portfolio["peak_funding_usd"],
        "lcoc_usd_per_gpu_hour": fin.portfolio["lcoc_usd_per_gpu_hour"],
        "usd_per_mtok": fin.portfolio["usd_per_mtok"],
        "finance": readable_finance(fin.summary(), sites),
        # the landlord (rent per kW, tenant owns IT) and operator (owns GPUs, sells GPU-hours)
        # views of the same build phases (coredge.finance.views; docs/finance.md)
        "finance_views": fin.views,
        "break_even": fin.break_even,
    }


def sim_summary(sim: SimResult, whatif: dict[str, Any] | None) -> dict[str, Any]:
    """The simulation's headline figures for summary.json."""
    s = sim.summary
    keys = ("requests", "completed", "dropped", "p50_ms", "p95_ms", "p99_ms", "mean_wait_ms",
            "slo_attainment", "spilled_frac", "dropped_frac", "utilization", "plan_year", "scale",
            "busy_hour_rate_per_s", "sim_wall_s", "requests_per_s", "policy", "pool_scale",
            "window_s", "slo_ci", "replications", "workers", "start", "warmup_s")
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


UNMET_WARN_FRAC = 1e-3
"""Unserved load worth a warning: at least this share of a class's load in a year [fraction]."""
SLO_GAP_WARN = 0.05
"""Simulated SLO attainment this far below the planned coverage is worth a warning [fraction]."""


def run_warnings(inputs: Inputs, plan: Plan, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a reader of the run must not miss, as ``{kind, message, ...}`` records.

    * ``unserved``: a class (or training) with load left unserved in some year, at least
      `UNMET_WARN_FRAC` of its load: the years, the MW of the worst year and why;
    * ``resilience``: a required single-site-failure guarantee that does not hold;
    * ``slo``: a class whose simulated SLO attainment falls more than `SLO_GAP_WARN` below the
      coverage the plan promises it.

    Notes
    -----
    An empty list means nothing to warn about; `coredge run` prints each message and ``--json``
    carries the list as ``warnings`` (also in summary.json).
    """
    out: list[dict[str, Any]] = []
    years = [int(y) for y in plan.years]
    names = [*map(str, inputs.classes), "training"]
    for k, name in enumerate(names):
        load = inputs.training_mw if name == "training" else inputs.load_mw[:, k, :].sum(axis=0)
        unmet = np.asarray(plan.unmet_mw[k], dtype=np.float64)
        bad = (unmet > UNMET_WARN_FRAC * np.maximum(load, 1e-12)) & (unmet > 1e-9)
        if not bad.any():
            continue
        worst = int(np.argmax(np.where(bad, unmet, -np.inf)))
        if name == "training":
            why = ("no core campus could host it (the core candidates' grid, land or power limits, "
                   "or none in the scenario's regions)")
        elif math.isfinite(float(inputs.rtt_budget_ms[k])):
            why = (f"demand beyond the reach of every candidate site within the class's "
                   f"{float(inputs.rtt_budget_ms[k]):g} ms budget, or cheaper to leave unserved "
                   "than to serve at the scenario's unmet-demand penalty")
        else:
            why = "cheaper to leave unserved than to serve at the scenario's unmet-demand penalty"
        yrs = [years[i] for i in np.flatnonzero(bad)]
        out.append({
            "kind": "unserved", "class": name, "years": yrs, "worst_year": years[worst],
            "unmet_mw": float(unmet[worst]), "share_of_load": float(unmet[worst] / max(load[worst], 1e-12)),
            "message": f"{name}: {unmet[worst]:,.2f} MW ({unmet[worst] / max(load[worst], 1e-12):.1%} of its "
                       f"load) unserved in {years[worst]}"
                       + (f" and in {len(yrs) - 1} other year(s)" if len(yrs) > 1 else "") + f": {why}",
        })
    ssf = summary.get("single_site_failure") or {}
    if ssf.get("required") and ssf.get("survives") is False:
        out.append({
            "kind": "resilience", "sites_short": ssf.get("sites_short"),
            "worst_shortfall_mw": ssf.get("worst_shortfall_mw"),
            "message": f"single-site failure required but not met: losing any of {ssf.get('sites_short')} "
                       f"site(s) strands load (worst {float(ssf.get('worst_shortfall_mw') or 0.0):,.2f} MW"
                       + (f", {ssf['worst_site_name']}" if ssf.get("worst_site_name") else "") + ")",
        })
    sim = summary.get("simulation") or {}
    attain = sim.get("slo_attainment_by_class") or {}
    for name, cov in (summary.get("coverage_by_class") or {}).items():
        got = attain.get(name)
        if got is None or cov.get("rtt_budget_ms") is None:
            continue
        if float(got) < float(cov["coverage"]) - SLO_GAP_WARN:
            out.append({
                "kind": "slo", "class": name, "simulated_slo_attainment": float(got),
                "planned_coverage": float(cov["coverage"]),
                "message": f"{name}: the simulated busy hour meets its SLO for {float(got):.1%} of "
                           f"requests, while the plan covers {float(cov['coverage']):.2%} of its load "
                           "within budget (queueing and spill at the pools; see the report's simulation)",
            })
    return out
