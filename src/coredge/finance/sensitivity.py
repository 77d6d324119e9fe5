"""One-at-a-time sensitivity (tornado) of each investor view's NPV on the key drivers.

The same plan is re-priced, never re-planned: each view's rows (`coredge.finance.views`) become
`coredge.finance.cashflow.Drivers` once, and every low/high case is one evaluation of
`coredge.finance.cashflow.evaluate` (the model Monte Carlo uses) with one driver moved and all
others at the base case. The landlord's residual value is the capitalised final-year NOI when the
scenario sets an exit cap rate (`coredge.finance.views.exit_value_usd`), as in the view itself.

Drivers and their ranges (`DRIVERS`):

``rent`` (landlord; operator unaffected)
    Rent per kW-month times the tier's published band over its median: lowest low and highest
    high of the tier's rows in ``market_colocation_rent.csv`` over the median of the row
    midpoints (CBRE, Applied Digital, Encor, DP; see `coredge data`).
``gpu_hour_price`` (operator; landlord unaffected)
    GPU-hour (or token) price times the accelerator's published band over its median
    (``market_gpu_hour.csv``, Mercatus / pricegpu / gpu.blog 2026; H100 rows when the
    accelerator has none).
``capex_per_mw``
    Facility capex per MW times the tier's published band over its median (rows of basis
    ``facility`` or ``all_in`` in ``market_construction_cost.csv``: Cushman & Wakefield, Turner &
    Townsend, JLL, Schneider, Applied Digital).
``utilisation``, ``power_price``, ``demand_growth``, ``discount_rate``
    P10 and P90 of the scenario's Monte Carlo distributions (``finance.risk``; the defaults are
    assumptions documented in `coredge.finance.montecarlo.default_variables`; the discount rate
    6-10 % from facts.md §3d). Utilisation and demand growth move the merchant (not pre-leased)
    volume: occupancy in the landlord view, GPU-hours sold in the operator view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.data.market import load_market
from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import (
    SHOCK_NEUTRAL,
    Drivers,
    Shocks,
    build_drivers,
    evaluate,
    tier_order,
)
from coredge.finance.montecarlo import RiskSpec, default_variables
from coredge.finance.portfolio import site_inputs_from_table
from coredge.finance.views import (
    exit_value_usd,
    landlord_assumptions,
    landlord_table,
    operator_assumptions,
)
from coredge.units import discount_factors

FloatArray = npt.NDArray[np.float64]

DRIVERS: Final[tuple[str, ...]] = (
    "rent", "gpu_hour_price", "utilisation", "capex_per_mw", "power_price", "discount_rate",
    "demand_growth",
)  # fmt: skip
"""The tornado's drivers, in table order."""

DRIVER_LABELS: Final[dict[str, str]] = {
    "rent": "rent per kW-month",
    "gpu_hour_price": "GPU-hour / token price",
    "utilisation": "utilisation (merchant volume)",
    "capex_per_mw": "facility capex per MW",
    "power_price": "power price",
    "discount_rate": "discount rate",
    "demand_growth": "demand growth (merchant volume)",
}

_RISK_NAME: Final[dict[str, str]] = {
    "utilisation": "utilisation", "power_price": "power_price", "demand_growth": "demand_growth",
    "discount_rate": "discount_rate",
}  # fmt: skip
_SHOCK_FIELD: Final[dict[str, str]] = {
    "utilisation": "utilisation_mult", "power_price": "power_price_mult",
    "demand_growth": "demand_growth", "capex_per_mw": "capex_overrun",
}  # fmt: skip

TORNADO_COLUMNS: Final[tuple[str, ...]] = (
    "view", "tier", "driver", "label", "unit", "low_value", "high_value", "npv_base_usd",
    "npv_low_usd", "npv_high_usd", "swing_usd", "range_text", "source",
)  # fmt: skip


@dataclass(frozen=True)
class DriverRange:
    """Low and high value of one driver, per tier where they differ.

    Attributes
    ----------
    name : str
        One of `DRIVERS`.
    unit : str
        ``multiplier`` (times the base value) [ratio], ``rate`` (replaces the discount rate)
        [fraction/year] or ``growth`` (extra merchant growth) [fraction/year].
    low, high : dict
        Tier id -> value; key ``"*"`` for every tier.
    source : str
    """

    name: str
    unit: str
    low: dict[str, float]
    high: dict[str, float]
    source: str

    def value(self, which: str, tier: str) -> float:
        """The low or high value at a tier."""
        d = self.low if which == "low" else self.high
        return float(d.get(tier, d.get("*", math.nan)))

    def text(self, tier: str | None = None) -> str:
        """The range as text: at `tier`, or per tier where it differs."""
        fmt = (lambda x: f"{x:.1%}") if self.unit in ("rate", "growth") else (lambda x: f"x{x:.2f}")
        keys = [k for k in self.low if k != "*"] or ["*"]
        if tier is not None and tier in keys:
            keys = [tier]
        parts = []
        for k in keys:
            label = "" if k == "*" else f" ({k})"
            parts.append(f"{fmt(self.low[k])} to {fmt(self.high[k])}{label}")
        return "; ".join(parts)


