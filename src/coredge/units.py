"""Canonical units and conversions.

Every quantity crossing a module boundary carries its unit in its name. The vocabulary of
suffixes and the one canonical unit per quantity:

=====================  =====================  ==============================
quantity               canonical unit         name suffix
=====================  =====================  ==============================
power                  megawatt               ``_mw`` (``_kw``, ``_w`` at rack/GPU level)
energy                 megawatt-hour          ``_mwh`` (``_kwh``, ``_j`` for tokens)
time (latency)         millisecond            ``_ms``
time (simulation)      second                 ``_s``
time (planning)        year / month           ``_years`` / ``_months``
distance               kilometre              ``_km``
money                  US dollar              ``_usd``
price of energy        US dollar per MWh      ``_usd_per_mwh``
carbon intensity       g CO2 per kWh          ``_gco2_per_kwh`` (= kg/MWh)
mass of CO2            tonne                  ``_t``
memory                 gigabyte (1e9 bytes)   ``_gb``
bandwidth              gigabyte per second    ``_gb_s``
compute                TFLOP/s                ``_tflops``
rates, shares          fraction (0.07)        ``_rate`` / ``_share`` / ``_frac``
=====================  =====================  ==============================
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

Num = TypeVar("Num", float, npt.NDArray[np.float64])

HOURS_PER_YEAR: float = 8760.0
"""Hours in a non-leap year [h]."""

SECONDS_PER_HOUR: float = 3600.0

LB_PER_KG: float = 2.20462262185
"""Pounds per kilogram (exact by definition of the avoirdupois pound)."""


def cents_per_kwh_to_usd_per_mwh(x: Num) -> Num:
    """Convert a price from US cents per kWh to US dollars per MWh.

    Parameters
    ----------
    x : float or ndarray
        Price [US cents/kWh].

    Returns
    -------
    float or ndarray
        Price [USD/MWh]. 1 cent/kWh = 10 USD/MWh.

    Examples
    --------
    >>> cents_per_kwh_to_usd_per_mwh(6.6)
    66.0
    """
    return x * 10.0


def discount_factors(rate: npt.ArrayLike, t_years: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """End-of-year discount factors ``(1 + rate) ** -t``: the one discounting formula of coredge.

    Parameters
    ----------
    rate : float or ndarray
        Discount rate [fraction/year]; broadcast against `t_years`.
    t_years : array_like
        Years after the base year, the base year being 0 (undiscounted) [year].

    Returns
    -------
    ndarray
        Discount factor per year [fraction].

    Examples
    --------
    >>> discount_factors(0.25, np.array([0, 1])).tolist()
    [1.0, 0.8]
    """
    r = np.asarray(rate, dtype=np.float64)
    t = np.asarray(t_years, dtype=np.float64)
    return np.asarray((1.0 + r) ** -t, dtype=np.float64)


def escalation_factors(rate: npt.ArrayLike, t_years: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Compound growth factors ``(1 + rate) ** t`` of a price escalating at `rate` a year.

    Parameters
    ----------
    rate : float or ndarray
        Escalation rate [fraction/year]; broadcast against `t_years`.
    t_years : array_like
        Years after the base year, the base year being 0 (factor 1) [year].

    Returns
    -------
    ndarray
        Price multiplier per year [ratio].

    Examples
    --------
    >>> escalation_factors(0.5, np.array([0, 1, 2])).tolist()
    [1.0, 1.5, 2.25]
    """
    r = np.asarray(rate, dtype=np.float64)
    t = np.asarray(t_years, dtype=np.float64)
    return np.asarray((1.0 + r) ** t, dtype=np.float64)


def plan_year_offsets(years: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Years after the first plan year, ``years - years[0]`` [year] (the first year is 0).

    Examples
    --------
    >>> plan_year_offsets(np.array([2026, 2027, 2030])).tolist()
    [0.0, 1.0, 4.0]
    """
    y = np.asarray(years)
    return np.asarray((y - y[0]).astype(np.float64), dtype=np.float64)
