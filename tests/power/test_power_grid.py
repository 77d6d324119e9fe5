"""The shipped hourly grid tables: coverage, provenance headers, carbon from fuel mix, fallbacks.

Truth from outside the code: the shared folder's Electricity Maps hourly carbon (ODbL, not
shipped: the comparison skips without ../shared) and the source's own average intensity.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from coredge.data import DATASETS, dataset_rows
from coredge.power import grid
from coredge_testing import shared_file


def test_demand_is_complete_for_22_bas_and_9_years() -> None:
    df = pd.read_parquet(grid.GRID_DIR / grid.DEMAND_FILE)
    assert df.shape == (78911, 22)
    assert not df.isna().any().any()
    assert (df > 0).all().all()
    assert df.index[0] == pd.Timestamp("2016-01-01", tz="UTC")
    assert set(df.columns) == set(grid.balancing_areas().index) == set(grid.duke_headroom_gw().index)


@pytest.mark.parametrize("name", sorted(p.name for p in grid.GRID_DIR.glob("*.csv")))
def test_grid_csv_headers_give_source_year_unit_licence(name: str) -> None:
    head = "".join(ln for ln in (grid.GRID_DIR / name).read_text().splitlines(True) if ln.startswith("#"))
    for key in ("source", "year", "unit", "licen"):
        assert re.search(rf"#.*\b{key}", head, flags=re.IGNORECASE), (name, key)


def test_grid_files_are_registered_and_small() -> None:
    files = {d.file for d in DATASETS if d.file.startswith("grid/")}
    shipped = {f"grid/{p.name}" for p in grid.GRID_DIR.iterdir() if p.suffix in (".csv", ".parquet")}
    assert files == shipped
    assert sum(p.stat().st_size for p in grid.GRID_DIR.iterdir()) < 5_000_000
    assert dataset_rows("grid_demand_22ba") == 78911


def test_every_core_region_is_mapped() -> None:
    from coredge.data import load_core_regions

    for region in load_core_regions()["id"]:
        g = grid.region_grid(region)
        assert g["headroom_ba"] in ("", *grid.balancing_areas().index)
        assert g["price_hub"] in ("", *grid.price_hubs())
        assert g["fuel_mix_ba"] in ("", *grid.fuel_mix_bas())


def test_region_hourly_has_8760_finite_hours_and_labels_fallbacks() -> None:
    h = grid.region_hourly("dallas-fort-worth", "TX")
    assert h.price_usd_per_mwh.shape == h.carbon_g_per_kwh.shape == (8760,)
    assert np.isfinite(h.price_usd_per_mwh).all() and np.isfinite(h.carbon_g_per_kwh).all()
    assert "ERCOT_NORTH" in h.price_source and "ERCO" in h.carbon_source
    v = grid.region_hourly("northern-virginia", "VA")
    assert v.price_source.startswith("flat") and np.ptp(v.price_usd_per_mwh) == 0.0
    assert "PJM" in v.carbon_source and np.ptp(v.carbon_g_per_kwh) > 0


def test_carbon_from_fuel_mix_matches_the_source_average_with_its_factors() -> None:
    # the dc-rl extraction carried its own generation-weighted intensity (IPCC AR5 factors);
    # coredge's formula with the same factors must give it back
    path = shared_file("data/grid_hourly/carbon/eia930_net_generation_by_fuel_mwh_2022_8ba.csv.gz",
                       "the dc-rl extraction's own average intensity")
    src = pd.read_csv(path).dropna()
    fuels = ["WND", "SUN", "WAT", "OIL", "NG", "COL", "NUC", "OTH"]
    ci = grid.carbon_intensity_g_per_kwh(src[fuels], "ipcc_ar5_lifecycle_g_per_kwh")
    ok = np.isfinite(ci) & (src[fuels].clip(lower=0).sum(axis=1) > 0).to_numpy()
    assert np.allclose(ci[ok], src["source_avg_ci_gco2eq_per_kwh"].to_numpy()[ok], rtol=1e-3)


@pytest.mark.parametrize("ba", ["CISO", "ERCO", "NYIS", "PJM"])
def test_fuel_mix_carbon_tracks_electricity_maps(ba: str) -> None:
    # Electricity Maps (ODbL, not shipped) life-cycle, consumption-based intensity, 2022
    path = shared_file("data/grid_hourly/carbon/"
                       "electricitymaps_carbon_intensity_lca_gco2eq_per_kwh_2021-2024.csv.gz",
                       "Electricity Maps hourly carbon (ODbL: not redistributed with coredge)")
    em = pd.read_csv(path, index_col="time_utc", parse_dates=True)[ba].reindex(grid.YEAR_HOURS)
    ours, _ = grid.hourly_carbon_g_per_kwh(ba, "ipcc_ar5_lifecycle_g_per_kwh")
    ok = em.notna().to_numpy()
    # annual means within 25 % (production- vs consumption-based: imports differ), hours correlate
    assert ours[ok].mean() == pytest.approx(em.to_numpy()[ok].mean(), rel=0.25)
    assert np.corrcoef(ours[ok], em.to_numpy()[ok])[0, 1] > 0.6
