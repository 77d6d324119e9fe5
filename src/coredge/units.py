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
