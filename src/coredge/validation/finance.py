"""Validation "finance": the two investor views against published comparables.

Reference sites are built from the default scenario's tier archetypes (facility capex per MW with
land and soft costs, lead time, PUE; the catalog's accelerator for IT) and valued with
`coredge.finance.views` at the default finance section (market rent, pre-leased share,
absorption, escalator, opex recovery, exit cap rate from ``data/market_*.csv``). Nothing is fitted
to the comparables: the rents, lease terms and exit cap rates come from other rows and sources
than the yields and margins they are checked against (held out by source).

Checks (one `ErrorStat` each; the error of a value against a published *band* is 0 inside the
band and its relative distance to the nearer edge outside, i.e. ``measured`` is the band clipped
to the prediction):

* landlord yield on cost of a pre-leased core campus vs the published development yields of
  pre-leased hyperscale builds (6.9 % Digital Realty / Realty Income 2023 to 12 %, secondary);
  tolerance 0 (must lie inside);
* landlord NOI margin (NOI / rent) of the same campus vs the one implied by Applied Digital's
  guidance for its CoreWeave leases ($0.5B NOI a year on $11B over 15 years, secondary):
  reported, no tolerance (coredge's core lease is triple-net: margin 1);
* landlord unlevered IRR of the same campus vs the band implied by those yields plus the rent
  escalators (a growing lease bought at yield ``y`` and sold at the same yield returns
  ``y + g``): 6.9 % + 2 % to 12 % + 3 %; tolerance 0 (derived band, stated as such);
* operator leased adjusted-EBITDA margin of a core campus vs CoreWeave's reported adjusted
  EBITDA margins (Q2/Q3 2024 and 2025): tolerance median 15 %, P90 20 %;
* operator leased adjusted-operating margin vs CoreWeave's reported adjusted operating margins:
  no tolerance promised (reported: the default GPU-hour price and utilisation do not carry
  5-year IT depreciation; see docs/finance.md);
* Nebius core AI infrastructure Q3 2025 margin (ramp-up quarter): reported, no tolerance;
* the facility cost curve (`construction_cost_stats`): held-out rows of the cost-by-size series
  inside their published ranges (tolerance 0); the two published budgets of known size and each
  tier's planning price against the band of its build's rows (reported, no tolerance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import coredge.data as cd
from coredge.data.market import load_market, market_band, market_lease_term
from coredge.finance.from_plan import assumptions_from_scenario
from coredge.finance.views import finance_views
from coredge.scenario.load import build_scenario
from coredge.scenario.schema import Scenario, TierId
from coredge.validation import ErrorStat, error_stat, register

REFERENCE_IT_MW = 100.0
"""IT capacity of each reference site [MW] (returns are scale-free in the views)."""


def _hardware(sc: Scenario) -> tuple[float, float]:
    """(IT kW per GPU, IT capex per GPU [USD]) as the inputs stage takes them."""
    from coredge.inputs.build import _hardware as hw

    return hw(sc)


def reference_table(sc: Scenario, tier: TierId, it_mw: float = REFERENCE_IT_MW) -> pd.DataFrame:
    """One site of a tier at the scenario's archetype, first online as soon as its lead time
    allows from the horizon's first year (the finance core's site table, one row).

    Parameters
    ----------
    sc : Scenario
    tier : {"core", "regional", "micro"}
    it_mw : float
        IT capacity [MW].

    Returns
    -------
    DataFrame
    """
    spec = sc.tiers[tier]
    kw_per_gpu, gpu_capex = _hardware(sc)
    gpus = np.floor(it_mw * 1000.0 / kw_per_gpu)
    start = sc.horizon.start_year
    lead_years = int(np.floor((spec.lead_time_months + 6.0) / 12.0))
    price = float(cd.load_state_prices()["industrial_usd_per_mwh"].median())  # EIA 2023, US median state
    return pd.DataFrame(
        {
            "site_id": [f"reference-{tier}"], "tier": [tier],
            "build_start_year": [start], "online_year": [start + max(lead_years, 0)],
            "it_mw": [it_mw], "gpus": [float(gpus)], "pue": [spec.pue],
            "capex_facility_usd": [it_mw * spec.facility_capex_usd_per_mw * (1.0 + spec.land_and_soft_cost_frac)],
            "capex_it_usd": [float(gpus) * gpu_capex],
            "energy_price_usd_per_mwh": [price], "utilisation_frac": [sc.hardware.utilisation_frac],
        }
    )


def reference_views(sc: Scenario | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Both views of one reference site per tier: ``{tier: {"landlord": m, "operator": m}}``."""
    sc = sc if sc is not None else build_scenario({"name": "finance-validation"})
    a = assumptions_from_scenario(sc)
    out: dict[str, dict[str, dict[str, float]]] = {}
    tiers: tuple[TierId, ...] = ("core", "regional", "micro")
    for tier in tiers:
        v = finance_views(reference_table(sc, tier), a, sc.finance.exit_cap_rate)
        out[tier] = {"landlord": v["landlord"][tier], "operator": v["operator"][tier]}
    return out


