"""The power study of a plan: power paths per core campus and the shifted training year.

`power_study(inputs, plan, training)`:

1. per core campus of the plan (`coredge.power.options`): its region's balancing area and
   headroom at the flexible limit, its curtailment profile in the price year, every power path
   (firm, flexible, flexible + battery, bridge generation, bridge then flexible) with time to
   first capacity, NPV over firm and CO2, and the path chosen (largest NPV);
2. when the run simulated a training year (`coredge.training.jobs.training_from_plan`): the same
   jobs scheduled always-on at their home campus and shifted across campuses and hours by
   hourly price and carbon within deadlines (`coredge.training.flex`; a job's deadline is its
   always-on finish plus its slack, so shifting never delays a job by more than the slack beyond
   the naive plan), campuses whose chosen
   path uses a flexible connection honouring its curtailment events all year (as if the
   flexible phase lasted the whole year: the largest curtailment exposure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from coredge.data.market import market_rent_usd_per_kw_month
from coredge.errors import InputError
from coredge.power.grid import YEAR_HOURS, check_ba, region_grid, region_hourly
from coredge.power.headroom import curtailment_share, longest_run_h
from coredge.power.options import SiteGrid, best_path, evaluate_site
from coredge.training.flex import (
    FlexCampus,
    Schedule,
    make_deadlines,
    savings,
    schedule_always_on,
    schedule_flexible,
)

DEFAULT_LIMIT: float = 0.005
"""Curtailment limit of a flexible connection [fraction of annual energy]: the Duke study's
central case (Norris et al. 2025)."""

DEFAULT_CARBON_USD_PER_T: float = 0.0
"""Weight of CO2 in the training scheduler's choice [USD/t] (0: money only; carbon is reported)."""


@dataclass
class PowerStudy:
    """What `power_study` produced.

    Attributes
    ----------
    sites : pandas.DataFrame
        One row per core campus: site_id, region, ba, it_mw, facility_mw, firm_month, chosen
        path, first_power_month, months_earlier, npv_usd, capex_usd, co2_t, curtailment_h_per_year,
        curtailed_share, longest_event_h, headroom_mw, earliest_year_firm and
        earliest_year_with_path (the first plan year the campus could count, by the planner's
        1-July rule, `coredge.plan.result.online_year`).
    paths : pandas.DataFrame
        Every evaluated path of every campus (`coredge.power.options.PowerPath` records).
    baseline, shifted : Schedule or None
        The training year always-on and shifted (None without a training simulation).
    hourly : pandas.DataFrame
        Per campus and hour of the price year: price, carbon, available share, always-on and
        shifted load [MW] (empty without a training simulation).
    summary : dict
        JSON-able figures for summary.json.
    """

    sites: pd.DataFrame
    paths: pd.DataFrame
    baseline: Schedule | None
    shifted: Schedule | None
    hourly: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _ba_share(ba: str, limit: float) -> tuple[np.ndarray, float]:
    """A BA's hourly curtailed share in the price year and its headroom [MW] at ``limit``
    (computed once per process: the planner's path table and the study both need it)."""
    sh, h = curtailment_share(ba, limit, YEAR_HOURS)
    sh.setflags(write=False)
    return sh, float(h.headroom_mw)


def site_grid(row: pd.Series, limit: float, discount_rate: float, rent: float,
               cache: dict[str, tuple[np.ndarray, float]],
               build_months: float, carbon_usd_per_t: float) -> tuple[SiteGrid, dict[str, Any]]:
    """A campus row (site_id, region_id, it_mw, pue, interconnect_wait_months, price and carbon)
    as a `SiteGrid`, its BA's curtailment profile at ``limit`` cached per BA in ``cache``; also
    the row's extra figures (region, ba, headroom, curtailment hours, the hourly share)."""
    region = str(row.get("region_id", ""))
    try:
        ba = region_grid(region)["headroom_ba"]
    except InputError:
        ba = ""
    share = np.zeros(len(YEAR_HOURS))
    headroom_mw = 0.0
    if ba:
        check_ba(ba)
        if ba not in cache:
            cache[ba] = _ba_share(ba, limit)
        share, headroom_mw = cache[ba]
    it_mw = float(row["it_mw"])
    pue = float(row.get("pue", 1.2))
    longest = float(longest_run_h(share > 0))
    sg = SiteGrid(
        site_id=str(row["site_id"]), it_mw=it_mw, pue=pue,
        firm_wait_months=float(row.get("interconnect_wait_months", 0.0)),
        grid_price_usd_per_mwh=float(row.get("price_usd_per_mwh", 60.0)),
        grid_gco2_per_kwh=float(row.get("gco2_per_kwh", 400.0)),
        rent_usd_per_kw_month=rent, discount_rate=discount_rate, flex_headroom_mw=headroom_mw,
        flex_limit=limit, longest_event_h=longest, curtailed_share=float(share.mean()),
        build_months=build_months, carbon_usd_per_t=carbon_usd_per_t,
    )
    extra = {"region": region, "ba": ba, "headroom_mw": headroom_mw,
             "curtailment_h_per_year": float(np.count_nonzero(share > 0)),
             "curtailed_share": float(share.mean()), "longest_event_h": longest, "_share": share}
    return sg, extra


