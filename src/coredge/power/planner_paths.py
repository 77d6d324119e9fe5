"""The power paths the planner may choose per core candidate (`coredge.plan.power_paths`).

`planner_path_table(inputs)` evaluates every core candidate as `coredge.power.study` evaluates a
planned campus (its region's balancing area, headroom and curtailment profile at
``power.flexible_limit``; `coredge.power.options.planner_terms`) and keeps, per candidate and per
plan year of first power (the planner's 1-July rule, `coredge.plan.result.online_year`), the path
of largest NPV gain over firm per MW (the paths are linear in MW, so the ranking holds at any
size; the flexible paths' size limit is kept as ``max_it_mw``). A path whose first power falls in
the firm year adds nothing the planner can see and is dropped, and so is a bridge-then-flexible
path whose flexible connection comes in its first year (in plan years it is the flexible path). `with_power_paths` attaches the
table to the inputs (``Inputs.power_paths``); ``power.paths: []`` gives an empty table, i.e. the
firm-only planner exactly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from coredge.data.market import market_rent_usd_per_kw_month
from coredge.inputs.build import Inputs
from coredge.plan.result import online_year
from coredge.power.options import planner_terms

COLUMNS: tuple[str, ...] = (
    "candidate", "site_id", "path", "kind", "first_month", "flex_month", "firm_month",
    "bridge_capex_usd_per_mw", "bridge_credit_usd_per_mw", "bridge_premium_usd_per_mwh",
    "co2_t_per_mwh", "curtail_usd_per_mw_year", "battery_capex_usd_per_mw",
    "battery_fom_usd_per_mw_year", "max_it_mw", "npv_usd_per_mw",
)


def planner_path_table(inputs: Inputs) -> pd.DataFrame:
    """One row per (core candidate, non-firm path) the planner may choose (`COLUMNS`).

    Parameters
    ----------
    inputs : Inputs

    Returns
    -------
    DataFrame
        ``candidate`` indexes ``inputs.candidates``; months count from the first plan year's
        January; per-MW terms as `coredge.power.options.planner_terms`.
    """
    from coredge.power.study import site_grid

    sc = inputs.scenario
    kinds = tuple(sc.power.paths)
    cand = inputs.candidates
    if not kinds or "core" not in sc.tiers or "allow_core" not in cand.columns:
        return pd.DataFrame(columns=list(COLUMNS))
    spec = sc.tiers["core"]
    rate = float(sc.economics.discount_rate)
    rent = market_rent_usd_per_kw_month("core")
    build = float(spec.lead_time_months)
    y0 = int(inputs.years[0])
    cache: dict[str, tuple[np.ndarray, float]] = {}
    rows: list[dict[str, Any]] = []
    existing = (cand["existing_it_mw"].to_numpy(dtype=np.float64) if "existing_it_mw" in cand.columns
                else np.zeros(len(cand)))
    for i in np.flatnonzero(cand["allow_core"].to_numpy(dtype=bool)):
        if existing[i] > 0:
            continue  # brownfield capacity is online from the first year already
        c = cand.iloc[int(i)]
        if str(c.get("country", "US")) != "US":
            continue  # the paths' evidence is American: EIA-930 load, Henry Hub gas, REopt costs
        row = pd.Series({
            "site_id": str(c["id"]), "region_id": c.get("region_id", ""), "it_mw": 1.0,
            "pue": float(c.get("pue_core", spec.pue)),
            "interconnect_wait_months": float(c["interconnect_wait_months"]),
            "price_usd_per_mwh": float(c["price_usd_per_mwh"]), "gco2_per_kwh": float(c["gco2_per_kwh"]),
        })
        if not isinstance(row["region_id"], str):
            row["region_id"] = ""
        sg, _ = site_grid(row, float(sc.power.flexible_limit), rate, rent, cache, build,
                           float(sc.power.carbon_usd_per_t))
        firm_year = int(online_year(y0, sg.build_months + sg.firm_wait_months))
        best: dict[int, dict[str, Any]] = {}
        for t in planner_terms(sg, kinds):
            fy = int(online_year(y0, t["first_month"]))
            if fy >= firm_year or t["max_it_mw"] < spec.module_it_mw:
                continue
            if t["kind"] == "bridge+flexible" and int(online_year(y0, t["flex_month"])) <= fy:
                continue  # in plan years this is the flexible path (no year on the bridge)
            if fy not in best or t["npv_usd_per_mw"] > best[fy]["npv_usd_per_mw"]:
                best[fy] = t
        rows += [{"candidate": int(i), **t} for _, t in sorted(best.items())]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def with_power_paths(inputs: Inputs) -> Inputs:
    """``inputs`` with ``power_paths`` set (`planner_path_table`), unless already set."""
    if inputs.power_paths is not None:
        return inputs
    return replace(inputs, power_paths=planner_path_table(inputs))
