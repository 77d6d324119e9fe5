"""Backbone RTT against measured inter-region round trips (check ``"rtt"``).

The calibrated backbone model of `coredge.latency` is fitted here (`fit_backbone`) on the rows of
``data/rtt_measured.csv`` marked ``fit`` (the Azure P50 table, 2023) and checked on every data
set: the fitted one and the held-out AWS (cloudping P50, 2023) and IBM Cloud (monthly mean, 2026)
tables, overall and by distance band. The shipped constants (`coredge.latency.CALIBRATED_*`,
`coredge.latency.CORRIDOR_FACTOR`) are what `fit_backbone` returns, rounded; the test suite
re-fits and compares.

Tolerances (docs/latency.md): on held-out data the median error must stay <= 12% overall and
<= 15% under 1,500 km; the P90 <= 35% overall. Bands with few pairs carry wider tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from coredge.data.rtt import RTT_SOURCES, load_rtt_measured
from coredge.geo import world_zone
from coredge.latency import (
    CALIBRATED_FIXED_MS,
    CALIBRATED_INFLATION_EXCESS,
    CALIBRATED_INFLATION_SCALE_KM,
    FIBER_US_PER_KM,
    OVERHEAD_MS,
    ROUTE_INFLATION_TYPICAL,
    calibrated_rtt_ms,
    pair_rtt_ms,
)
from coredge.validation import ErrorStat, error_stat, register

BANDS_KM: tuple[tuple[str, float, float], ...] = (
    ("< 500 km", 0.0, 500.0),
    ("500-1,500 km", 500.0, 1500.0),
    ("1,500-4,000 km", 1500.0, 4000.0),
    ("> 4,000 km", 4000.0, float("inf")),
)
"""Distance bands of the report [km]."""

MIN_CORRIDOR_PAIRS = 3
"""Corridors with fewer fitted pairs than this keep the factor 1.0."""

TOL_HELD_OUT: dict[str, tuple[float, float]] = {
    "all": (12.0, 35.0),
    "< 1,500 km": (15.0, 35.0),
    "< 500 km": (20.0, 40.0),
    "500-1,500 km": (20.0, 40.0),
    "1,500-4,000 km": (15.0, 40.0),
    "> 4,000 km": (12.0, 35.0),
}
"""Documented tolerances (median %, P90 %) of the calibrated model on held-out data."""

TOL_FIT: tuple[float, float] = (15.0, 40.0)
"""Documented tolerance (median %, P90 %) of the calibrated model on the fitted data, any subset."""


@dataclass(frozen=True)
class BackboneFit:
    """Parameters of the calibrated backbone model.

    Attributes
    ----------
    fixed_ms : float
        Fixed round-trip term [ms].
    inflation_excess : float
        Route inflation above 1 at zero distance [ratio].
    inflation_scale_km : float
        Distance at which the excess has halved [km].
    corridor_factor : dict
        Measured / model RTT per pair of world zones [ratio].
    n_within : int
        Within-zone pairs the distance model was fitted on.
    """

    fixed_ms: float
    inflation_excess: float
    inflation_scale_km: float
    corridor_factor: dict[str, float]
    n_within: int


def _zones(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return world_zone(df["a_lat"], df["a_lon"]), world_zone(df["b_lat"], df["b_lon"])


def fit_backbone(df: pd.DataFrame, fiber_us_per_km: float = FIBER_US_PER_KM) -> BackboneFit:
    """Fit the calibrated backbone model on measured pairs.

    The distance model (`coredge.latency.calibrated_rtt_ms`) is fitted on the pairs whose ends lie
    in one world zone, by scipy least squares on the relative error ``pred / meas - 1`` with a
    soft-L1 loss (scale 0.1, so that a few pairs routed far off the map, such as Qatar - UAE at
    62 ms for 300 km, do not pull the fit); the fibre delay stays at its physical value. Each
    corridor between two zones then gets the median of ``meas / pred`` over its pairs.

    Parameters
    ----------
    df : DataFrame
        Rows of `coredge.data.rtt.load_rtt_measured` to fit on.
    fiber_us_per_km : float
        One-way fibre delay [us/km].

    Returns
    -------
    BackboneFit
    """
    za, zb = _zones(df)
    within = za == zb
    d = df["distance_km"].to_numpy(dtype=np.float64)
    meas = df["rtt_ms"].to_numpy(dtype=np.float64)

    def resid(p: np.ndarray) -> np.ndarray:
        pred = calibrated_rtt_ms(d[within], p[0], p[1], p[2], fiber_us_per_km)
        return np.asarray(pred / meas[within] - 1.0)

    sol = least_squares(
        resid, x0=[1.0, 1.0, 1000.0], bounds=([0.0, 0.0, 10.0], [20.0, 10.0, 1e5]),
        loss="soft_l1", f_scale=0.1,
    )
    fixed, excess, scale = (float(v) for v in sol.x)
    pred = calibrated_rtt_ms(d, fixed, excess, scale, fiber_us_per_km)
    key = np.where(za <= zb, np.char.add(np.char.add(za, "-"), zb), np.char.add(np.char.add(zb, "-"), za))
    ratio = pd.Series(meas / pred)[~within]
    groups = ratio.groupby(key[~within])
    factors = {str(k): float(v) for k, v in groups.median().items() if groups.size()[k] >= MIN_CORRIDOR_PAIRS}
    return BackboneFit(fixed, excess, scale, dict(sorted(factors.items())), int(within.sum()))


CALIBRATED = SimpleNamespace(
    model="calibrated", fixed_ms=CALIBRATED_FIXED_MS, inflation_excess=CALIBRATED_INFLATION_EXCESS,
    inflation_scale_km=CALIBRATED_INFLATION_SCALE_KM, fiber_us_per_km=FIBER_US_PER_KM,
)
"""The shipped calibrated settings (the defaults of ``scenario.network``)."""

FIXED_INFLATION = SimpleNamespace(
    model="fixed-inflation", route_inflation=ROUTE_INFLATION_TYPICAL, fiber_us_per_km=FIBER_US_PER_KM,
    overhead_ms=OVERHEAD_MS,
)
"""The fixed-inflation model (inflation 2.1, 1 ms), for comparison."""


def predict_ms(network: SimpleNamespace, df: pd.DataFrame) -> np.ndarray:
    """Model RTT [ms] of each measured pair under `network` (corridor factor included)."""
    _, rtt = pair_rtt_ms(network, df["a_lat"], df["a_lon"], df["b_lat"], df["b_lon"])
    return np.asarray(rtt, dtype=np.float64)


def _subsets(df: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    d = df["distance_km"]
    out = [("all", pd.Series(True, index=df.index)), ("< 1,500 km", d < 1500.0)]
    out += [(name, (d >= lo) & (d < hi)) for name, lo, hi in BANDS_KM]
    return out


def backbone_stats(network: SimpleNamespace, model: str, tolerances: bool) -> list[ErrorStat]:
    """`ErrorStat` of `network` per data set, split and distance band."""
    df = load_rtt_measured()
    df["pred_ms"] = predict_ms(network, df)
    out: list[ErrorStat] = []
    for source, part in df.groupby("source", sort=True):
        label, date = RTT_SOURCES[str(source)]
        split = str(part["split"].iat[0])
        for subset, mask in _subsets(part):
            if not mask.any():
                continue
            tol = (TOL_FIT if split == "fit" else TOL_HELD_OUT[subset]) if tolerances else (np.inf, np.inf)
            out.append(error_stat(
                model, f"{source} ({split})", subset, part.loc[mask, "pred_ms"], part.loc[mask, "rtt_ms"],
                label, date, max_median_pct=tol[0], max_p90_pct=tol[1],
            ))
    return out


@register("rtt")
def check_rtt() -> list[ErrorStat]:
    """Backbone RTT, calibrated model (with tolerances) and the fixed-inflation model (for
    comparison, no tolerance), per data set and distance band."""
    return backbone_stats(CALIBRATED, "backbone RTT (calibrated)", tolerances=True) + backbone_stats(
        FIXED_INFLATION, "backbone RTT (fixed inflation 2.1)", tolerances=False
    )


__all__ = ["BANDS_KM", "BackboneFit", "backbone_stats", "check_rtt", "fit_backbone", "predict_ms"]
