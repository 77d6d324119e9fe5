"""Validation of the calibrated inference market against every published range.

The default scenario's market (``us``, band ``mid``) is compared with the range each source
implies (`coredge.inputs.market.bottom_up_ranges`, `top_down_ranges`): as an `ErrorStat` of
the market against the range's geometric midpoint, per view (bottom-up tokens/s, top-down IT
MW) and subset (fit = the figures the curve is anchored on, held-out = figures published later
that the curve never saw). The tolerance of each stat is the widest half-range of its rows,
``sqrt(high / low) - 1``: a market value inside every range is within it. `outside_ranges` lists
the rows whose range the market misses (none for the default; tests/validation/test_demand.py).

Only disclosures from 2025 on are compared: before that the curve is an extrapolation of the
2025-2028 growth and Google's tokens grew ~50x in the year to May 2025 (docs/demand.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from coredge.validation import ErrorStat, error_stat, register

MODEL = "calibrated inference market (us, mid)"
FIRST_COMPARED_YEAR = 2025.0
"""Disclosures before this time are not compared (the curve starts at the 2025 anchor) [year]."""


@lru_cache(maxsize=1)
def market_vs_ranges() -> pd.DataFrame:
    """Each published range beside the default scenario's US market at the same time.

    Returns
    -------
    pandas.DataFrame
        id, view (bottom-up / top-down), quantity, t [decimal year], set (fit / held_out),
        low, high, mid (geometric), value (the market, US-wide, same unit), inside (bool),
        source, date.
    """
    from coredge.inputs.build import build_inputs
    from coredge.inputs.market import bottom_up_ranges, curve_at, top_down_ranges
    from coredge.scenario.load import load_scenario

    inp = build_inputs(load_scenario("us"))
    m = inp.market
    # MW per mean token/s of the first plan year's class mix (the bottom-up anchor's conversion)
    mw_per_tok = float(m.it_mw[0] / m.tokens_per_s[0])
    rows: list[dict[str, Any]] = []
    bu = bottom_up_ranges()
    for r in bu[bu["t"] >= FIRST_COMPARED_YEAR].to_dict(orient="records"):
        v = float(curve_at(m.anchors, [r["t"]])[0]) / mw_per_tok
        rows.append({"id": r["id"], "view": "bottom-up", "quantity": "us_inference_tokens_per_s",
                     "t": r["t"], "set": r["set"], "low": r["low"], "high": r["high"], "value": v,
                     "source": r["source"], "date": r["date"]})  # fmt: skip
    for r in top_down_ranges().to_dict(orient="records"):
        v = float(curve_at(m.anchors, [r["t"]])[0])
        rows.append({"id": r["id"], "view": "top-down", "quantity": "us_inference_it_mw",
                     "t": r["t"], "set": r["set"], "low": r["low"], "high": r["high"], "value": v,
                     "source": f"{r['publisher']}, {r['document']}", "date": r["published"]})  # fmt: skip
    df = pd.DataFrame(rows)
    df["mid"] = np.sqrt(df["low"] * df["high"])
    df["inside"] = (df["value"] >= df["low"]) & (df["value"] <= df["high"])
    return df


def outside_ranges() -> pd.DataFrame:
    """Rows of `market_vs_ranges` whose range the market misses (empty when all are met)."""
    df = market_vs_ranges()
    return df[~df["inside"]].reset_index(drop=True)


@register("demand")
def demand_check() -> list[ErrorStat]:
    """The market against the midpoints of the published ranges, per view and subset."""
    df = market_vs_ranges()
    out: list[ErrorStat] = []
    names = {
        "bottom-up": "disclosed tokens (Google x share of world x US share), US tokens/s",
        "top-down": "data-center power forecasts x inference share / PUE, US inference IT MW",
    }
    for view in ("bottom-up", "top-down"):
        for subset, label in (("fit", "fit"), ("held_out", "held-out")):
            g = df[(df["view"] == view) & (df["set"] == subset)]
            if g.empty:
                continue
            tol = float((np.sqrt(g["high"] / g["low"]) - 1.0).max() * 100.0)
            out.append(
                error_stat(
                    MODEL, names[view], label, g["value"], g["mid"],
                    "; ".join(g["id"]), f"{g['date'].min()}..{g['date'].max()}",
                    max_median_pct=tol, max_p90_pct=tol,
                )
            )  # fmt: skip
    return out


__all__ = ["FIRST_COMPARED_YEAR", "MODEL", "demand_check", "market_vs_ranges", "outside_ranges"]
