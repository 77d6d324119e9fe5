"""Break-even: how far one driver must move for an investor view to clear its hurdle rate.

For each view (landlord, operator) and driver, the multiplier ``m`` of the scenario's value at
which the portfolio's NPV at the hurdle rate is zero, i.e. its IRR equals the hurdle (for the
conventional flows of a build-out, where NPV falls with the rate). The same rows and cash-flow
machinery as the tornado (`coredge.finance.sensitivity`) are used: nothing is re-planned.

Drivers: ``rent`` (landlord: rent per kW-month), ``gpu_hour_price`` (operator: the price of
compute sold), ``utilisation`` (operator: merchant volume) and ``capex_per_mw`` (both: facility
capex). ``m`` is found by bisection on ``[0, MAX_MULTIPLIER]``; None where NPV does not change
sign there (already above the hurdle at the lowest multiplier, or below it at the highest).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd

from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import SHOCK_NEUTRAL, Shocks
from coredge.finance.sensitivity import view_drivers, view_net_flows
from coredge.units import discount_factors

BREAK_EVEN_DRIVERS: Final[dict[str, tuple[str, ...]]] = {
    "landlord": ("rent", "capex_per_mw"),
    "operator": ("gpu_hour_price", "utilisation", "capex_per_mw"),
}
"""Drivers solved for, by view."""
MAX_MULTIPLIER: Final = 10.0
"""Largest multiplier searched [ratio of the scenario's value]."""
TOL: Final = 1e-6
"""Bisection stops when the bracket is narrower than this [multiplier]."""


def view_break_even(
    table: pd.DataFrame,
    assumptions: FinanceAssumptions,
    hurdle_rate: float,
    exit_cap_rate: float | None = None,
) -> dict[str, Any]:
    """Break-even multipliers of each view's drivers at ``hurdle_rate``.

    Parameters
    ----------
    table : DataFrame
        The site table the views value (`PlanFinancials.table`).
    assumptions : FinanceAssumptions
        The run's assumptions.
    hurdle_rate : float
        Required return [fraction/year].
    exit_cap_rate : float or None
        The landlord's exit cap rate (``finance.exit_cap_rate``) [fraction]; None = book value.

    Returns
    -------
    dict
        ``{"hurdle_rate": h, "landlord": {"npv_at_hurdle_usd": ..., "rent": m or None, ...},
        "operator": {...}}``; multipliers of the scenario's value [ratio].
    """
    out: dict[str, Any] = {"hurdle_rate": float(hurdle_rate)}
    if len(table) == 0:
        return out
    for view, drivers in BREAK_EVEN_DRIVERS.items():
        dv, _tiers = view_drivers(view, table, assumptions)
        s, t = dv.n_sites, dv.n_years
        df = discount_factors(hurdle_rate, np.arange(t))
        cap = exit_cap_rate if view == "landlord" else None

        def npv(driver: str, m: float, dv: Any = dv, s: int = s, df: Any = df, cap: float | None = cap) -> float:
            fields = {f: np.full((1, s), v) for f, v in SHOCK_NEUTRAL.items()}
            d = dv
            if driver in ("rent", "gpu_hour_price"):
                d = replace(dv, p_con=dv.p_con * m, p_mer=dv.p_mer * m)
            elif driver == "capex_per_mw":
                fields["capex_overrun"][0] = m - 1.0
            elif driver == "utilisation":
                fields["utilisation_mult"][0] = m
            net = view_net_flows(d, Shocks(**fields), cap)[0]
            return float((net * df[None, :]).sum())

        res: dict[str, Any] = {"npv_at_hurdle_usd": npv(drivers[0], 1.0)}
        for driver in drivers:
            lo, hi = 0.0, MAX_MULTIPLIER
            f_lo, f_hi = npv(driver, lo), npv(driver, hi)
            if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or (f_lo > 0) == (f_hi > 0):
                res[driver] = None
                continue
            while hi - lo > TOL:
                mid = 0.5 * (lo + hi)
                f_mid = npv(driver, mid)
                if (f_mid > 0) == (f_lo > 0):
                    lo, f_lo = mid, f_mid
                else:
                    hi = mid
            res[driver] = 0.5 * (lo + hi)
        out[view] = res
    return out


__all__ = ["BREAK_EVEN_DRIVERS", "MAX_MULTIPLIER", "view_break_even"]
