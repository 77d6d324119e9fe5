"""Tables of the two investor views for the run directory, the report and the workbook.

`coredge.finance.views` values every build phase (row of the site table) in each view and keeps
the line items as `CashFlows`. This module turns them into long tables keyed by view, site or
tier and calendar year (`view_site_cash_flows`, `view_tier_cash_flows`) and into one row of
economics per plan site and view (`view_site_economics`). Sums only: no new formula; metrics
come from `coredge.finance.metrics` through `coredge.finance.portfolio.series_metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.finance.assumptions import FACILITY_COMPONENTS, FinanceAssumptions
from coredge.finance.cashflow import CashFlows, tier_order
from coredge.finance.montecarlo import RiskSpec
from coredge.finance.portfolio import series_metrics
from coredge.finance.sensitivity import view_tornado

FloatArray = npt.NDArray[np.float64]

CAPEX_COLUMNS: Final[tuple[str, ...]] = tuple(f"capex_{c}_usd" for c in FACILITY_COMPONENTS)
"""Facility capex by component [USD], in `FACILITY_COMPONENTS` order."""

LINE_ITEMS: Final[tuple[str, ...]] = (
    *CAPEX_COLUMNS, "capex_it_usd", "revenue_usd", "energy_cost_usd", "opex_fixed_usd",
    "tax_usd", "residual_value_usd", "net_usd",
)  # fmt: skip
"""Line items of the view cash-flow tables [USD]: positive amounts, ``net_usd`` signed
(revenue - energy - fixed opex - capex - tax + residual)."""


def _row_items(cf: CashFlows) -> dict[str, FloatArray]:
    items: dict[str, FloatArray] = {
        col: np.asarray(cf.capex_by_component_usd[:, c, :], dtype=np.float64)
        for c, col in enumerate(CAPEX_COLUMNS)
    }
    items["capex_it_usd"] = cf.capex_it_usd
    items["revenue_usd"] = cf.revenue_usd
    items["energy_cost_usd"] = cf.energy_cost_usd
    items["opex_fixed_usd"] = cf.opex_fixed_usd
    items["tax_usd"] = cf.tax_usd
    items["residual_value_usd"] = cf.residual_value_usd
    items["net_usd"] = cf.net_usd
    return items


def _site_onehot(rows: pd.DataFrame, cf: CashFlows) -> tuple[list[str], list[str], FloatArray]:
    """Plan sites (in first-seen order), their tiers and the (sites x rows) grouping matrix."""
    site_of_row = rows["site"].astype(str).tolist() if "site" in rows.columns else list(cf.site_id)
    sites: list[str] = list(dict.fromkeys(site_of_row))
    idx = {s: i for i, s in enumerate(sites)}
    g = np.zeros((len(sites), len(site_of_row)))
    g[[idx[s] for s in site_of_row], np.arange(len(site_of_row))] = 1.0
    tiers = [""] * len(sites)
    for s, t in zip(site_of_row, cf.tier, strict=True):
        tiers[idx[s]] = t
    return sites, tiers, g


def view_site_cash_flows(rows: pd.DataFrame, flows: dict[str, CashFlows]) -> pd.DataFrame:
    """Each view's line items per plan site and calendar year (build phases summed).

    Parameters
    ----------
    rows : DataFrame
        The site table the views were computed from (``site`` = plan site of each row).
    flows : dict
        View name -> `CashFlows` of those rows (`PlanFinancials.view_flows`).

    Returns
    -------
    DataFrame
        ``view, site_id, tier, year`` and `LINE_ITEMS` [USD]; empty without flows.

    Examples
    --------
    >>> view_site_cash_flows(pd.DataFrame(), {}).columns[:4].tolist()
    ['view', 'site_id', 'tier', 'year']
    """
    frames = []
    for view, cf in flows.items():
        sites, tiers, g = _site_onehot(rows, cf)
        T = len(cf.years)
        d: dict[str, Any] = {
            "view": view,
            "site_id": np.repeat(np.array(sites, dtype=object), T),
            "tier": np.repeat(np.array(tiers, dtype=object), T),
            "year": np.tile(np.asarray(cf.years, dtype=np.int64), len(sites)),
        }
        for name, arr in _row_items(cf).items():
            d[name] = (g @ arr).reshape(-1)
        frames.append(pd.DataFrame(d))
    if not frames:
        return pd.DataFrame(columns=["view", "site_id", "tier", "year", *LINE_ITEMS])
    return pd.concat(frames, ignore_index=True)


def view_tier_cash_flows(site_flows: pd.DataFrame) -> pd.DataFrame:
    """Each view's line items per tier (and ``tier == "portfolio"``) and year, with
    ``cumulative_net_usd`` [USD]; sums of `view_site_cash_flows`.

    Examples
    --------
    >>> f = pd.DataFrame({"view": ["landlord"] * 2, "site_id": ["a", "a"], "tier": ["core"] * 2,
    ...                   "year": [2026, 2027], **{k: [1.0, 2.0] for k in LINE_ITEMS}})
    >>> view_tier_cash_flows(f).query("tier == 'portfolio'")["cumulative_net_usd"].tolist()
    [1.0, 3.0]
    """
    cols = ["view", "tier", "year", *LINE_ITEMS, "cumulative_net_usd"]
    if site_flows.empty:
        return pd.DataFrame(columns=cols)
    frames = []
    for view, f in site_flows.groupby("view", sort=False):
        by_tier = f.groupby(["tier", "year"], sort=False)[list(LINE_ITEMS)].sum().reset_index()
        order = {t: i for i, t in enumerate(tier_order(by_tier["tier"].unique().tolist()))}
        by_tier = by_tier.sort_values(["tier", "year"], key=lambda s: s.map(order) if s.name == "tier" else s)
        port = f.groupby("year", sort=True)[list(LINE_ITEMS)].sum().reset_index()
        port.insert(0, "tier", "portfolio")
        both = pd.concat([by_tier, port], ignore_index=True)
        both.insert(0, "view", view)
        frames.append(both)
    out = pd.concat(frames, ignore_index=True)
    out["cumulative_net_usd"] = out.groupby(["view", "tier"], sort=False)["net_usd"].cumsum()
    return out[cols]


SITE_ECONOMICS_COLUMNS: Final[tuple[str, ...]] = (
    "view", "site_id", "tier", "it_mw", "gpus", "capex_usd", "revenue_usd", "npv_usd", "irr",
    "payback_years", "capex_usd_per_kw", "cost_usd_per_gpu_hour",
)  # fmt: skip
"""Columns of `view_site_economics`."""


def view_site_economics(rows: pd.DataFrame, flows: dict[str, CashFlows]) -> pd.DataFrame:
    """One row per plan site and view: the figures of the report's sortable site table.

    ``capex_usd`` is all capex of that view inside the horizon (facility, and in the operator
    view the IT and its refreshes) [USD]; ``revenue_usd`` the undiscounted revenue over the
    horizon (rent in the landlord view, GPU-hours or tokens sold in the operator view) [USD];
    ``npv_usd`` [USD], ``irr`` [fraction/year] and ``payback_years`` [years] of the site's net
    flows; ``capex_usd_per_kw`` = capex / IT kW [USD/kW]; ``cost_usd_per_gpu_hour`` = the
    view's full-stack cost levelised over the GPU-hours delivered (`coredge.finance.metrics.lcoc`;
    the landlord's excludes the tenant's IT) [USD/GPU-hour].

    Parameters
    ----------
    rows : DataFrame
        The site table (``site``, ``it_mw``, ``gpus`` per build phase).
    flows : dict
        View name -> `CashFlows` of those rows.

    Returns
    -------
    DataFrame
        `SITE_ECONOMICS_COLUMNS`.
    """
    frames = []
    for view, cf in flows.items():
        sites, tiers, g = _site_onehot(rows, cf)
        m = series_metrics(g @ cf.net_usd, g @ cf.full_cost_usd, g @ cf.gpu_hours,
                           g @ np.nan_to_num(cf.mtok), cf.discount_rate)
        it_mw = g @ rows["it_mw"].to_numpy(dtype=np.float64)
        capex = g @ cf.capex_usd.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_kw = np.where(it_mw > 0, capex / np.where(it_mw > 0, it_mw * 1000.0, 1.0), np.nan)
        frames.append(pd.DataFrame({
            "view": view, "site_id": sites, "tier": tiers, "it_mw": it_mw,
            "gpus": g @ rows["gpus"].to_numpy(dtype=np.float64), "capex_usd": capex,
            "revenue_usd": g @ cf.revenue_usd.sum(axis=1), "npv_usd": m["npv_usd"],
            "irr": m["irr"], "payback_years": m["payback_years"], "capex_usd_per_kw": per_kw,
            "cost_usd_per_gpu_hour": m["lcoc_usd_per_gpu_hour"],
        }))
    if not frames:
        return pd.DataFrame(columns=list(SITE_ECONOMICS_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SITE_ECONOMICS_COLUMNS)]


@dataclass(frozen=True)
class InvestorTables:
    """The tables of both views that the run directory stores and the report and workbook read.

    Attributes
    ----------
    site_flows : DataFrame
        `view_site_cash_flows` (Parquet ``view_cashflows_sites.parquet``).
    tier_flows : DataFrame
        `view_tier_cash_flows` (``view_cashflows.parquet``).
    site_economics : DataFrame
        `view_site_economics` (``view_sites.parquet``).
    tornado : DataFrame
        `coredge.finance.sensitivity.view_tornado` (``sensitivity.parquet``).
    """

    site_flows: pd.DataFrame
    tier_flows: pd.DataFrame
    site_economics: pd.DataFrame
    tornado: pd.DataFrame


def investor_tables(
    rows: pd.DataFrame,
    flows: dict[str, CashFlows],
    assumptions: FinanceAssumptions,
    exit_cap_rate: float | None = None,
    spec: RiskSpec | None = None,
    accelerator: str = "h100",
) -> InvestorTables:
    """All `InvestorTables` of one priced plan (`PlanFinancials.rows` and ``view_flows``; the
    tornado re-prices the same rows, see `coredge.finance.sensitivity`)."""
    site_flows = view_site_cash_flows(rows, flows)
    return InvestorTables(
        site_flows=site_flows,
        tier_flows=view_tier_cash_flows(site_flows),
        site_economics=view_site_economics(rows, flows),
        tornado=view_tornado(rows, assumptions, exit_cap_rate, spec, accelerator),
    )


__all__ = [
    "CAPEX_COLUMNS",
    "LINE_ITEMS",
    "SITE_ECONOMICS_COLUMNS",
    "InvestorTables",
    "investor_tables",
    "view_site_cash_flows",
    "view_site_economics",
    "view_tier_cash_flows",
]
