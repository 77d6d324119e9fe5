"""Two investor views of the same site table: the landlord (powered shell leased per kW) and the
operator (owns and refreshes the GPUs and sells GPU-hours or tokens).

Both views value the finance core's site table (one row per site or build phase, see
`coredge.finance.portfolio.REQUIRED_COLUMNS`) with the same cash-flow machinery
(`coredge.finance.cashflow.site_cash_flows`: phasing and depreciation from
`coredge.finance.accounting`, discounting from `coredge.units.discount_factors`); they differ only
in the assumptions and in what the owner pays for:

``landlord``
    The developer owns land, shell, power and cooling plant. Revenue is rent per kW-month on the
    leased critical IT kW: a pre-leased share billed from the online year, the rest absorbed
    linearly over ``absorption_years`` up to ``stabilised_occupancy_frac``, escalated by
    ``lease_escalator_rate`` (every tier's ``lease_*`` fields). The tenant owns the IT, so the
    table's ``capex_it_usd`` is set to zero (IT is neither bought nor refreshed nor depreciated).
    **Power** is passed through to the tenant at cost (metered IT energy times PUE), so it is
    neither revenue nor cost of the landlord. Fixed opex (maintenance, insurance, property tax,
    site staff, network) is the landlord's share only: ``1 - opex_recovery_frac`` of it
    (``opex_recovery_frac = 1`` is a triple-net lease). With ``exit_cap_rate`` set, the residual
    value at the horizon end is the final year's NOI capitalised at that rate (the real-estate
    convention for unlevered returns) instead of the facility's book value.
``operator``
    The owner also buys the IT in each phase's online year and refreshes it every
    ``it_refresh_years``, pays the energy, and sells GPU-hours at ``gpu_hour_price_usd`` (or
    tokens at ``usd_per_mtok`` for tiers whose revenue model is ``tokens``); residual value is book
    value. A tier whose revenue model is ``lease`` is valued at its GPU-hour price here.

Metrics per tier and for the portfolio: ``npv_usd``, ``irr``, ``payback_years``, ``moic``,
``peak_funding_usd``, ``capex_usd`` (all capex inside the horizon) from
`coredge.finance.portfolio.tier_and_portfolio_metrics`, plus ``yield_on_cost`` (landlord) and the
operator's margins (``ebitda_margin``, ``leased_ebitda_margin``, ``leased_operating_margin``; see
`view_margins`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import TIER_ORDER, CashFlows, site_cash_flows
from coredge.finance.portfolio import site_inputs_from_table, tier_and_portfolio_metrics
from coredge.units import escalation_factors

FloatArray = npt.NDArray[np.float64]

VIEW_NAMES: Final[tuple[str, ...]] = ("landlord", "operator")
"""The two investor views, in output order."""

VIEW_METRIC_KEYS: Final[tuple[str, ...]] = (
    "npv_usd", "irr", "payback_years", "moic", "peak_funding_usd", "capex_usd", "revenue_usd",
)  # fmt: skip
"""Metrics every view reports per tier and for the portfolio (``revenue_usd``: undiscounted
revenue over the horizon [USD])."""

POWER_TREATMENT: Final[str] = (
    "landlord: power passed through to the tenant at cost (metered IT energy x PUE), neither "
    "revenue nor cost; operator: energy paid by the owner"
)

_FIXED_OPEX: Final[tuple[str, ...]] = (
    "maintenance_frac_per_year", "insurance_frac_per_year", "property_tax_frac_per_year",
    "staff_usd_per_mw_year", "network_usd_per_mw_year",
)  # fmt: skip


# ------------------------------------------------------------------ assumptions and table per view


def landlord_assumptions(a: FinanceAssumptions) -> FinanceAssumptions:
    """Every tier on the ``lease`` revenue model, fixed opex scaled by ``1 - opex_recovery_frac``.

    Parameters
    ----------
    a : FinanceAssumptions

    Returns
    -------
    FinanceAssumptions
        Same horizon, rates and lease terms; the landlord's share of fixed opex.

    Examples
    --------
    >>> la = landlord_assumptions(FinanceAssumptions())
    >>> la.tiers["core"].revenue_model
    'lease'
    """
    tiers = {}
    for tid, tf in a.tiers.items():
        keep = 1.0 - tf.opex_recovery_frac
        tiers[tid] = replace(
            tf, revenue_model="lease", **{k: getattr(tf, k) * keep for k in _FIXED_OPEX}
        )
    return replace(a, tiers=tiers)


def operator_assumptions(a: FinanceAssumptions) -> FinanceAssumptions:
    """Every tier sells compute: ``gpu_hour`` unless the tier sells ``tokens``.

    Examples
    --------
    >>> operator_assumptions(FinanceAssumptions()).tiers["micro"].revenue_model
    'gpu_hour'
    """
    tiers = {
        tid: (tf if tf.revenue_model != "lease" else replace(tf, revenue_model="gpu_hour"))
        for tid, tf in a.tiers.items()
    }
    return replace(a, tiers=tiers)


def landlord_table(table: pd.DataFrame) -> pd.DataFrame:
    """The site table as the landlord sees it: the tenant owns the IT (``capex_it_usd = 0``).

    Examples
    --------
    >>> landlord_table(pd.DataFrame({"capex_it_usd": [5.0]}))["capex_it_usd"].tolist()
    [0.0]
    """
    out = table.copy()
    out["capex_it_usd"] = 0.0
    return out


# ------------------------------------------------------------------ formulas


def exit_value_usd(noi_usd: npt.ArrayLike, cap_rate: float) -> FloatArray:
    """Value of a stabilised asset by direct capitalisation: ``NOI / cap_rate``.

    Parameters
    ----------
    noi_usd : float or ndarray
        Net operating income of one year [USD/year]; negative NOI gives value 0.
    cap_rate : float
        Capitalisation rate [fraction/year], > 0.

    Returns
    -------
    ndarray
        Value [USD].

    Examples
    --------
    >>> float(exit_value_usd(6.0, 0.06))
    100.0
    """
    if not cap_rate > 0:
        raise InputError.of("exit_cap_rate", cap_rate, "a rate > 0")
    return np.maximum(np.asarray(noi_usd, dtype=np.float64), 0.0) / cap_rate


def with_exit_value(cf: CashFlows, cap_rate: float | None) -> CashFlows:
    """Replace each row's residual value (book value in the final year) by its final-year NOI
    (revenue - energy - fixed opex) capitalised at ``cap_rate``; None keeps book value."""
    if cap_rate is None:
        return cf
    residual = np.zeros_like(cf.revenue_usd)
    residual[:, -1] = exit_value_usd(cf.ebitda_usd[:, -1], cap_rate)
    return replace(cf, residual_value_usd=residual)


def stabilised_index(online_index: npt.ArrayLike, absorption_years: npt.ArrayLike, horizon_years: int) -> npt.NDArray[np.int64]:
    """Year index at which a row is fully let: ``online + ceil(absorption)``, within the horizon
    (``absorption`` 0 = the online year) [year index].

    Examples
    --------
    >>> stabilised_index([1, 2], [2.0, 0.0], 10).tolist()
    [3, 2]
    """
    o = np.asarray(online_index, dtype=np.float64)
    ab = np.asarray(absorption_years, dtype=np.float64)
    k = np.maximum(o, 0.0) + np.ceil(np.maximum(ab, 0.0))
    return np.clip(k, 0, horizon_years - 1).astype(np.int64)


def yield_on_cost(
    noi_usd: npt.ArrayLike, capex_usd: npt.ArrayLike, escalation_to_start: npt.ArrayLike = 1.0
) -> FloatArray:
    """Development yield on cost: stabilised NOI / total development cost.

    ``noi_usd / escalation_to_start / capex_usd``; ``escalation_to_start`` removes the rent
    escalation that accrued before the lease started (rent paths in `site_cash_flows` escalate
    from the horizon's first year), so a phase opening late is measured at its own starting rent.

    Parameters
    ----------
    noi_usd : ndarray
        NOI in the stabilised year [USD/year].
    capex_usd : ndarray
        Development cost (land, shell, power and cooling; no IT) [USD], > 0.
    escalation_to_start : ndarray
        ``(1 + escalator) ** online_index`` [ratio].

    Returns
    -------
    ndarray
        Yield [fraction/year]; NaN where capex is 0.

    Examples
    --------
    >>> float(yield_on_cost(8.0, 100.0))
    0.08
    """
    n = np.asarray(noi_usd, dtype=np.float64) / np.asarray(escalation_to_start, dtype=np.float64)
    c = np.asarray(capex_usd, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(c > 0, n / np.where(c > 0, c, 1.0), np.nan)
    return out


def view_margins(revenue_usd: npt.ArrayLike, ebitda_usd: npt.ArrayLike, rent_usd: npt.ArrayLike, depreciation_usd: npt.ArrayLike) -> dict[str, float]:
    """Operator margins over a horizon, comparable with listed GPU-cloud operators.

    * ``ebitda_margin`` = EBITDA / revenue of an operator that owns its facilities;
    * ``leased_ebitda_margin`` = (EBITDA - rent) / revenue: the same operator if it leased its
      data halls at the landlord view's rent (as CoreWeave and Nebius mostly do), i.e. the
      quantity their reported adjusted EBITDA margins measure;
    * ``leased_operating_margin`` = (EBITDA - rent - IT depreciation) / revenue, comparable with
      reported adjusted operating margins.

    Parameters
    ----------
    revenue_usd, ebitda_usd, rent_usd, depreciation_usd : float or ndarray
        Totals (or yearly series, summed) [USD].

    Returns
    -------
    dict
        Margins [fraction]; NaN without revenue.

    Examples
    --------
    >>> m = view_margins(100.0, 80.0, 20.0, 45.0)
    >>> round(m["leased_ebitda_margin"], 6), round(m["leased_operating_margin"], 6)
    (0.6, 0.15)
    """
    r = float(np.sum(revenue_usd))
    e = float(np.sum(ebitda_usd))
    rent = float(np.sum(rent_usd))
    dep = float(np.sum(depreciation_usd))
    if r <= 0:
        return {"ebitda_margin": math.nan, "leased_ebitda_margin": math.nan, "leased_operating_margin": math.nan}
    return {
        "ebitda_margin": e / r,
        "leased_ebitda_margin": (e - rent) / r,
        "leased_operating_margin": (e - rent - dep) / r,
    }


# ------------------------------------------------------------------ the two views


def _groups(cf: CashFlows, tier_ids: list[str]) -> FloatArray:
    """One-hot (G + 1, R): rows of each tier in ``tier_ids``, then every row (portfolio)."""
    R = len(cf.site_id)
    g = np.zeros((len(tier_ids) + 1, R))
    for i, tid in enumerate(tier_ids):
        g[i] = [1.0 if t == tid else 0.0 for t in cf.tier]
    g[-1] = 1.0
    return g


def _metric_block(cf: CashFlows, tier_ids: list[str]) -> dict[str, dict[str, Any]]:
    m = tier_and_portfolio_metrics(cf)
    out: dict[str, dict[str, Any]] = {}
    rev = cf.revenue_usd.sum(axis=1)
    for tid in tier_ids:
        sel = np.array([t == tid for t in cf.tier], dtype=bool)
        if tid in m["tiers"] and sel.any():
            row = {k: m["tiers"][tid][k] for k in VIEW_METRIC_KEYS if k in m["tiers"][tid]}
            row["revenue_usd"] = float(rev[sel].sum())
            row["n_rows"] = int(sel.sum())
        else:
            row = {k: math.nan for k in VIEW_METRIC_KEYS}
            row.update({"npv_usd": 0.0, "capex_usd": 0.0, "peak_funding_usd": 0.0, "revenue_usd": 0.0, "n_rows": 0})
        out[tid] = row
    p = {k: m["portfolio"][k] for k in VIEW_METRIC_KEYS if k in m["portfolio"]}
    p["revenue_usd"] = float(rev.sum())
    p["n_rows"] = len(cf.site_id)
    out["portfolio"] = p
    return out


def landlord_view(
    table: pd.DataFrame, assumptions: FinanceAssumptions, exit_cap_rate: float | None = None
) -> tuple[CashFlows, dict[str, dict[str, Any]]]:
    """Cash flows and metrics of the landlord view (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        The site table (one row per site or build phase).
    assumptions : FinanceAssumptions
        The run's assumptions; lease fields per tier are used, revenue models are overridden.
    exit_cap_rate : float or None
        Capitalisation rate of the final-year NOI as residual value [fraction]; None = book value.

    Returns
    -------
    (CashFlows, dict)
        Line items per row and year, and metrics per tier id (every built-in tier) and
        ``"portfolio"``: `VIEW_METRIC_KEYS` plus ``yield_on_cost`` [fraction/year] and
        ``noi_margin`` (NOI / rent over the horizon) [fraction].
    """
    la = landlord_assumptions(assumptions)
    lt = landlord_table(table)
    cf = with_exit_value(site_cash_flows(site_inputs_from_table(lt, la), la), exit_cap_rate)
    tier_ids = _tier_ids(cf)
    block = _metric_block(cf, tier_ids)
    # yield on cost per row at its stabilised year, grouped capex-weighted
    T = la.horizon_years
    online = lt["online_year"].to_numpy(dtype=np.int64) - la.start_year
    absorb = np.array([la.tier(t).absorption_years for t in cf.tier])
    esc = np.array([la.tier(t).lease_escalator_rate for t in cf.tier])
    k = stabilised_index(online, absorb, T)
    rows = np.arange(len(cf.site_id))
    noi = cf.ebitda_usd[rows, k] / escalation_factors(esc, np.maximum(online, 0))
    capex = cf.capex_facility_usd.sum(axis=1)
    g = _groups(cf, tier_ids)
    ebitda, revenue = cf.ebitda_usd.sum(axis=1), cf.revenue_usd.sum(axis=1)
    for i, tid in enumerate([*tier_ids, "portfolio"]):
        block[tid]["yield_on_cost"] = float(yield_on_cost(g[i] @ noi, g[i] @ capex))
        rev = float(g[i] @ revenue)
        block[tid]["noi_margin"] = float(g[i] @ ebitda) / rev if rev > 0 else math.nan
    return cf, block


def operator_view(
    table: pd.DataFrame, assumptions: FinanceAssumptions, landlord: CashFlows | None = None
) -> tuple[CashFlows, dict[str, dict[str, Any]]]:
    """Cash flows and metrics of the operator view (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        The site table.
    assumptions : FinanceAssumptions
    landlord : CashFlows, optional
        The landlord view of the same rows (`landlord_view`): its revenue is the rent an operator
        leasing the halls would pay and its depreciation the facility's, for the leased margins of
        `view_margins`; None leaves them out.

    Returns
    -------
    (CashFlows, dict)
        Metrics per tier id and ``"portfolio"``: `VIEW_METRIC_KEYS` plus the margins.
    """
    oa = operator_assumptions(assumptions)
    cf = site_cash_flows(site_inputs_from_table(table, oa), oa)
    tier_ids = _tier_ids(cf)
    block = _metric_block(cf, tier_ids)
    zero = np.zeros_like(cf.revenue_usd)
    rent = zero if landlord is None else landlord.revenue_usd
    # IT depreciation = the operator's depreciation minus the facility's (the landlord's rows
    # carry only the facility part; both from the same machinery)
    dep_it = zero if landlord is None else cf.depreciation_usd - landlord.depreciation_usd
    g = _groups(cf, tier_ids)
    for i, tid in enumerate([*tier_ids, "portfolio"]):
        sel = g[i] > 0
        m = view_margins(cf.revenue_usd[sel], cf.ebitda_usd[sel], rent[sel], dep_it[sel])
        if landlord is None:
            m = {"ebitda_margin": m["ebitda_margin"]}
        block[tid].update(m)
    return cf, block


def _tier_ids(cf: CashFlows) -> list[str]:
    present = set(cf.tier)
    return [*TIER_ORDER, *sorted(present - set(TIER_ORDER))]


def finance_views(
    table: pd.DataFrame, assumptions: FinanceAssumptions, exit_cap_rate: float | None = None
) -> dict[str, Any]:
    """Both investor views of a site table, JSON-ready (`finance_views_and_flows` without the
    cash flows)."""
    return finance_views_and_flows(table, assumptions, exit_cap_rate)[0]


def finance_views_and_flows(
    table: pd.DataFrame, assumptions: FinanceAssumptions, exit_cap_rate: float | None = None
) -> tuple[dict[str, Any], dict[str, CashFlows]]:
    """Both investor views of a site table, JSON-ready.

    Parameters
    ----------
    table : DataFrame
        The site table (`coredge.finance.from_plan.plan_site_table` for a plan).
    assumptions : FinanceAssumptions
    exit_cap_rate : float or None
        Landlord residual value by capitalised NOI [fraction]; None = book value.

    Returns
    -------
    (dict, dict)
        ``{"landlord": {tier: metrics, ..., "portfolio": metrics, "assumptions": {...}},
        "operator": {...}, "power": str}`` and each view's `CashFlows` per row and year
        (``{}`` for an empty table).

    Examples
    --------
    >>> t = pd.DataFrame({"site_id": ["a"], "tier": ["core"], "online_year": [2027],
    ...     "build_start_year": [2026], "it_mw": [100.0], "gpus": [70000.0], "pue": [1.2],
    ...     "capex_facility_usd": [2.0e9], "capex_it_usd": [3.5e9],
    ...     "energy_price_usd_per_mwh": [60.0], "utilisation_frac": [0.6]})
    >>> v = finance_views(t, FinanceAssumptions(horizon_years=10))
    >>> v["landlord"]["core"]["capex_usd"] == 2.0e9
    True
    """
    if len(table) == 0:
        empty = {tid: {k: (0.0 if k in ("npv_usd", "capex_usd", "peak_funding_usd", "revenue_usd") else math.nan) for k in VIEW_METRIC_KEYS} for tid in [*TIER_ORDER, "portfolio"]}
        return {"landlord": {**empty, "assumptions": _echo(assumptions, "landlord", exit_cap_rate)},
                "operator": {**empty, "assumptions": _echo(assumptions, "operator", None)},
                "power": POWER_TREATMENT}, {}
    lcf, land = landlord_view(table, assumptions, exit_cap_rate)
    ocf, oper = operator_view(table, assumptions, landlord=lcf)
    land["assumptions"] = _echo(assumptions, "landlord", exit_cap_rate)
    oper["assumptions"] = _echo(assumptions, "operator", None)
    return {"landlord": land, "operator": oper, "power": POWER_TREATMENT}, {"landlord": lcf, "operator": ocf}


def _echo(a: FinanceAssumptions, view: str, exit_cap_rate: float | None) -> dict[str, Any]:
    """The per-tier inputs a view was computed with (for the report and the workbook)."""
    out: dict[str, Any] = {}
    for tid, tf in a.tiers.items():
        if view == "landlord":
            out[tid] = {
                "lease_usd_per_kw_month": tf.lease_usd_per_kw_month,
                "pre_leased_share": tf.pre_leased_share,
                "absorption_years": tf.absorption_years,
                "stabilised_occupancy_frac": tf.stabilised_occupancy_frac,
                "lease_escalator_rate": tf.lease_escalator_rate,
                "opex_recovery_frac": tf.opex_recovery_frac,
            }
        else:
            model = tf.revenue_model if tf.revenue_model != "lease" else "gpu_hour"
            out[tid] = {
                "revenue_model": model,
                "gpu_hour_price_usd": tf.gpu_hour_price_usd,
                "usd_per_mtok": tf.usd_per_mtok,
                "price_decline_rate": tf.price_decline_rate,
                "pre_leased_share": tf.pre_leased_share,
                "absorption_years": tf.absorption_years,
            }
    if view == "landlord":
        out["exit_cap_rate"] = exit_cap_rate
    out["discount_rate"] = a.discount_rate
    return out


__all__ = [
    "POWER_TREATMENT",
    "VIEW_METRIC_KEYS",
    "VIEW_NAMES",
    "exit_value_usd",
    "finance_views",
    "finance_views_and_flows",
    "landlord_assumptions",
    "landlord_table",
    "landlord_view",
    "operator_assumptions",
    "operator_view",
    "stabilised_index",
    "view_margins",
    "with_exit_value",
    "yield_on_cost",
]