def power_study(inputs: Any, plan: Any, training: Any | None = None, *, limit: float = DEFAULT_LIMIT,
                carbon_usd_per_t: float = DEFAULT_CARBON_USD_PER_T, slack: float | None = None) -> PowerStudy:
    """Power paths of every core campus of ``plan`` and, with ``training``, the shifted training year.

    Parameters
    ----------
    inputs : coredge.inputs.Inputs
    plan : coredge.plan.result.Plan
    training : coredge.training.jobs.PlanTraining or None
    limit : float
        Curtailment limit of flexible connections [fraction of annual energy].
    carbon_usd_per_t : float
        Price of CO2 in the power paths' value and weight of CO2 in the training scheduler [USD/t].
    slack : float or None
        Deadline slack of training jobs [fraction of duration] (None: `DEFAULT_SLACK`).
    """
    from coredge.power.headroom import check_limit
    from coredge.training.flex import DEFAULT_SLACK

    limit = check_limit(limit)
    sites = plan.sites
    core = sites[sites["tier"].astype(str) == "core"]
    rate = float(inputs.scenario.economics.discount_rate)
    rent = market_rent_usd_per_kw_month("core")
    build = float(inputs.scenario.tiers["core"].lead_time_months)
    cache: dict[str, tuple[np.ndarray, float]] = {}
    rows, all_paths, shares = [], [], {}
    planned = "power_path" in core.columns
    for _, row in core.iterrows():
        if float(row["it_mw"]) <= 0:
            continue
        sg, extra = site_grid(row, limit, rate, rent, cache, build, carbon_usd_per_t)
        paths = evaluate_site(sg)
        best = best_path(paths)
        extra["best_path_alone"] = best.path
        if planned:  # the planner chose the path (coredge.plan.power_paths): report that one
            chosen = str(row["power_path"]) if isinstance(row["power_path"], str) else "firm"
            best = next(p for p in paths if p.path == chosen)
        share = extra.pop("_share")
        shares[sg.site_id] = share if "flexible" in best.path else np.zeros(len(YEAR_HOURS))
        all_paths += [p.as_dict() for p in paths]
        rows.append({"site_id": sg.site_id, **extra, "it_mw": sg.it_mw, "facility_mw": sg.facility_mw,
                     "firm_month": best.firm_month, "path": best.path,
                     "first_power_month": best.first_power_month, "months_earlier": best.months_earlier,
                     "npv_usd": best.npv_usd, "capex_usd": best.capex_usd, "co2_t": best.co2_t,
                     "curtailed_mwh": best.curtailed_mwh})
    site_df = pd.DataFrame(rows)
    y0 = int(plan.years[0])
    if len(site_df):
        from coredge.plan.result import online_year

        site_df["earliest_year_firm"] = online_year(y0, site_df["firm_month"].to_numpy(np.float64))
        site_df["earliest_year_with_path"] = online_year(y0, site_df["first_power_month"].to_numpy(np.float64))
        for r, a, b in zip(rows, site_df["earliest_year_firm"], site_df["earliest_year_with_path"], strict=True):
            r["earliest_year_firm"], r["earliest_year_with_path"] = int(a), int(b)
    summary: dict[str, Any] = {
        "flexible_limit": limit,
        "campuses": len(site_df),
        "paths": {} if site_df.empty else {str(k): int(v) for k, v in site_df["path"].value_counts().items()},
        "npv_gain_usd": float(site_df["npv_usd"].sum()) if len(site_df) else 0.0,
        "months_earlier_mean": float(site_df["months_earlier"].mean()) if len(site_df) else 0.0,
        "rent_usd_per_kw_month": rent,
        # what the planner would gain if it saw the paths (it plans with the firm dates today)
        "first_core_year_firm": int(site_df["earliest_year_firm"].min()) if len(site_df) else None,
        "first_core_year_with_paths": int(site_df["earliest_year_with_path"].min()) if len(site_df) else None,
        "sites": [{k: v for k, v in r.items()} for r in rows],
        "chosen_by": "planner" if planned else "power study (largest NPV; the planner planned firm dates)",
        "planner": planner_choice(inputs, plan),
        "source": "EIA-930 demand 2016-2024 (Ruggles et al., CC BY 4.0); Norris et al. 2025 method",
    }
    baseline = shifted = None
    hourly = pd.DataFrame()
    if training is not None and len(getattr(training, "jobs", [])):
        baseline, shifted, hourly, tsum = _training_shift(
            inputs, plan, training, shares, carbon_usd_per_t, DEFAULT_SLACK if slack is None else slack,
            float(inputs.scenario.power.migration_wan_gbps))
        summary["training_shift"] = tsum
    return PowerStudy(site_df, pd.DataFrame(all_paths), baseline, shifted, hourly, summary)