def band_error(name: str, dataset: str, subset: str, value: float, band: tuple[float, float], source: str, date: str, tol: float = 0.0) -> ErrorStat:
    """`ErrorStat` of one value against a band (0 inside; relative distance to the nearer edge)."""
    lo, hi = band
    return error_stat(name, dataset, subset, [value], [float(np.clip(value, lo, hi))], source, date, tol, tol)


@register("finance")
def check_finance() -> list[ErrorStat]:
    """The investor views against published yields, margins and construction costs."""
    sc = build_scenario({"name": "finance-validation"})
    ref = reference_views(sc)
    core_l, core_o = ref["core"]["landlord"], ref["core"]["operator"]
    ret = load_market("returns")
    out: list[ErrorStat] = []
    yoc = market_band("landlord", "yield_on_cost")
    out.append(band_error(
        "landlord yield on cost (pre-leased core campus)", "development yields of pre-leased hyperscale builds",
        "held-out band", core_l["yield_on_cost"], yoc,
        "Digital Realty / Realty Income 2023 (6.9 %); Infrastructure Investor 9-12 %; Max Life 7-8.5 % (secondary)",
        "2023-2026",
    ))
    nm = ret[(ret["subset"] == "landlord") & (ret["metric"] == "noi_margin")]
    noi_margin = core_l["noi_margin"]
    out.append(error_stat(
        "landlord NOI margin (pre-leased core campus)", "Applied Digital Polaris Forge 1 NOI / rent (derived)",
        "reported (no tolerance)", [noi_margin], nm["value_low"].to_numpy(dtype=np.float64),
        "Applied Digital guidance (secondary) and press release 2025-08-29", "2025",
    ))
    g_lo, g_hi = market_lease_term("core", "lease_escalator_rate"), market_lease_term("regional", "lease_escalator_rate")
    out.append(band_error(
        "landlord unlevered IRR (pre-leased core campus)", "yield on cost + rent escalator (derived band)",
        "derived band", core_l["irr"], (yoc[0] + g_lo, yoc[1] + g_hi),
        "derived from market_returns.csv yields and market_lease_terms.csv escalators", "2023-2026",
    ))
    cw = ret[(ret["subset"] == "operator") & ret["entity"].str.startswith("CoreWeave")]
    for metric, key, tol in (
        ("adj_ebitda_margin", "leased_ebitda_margin", (15.0, 20.0)),
        ("adj_operating_margin", "leased_operating_margin", (float("inf"), float("inf"))),
    ):
        rows = cw[cw["metric"] == metric]
        meas = rows["value_low"].to_numpy(dtype=np.float64)
        out.append(error_stat(
            f"operator {key.replace('_', ' ')} (core campus)", f"CoreWeave {metric.replace('_', ' ')}",
            "held-out (Q2/Q3 2024-2025)", np.full(meas.size, core_o[key]), meas,
            "CoreWeave Q2 and Q3 2025 results (Business Wire)", "2024-2025", *tol,
        ))
    nb = ret[(ret["subset"] == "operator") & ret["entity"].str.startswith("Nebius")]
    out.append(error_stat(
        "operator leased ebitda margin (core campus)", "Nebius core AI infrastructure adj. EBITDA margin",
        "ramp-up quarter (no tolerance)", [core_o["leased_ebitda_margin"]], nb["value_low"].to_numpy(dtype=np.float64),
        "Nebius Q3 2025 shareholder letter", "2025",
    ))
    out.extend(construction_cost_stats(sc))
    return out