def _band_ratio(low: npt.ArrayLike, high: npt.ArrayLike) -> tuple[float, float]:
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    mid = float(np.median((lo + hi) / 2.0))
    return float(lo.min()) / mid, float(hi.max()) / mid


def market_ranges(accelerator: str = "h100") -> dict[str, DriverRange]:
    """Ranges of rent, GPU-hour price and capex per MW from the market tables (see module doc).

    Examples
    --------
    >>> r = market_ranges()
    >>> r["rent"].low["core"] < 1.0 < r["rent"].high["core"]
    True
    """
    rent = load_market("colocation_rent")
    lo_r: dict[str, float] = {}
    hi_r: dict[str, float] = {}
    for tier, rows in rent.groupby("tier"):
        lo_r[str(tier)], hi_r[str(tier)] = _band_ratio(rows["usd_per_kw_month_low"], rows["usd_per_kw_month_high"])
    gpu = load_market("gpu_hour")
    acc = accelerator.lower().split("-")[0]  # "a100" matches the table's "a100-80gb"
    rows = gpu[gpu["accelerator"].str.lower().str.split("-").str[0] == acc]
    if rows.empty:
        acc, rows = "h100", gpu[gpu["accelerator"].str.lower() == "h100"]
    g_lo, g_hi = _band_ratio(rows["usd_per_gpu_hour_low"], rows["usd_per_gpu_hour_high"])
    cost = load_market("construction_cost")
    cost = cost[cost["basis"].isin(["facility", "all_in"]) & (cost["unit"] == "USD/MW")]
    lo_c: dict[str, float] = {}
    hi_c: dict[str, float] = {}
    for tier, rows_c in cost.groupby("tier"):
        lo_c[str(tier)], hi_c[str(tier)] = _band_ratio(rows_c["value_low"], rows_c["value_high"])
    return {
        "rent": DriverRange("rent", "multiplier", lo_r, hi_r,
                            "market_colocation_rent.csv: lowest low / highest high over the median row midpoint, per tier"),
        "gpu_hour_price": DriverRange("gpu_hour_price", "multiplier", {"*": g_lo}, {"*": g_hi},
                                      f"market_gpu_hour.csv ({acc} rows): lowest low / highest high over the median row midpoint"),
        "capex_per_mw": DriverRange("capex_per_mw", "multiplier", lo_c, hi_c,
                                    "market_construction_cost.csv (facility / all-in USD/MW rows): lowest low / highest high over the median row midpoint, per tier"),
    }


def risk_ranges(spec: RiskSpec | None = None, low_q: float = 0.10, high_q: float = 0.90) -> dict[str, DriverRange]:
    """P10/P90 of utilisation, power price, demand growth and discount rate from a Monte Carlo
    spec (the scenario's ``finance.risk``); a variable the spec lacks takes the default
    distribution (`coredge.finance.montecarlo.default_variables`)."""
    given = {v.name: v for v in (spec.variables if spec is not None else ())}
    defaults = {v.name: v for v in default_variables()}
    units = {"utilisation": "multiplier", "power_price": "multiplier", "demand_growth": "growth", "discount_rate": "rate"}
    out: dict[str, DriverRange] = {}
    for name, var_name in _RISK_NAME.items():
        var = given.get(var_name) or defaults[var_name]
        lo, hi = var.dist.ppf(low_q), var.dist.ppf(high_q)
        if name in ("utilisation", "power_price"):
            lo, hi = max(lo, 0.0), max(hi, 0.0)
        where = "scenario finance.risk" if var_name in given else "default distribution (assumption)"
        out[name] = DriverRange(name, units[name], {"*": lo}, {"*": hi},
                                f"P10/P90 of {var.dist.kind}{tuple(var.dist.params)}, {where}")
    return out


def view_drivers(view: str, table: pd.DataFrame, a: FinanceAssumptions) -> tuple[Drivers, tuple[str, ...]]:
    """The cash-flow drivers of one investor view of the site table, and each row's tier."""
    if view == "landlord":
        va, vt = landlord_assumptions(a), landlord_table(table)
    else:
        va, vt = operator_assumptions(a), table
    si = site_inputs_from_table(vt, va)
    return build_drivers(si, va), si.tier


def view_net_flows(dv: Drivers, shocks: Shocks, exit_cap_rate: float | None) -> FloatArray:
    """Net cash flow per case, row and year [USD]; the landlord's residual at ``exit_cap_rate``."""
    ev = evaluate(dv, shocks)
    residual = ev.residual_value_usd
    if exit_cap_rate is not None:
        ebitda_last = ev.revenue_usd[..., -1] - ev.energy_cost_usd[..., -1] - ev.opex_fixed_usd[..., -1]
        residual = np.zeros_like(residual)
        residual[..., -1] = exit_value_usd(ebitda_last, exit_cap_rate)
    net: FloatArray = (
        ev.revenue_usd - ev.energy_cost_usd - ev.opex_fixed_usd - ev.capex_facility_usd
        - ev.capex_it_usd - ev.tax_usd + residual
    )
    return net


