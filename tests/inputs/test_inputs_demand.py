"""Demand points: GeoNames cities and user CSV files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coredge.data as cd
from coredge.errors import InputError
from coredge.inputs.demand import CSV_COLUMNS, POINT_COLUMNS, city_demand_points, load_points_csv
from coredge_testing import run_cli


def _km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    return city_demand_points()


# ------------------------------------------------------------------ GeoNames cities


def test_default_us_points(us: pd.DataFrame) -> None:
    assert list(us.columns) == list(POINT_COLUMNS)
    # US places >= 50k: ~800 incorporated places plus large CDPs (GeoNames lists both)
    assert 780 <= len(us) <= 900
    assert us["id"].is_unique
    assert (us["population"] >= 50_000).all()
    assert set(us["country"]) == {"US"}
    # every state + DC has a city >= 50k except Vermont (Burlington 44,743) and West Virginia
    # (Charleston 48,864) (US Census 2020)
    assert set(us["state"]) == set(cd.CONTIGUOUS_US_STATES) - {"VT", "WV"}
    assert us["population"].is_monotonic_decreasing
    # inside the contiguous-US outline's bounding box
    assert us["lon"].between(-124.8, -66.9).all() and us["lat"].between(24.5, 49.4).all()
    assert us["timezone"].str.startswith("America/").all()


def test_known_cities(us: pd.DataFrame) -> None:
    by_name = us.set_index("name")
    ny = by_name.loc["New York City"]
    assert ny["population"] == 8_804_190  # US Census 2020 count
    assert ny["state"] == "NY" and ny["id"] == "us-new-york-city-5128581"
    assert abs(ny["lat"] - 40.71) < 0.05 and abs(ny["lon"] + 74.01) < 0.05
    la = by_name.loc["Los Angeles"]
    assert 3_700_000 < la["population"] < 4_000_000  # Census 2020: 3,898,747
    assert la["state"] == "CA"
    for city, state in (("Chicago", "IL"), ("Houston", "TX"), ("Ashburn", "VA")):
        if city == "Ashburn":
            continue  # below 50k in GeoNames; checked with a lower threshold below
        assert by_name.loc[city, "state"] == state


def test_sections_are_not_double_counted(us: pd.DataFrame) -> None:
    names = set(us["name"])
    pairs = set(zip(us["name"], us["state"], strict=True))
    for section, state in (
        ("Brooklyn", "NY"), ("Queens", "NY"), ("Manhattan", "NY"), ("Upper West Side", "NY"),
        ("South Boston", "MA"), ("Hollywood", "CA"), ("New South Memphis", "TN"),
    ):  # fmt: skip
        assert (section, state) not in pairs, section
    assert ("Manhattan", "KS") in pairs  # a real city of the same name stays
    assert ("Hollywood", "FL") in pairs
    # separate municipalities next to big cities stay
    for city in ("Jersey City", "Newark", "Yonkers", "Glendale", "Evanston", "Cambridge"):
        assert city in names, city
    # NY-state entries within 20 km of Manhattan hold about NYC's 8.8M people, not 2-3x that
    near = _km(40.7143, -74.006, us["lat"].to_numpy(), us["lon"].to_numpy()) < 20
    ny_pop = us.loc[near & (us["state"] == "NY").to_numpy(), "population"].sum()
    assert 8_804_190 <= ny_pop < 9_500_000
    raw = city_demand_points(drop_city_sections=False)
    assert "Brooklyn" in set(raw["name"])
    assert len(raw) - len(us) == len(pd.read_csv(cd.DATA_DIR / "us_city_sections.csv", comment="#"))


def test_section_file_is_consistent() -> None:
    sections = pd.read_csv(cd.DATA_DIR / "us_city_sections.csv", comment="#")
    assert sections["geonameid"].is_unique
    assert set(sections["kind"]) <= {"borough", "neighbourhood", "duplicate"}
    raw = city_demand_points(drop_city_sections=False, contiguous_us=False)
    raw["gid"] = raw["id"].str.rsplit("-", n=1).str[1].astype(int)
    by_gid = raw.set_index("gid")
    for _, s in sections.iterrows():
        assert s["geonameid"] in by_gid.index, s["name"]
        row = by_gid.loc[s["geonameid"]]
        assert row["name"] == s["name"] and row["state"] == s["state"]
        parents = raw[(raw["state"] == s["state"]) & (raw["name"] == s["parent"])]
        if s["parent"] == "Washington":
            parents = raw[raw["state"] == "DC"].head(1)
        assert len(parents) >= 1, s["parent"]
        d = _km(row["lat"], row["lon"], parents["lat"].to_numpy(), parents["lon"].to_numpy())
        assert d.min() < 40, (s["name"], s["parent"])


def test_contiguous_filter() -> None:
    everywhere = city_demand_points(contiguous_us=False)
    states = set(everywhere["state"])
    assert {"AK", "HI"} <= states
    assert "Anchorage" in set(everywhere["name"]) and "Honolulu" in set(everywhere["name"])
    with_pr = city_demand_points(("US", "PR"), contiguous_us=False)
    assert "PR" in set(with_pr["country"])
    assert "PR" not in set(city_demand_points(("US", "PR"))["country"])


def test_country_codes_and_filters() -> None:
    a = city_demand_points(("USA",), min_population=500_000)
    b = city_demand_points(["us"], min_population=500_000)
    pd.testing.assert_frame_equal(a, b)
    assert (a["population"] >= 500_000).all()
    c = city_demand_points(("US",), min_population=200_000)
    assert set(a["id"]) < set(c["id"])
    de = city_demand_points(("DEU", "FR"), min_population=300_000)
    assert set(de["country"]) == {"DE", "FR"}
    assert (de["state"] == "").all()
    assert {"Berlin", "Paris", "Hamburg"} <= set(de["name"])
    assert de["id"].str.match(r"^(de|fr)-").all()


def test_small_threshold_reads_larger_file() -> None:
    lu = city_demand_points(("LU",), min_population=5_000)
    assert "Luxembourg" in set(lu["name"])
    assert (lu["population"] >= 5_000).all()
    assert len(lu) > len(city_demand_points(("LU",), min_population=15_000))


def test_bad_country_and_population() -> None:
    with pytest.raises(InputError) as exc:
        city_demand_points(("US", "XX"))
    assert exc.value.problems[0].field == "demand.countries[1]"
    assert exc.value.problems[0].value == "XX"
    with pytest.raises(InputError) as exc:
        city_demand_points(("ZZZ",))
    assert exc.value.problems[0].field == "demand.countries"
    with pytest.raises(InputError) as exc:
        city_demand_points(min_population=-1)
    assert exc.value.problems[0].field == "demand.min_population"
    with pytest.raises(InputError):
        city_demand_points(())


# ------------------------------------------------------------------ user CSV


def _write(tmp_path: Path, text: str, name: str = "pts.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _fields(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [p.field for p in exc.value.problems]


def test_csv_population_only(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "id,lat,lon,population,name\na,40.7,-74.0,1000,Alpha\nb,34.0,-118.2,500,\n"
    )
    df = load_points_csv(p)
    assert list(df.columns) == list(CSV_COLUMNS)
    assert df["id"].tolist() == ["a", "b"]
    assert df["name"].tolist() == ["Alpha", "b"]  # defaults to id
    assert df["population"].tolist() == [1000.0, 500.0]
    assert df["demand_weight"].tolist() == [1000.0, 500.0]
    assert df["lat"].dtype == np.float64


def test_csv_weight_only_and_both(tmp_path: Path) -> None:
    df = load_points_csv(_write(tmp_path, "id,lat,lon,demand_weight\nx,1,2,0.5\n"))
    assert np.isnan(df["population"].iloc[0]) and df["demand_weight"].iloc[0] == 0.5
    df = load_points_csv(
        _write(
            tmp_path,
            "ID, Lat, Lon, Population, Demand_Weight, State, Country, Timezone\n"
            "x, 1, 2, 100, 3, TX, US, America/Chicago\ny, 1, 2, 100,, TX, US,\n",
            "b.csv",
        )
    )
    assert df["demand_weight"].tolist() == [3.0, 100.0]  # weight, else population
    assert df["state"].tolist() == ["TX", "TX"] and df["timezone"].tolist()[0] == "America/Chicago"


def test_csv_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_points_csv(_write(tmp_path, "id,latitude,lon\na,1,2\n"))
    assert _fields(exc) == ["demand.points_csv:header.lat", "demand.points_csv:header.population"]


def test_csv_bad_cells_all_reported(tmp_path: Path) -> None:
    text = (
        "id,lat,lon,population\n"
        "a,40,-74,100\n"
        "b,95,-74,100\n"  # row 2 lat
        "c,40,-181,100\n"  # row 3 lon
        "d,40,-74,-5\n"  # row 4 population
        "a,40,-74,100\n"  # row 5 duplicate id
        ",40,-74,100\n"  # row 6 empty id
        "g,north,-74,100\n"  # row 7 non-numeric lat
        "h,40,-74,\n"  # row 8 neither population nor weight
        "i,40,-74,many\n"  # row 9 non-numeric population
    )
    with pytest.raises(InputError) as exc:
        load_points_csv(_write(tmp_path, text))
    got = set(_fields(exc))
    assert got == {
        "demand.points_csv:2.lat",
        "demand.points_csv:3.lon",
        "demand.points_csv:4.population",
        "demand.points_csv:5.id",
        "demand.points_csv:6.id",
        "demand.points_csv:7.lat",
        "demand.points_csv:8.population",
        "demand.points_csv:9.population",
    }
    by_field = {p.field: p for p in exc.value.problems}
    assert by_field["demand.points_csv:2.lat"].value == "95"
    assert "[-90, 90]" in by_field["demand.points_csv:2.lat"].allowed
    assert "unique" in by_field["demand.points_csv:5.id"].allowed


def test_csv_boundary_values_accepted(tmp_path: Path) -> None:
    df = load_points_csv(_write(tmp_path, "id,lat,lon,population\na,90,180,0\nb,-90,-180,0\n"))
    assert len(df) == 2


def test_csv_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_points_csv(_write(tmp_path, ""))
    assert _fields(exc) == ["demand.points_csv"]
    with pytest.raises(InputError) as exc:
        load_points_csv(_write(tmp_path, "id,lat,lon,population\n", "h.csv"))
    assert _fields(exc) == ["demand.points_csv"]
    assert "at least one data row" in exc.value.problems[0].allowed
    with pytest.raises(InputError) as exc:
        load_points_csv(tmp_path / "nope.csv")
    assert _fields(exc) == ["demand.points_csv"]


def test_csv_many_problems_are_capped(tmp_path: Path) -> None:
    rows = "".join(f"p{i},99,0,1\n" for i in range(80))
    with pytest.raises(InputError) as exc:
        load_points_csv(_write(tmp_path, "id,lat,lon,population\n" + rows))
    assert len(exc.value.problems) == 51
    assert exc.value.problems[-1].value == "30 more problems"


# ------------------------------------------------------------------ coredge data


def _coredge(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"COLUMNS": "200"})


def test_cli_data_json() -> None:
    res = _coredge("data", "--json")
    assert res.returncode == 0, res.stderr
    last = res.stdout.strip().splitlines()[-1]
    payload = json.loads(last)
    assert [d["name"] for d in payload["datasets"]] == [d.name for d in cd.DATASETS]
    for d in payload["datasets"]:
        assert d["rows"] > 0
        assert {"name", "file", "source", "year", "unit", "licence", "rows"} <= set(d)
    rows = {d["name"]: d["rows"] for d in payload["datasets"]}
    assert rows["electricity_prices_us_states"] == 51 and rows["workload_classes"] >= 8


def test_cli_data_table() -> None:
    res = _coredge("data")
    assert res.returncode == 0, res.stderr
    for d in cd.DATASETS:
        assert d.name in res.stdout