def construction_cost_stats(sc: Scenario) -> list[ErrorStat]:
    """The facility cost curve (`coredge.physics.facility_cost`) against the rows it was not fitted on.

    * each held-out row of the cost-by-size series (Schneider 100-250 kW band, DCF 250 kW unit)
      against its published range: tolerance 0 (must lie inside);
    * the two published budgets of known size (Digital Realty / Realty Income 16 MW build-to-suit,
      Northern Virginia 2023; Applied Digital Polaris Forge 2, 280 MW, North Dakota 2025), all-in
      with the tier's land and soft costs: reported (one market each, no tolerance);
    * each tier's facility capex per MW at its planning size (the planner's price, without land
      and soft costs) against the band of the published rows of its build (stick-built: the core
      rows on a facility or shell-and-core basis; prefab: the modular rows): reported.
    """
    from coredge.physics import facility_cost as fcost

    cost = load_market("construction_cost")
    out: list[ErrorStat] = []
    fit = fcost.size_fit()
    held = cost[cost["series"] == "size-held-out"]
    for (item, _p, _mid, pred), (_, row) in zip(fit.held_out, held.iterrows(), strict=True):
        out.append(band_error(
            f"prefab facility capex per MW, {item}", "published cost-by-size rows held out of the size fit",
            "held-out band", pred, (float(row["value_low"]), float(row["value_high"])),
            str(row["source"]), str(row["year"]),
        ))
    checks = cost[cost["series"] == "check"]
    for _, row in checks.iterrows():
        size = float(row["it_mw_low"])
        tier: TierId = "core" if size >= sc.tiers["core"].it_mw_min else "regional"
        spec = sc.tiers[tier]
        cooling = "direct-liquid" if "AI" in str(row["item"]) else "air"
        pred = fcost.facility_usd_per_mw("stick-built", size, cooling) * (1.0 + spec.land_and_soft_cost_frac)
        out.append(error_stat(
            f"stick-built all-in capex per MW at {size:g} MW ({row['market']})", "published budget of known size",
            "held out (reported, no tolerance)", [pred], [float(row["value_low"])],
            str(row["source"]), str(row["year"]),
        ))
    usd_mw = cost[cost["unit"] == "USD/MW"]
    bands = {
        "stick-built": usd_mw[(usd_mw["tier"] == "core") & usd_mw["basis"].isin(["facility", "shell_core"])],
        "prefab": usd_mw[usd_mw["item"].str.startswith("modular") & (usd_mw["basis"] == "facility")],
    }
    from coredge.data import load_tiers

    archetypes = load_tiers()
    tiers: tuple[TierId, ...] = ("core", "regional", "micro")
    for t in tiers:
        build = str(archetypes[t]["build"])
        rows = bands[build]
        out.append(band_error(
            f"{t} facility capex per MW at its planning size ({fcost.tier_planning_it_mw(archetypes[t]):g} MW, {build})",
            f"published construction cost, {build} rows", "band (no tolerance)",
            sc.tiers[t].facility_capex_usd_per_mw, (float(rows["value_low"].min()), float(rows["value_high"].max())),
            "Cushman & Wakefield 2025; Turner & Townsend 2025-2026; JLL 2026; Schneider 2023 (secondary)", "2023-2026",
            float("inf"),
        ))
    return out


__all__ = ["REFERENCE_IT_MW", "band_error", "check_finance", "construction_cost_stats", "reference_table", "reference_views"]
