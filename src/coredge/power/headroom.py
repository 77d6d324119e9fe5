"""Curtailment-enabled headroom of a balancing area (the method of Norris et al. 2025).

A new constant load of ``L`` MW joins a system whose hourly demand is ``D_t``. In every hour in
which ``D_t + L`` would exceed the system's historical seasonal peak ``T_t``, the new load is
curtailed by ``max(0, D_t + L - T_t)``, so the system never exceeds its peak. The *headroom* at a
limit ``r`` (0.25 %, 0.5 %, 1 % ...) is the largest ``L`` whose curtailed energy, as a share of
its potential annual energy ``L * hours``, averages ``r`` over the years.

Thresholds (Norris et al. 2025, Sec. 2 and App. B): the summer threshold is the highest demand
of any June-August hour over all years and applies April-October; the winter threshold is the
highest December-February hour and applies November-March. Where the study used a peak within
one month of the window (AZPS and FPL winter, CAISO summer and winter), the window is widened by
one month each side (`EXTENDED_WINDOWS`). Months are read on the BA's local standard time.
The study's hand corrections of individual erroneous peaks are not reproduced (no list was
published); the cleaned input (Ruggles et al.) screens most of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

from coredge.errors import InputError
from coredge.power.grid import balancing_areas, check_ba, demand_local_mw, demand_mw

LIMITS: tuple[float, ...] = (0.0025, 0.005, 0.01)
"""The curtailment limits of the study [fraction of the new load's annual energy]."""

YEARS: tuple[int, int] = (2016, 2024)
"""Study period (Norris et al. 2025), inclusive, local calendar years."""

SUMMER_PEAK_MONTHS = (6, 7, 8)
WINTER_PEAK_MONTHS = (12, 1, 2)
SUMMER_SEASON_MONTHS = (4, 5, 6, 7, 8, 9, 10)
"""Months in which the summer threshold applies (the winter one applies in the others)."""

EXTENDED_WINDOWS: dict[str, tuple[str, ...]] = {"AZPS": ("winter",), "FPL": ("winter",),
                                                "CISO": ("summer", "winter")}  # fmt: skip
"""BAs whose peak window the study widened by one month each side (Norris et al. 2025, App. B)."""


def check_limit(limit: float, field: str = "limit") -> float:
    """``limit`` if it is a curtailment share in (0, 0.5]; InputError otherwise [fraction]."""
    try:
        value = float(limit)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and 0.0 < value <= 0.5):
        raise InputError.of(field, limit, "a fraction of annual energy in (0, 0.5], e.g. 0.005")
    return value


def seasonal_thresholds_mw(
    demand_mw: npt.ArrayLike, month: npt.ArrayLike, extended: Sequence[str] = ()
) -> tuple[float, float]:
    """Summer and winter thresholds: the highest demand in each peak window [MW].

    Parameters
    ----------
    demand_mw : array_like
        Hourly demand [MW].
    month : array_like
        Calendar month (1-12) of each hour.
    extended : sequence of str
        ``"summer"`` and/or ``"winter"``: widen that window by one month each side.

    Examples
    --------
    >>> seasonal_thresholds_mw([10.0, 30.0, 20.0, 25.0], [1, 7, 12, 5])
    (30.0, 20.0)
    >>> seasonal_thresholds_mw([10.0, 30.0, 20.0, 25.0], [1, 7, 12, 5], ("summer",))
    (30.0, 20.0)
    """
    d = np.asarray(demand_mw, dtype=np.float64)
    m = np.asarray(month)
    summer = (5, 6, 7, 8, 9) if "summer" in extended else SUMMER_PEAK_MONTHS
    winter = (11, 12, 1, 2, 3) if "winter" in extended else WINTER_PEAK_MONTHS
    return float(d[np.isin(m, summer)].max()), float(d[np.isin(m, winter)].max())


def threshold_mw(month: npt.ArrayLike, summer_mw: float, winter_mw: float) -> npt.NDArray[np.float64]:
    """The threshold that applies in each hour [MW] (summer April-October, else winter)."""
    return np.where(np.isin(np.asarray(month), SUMMER_SEASON_MONTHS), summer_mw, winter_mw)


