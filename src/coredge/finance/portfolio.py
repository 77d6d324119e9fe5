"""Per-site, per-tier and portfolio financials: the entry point for the pipeline.

`portfolio_financials(site_table, assumptions)` takes one row per site (units in the column
names) and returns a JSON-ready dict of NPV, IRR, payback, MOIC, peak funding and levelised
costs per site, per tier and for the whole portfolio, plus the portfolio's yearly line items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.finance.assumptions import FACILITY_COMPONENTS, FinanceAssumptions
from coredge.finance.cashflow import CashFlows, SiteInputs, site_cash_flows
from coredge.finance.metrics import (
    IRR_REASONS,
    irr_detail,
    lcoc,
    moic,
    npv,
    payback_years,
    peak_funding_usd,
)

FloatArray = npt.NDArray[np.float64]

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "site_id",
    "tier",
    "online_year",
    "build_start_year",
    "it_mw",
    "gpus",
    "pue",
    "capex_facility_usd",
    "capex_it_usd",
    "energy_price_usd_per_mwh",
    "utilisation_frac",
)
"""Columns `portfolio_financials` needs (``state`` and ``facility_mw`` are accepted and passed
through; energy is computed from ``it_mw * utilisation_frac * pue``)."""

OPTIONAL_COLUMNS: Final[tuple[str, ...]] = (
    "mtok_per_year",
    "pre_leased_share",
    "gpu_hour_price_usd",
    "lease_usd_per_kw_month",
    "usd_per_mtok",
    "energy_draw_frac",
    *(f"capex_{c}_usd" for c in FACILITY_COMPONENTS),
)
"""Optional per-site revenue inputs and facility capex by component (all five components must
be given together; they then replace the split of ``capex_facility_usd``)."""


def site_inputs_from_table(
    site_table: pd.DataFrame, assumptions: FinanceAssumptions
) -> SiteInputs:
    """Validate a site table and build `SiteInputs` (see `REQUIRED_COLUMNS`).

    Parameters
    ----------
    site_table : pandas.DataFrame
        One row per site.
    assumptions : FinanceAssumptions
        Used for the facility capex split and to check tier ids.

    Returns
    -------
    SiteInputs
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in site_table.columns]
    if missing:
        raise InputError.of(
            "site_table", missing, "the columns " + ", ".join(REQUIRED_COLUMNS), "missing columns"
        )
    if len(site_table) == 0:
        raise InputError.of("site_table", "0 rows", "at least one site")
    ids = site_table["site_id"].astype(str).tolist()
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError.of("site_table.site_id", dup, "unique site ids")
    tiers = site_table["tier"].astype(str).tolist()
    for t in sorted(set(tiers)):
        assumptions.tier(t)  # raises InputError for an unknown tier

    def col(name: str) -> npt.NDArray[np.float64] | None:
        if name not in site_table.columns:
            return None
        try:
            return site_table[name].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise InputError.of(f"site_table.{name}", site_table[name].tolist()[:3], "numbers") from None

    def req(name: str) -> FloatArray:
        v = col(name)
        assert v is not None  # checked above
        return v

    comp_cols = [f"capex_{c}_usd" for c in FACILITY_COMPONENTS]
    given = [c for c in comp_cols if c in site_table.columns]
    components = None
    if given:
        if len(given) != len(comp_cols):
            raise InputError.of(
                "site_table", given, "all of " + ", ".join(comp_cols) + " or none"
            )
        components = np.stack([req(c) for c in comp_cols], axis=1)
        total = col("capex_facility_usd")
        if total is not None and not np.allclose(components.sum(axis=1), total, rtol=1e-9):
            raise InputError.of(
                "site_table.capex_facility_usd",
                "differs from the sum of capex_<component>_usd",
                "equal to the sum of the component columns",
            )

    return SiteInputs.create(
        site_id=ids,
        tier=tiers,
        build_start_year=req("build_start_year"),
        online_year=req("online_year"),
        it_mw=req("it_mw"),
        gpus=req("gpus"),
        pue=req("pue"),
        utilisation_frac=req("utilisation_frac"),
        energy_price_usd_per_mwh=req("energy_price_usd_per_mwh"),
        capex_it_usd=req("capex_it_usd"),
        capex_facility_usd=None if components is not None else req("capex_facility_usd"),
        capex_facility_components_usd=components,
        facility_split=assumptions.facility_split,
        mtok_per_year=col("mtok_per_year"),
        pre_leased_share=col("pre_leased_share"),
        gpu_hour_price_usd=col("gpu_hour_price_usd"),
        lease_usd_per_kw_month=col("lease_usd_per_kw_month"),
        usd_per_mtok=col("usd_per_mtok"),
        energy_draw_frac=col("energy_draw_frac"),
    )