def view_tornado(
    table: pd.DataFrame,
    assumptions: FinanceAssumptions,
    exit_cap_rate: float | None = None,
    spec: RiskSpec | None = None,
    accelerator: str = "h100",
) -> pd.DataFrame:
    """NPV of each view, per tier and for the portfolio, with each driver at its low and high.

    Parameters
    ----------
    table : DataFrame
        The site table the views value (`coredge.finance.from_plan.plan_site_table`).
    assumptions : FinanceAssumptions
        The run's assumptions.
    exit_cap_rate : float or None
        The landlord's exit cap rate (``finance.exit_cap_rate``) [fraction]; None = book value.
    spec : RiskSpec, optional
        The scenario's Monte Carlo spec (ranges of the risk drivers).
    accelerator : str
        Accelerator id whose GPU-hour band is used.

    Returns
    -------
    DataFrame
        `TORNADO_COLUMNS`: one row per view, tier (each tier with rows, then ``portfolio``) and
        driver; ``npv_*_usd`` [USD], ``swing_usd = |high - low|``; empty for an empty table.
    """
    if len(table) == 0:
        return pd.DataFrame(columns=list(TORNADO_COLUMNS))
    ranges = {**market_ranges(accelerator), **risk_ranges(spec)}
    base_rate = assumptions.discount_rate
    out: list[dict[str, Any]] = []
    for view in ("landlord", "operator"):
        dv, site_tier = view_drivers(view, table, assumptions)
        S, T = dv.n_sites, dv.n_years
        tiers_present = list(tier_order(list(dict.fromkeys(site_tier))))
        # cases: 0 = base, then (low, high) per driver
        n = 1 + 2 * len(DRIVERS)
        fields = {f: np.full((n, S), v) for f, v in SHOCK_NEUTRAL.items()}
        rate = np.full(n, base_rate)
        price = np.ones((n, S))
        for j, name in enumerate(DRIVERS):
            r = ranges[name]
            for k, which in ((1 + 2 * j, "low"), (2 + 2 * j, "high")):
                vals = np.array([r.value(which, t) for t in site_tier])
                vals = np.where(np.isfinite(vals), vals, 1.0 if r.unit == "multiplier" else 0.0)
                if name == "discount_rate":
                    rate[k] = r.value(which, "*")
                elif name == "rent":
                    price[k] = vals if view == "landlord" else 1.0
                elif name == "gpu_hour_price":
                    price[k] = vals if view == "operator" else 1.0
                elif name == "capex_per_mw":
                    fields["capex_overrun"][k] = vals - 1.0
                else:
                    fields[_SHOCK_FIELD[name]][k] = vals
        cap = exit_cap_rate if view == "landlord" else None
        net = view_net_flows(dv, Shocks(**fields), cap)  # (n, S, T)
        priced = np.flatnonzero((price != 1.0).any(axis=1))
        for c in priced.tolist():  # the price cases: prices scaled, every shock neutral
            scaled = replace(dv, p_con=dv.p_con * price[c][:, None], p_mer=dv.p_mer * price[c][:, None])
            one = {f: v[c : c + 1] for f, v in fields.items()}
            net[c] = view_net_flows(scaled, Shocks(**one), cap)[0]
        df = discount_factors(rate[:, None], np.arange(T)[None, :])  # (n, T)
        npv_site = (net * df[:, None, :]).sum(axis=2)  # (n, S)
        groups = [(t, np.array([x == t for x in site_tier])) for t in tiers_present]
        groups.append(("portfolio", np.ones(S, dtype=bool)))
        for tier, mask in groups:
            npv_g = npv_site[:, mask].sum(axis=1)
            for j, name in enumerate(DRIVERS):
                r = ranges[name]
                lo_v = r.value("low", tier) if tier != "portfolio" or len(r.low) == 1 else math.nan
                hi_v = r.value("high", tier) if tier != "portfolio" or len(r.high) == 1 else math.nan
                unaffected = (name == "rent" and view == "operator") or (name == "gpu_hour_price" and view == "landlord")
                lo_n, hi_n = float(npv_g[1 + 2 * j]), float(npv_g[2 + 2 * j])
                out.append({
                    "view": view, "tier": tier, "driver": name, "label": DRIVER_LABELS[name],
                    "unit": r.unit, "low_value": lo_v, "high_value": hi_v,
                    "npv_base_usd": float(npv_g[0]), "npv_low_usd": lo_n, "npv_high_usd": hi_n,
                    "swing_usd": abs(hi_n - lo_n),
                    "range_text": ("no effect in this view" if unaffected else r.text(tier)),
                    "source": r.source,
                })
    return pd.DataFrame(out, columns=list(TORNADO_COLUMNS))


__all__ = [
    "DRIVERS",
    "DRIVER_LABELS",
    "TORNADO_COLUMNS",
    "DriverRange",
    "market_ranges",
    "risk_ranges",
    "view_drivers",
    "view_net_flows",
    "view_tornado",
]