def planner_choice(inputs: Any, plan: Any) -> dict[str, Any]:
    """What the planner's choice of power path is worth per core campus of ``plan``.

    Per campus: the path (`coredge.plan.power_paths`), the year each stage starts, the first
    year with capacity against the firm year, the training and other (inference and batch) IT
    MW-years served before the firm year, the path's charges (bridge units less the backup
    credit, bridge fuel above the grid, curtailed rent, battery; discounted to the first plan
    year, as in the planner's objective) and the CO2 of bridge generation above the grid's.
    """
    from coredge.plan.costing import site_costs
    from coredge.plan.power_paths import NONE_YEAR, path_costs, plan_terms
    from coredge.units import discount_factors, plan_year_offsets

    s = plan.sites
    core = np.flatnonzero(s["tier"].astype(str).to_numpy() == "core")
    if core.size == 0:
        return {"campuses": []}
    t = plan_terms(plan)
    years = np.asarray(plan.years)
    disc = discount_factors(float(inputs.scenario.economics.discount_rate), plan_year_offsets(years))
    pc = path_costs(plan, site_costs(inputs, plan).energy_mwh)
    pre = years[None, :] < t.firm_from[:, None]
    train = plan.training_mw_by_year * pre
    other = (plan.load_mw_by_year - plan.training_mw_by_year) * pre
    rows: list[dict[str, Any]] = []
    for i in core:
        first = int(s["online_year"].iat[i])
        rows.append({
            "site_id": str(s["site_id"].iat[i]), "path": str(t.path[i]),
            "bridge_from": None if t.bridge_from[i] == NONE_YEAR else int(t.bridge_from[i]),
            "flexible_from": None if t.flexible_from[i] == NONE_YEAR else int(t.flexible_from[i]),
            "firm_from": int(t.firm_from[i]), "first_year": first,
            "years_earlier": int(t.firm_from[i]) - first,
            "training_mw_years_before_firm": float(train[i].sum()),
            "other_mw_years_before_firm": float(other[i].sum()),
            "path_cost_usd": float(((pc.capex_usd[i] + pc.opex_usd[i]) * disc).sum()),
            "bridge_mwh": float(pc.bridge_mwh[i].sum()), "bridge_co2_t": float(pc.co2_t[i].sum()),
        })
    non_firm = [r for r in rows if r["path"] != "firm"]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["path"]] = counts.get(r["path"], 0) + 1
    return {
        "campuses": rows, "paths": counts,
        "first_core_year": min(r["first_year"] for r in rows),
        "first_core_year_firm_dates": min(r["firm_from"] for r in rows),
        "years_earlier_mean": float(np.mean([r["years_earlier"] for r in non_firm])) if non_firm else 0.0,
        "training_mw_years_before_firm": float(sum(r["training_mw_years_before_firm"] for r in rows)),
        "other_mw_years_before_firm": float(sum(r["other_mw_years_before_firm"] for r in rows)),
        "path_cost_usd": float(sum(r["path_cost_usd"] for r in rows)),
        "bridge_co2_t": float(sum(r["bridge_co2_t"] for r in rows)),
    }


