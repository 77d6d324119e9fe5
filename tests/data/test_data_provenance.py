"""Every built-in table carries its provenance: CSV headers, YAML {value, unit, source}, DATASETS."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest
import yaml

import coredge.data as cd

DATA = cd.DATA_DIR
CSV_FILES = sorted(p.name for p in DATA.glob("*.csv"))
YAML_FILES = sorted(p.name for p in DATA.glob("*.yaml"))


def _header(path: Path) -> str:
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line)
    return "".join(lines)


def test_there_are_tables_to_check() -> None:
    assert len(CSV_FILES) >= 6
    assert set(YAML_FILES) == {"site_tiers.yaml", "workload_classes.yaml"}


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_header_gives_source_year_unit_licence(name: str) -> None:
    head = _header(DATA / name)
    assert head, f"{name} has no # header"
    for key in ("source", "year", "unit", "licen"):
        assert re.search(rf"#.*\b{key}", head, flags=re.IGNORECASE), f"{name}: no {key!r} line"
    # a year is actually named
    assert re.search(r"\b(19|20)\d\d\b", head), name


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_reads_with_comment_and_has_rows(name: str) -> None:
    df = pd.read_csv(DATA / name, comment="#")
    assert len(df) > 0
    assert not any(str(c).startswith("Unnamed") for c in df.columns), name


@pytest.mark.parametrize("name", ["electricity_prices_us_states.csv", "core_regions.csv"])
def test_fills_and_assumptions_are_labelled_per_row(name: str) -> None:
    df = pd.read_csv(DATA / name, comment="#")
    assert "provenance" in df.columns
    assert df["provenance"].astype(str).str.len().min() > 10


def test_price_fills_are_labelled() -> None:
    df = pd.read_csv(DATA / "electricity_prices_us_states.csv", comment="#").set_index("state")
    assert "FILL" in df.loc["WY", "provenance"]
    assert "ASSUMPTION" in df.loc["WY", "provenance"]
    assert "ASSUMPTION" in df.loc["WI", "provenance"]
    # every other row is the plain EIA source
    others = df.drop(index=["WY", "WI"])
    assert set(others["provenance"]) == {"EIA Electric Power Annual 2023 (all sectors)"}


def test_core_region_grid_mw_is_labelled_assumption_everywhere() -> None:
    df = cd.load_core_regions()
    assert df["provenance"].str.contains("grid_available_mw: assumption").all()


@pytest.mark.parametrize("name", YAML_FILES)
def test_every_yaml_field_has_value_unit_source(name: str) -> None:
    with open(DATA / name, encoding="utf-8") as fh:
        table = yaml.safe_load(fh)
    assert table
    for key, spec in table.items():
        assert isinstance(spec, dict) and spec, key
        for field, entry in spec.items():
            assert isinstance(entry, dict), f"{name}:{key}.{field} is not {{value, unit, source}}"
            assert set(entry) == {"value", "unit", "source"}, f"{name}:{key}.{field}"
            assert isinstance(entry["unit"], str) and entry["unit"], f"{name}:{key}.{field}"
            source = entry["source"]
            assert isinstance(source, str), f"{name}:{key}.{field}"
            assert source == "assumption" or len(source) >= 10, f"{name}:{key}.{field}"


def test_provenance_frames_cover_every_field() -> None:
    tiers = cd.load_tiers()
    tp = cd.tier_provenance()
    assert list(tp.columns) == ["tier", "field", "value", "unit", "source"]
    assert len(tp) == sum(len(v) for v in tiers.values())
    wl = cd.load_workload_classes()
    wp = cd.workload_provenance()
    assert list(wp.columns) == ["workload", "field", "value", "unit", "source"]
    assert len(wp) == sum(len(v) for v in wl.values())
    # the frame agrees with the plain dicts
    row = tp[(tp.tier == "core") & (tp.field == "rack_density_kw")].iloc[0]
    assert row["value"] == tiers["core"]["rack_density_kw"] == 120
    assert row["unit"] == "kW/rack"


def test_datasets_complete_and_cover_every_file() -> None:
    names = [d.name for d in cd.DATASETS]
    assert len(names) == len(set(names))
    for info in cd.DATASETS:
        for f in fields(info):
            value = getattr(info, f.name)
            assert isinstance(value, str) and value.strip(), (info.name, f.name)
        assert (DATA / info.file).is_file(), info.file
        assert cd.dataset_rows(info.name) > 0
    listed = {d.file for d in cd.DATASETS}
    shipped = {p.name for p in DATA.glob("*.csv")} | {p.name for p in DATA.glob("*.yaml")}
    shipped |= {f"topo/{p.name}" for p in (DATA / "topo").glob("*.json")}
    shipped |= {f"orlib/{p.name}" for p in (DATA / "orlib").glob("*.csv")}
    shipped |= {f"grid/{p.name}" for p in (DATA / "grid").iterdir() if p.suffix in (".csv", ".parquet")}
    assert shipped == listed


def test_orlib_folder_has_licence_readme_and_every_instance() -> None:
    orlib = DATA / "orlib"
    assert "MIT" in (orlib / "README.md").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in (orlib / "LICENSE-ORLibrary.txt").read_text(encoding="utf-8")
    optima = pd.read_csv(orlib / "optima.csv", comment="#")
    for name in optima["instance"].unique():
        assert (orlib / f"{name}.txt").is_file(), name


def test_topo_folder_has_licences_and_readme() -> None:
    topo = DATA / "topo"
    for name in ("LICENSE-us-atlas", "LICENSE-world-atlas"):
        text = (topo / name).read_text()
        assert "Permission to use, copy, modify" in text  # ISC
    readme = (topo / "README.md").read_text()
    assert "us-atlas" in readme and "3.0.1" in readme
    assert "world-atlas" in readme and "2.0.2" in readme
    assert "Natural Earth" in readme and "Census" in readme


def test_dataset_rows_matches_loaders() -> None:
    assert cd.dataset_rows("electricity_prices_us_states") == len(cd.load_state_prices()) == 51
    assert cd.dataset_rows("core_regions") == len(cd.load_core_regions())
    assert cd.dataset_rows("site_tiers") == 3
    assert cd.dataset_rows("us_states_outline") == 56  # 50 states, DC, 5 territories
    assert cd.dataset_rows("world_countries_outline") == 177