def series_metrics(
    net: FloatArray, full_cost: FloatArray, gpu_h: FloatArray, mtok: FloatArray, rate: float
) -> dict[str, FloatArray]:
    """Metrics of a stack of series (G, T): net flows, full-stack cost [USD], GPU-hours and
    million tokens per year; ``capex_usd`` is left at zero for the caller to fill."""
    ir = irr_detail(net)
    has_tok = np.isfinite(mtok).any(axis=-1) & (np.nansum(mtok, axis=-1) > 0)
    tok = lcoc(full_cost, np.nan_to_num(mtok), rate)
    return {
        "npv_usd": npv(rate, net),
        "irr": ir.irr,
        "irr_exists": ir.exists,
        "irr_multiple": ir.multiple,
        "irr_reason": np.array([IRR_REASONS[int(r)] for r in np.ravel(ir.reason)]),
        "payback_years": payback_years(net),
        "discounted_payback_years": payback_years(net, rate=rate),
        "moic": moic(net),
        "peak_funding_usd": peak_funding_usd(net),
        "lcoc_usd_per_gpu_hour": lcoc(full_cost, gpu_h, rate),
        "usd_per_mtok": np.where(has_tok, tok, np.nan),
        "capex_usd": np.zeros(net.shape[0]),  # filled by the caller
    }


def tier_and_portfolio_metrics(cf: CashFlows) -> dict[str, Any]:
    """Metrics per site, per tier and for the portfolio from base-case cash flows.

    Tier and portfolio series are the sums of their sites' yearly flows; levelised costs are
    PV(full-stack cost) / PV(GPU-hours or million tokens) over the summed series.

    Parameters
    ----------
    cf : CashFlows
        From `site_cash_flows`.

    Returns
    -------
    dict
        ``{"sites": [...], "tiers": {tier: {...}}, "portfolio": {...}}``; each entry has
        ``npv_usd, irr, irr_exists, irr_multiple, irr_reason, payback_years,
        discounted_payback_years, moic, peak_funding_usd, lcoc_usd_per_gpu_hour,
        usd_per_mtok, capex_usd`` (IRR and rates as fractions, paybacks in years, NaN where
        undefined).
    """
    r = cf.discount_rate
    net = cf.net_usd
    full = cf.full_cost_usd
    capex = cf.capex_usd.sum(axis=1)
    G = len(cf.tiers)
    onehot = np.zeros((G, len(cf.site_id)))
    onehot[cf.tier_index, np.arange(len(cf.site_id))] = 1.0

    def group(x: FloatArray) -> FloatArray:
        return np.einsum("gs,st->gt", onehot, np.nan_to_num(x))

    mtok_has = np.isfinite(cf.mtok)
    mtok_group = np.where(
        (onehot @ mtok_has.any(axis=1).astype(float))[:, None] > 0, group(cf.mtok), np.nan
    )
    per_site = series_metrics(net, full, cf.gpu_hours, cf.mtok, r)
    per_site["capex_usd"] = capex
    per_tier = series_metrics(group(net), group(full), group(cf.gpu_hours), mtok_group, r)
    per_tier["capex_usd"] = onehot @ capex
    port_mtok = np.nansum(cf.mtok, axis=0)[None] if mtok_has.any() else np.full((1, net.shape[1]), np.nan)
    port = series_metrics(
        net.sum(0)[None], full.sum(0)[None], cf.gpu_hours.sum(0)[None], port_mtok, r
    )
    port["capex_usd"] = np.array([capex.sum()])

    def row(m: Mapping[str, Any], i: int) -> dict[str, Any]:
        return {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in m.items()}

    sites = []
    for i, sid in enumerate(cf.site_id):
        sites.append({"site_id": sid, "tier": cf.tier[i], **row(per_site, i)})
    tiers = {t: {"n_sites": int(onehot[g].sum()), **row(per_tier, g)} for g, t in enumerate(cf.tiers)}
    portfolio = {"n_sites": len(cf.site_id), **row(port, 0)}
    return {"sites": sites, "tiers": tiers, "portfolio": portfolio}


def yearly_portfolio_table(cf: CashFlows) -> dict[str, list[float]]:
    """Portfolio line items per year [USD; energy MWh; GPU-hours], JSON-ready lists."""
    out: dict[str, list[float]] = {"year": [int(y) for y in cf.years]}
    items: dict[str, FloatArray] = {
        "revenue_usd": cf.revenue_usd,
        "energy_cost_usd": cf.energy_cost_usd,
        **cf.opex_items_usd,
        "capex_facility_usd": cf.capex_facility_usd,
        "capex_it_usd": cf.capex_it_usd,
        "tax_usd": cf.tax_usd,
        "residual_value_usd": cf.residual_value_usd,
        "net_usd": cf.net_usd,
        "energy_mwh": cf.energy_mwh,
        "gpu_hours": cf.gpu_hours,
    }
    for k, v in items.items():
        out[k] = [float(x) for x in v.sum(axis=0)]
    return out