def _responses(campuses: list[FlexCampus], j: pd.DataFrame, jobs: pd.DataFrame, base: Schedule,
               power_w: float, wan_gbps: float) -> dict[str, Any]:
    """Pause, power cap and migration (`coredge.training.curtail`) on the curtailed campuses'
    jobs, against their always-on schedule without events; the other campuses host migrants."""
    from coredge.training.curtail import checkpoint_gb, compare_responses

    curt = [c for c in campuses if np.any(np.asarray(c.available_frac) < 1.0)]
    if not curt:
        return {}
    ids = {c.site_id for c in curt}
    sel = jobs["home"].isin(ids).to_numpy()
    cj = jobs[sel].copy()
    cls = j["job_class"].astype(str).to_numpy()[sel] if "job_class" in j.columns else [""] * len(cj)
    cj["checkpoint_gb"] = [checkpoint_gb(str(k), int(g)) for k, g in zip(cls, cj["gpus"], strict=True)]
    hosts = [(c, base.load_mw[i]) for i, c in enumerate(campuses) if c.site_id not in ids]
    return compare_responses(curt, cj, power_w, wan_gbps=wan_gbps, hosts=hosts)


def _training_shift(inputs: Any, plan: Any, training: Any, shares: dict[str, np.ndarray],
                    carbon_usd_per_t: float, slack: float,
                    wan_gbps: float = 400.0) -> tuple[Schedule, Schedule, pd.DataFrame, dict[str, Any]]:
    sites = plan.sites.set_index("site_id")
    camp = training.campuses
    campuses = []
    for _, c in camp.iterrows():
        sid = str(c["site_id"])
        s = sites.loc[sid]
        h = region_hourly(str(s.get("region_id", "")), str(s.get("state", ""))) if str(
            s.get("region_id", "")) else None
        if h is None:
            continue
        avail = 1.0 - shares.get(sid, np.zeros(len(YEAR_HOURS)))
        campuses.append(FlexCampus(sid, int(c["campus_gpus"]), float(s.get("pue", 1.2)),
                                   h.price_usd_per_mwh, h.carbon_g_per_kwh, avail,
                                   h.price_source, h.carbon_source))
    ids = {c.site_id for c in campuses}
    j = training.jobs[training.jobs["site_id"].astype(str).isin(ids)]
    jobs = pd.DataFrame({
        "job_id": j["site_id"].astype(str) + ":" + j["job_id"].astype(str),
        "gpus": j["gpus"].astype(int), "duration_h": j["duration_h"].astype(float),
        "release_h": j["arrival_h"].astype(float),
        "deadline_h": np.inf, "home": j["site_id"].astype(str),
    })
    power_w = float(training.summary["power_w_per_gpu"])
    base = schedule_always_on(campuses, jobs, power_w)
    # a shifted job may finish at most its slack after the always-on plan would have finished it
    fin = base.jobs.set_index("job_id")["finish_h"].reindex(jobs["job_id"]).to_numpy()
    jobs["deadline_h"] = make_deadlines(fin - jobs["duration_h"].to_numpy(), jobs["duration_h"], slack)
    shifted = schedule_flexible(campuses, jobs, power_w, carbon_usd_per_t=carbon_usd_per_t, start=base)
    responses = _responses(campuses, j, jobs, base, power_w, wan_gbps)
    n = len(YEAR_HOURS)
    parts = []
    for i, c in enumerate(campuses):
        parts.append(pd.DataFrame({
            "site_id": c.site_id, "hour": np.arange(n), "price_usd_per_mwh": c.price_usd_per_mwh,
            "carbon_g_per_kwh": c.carbon_g_per_kwh, "available_frac": c.available_frac,
            "always_on_mw": base.load_mw[i, :n], "shifted_mw": shifted.load_mw[i, :n]}))
    hourly = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    tsum = {
        "price_year": int(YEAR_HOURS[0].year), "carbon_usd_per_t": carbon_usd_per_t,
        "deadline_slack": slack, "jobs": len(jobs),
        "always_on": base.summary, "shifted": shifted.summary, "savings": savings(base, shifted),
        "sources": {c.site_id: {"price": c.price_source, "carbon": c.carbon_source} for c in campuses},
        "curtailed_campuses": sorted(k for k, v in shares.items() if np.any(v > 0) and k in ids),
        "curtailment_responses": responses,
    }
    return base, shifted, hourly, tsum
