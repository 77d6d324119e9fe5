"""Market prices and comparables: colocation rent, pre-leasing, lease terms, construction cost,
GPU-hour and token prices, published development yields and operator margins.

The tables are ``market_*.csv`` in this folder (each with a ``#`` header giving source, year, unit
and licence, and a ``provenance`` column per row). The helpers below turn them into the default
values the scenario's ``finance`` section takes (`market_tier_defaults`) and into the published
bands the validation compares with (`market_band`). Every default is a plain statistic of the
rows (median of row midpoints), never a value tuned to a result.

Examples
--------
>>> round(market_rent_usd_per_kw_month("core"), 1)
138.9
>>> market_preleased_share()
0.827
>>> market_band("landlord", "yield_on_cost")
(0.069, 0.12)
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import numpy as np
import pandas as pd

from coredge.errors import InputError

MARKET_TABLES: Final[tuple[str, ...]] = (
    "colocation_rent",
    "preleasing",
    "lease_terms",
    "construction_cost",
    "gpu_hour",
    "token_prices",
    "returns",
)
"""Names of the market tables (file ``market_<name>.csv``)."""


@cache
def _read(name: str) -> pd.DataFrame:
    from coredge.data import DATA_DIR

    if name not in MARKET_TABLES:
        raise InputError.of("market table", name, "one of: " + ", ".join(MARKET_TABLES))
    return pd.read_csv(DATA_DIR / f"market_{name}.csv", comment="#")


def load_market(name: str) -> pd.DataFrame:
    """One market table as a DataFrame (a copy; see `MARKET_TABLES`)."""
    return _read(name).copy()


def _midpoints(df: pd.DataFrame, low: str, high: str) -> np.ndarray:
    return np.asarray((df[low].astype(float) + df[high].astype(float)) / 2.0)


def market_rent_usd_per_kw_month(tier: str) -> float:
    """Default rent of a tier: median of the midpoints of its rows [USD/kW-month].

    Parameters
    ----------
    tier : {"core", "regional", "micro"}

    Returns
    -------
    float
        Rent per kW of leased critical IT load per month [USD/kW-month].
    """
    df = _read("colocation_rent")
    rows = df[df["tier"] == tier]
    if rows.empty:
        raise InputError.of("tier", tier, "one of: " + ", ".join(sorted(df["tier"].unique())))
    return float(np.median(_midpoints(rows, "usd_per_kw_month_low", "usd_per_kw_month_high")))


def market_preleased_share() -> float:
    """Median pre-leased share of capacity under construction (campus-scale builds) [fraction]."""
    return float(np.median(_read("preleasing")["preleased_frac"].astype(float)))


def market_lease_term(tier: str, term: str) -> float:
    """Median value of one lease term of a tier (``lease_escalator_rate`` [fraction/year],
    ``lease_term_years`` [years], ``opex_recovery_frac`` [fraction])."""
    df = _read("lease_terms")
    rows = df[(df["tier"] == tier) & (df["term"] == term)]
    if rows.empty:
        raise InputError.of(f"market lease term {tier}", term, "a tier and term of market_lease_terms.csv")
    return float(np.median(rows["value"].astype(float)))


def market_band(subset: str, metric: str) -> tuple[float, float]:
    """Published band of one comparable metric: (lowest low, highest high) over its rows
    [fraction]; see ``market_returns.csv``."""
    df = _read("returns")
    rows = df[(df["subset"] == subset) & (df["metric"] == metric)]
    if rows.empty:
        raise InputError.of(f"market comparable {subset}", metric, "a subset and metric of market_returns.csv")
    return float(rows["value_low"].min()), float(rows["value_high"].max())


def market_exit_cap_rate() -> float:
    """Median of the midpoints of the published exit cap rates of stabilised hyperscale campuses
    [fraction]: NOI / value of a stabilised, leased asset."""
    df = _read("returns")
    rows = df[(df["subset"] == "landlord") & (df["metric"] == "exit_cap_rate")]
    return float(np.median(_midpoints(rows, "value_low", "value_high")))


def market_tier_defaults() -> dict[str, dict[str, Any]]:
    """Per-tier defaults of the scenario's ``finance.tiers`` lease fields from the market tables.

    ``lease_usd_per_kw_month`` (median rent of the tier), ``lease_escalator_rate`` and
    ``opex_recovery_frac`` (lease terms). Pre-leased shares stay in the scenario spec (core 0.8
    lies inside the published 0.72-0.92, median `market_preleased_share`).
    """
    out: dict[str, dict[str, Any]] = {}
    for tier in ("core", "regional", "micro"):
        out[tier] = {
            "lease_usd_per_kw_month": round(market_rent_usd_per_kw_month(tier), 2),
            "lease_escalator_rate": market_lease_term(tier, "lease_escalator_rate"),
            "opex_recovery_frac": market_lease_term(tier, "opex_recovery_frac"),
        }
    return out


__all__ = [
    "MARKET_TABLES",
    "load_market",
    "market_band",
    "market_exit_cap_rate",
    "market_lease_term",
    "market_preleased_share",
    "market_rent_usd_per_kw_month",
    "market_tier_defaults",
]
