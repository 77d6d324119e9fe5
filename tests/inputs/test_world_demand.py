"""World demand without double counting: GeoNames sections and districts of a listed city are
not demand points of their own (`coredge.inputs.sections`), and the people counted in each large
city match its published population (``coredge/data/city_limits.csv``, source and year per row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coredge.geo import haversine_km
from coredge.inputs.demand import city_demand_points
from coredge.inputs.sections import city_limits, section_parents

LIMITS = city_limits()
CORE_FRACTION = 0.5
"""The test counts demand inside half the city's equal-area radius: that core lies inside the city
limits whatever their shape, so every person counted there belongs to the city."""


@pytest.fixture(scope="module")
def points() -> dict[str, pd.DataFrame]:
    return {cc: city_demand_points((cc,), min_population=15_000) for cc in sorted(set(LIMITS["country"]))}


def test_reference_cities_cover_at_least_ten_countries() -> None:
    assert LIMITS["country"].nunique() >= 10
    for col in ("population_source", "area_source"):
        assert LIMITS[col].str.len().min() > 20
    assert LIMITS["population_year"].between(2010, 2025).all()


@pytest.mark.parametrize("city", LIMITS["city"].tolist())
def test_people_counted_in_a_city_match_its_published_population(
    city: str, points: dict[str, pd.DataFrame]
) -> None:
    row = LIMITS.set_index("city").loc[city]
    pts = points[str(row["country"])]
    me = pts[pts["id"].str.endswith(f"-{int(row['geonameid'])}")]
    assert len(me) == 1, f"{city} is not a demand point"
    d = haversine_km(float(me["lat"].iloc[0]), float(me["lon"].iloc[0]), pts["lat"], pts["lon"])
    counted = float(pts["population"].to_numpy()[d <= CORE_FRACTION * float(row["radius_km"])].sum())
    assert counted == pytest.approx(float(row["population"]), rel=0.10), (city, counted)


DISTRICTS = {
    "DE": {"Hamburg": ["Wandsbek", "Altona", "Harburg", "Eimsbüttel", "Hamburg-Mitte", "Hamburg-Nord",
                       "Marienthal", "Bergedorf", "Rahlstedt"],
           "Berlin": ["Kreuzberg", "Neukölln", "Prenzlauer Berg", "Charlottenburg", "Spandau",
                      "Friedrichshain", "Schöneberg", "Marzahn", "Berlin Köpenick"],
           "Köln": ["Nippes", "Rodenkirchen"]},
    "FR": {"Paris": ["Paris 13 Gobelins", "Paris 13e Arrondissement", "Paris 15 Vaugirard",
                     "Paris 11e Arrondissement", "Picpus", "Gare"],
           "Lyon": ["Lyon 03", "Lyon 08"], "Marseille": ["Marseille 08", "Marseille 13"]},
    "GB": {"London": ["Croydon", "Islington", "Brent", "City of Westminster", "Barking", "Battersea",
                      "Brixton", "Archway"]},
    "JP": {"Tokyo": ["Setagaya", "Shinjuku", "Shibuya", "Adachi", "Itabashi", "Minato City",
                     "Katsushika", "Toshima"]},
    "ES": {"Madrid": ["Carabanchel", "Latina", "Fuencarral-El Pardo", "Madrid Centro"],
           "Barcelona": ["Eixample", "Sant Martí", "Sants-Montjuïc", "Gràcia"]},
    "CN": {"Shanghai": ["Pudong", "Minhang", "Xuhui"]},
}


@pytest.mark.parametrize("country", sorted(DISTRICTS))
def test_no_district_of_a_listed_city_is_its_own_point(country: str) -> None:
    pts = city_demand_points((country,), min_population=15_000)
    names = set(pts["name"])
    for city, districts in DISTRICTS[country].items():
        assert city in names
        assert not names & set(districts), (city, sorted(names & set(districts)))
    if country == "JP":  # Tokyo's Ota ward (GeoNames 8469289), not Ota city in Gunma
        assert not pts["id"].str.endswith("-8469289").any()
        assert "Ōta" in names


SEPARATE = {
    "FR": ["Boulogne-Billancourt", "Montreuil", "Saint-Denis", "Versailles"],
    "JP": ["Kawasaki", "Kawaguchi", "Chōfu", "Yokohama"],
    "DE": ["Potsdam", "Norderstedt", "Offenbach"],
    "ES": ["L'Hospitalet de Llobregat", "Getafe", "Leganés"],
    "CA": ["Mississauga", "Brampton"],
    "PH": ["Caloocan", "Manila", "Quezon City"],  # cities of their own in Metro Manila
}


@pytest.mark.parametrize("country", sorted(SEPARATE))
def test_separate_municipalities_next_to_a_city_stay(country: str) -> None:
    names = set(city_demand_points((country,), min_population=15_000)["name"])
    assert set(SEPARATE[country]) <= names, sorted(set(SEPARATE[country]) - names)


def test_sections_keep_the_city_population_once() -> None:
    """Dropping sections removes their people only, never the city's own entry."""
    with_sections = city_demand_points(("DE", "FR"), min_population=100_000, drop_city_sections=False)
    without = city_demand_points(("DE", "FR"), min_population=100_000)
    assert set(without["id"]) < set(with_sections["id"])
    for city in ("Berlin", "Paris", "Hamburg", "Munich", "Lyon"):
        a = with_sections.loc[with_sections["name"] == city, "population"].max()
        b = without.loc[without["name"] == city, "population"].max()
        assert a == b


def test_rules_on_a_small_example() -> None:
    parent, rule = section_parents(
        [1, 2, 3, 4], ["Hamburg", "Hamburg-Nord", "Wandsbek", "Lübeck"], ["DE"] * 4,
        ["04", "04", "04", "01"], [53.55, 53.59, 53.58, 53.87], [9.99, 10.0, 10.08, 10.69],
        [1.9e6, 3.1e5, 4.1e5, 2.2e5],
    )
    assert parent.tolist()[:2] == [-1, 0] and rule.tolist()[1] == "name"
    assert parent[3] == -1  # another city, 60 km away
    assert np.all(parent[parent >= 0] == 0)