def cash_flow_table(cf: CashFlows) -> pd.DataFrame:
    """Long table of the base-case line items: one row per site and year (for Parquet).

    Columns: ``site_id, tier, year`` and one column per line item (units in the names).
    """
    S, T = cf.net_usd.shape
    data: dict[str, Any] = {
        "site_id": np.repeat(np.array(cf.site_id, dtype=object), T),
        "tier": np.repeat(np.array(cf.tier, dtype=object), T),
        "year": np.tile(cf.years, S),
    }
    items: dict[str, FloatArray] = {
        "revenue_usd": cf.revenue_usd,
        "energy_cost_usd": cf.energy_cost_usd,
        **cf.opex_items_usd,
        "capex_facility_usd": cf.capex_facility_usd,
        "capex_it_usd": cf.capex_it_usd,
        "depreciation_usd": cf.depreciation_usd,
        "tax_usd": cf.tax_usd,
        "residual_value_usd": cf.residual_value_usd,
        "net_usd": cf.net_usd,
        "full_cost_usd": cf.full_cost_usd,
        "energy_mwh": cf.energy_mwh,
        "gpu_hours": cf.gpu_hours,
        "mtok": cf.mtok,
    }
    for k, v in items.items():
        data[k] = v.reshape(-1)
    return pd.DataFrame(data)


def portfolio_financials(
    site_table: pd.DataFrame, assumptions: FinanceAssumptions | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Financials of a portfolio of sites: the pipeline's entry point.

    Parameters
    ----------
    site_table : pandas.DataFrame
        One row per site with `REQUIRED_COLUMNS`: ``site_id``, ``tier`` (a key of
        ``assumptions.tiers``: core / regional / micro by default), ``build_start_year`` and
        ``online_year`` [calendar year], ``it_mw`` [MW], ``gpus`` [count], ``pue`` [ratio],
        ``capex_facility_usd`` and ``capex_it_usd`` [USD, first IT fill],
        ``energy_price_usd_per_mwh`` [USD/MWh in the first horizon year],
        ``utilisation_frac`` [fraction]; optionally `OPTIONAL_COLUMNS` (``mtok_per_year``
        [million tokens/year at full volume], ``pre_leased_share`` [fraction], price overrides
        ``gpu_hour_price_usd`` [USD/GPU-h], ``lease_usd_per_kw_month`` [USD/kW-month],
        ``usd_per_mtok`` [USD/million tokens], and ``capex_<component>_usd`` [USD]).
    assumptions : FinanceAssumptions or mapping, optional
        Horizon, discount rate, escalators, revenue model per tier (defaults if None; a
        mapping goes through `FinanceAssumptions.from_dict`).

    Returns
    -------
    dict
        ``sites`` (list of per-site dicts), ``tiers`` (dict by tier id), ``portfolio`` (dict),
        each with ``npv_usd`` [USD], ``irr`` [fraction/year, NaN if none], ``irr_exists``,
        ``payback_years`` and ``discounted_payback_years`` [years after the end of year 0],
        ``moic`` [multiple], ``peak_funding_usd`` [USD], ``lcoc_usd_per_gpu_hour``
        [USD/GPU-h], ``usd_per_mtok`` [USD per million tokens; NaN without token volumes],
        ``capex_usd`` [USD]; plus ``yearly`` (portfolio line items by year), ``start_year``,
        ``horizon_years`` and ``discount_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"site_id": ["m1"], "tier": ["micro"], "online_year": [2027],
    ...     "build_start_year": [2026], "it_mw": [0.5], "gpus": [350], "pue": [1.5],
    ...     "capex_facility_usd": [5e6], "capex_it_usd": [1.5e7],
    ...     "energy_price_usd_per_mwh": [80.0], "utilisation_frac": [0.6]})
    >>> out = portfolio_financials(table, {"horizon_years": 10})
    >>> sorted(out["tiers"]), out["portfolio"]["n_sites"]
    (['micro'], 1)
    """
    if assumptions is None:
        a = FinanceAssumptions()
    elif isinstance(assumptions, FinanceAssumptions):
        a = assumptions
    else:
        a = FinanceAssumptions.from_dict(assumptions)
    inputs = site_inputs_from_table(site_table, a)
    cf = site_cash_flows(inputs, a)
    out = tier_and_portfolio_metrics(cf)
    out["yearly"] = yearly_portfolio_table(cf)
    out["start_year"] = a.start_year
    out["horizon_years"] = a.horizon_years
    out["discount_rate"] = a.discount_rate
    return out


__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "cash_flow_table",
    "portfolio_financials",
    "series_metrics",
    "site_inputs_from_table",
    "tier_and_portfolio_metrics",
    "yearly_portfolio_table",
]