def curtailment_mw(
    demand_mw: npt.ArrayLike, threshold: npt.ArrayLike, new_load_mw: float
) -> npt.NDArray[np.float64]:
    """Curtailment of the new load in each hour: ``max(0, D + L - T)``, at most ``L`` [MW].

    Examples
    --------
    >>> curtailment_mw([90.0, 99.0, 120.0], [100.0, 100.0, 100.0], 5.0).tolist()
    [0.0, 4.0, 5.0]
    """
    d = np.asarray(demand_mw, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    return np.clip(d + new_load_mw - t, 0.0, new_load_mw)


def curtailment_rate(
    demand_mw: npt.ArrayLike, threshold: npt.ArrayLike, year_index: npt.ArrayLike, new_load_mw: float
) -> float:
    """Mean over the years of each year's curtailed energy / the load's potential energy [fraction].

    Parameters
    ----------
    demand_mw, threshold : array_like
        Hourly demand and threshold [MW].
    year_index : array_like of int
        0-based year of each hour.
    new_load_mw : float
        The constant new load [MW] (> 0).
    """
    yi = np.asarray(year_index, dtype=np.int64)
    c = curtailment_mw(demand_mw, threshold, new_load_mw)
    curtailed = np.bincount(yi, weights=c)
    hours = np.bincount(yi).astype(np.float64)
    ok = hours > 0
    return float(np.mean(curtailed[ok] / (new_load_mw * hours[ok])))


def solve_headroom_mw(
    demand_mw: npt.ArrayLike, threshold: npt.ArrayLike, year_index: npt.ArrayLike, limit: float
) -> float:
    """The new load [MW] whose mean annual curtailment rate equals ``limit`` (Brent's method).

    The rate rises monotonically with the load (a larger load is curtailed in more hours and by
    more in each), from 0 below the smallest gap to the threshold to near 1 for a huge load.
    """
    limit = check_limit(limit)
    d = np.asarray(demand_mw, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    gap = float(np.min(t - d))
    lo = max(gap, 0.0) + 1e-6
    hi = float(np.max(t))
    while curtailment_rate(d, t, year_index, hi) < limit:
        hi *= 2.0
    return float(brentq(lambda x: curtailment_rate(d, t, year_index, x) - limit, lo, hi,
                        xtol=1e-9 * hi, rtol=1e-12))


def event_stats(curtailed_mw: npt.ArrayLike, new_load_mw: float) -> dict[str, float]:
    """Counts of curtailed hours, events and hours retaining >= 50/75/90 % of the load.

    Examples
    --------
    >>> event_stats([0.0, 1.0, 6.0, 0.0, 2.0], 10.0)["events"]
    2.0
    """
    c = np.asarray(curtailed_mw, dtype=np.float64)
    on = c > 1e-9
    starts = int(np.count_nonzero(on & ~np.concatenate(([False], on[:-1]))))
    retained = 1.0 - c[on] / new_load_mw
    return {
        "hours": float(on.sum()), "events": float(starts),
        "hours_retain_50pct": float(np.count_nonzero(retained >= 0.5)),
        "hours_retain_75pct": float(np.count_nonzero(retained >= 0.75)),
        "hours_retain_90pct": float(np.count_nonzero(retained >= 0.9)),
    }


@dataclass(frozen=True)
class Headroom:
    """One BA's headroom at one curtailment limit.

    Attributes
    ----------
    ba : str
        EIA-930 code.
    limit : float
        Curtailment limit [fraction of the new load's annual energy].
    headroom_mw : float
        The largest constant new load meeting the limit [MW].
    summer_threshold_mw, winter_threshold_mw : float
        Historical seasonal peaks [MW].
    curtailment_h_per_year : float
        Mean hours per year in which the load is curtailed [h].
    events_per_year : float
        Mean curtailment events (runs of consecutive curtailed hours) per year.
    mean_event_h : float
        Mean event duration [h].
    retain_50pct_h_per_year : float
        Mean curtailed hours per year in which >= 50 % of the load keeps running [h].
    curtailed_mwh_per_year : float
        Mean curtailed energy per year [MWh].
    """

    ba: str
    limit: float
    headroom_mw: float
    summer_threshold_mw: float
    winter_threshold_mw: float
    curtailment_h_per_year: float
    events_per_year: float
    mean_event_h: float
    retain_50pct_h_per_year: float
    curtailed_mwh_per_year: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)


def _study_period(s: pd.Series) -> pd.Series:
    years = pd.DatetimeIndex(s.index).year
    return s[(years >= YEARS[0]) & (years <= YEARS[1])].dropna()


def _prepared(ba: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], float, float]:
    s = _study_period(demand_local_mw(ba))
    idx = pd.DatetimeIndex(s.index)
    month = idx.month.to_numpy()
    summer, winter = seasonal_thresholds_mw(s.to_numpy(), month, EXTENDED_WINDOWS.get(ba, ()))
    t = threshold_mw(month, summer, winter)
    yi = (idx.year.to_numpy() - YEARS[0]).astype(np.int64)
    return s.to_numpy(np.float64), t, yi, summer, winter


