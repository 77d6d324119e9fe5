"""Hourly grid data shipped with coredge (``data/grid/``, README there): loaders and fallbacks.

* hourly demand of 22 US balancing areas (BAs), 2016-2024: cleaned EIA-930 (Ruggles et al.
  2020/2025, CC BY 4.0), the input of the headroom method (`coredge.power.headroom`);
* hourly net generation by fuel of 8 BAs, 2022 (EIA-930, public domain) times published emission
  factors: the hourly, production-based carbon intensity (`hourly_carbon_g_per_kwh`);
* hourly real-time LMP at 13 non-PJM hubs, 2022 (EIA Wholesale Electricity Market Portal, public
  domain): the hourly energy price (`hourly_price_usd_per_mwh`);
* each candidate core region's BA, price hub and fuel-mix BA (`region_grid`), with documented
  fallbacks where no hourly series may be shipped (`region_hourly`).

Every hourly series of the 2022 "price year" is on the same 8,760 UTC hours (`YEAR_HOURS`);
hours missing at the source are filled by the mean of the same hour of day in the same month
("monthly shape" fill), and the number of filled hours is returned with the series.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.data import DATA_DIR, state_gco2_per_kwh, state_price_usd_per_mwh
from coredge.errors import InputError

GRID_DIR = DATA_DIR / "grid"
"""Folder of the shipped hourly grid tables."""

DEMAND_FILE = "eia930_demand_mw_22ba_2016-2024.parquet"
GENERATION_FILE = "eia930_generation_mwh_2022_8ba.parquet"
LMP_FILE = "eia_wholesale_rt_lmp_usd_per_mwh_2022.parquet"

PRICE_YEAR = 2022
"""Calendar year (UTC) of the shipped hourly price and fuel-mix series."""

YEAR_HOURS: pd.DatetimeIndex = pd.date_range(
    f"{PRICE_YEAR}-01-01", f"{PRICE_YEAR + 1}-01-01", freq="h", tz="UTC", inclusive="left"
)
"""The 8,760 hour starts (UTC) of `PRICE_YEAR`."""

CARBON_FACTORS = ("gridemissions_default_kg_per_mwh", "ipcc_ar5_lifecycle_g_per_kwh")
"""The emission-factor sets of ``grid/emission_factors_eia930_fuel.csv``."""


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(GRID_DIR / name, comment="#", keep_default_na=False, na_values=[""])


@lru_cache(maxsize=1)
def balancing_areas() -> pd.DataFrame:
    """The 22 BAs with shipped demand: ``code`` (index), ``name``, ``time_zone``, ``utc_offset_h``."""
    return _csv("balancing_areas.csv").set_index("code")


def check_ba(ba: str, field: str = "ba") -> str:
    """The EIA-930 code ``ba`` (upper-cased) if its demand is shipped; InputError otherwise."""
    codes = list(balancing_areas().index)
    code = ba.strip().upper() if isinstance(ba, str) else ba
    if code not in codes:
        raise InputError.of(field, ba, "one of the shipped balancing areas: " + ", ".join(codes))
    return str(code)


@lru_cache(maxsize=1)
def _demand() -> pd.DataFrame:
    return pd.read_parquet(GRID_DIR / DEMAND_FILE)


def demand_mw(ba: str) -> pd.Series:
    """Hourly demand of one BA, 2016-01-01T00Z .. 2024-12-31T22Z (hour start, UTC) [MW].

    Cleaned EIA-930 demand (Ruggles et al. 2020, 2025 releases; the 2020-2024 ISO columns are sums
    of the cleaned sub-regions). A copy.

    Examples
    --------
    >>> s = demand_mw("PJM")
    >>> len(s), int(s.idxmax().year)
    (78911, 2016)
    """
    return _demand()[check_ba(ba)].astype(np.float64)


def demand_local_mw(ba: str) -> pd.Series:
    """`demand_mw` indexed by local *standard* time (naive), the clock of the seasons [MW]."""
    s = demand_mw(ba)
    off = float(balancing_areas()["utc_offset_h"].loc[check_ba(ba)])
    utc = pd.DatetimeIndex(s.index)
    idx = pd.DatetimeIndex(utc.tz_localize(None) + pd.to_timedelta(off, unit="h"))
    return pd.Series(s.to_numpy(), index=idx, name=s.name)


@lru_cache(maxsize=1)
def duke_headroom_gw() -> pd.DataFrame:
    """Published headroom of the 22 BAs (Norris et al. 2025, Figure 1) [GW].

    Index: EIA-930 code; columns ``ba_study``, ``group`` and one float column per curtailment
    limit (0.0025, 0.005, 0.01 as fractions of the new load's annual energy).
    """
    df = _csv("duke_headroom_norris2025.csv").set_index("eia_ba_code")
    out = df[["ba_study", "group"]].copy()
    for pct, lim in (("0.25", 0.0025), ("0.5", 0.005), ("1", 0.01)):
        out[lim] = df[f"headroom_gw_at_{pct}pct_curtailment"].astype(np.float64)
    return out


DUKE_TOTAL_GW: dict[float, float] = {0.0025: 76.0, 0.005: 98.0, 0.01: 126.0}
"""Published 22-BA totals (Norris et al. 2025, text) [GW] by curtailment limit [fraction]."""

DUKE_CURTAILMENT_H_PER_YEAR: dict[float, float] = {0.0025: 85.0, 0.005: 177.0, 0.01: 366.0}
"""Published mean curtailment hours per year over the 22 BAs (Norris et al. 2025, Figure 10) [h]."""

DUKE_EVENT_H: dict[float, float] = {0.0025: 1.7, 0.005: 2.1, 0.01: 2.5}
"""Published mean curtailment-event duration (Norris et al. 2025, text) [h]."""


def _fill_monthly_shape(s: pd.Series) -> tuple[npt.NDArray[np.float64], int]:
    """``s`` on `YEAR_HOURS`, gaps filled by the mean of the same month and hour of day."""
    s = s.reindex(YEAR_HOURS).astype(np.float64)
    missing = int(s.isna().sum())
    if missing:
        key = [YEAR_HOURS.month, YEAR_HOURS.hour]
        shape = s.groupby(key).transform("mean")
        s = s.fillna(shape).fillna(s.mean())
    return np.asarray(s.to_numpy(np.float64), dtype=np.float64), missing


@lru_cache(maxsize=1)
def _generation() -> pd.DataFrame:
    return pd.read_parquet(GRID_DIR / GENERATION_FILE)


def fuel_mix_bas() -> list[str]:
    """BAs with shipped hourly generation by fuel (2022)."""
    return list(_fuel_mix_bas())


@lru_cache(maxsize=1)
def _fuel_mix_bas() -> tuple[str, ...]:
    return tuple(sorted({str(b) for b in _generation().index.get_level_values("ba").unique()}))


@lru_cache(maxsize=1)
def emission_factors() -> pd.DataFrame:
    """Emission factors per EIA-930 fuel code (index) for each set of `CARBON_FACTORS` [kg/MWh]."""
    return _csv("emission_factors_eia930_fuel.csv").set_index("eia930_fuel_code")


def carbon_intensity_g_per_kwh(
    generation_mwh: pd.DataFrame, factors: str = CARBON_FACTORS[0]
) -> npt.NDArray[np.float64]:
    """Generation-weighted CO2 intensity of each row of a fuel mix [g/kWh].

    Parameters
    ----------
    generation_mwh : pandas.DataFrame
        One column per EIA-930 fuel code, one row per hour [MWh]; negative values (net
        consumption of storage or pumped hydro) count as zero.
    factors : str
        A column of `emission_factors` (one of `CARBON_FACTORS`).

    Returns
    -------
    numpy.ndarray
        ``sum(gen * factor) / sum(gen)`` per row [g/kWh = kg/MWh]; NaN where no generation.

    Examples
    --------
    >>> mix = pd.DataFrame({"COL": [1.0, 0.0], "WND": [1.0, 2.0]})
    >>> carbon_intensity_g_per_kwh(mix).round(1).tolist()
    [506.0, 12.0]
    """
    if factors not in CARBON_FACTORS:
        raise InputError.of("factors", factors, "one of: " + ", ".join(CARBON_FACTORS))
    ef = emission_factors()[factors]
    gen = generation_mwh.clip(lower=0.0).astype(np.float64)
    cols = [c for c in gen.columns if c in ef.index and np.isfinite(ef[c])]
    g = gen[cols].to_numpy(np.float64)
    f = ef[cols].to_numpy(np.float64)
    total = g.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, (g * f).sum(axis=1) / np.where(total > 0, total, 1.0), np.nan)
    return np.asarray(out, dtype=np.float64)


def hourly_carbon_g_per_kwh(
    ba: str, factors: str = CARBON_FACTORS[0]
) -> tuple[npt.NDArray[np.float64], int]:
    """Hourly production-based CO2 intensity of one BA over `YEAR_HOURS` [g/kWh].

    EIA-930 generation by fuel (2022) times `emission_factors`; hours with no reported
    generation are filled by the month x hour-of-day mean. Returns the series and the count of
    filled hours.
    """
    if ba not in fuel_mix_bas():
        raise InputError.of("fuel_mix_ba", ba, "one of: " + ", ".join(fuel_mix_bas()))
    gen = pd.DataFrame(_generation().xs(ba, level="ba")).astype("float64")
    ci = pd.Series(carbon_intensity_g_per_kwh(gen, factors), index=gen.index)
    return _fill_monthly_shape(ci)


@lru_cache(maxsize=1)
def _lmp() -> pd.DataFrame:
    return pd.read_parquet(GRID_DIR / LMP_FILE).astype(np.float64)


def price_hubs() -> list[str]:
    """Hubs with a shipped hourly real-time LMP (2022)."""
    return list(_lmp().columns)


def hourly_price_usd_per_mwh(hub: str) -> tuple[npt.NDArray[np.float64], int]:
    """Hourly real-time LMP at one hub over `YEAR_HOURS` [USD/MWh] and the count of filled hours."""
    if hub not in price_hubs():
        raise InputError.of("price_hub", hub, "one of: " + ", ".join(price_hubs()))
    return _fill_monthly_shape(_lmp()[hub])


@lru_cache(maxsize=1)
def _region_table() -> pd.DataFrame:
    return _csv("core_region_grid.csv").fillna("").set_index("region")


def region_grid(region: str) -> dict[str, str]:
    """The BA, price hub and fuel-mix BA of a candidate core region ('' where none is shipped)."""
    table = _region_table()
    if region not in table.index:
        raise InputError.of("region", region, "one of: " + ", ".join(table.index))
    row = table.loc[region]
    return {k: str(row[k]) for k in ("headroom_ba", "price_hub", "fuel_mix_ba", "provenance")}


@dataclass(frozen=True)
class RegionHourly:
    """A region's hourly energy price and carbon intensity over `YEAR_HOURS`.

    Attributes
    ----------
    region : str
        Core-region id.
    price_usd_per_mwh : numpy.ndarray
        Hourly energy price [USD/MWh].
    carbon_g_per_kwh : numpy.ndarray
        Hourly CO2 intensity [g/kWh].
    price_source, carbon_source : str
        Where each series comes from (hub and year, or the flat fallback).
    filled_hours : int
        Hours of the two series filled from the monthly shape.
    """

    region: str
    price_usd_per_mwh: npt.NDArray[np.float64]
    carbon_g_per_kwh: npt.NDArray[np.float64]
    price_source: str
    carbon_source: str
    filled_hours: int


def region_hourly(region: str, state: str) -> RegionHourly:
    """Hourly price and carbon of a core region, with the documented fallbacks.

    Price: the region's hub LMP (EIA, 2022) where one is shipped, else the state's EIA 2023
    industrial retail price, flat. Carbon: the fuel-mix BA's EIA-930 intensity (2022,
    gridemissions factors) where shipped, else the state's eGRID 2022 annual rate, flat.

    Parameters
    ----------
    region : str
        Core-region id (data/core_regions.csv).
    state : str
        Its US state (USPS code), for the fallbacks.
    """
    g = region_grid(region)
    filled = 0
    if g["price_hub"]:
        price, n = hourly_price_usd_per_mwh(g["price_hub"])
        filled += n
        price_src = f"EIA wholesale RT LMP {g['price_hub']} {PRICE_YEAR}"
    else:
        price = np.full(len(YEAR_HOURS), state_price_usd_per_mwh(state, "industrial"))
        price_src = f"flat: EIA 2023 industrial price of {state} (no shippable hourly price)"
    if g["fuel_mix_ba"]:
        carbon, n = hourly_carbon_g_per_kwh(g["fuel_mix_ba"])
        filled += n
        carbon_src = f"EIA-930 fuel mix {g['fuel_mix_ba']} {PRICE_YEAR} x gridemissions factors"
    else:
        carbon = np.full(len(YEAR_HOURS), state_gco2_per_kwh(state))
        carbon_src = f"flat: eGRID 2022 annual rate of {state} (no shipped fuel mix)"
    return RegionHourly(region, price, carbon, price_src, carbon_src, filled)