def ba_headroom(ba: str, limits: Sequence[float] = LIMITS) -> list[Headroom]:
    """Headroom of one shipped BA at each limit (2016-2024 EIA-930 demand).

    Examples
    --------
    >>> h = ba_headroom("PJM", [0.005])[0]
    >>> 17_000 < h.headroom_mw < 19_000
    True
    """
    code = check_ba(ba)
    lims = [check_limit(x) for x in limits]
    d, t, yi, summer, winter = _prepared(code)
    n_years = len(np.unique(yi))
    out = []
    for lim in lims:
        load = solve_headroom_mw(d, t, yi, lim)
        c = curtailment_mw(d, t, load)
        ev = event_stats(c, load)
        out.append(Headroom(
            ba=code, limit=lim, headroom_mw=load, summer_threshold_mw=summer,
            winter_threshold_mw=winter, curtailment_h_per_year=ev["hours"] / n_years,
            events_per_year=ev["events"] / n_years,
            mean_event_h=ev["hours"] / ev["events"] if ev["events"] else 0.0,
            retain_50pct_h_per_year=ev["hours_retain_50pct"] / n_years,
            curtailed_mwh_per_year=float(c.sum()) / n_years,
        ))
    return out


def headroom_table(
    bas: Sequence[str] | None = None, limits: Sequence[float] = LIMITS
) -> pd.DataFrame:
    """`Headroom` records of several BAs (all 22 shipped when None), one row per BA and limit."""
    codes = list(balancing_areas().index) if bas is None else [check_ba(b) for b in bas]
    rows = [h.as_dict() for b in codes for h in ba_headroom(b, limits)]
    return pd.DataFrame(rows)


def curtailment_profile_mw(ba: str, new_load_mw: float, year: int) -> pd.Series:
    """Hourly curtailment of a constant new load in one BA and local year [MW] (thresholds 2016-2024)."""
    code = check_ba(ba)
    s = _study_period(demand_local_mw(code))
    idx = pd.DatetimeIndex(s.index)
    if year not in set(idx.year):
        raise InputError.of("year", year, f"a year in {YEARS[0]}-{YEARS[1]}")
    month = idx.month.to_numpy()
    summer, winter = seasonal_thresholds_mw(s.to_numpy(), month, EXTENDED_WINDOWS.get(code, ()))
    sel = idx.year == year
    t = threshold_mw(month[sel], summer, winter)
    return pd.Series(curtailment_mw(s.to_numpy()[sel], t, new_load_mw), index=s.index[sel])


def curtailment_share(ba: str, limit: float, hours_utc: pd.DatetimeIndex) -> tuple[npt.NDArray[np.float64], Headroom]:
    """Hourly curtailed share of a flexible new load on the given UTC hours [fraction].

    The load is the BA's headroom at ``limit`` (thresholds from 2016-2024); a campus on a
    flexible connection is curtailed by the same share as that aggregate new load. Hours outside
    the shipped demand count as uncurtailed. Returns the share and the BA's `Headroom`.
    """
    h = ba_headroom(ba, [limit])[0]
    s = demand_mw(h.ba).reindex(hours_utc)
    off = float(balancing_areas()["utc_offset_h"].loc[h.ba])
    month = (pd.DatetimeIndex(hours_utc).tz_convert("UTC").tz_localize(None)
             + pd.to_timedelta(off, unit="h")).month.to_numpy()
    t = threshold_mw(month, h.summer_threshold_mw, h.winter_threshold_mw)
    d = s.to_numpy(np.float64)
    c = np.where(np.isfinite(d), curtailment_mw(np.nan_to_num(d, nan=-np.inf), t, h.headroom_mw), 0.0)
    return np.asarray(c / h.headroom_mw, dtype=np.float64), h


def longest_run_h(mask: npt.ArrayLike) -> int:
    """Longest run of consecutive True hours.

    Examples
    --------
    >>> longest_run_h([0, 1, 1, 0, 1, 1, 1, 0])
    3
    """
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return 0
    edges = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    return int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))
