"""Sections and districts of listed cities, outside the US: which GeoNames points to drop.

GeoNames lists, besides cities, the sections of populated places (feature code ``PPLX``: Hamburg's
Wandsbek and Altona, Berlin's Kreuzberg) and, as separate places, the districts, wards,
arrondissements and neighbourhoods of big cities (Tokyo's Setagaya, London's Croydon, "Paris 13
Gobelins" and "Paris 13e Arrondissement"). The city's own entry already counts their people, so
as demand points they count them twice. `section_parents` finds, for each point, the listed
city it is a section of, by three rules (each over points of the same country, within
`SECTION_MAX_KM` of a more populous point):

1. **feature code**: GeoNames classifies the point as a section of a populated place (``PPLX``,
   from ``coredge/data/geonames_features.csv``); the nearest more populous point is its parent;
2. **name**: the point's name is the parent's name followed by more words or a number
   ("Paris 13 Gobelins", "Hamburg-Nord", "Berlin Koepenick", "Lyon 03"), or names an
   administrative subdivision ("... Arrondissement", "Bezirk ...", "... Borough", "... Ward");
3. **city limits** (admin hierarchy and distance): the point lies in the parent's first-level
   division and within its limits. For the cities of ``coredge/data/city_limits.csv`` (whose
   GeoNames population is that of the whole municipality or city-region) the limits are the
   equal-area radius ``sqrt(area / pi)`` of the published land area, and a point is kept only
   when GeoNames (its 2012 codes) lists it as a populated place of its own whose admin codes
   name another municipality than the city's, or, where the city has no code below admin1, as a
   populated place at all (Tokyo's separate cities such as Chofu and Musashino). For other
   cities of at least `CITY_MIN_POPULATION` the radius follows from the population at
   `ASSUMED_DENSITY_PER_KM2`, and only points GeoNames did not list as cities in 2012 and that
   hold at most `DISTRICT_MAX_SHARE` of the city's people are dropped (Barcelona's districts and
   barris, but not L'Hospitalet; Shanghai's districts, but not Caloocan next to Quezon City); the same
   applies beyond the published radius of a listed city (Tokyo's Ota ward, 14.4 km from the
   city's point, past the 14.1 km equal-area radius of the 23 wards).

Rule 1 trusts GeoNames' own classification; rule 2 is how GeoNames names the subdivisions it
lists as places (the name repeats the city's); rule 3 covers the districts and neighbourhoods
added to GeoNames after 2012 without either (most of Tokyo's wards and Toronto's
neighbourhoods). A section is dropped only when its parent is itself a demand point (a more
populous point always is: the selection is by population), so the parent's population, the
figure the city publishes, is kept once. The US keeps its curated list
(``coredge/data/us_city_sections.csv``).

Examples
--------
>>> from coredge.inputs.demand import city_demand_points
>>> pts = city_demand_points(("DE",), min_population=200_000)
>>> "Wandsbek" in set(pts["name"])
False
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.data import DATA_DIR

SECTION_MAX_KM = 30.0
"""Farthest a section lies from its parent city's point [km] (assumption: GeoNames places a city's
point in its centre; the districts of the cities rule 3 covers lie within 25 km of it)."""

CITY_MIN_POPULATION = 500_000
"""Smallest city whose limits rule 3 estimates when ``city_limits.csv`` does not list it [persons]."""

ASSUMED_DENSITY_PER_KM2 = 3_000.0
"""Population density that sizes the limits of a city ``city_limits.csv`` does not list: radius
``sqrt(population / (pi x density))`` [persons/km2]. Assumption, at the low end of the large
cities listed there (Hamburg 2,600, Warsaw 3,600, Berlin 3,800, Toronto 4,400, London 5,600 per
km2 of land; their rows) so that the radius errs large; it applies only to points GeoNames did not
list as cities in 2012, which near a big city are districts and neighbourhoods added since."""

DISTRICT_MAX_SHARE = 0.25
"""Largest share of a city's people one of its districts holds, for the cities rule 3 estimates
[fraction]. From the sections found in the cities of ``city_limits.csv``: the largest is Hamburg's
Wandsbek, 411,422 of 1,973,896 (21%; GeoNames); Tokyo's Setagaya holds 10%, Berlin's largest
borough under 5%. A larger neighbour (Caloocan next to Quezon City, 56%) is a city of its own."""

SECTION_CODE = "PPLX"
"""GeoNames feature code of a section of a populated place."""

SUBDIVISION_WORDS: tuple[str, ...] = (
    "arrondissement", "bezirk", "stadtbezirk", "borough", "ward", "municipio", "district",
)  # fmt: skip
"""Words by which a GeoNames place name says it is an administrative subdivision (rule 2)."""


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return ascii_text.casefold().strip()


@lru_cache(maxsize=1)
def geonames_features() -> pd.DataFrame:
    """Feature code and admin2-4 codes by geonameid (``coredge/data/geonames_features.csv``)."""
    df = pd.read_csv(DATA_DIR / "geonames_features.csv", comment="#", dtype=str, keep_default_na=False)
    df["geonameid"] = df["geonameid"].astype(np.int64)
    return df.set_index("geonameid")


@lru_cache(maxsize=1)
def city_limits() -> pd.DataFrame:
    """Published population and land area of the cities of rule 3 (``coredge/data/city_limits.csv``)."""
    df = pd.read_csv(DATA_DIR / "city_limits.csv", comment="#", dtype={"admin1": str})
    df["radius_km"] = np.sqrt(df["area_km2"].to_numpy(dtype=np.float64) / np.pi)
    return df


def _name_says_section(child: str, parent: str) -> bool:
    """Rule 2: the child's name extends the parent's, or names an administrative subdivision."""
    c, p = _fold(child), _fold(parent)
    if len(c) > len(p) and c.startswith(p) and re.match(r"[\s\-_/(,]+\S", c[len(p):]):
        return True
    words = set(re.split(r"[^a-z0-9]+", c))
    return any(w in words for w in SUBDIVISION_WORDS)


def _own_municipality(child: int, parent: int, feats: pd.DataFrame) -> bool:
    """Rule 3's exception: GeoNames lists the child as a populated place of a municipality other
    than the parent's (or, the parent having no code below admin1, as a place at all)."""
    if child not in feats.index or feats.at[child, "feature_code"] == SECTION_CODE:
        return False
    if parent not in feats.index:
        return True
    c = [str(feats.at[child, f"admin{k}"]) for k in (2, 3, 4)]
    p = [str(feats.at[parent, f"admin{k}"]) for k in (2, 3, 4)]
    if not any(p):
        return True
    return any(a and b and a != b for a, b in zip(c, p, strict=True))


def _within_city_limits(
    child: int, parent: int, dist_km: float, child_pop: float, parent_pop: float,
    radius: dict[int, float], feats: pd.DataFrame,
) -> bool:
    """Rule 3: the child lies within the parent city's limits and is not a place of its own."""
    if parent in radius and dist_km <= radius[parent] and not _own_municipality(child, parent, feats):
        return True  # within published city limits
    if (parent_pop < CITY_MIN_POPULATION and parent not in radius) or child in feats.index:
        return False
    if child_pop > DISTRICT_MAX_SHARE * parent_pop:
        return False  # too large a share of the city's people to be one of its districts
    return dist_km <= min(SECTION_MAX_KM, math.sqrt(parent_pop / (math.pi * ASSUMED_DENSITY_PER_KM2)))


def section_parents(
    geonameid: npt.ArrayLike,
    name: npt.ArrayLike,
    country: npt.ArrayLike,
    admin1: npt.ArrayLike,
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    population: npt.ArrayLike,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """For each point, the index of the city it is a section of (-1 for none) and the rule.

    Parameters
    ----------
    geonameid, name, country, admin1 : array_like, shape (n,)
        GeoNames id, name, ISO2 country and admin1 code of each point.
    lat_deg, lon_deg : array_like, shape (n,)
        Coordinates [degrees].
    population : array_like, shape (n,)
        Population [persons].

    Returns
    -------
    (parent, rule) : ndarrays, shape (n,)
        ``parent[i]`` indexes the point's parent among the same points (always more populous), or
        -1; ``rule[i]`` is ``"feature_code"``, ``"name"``, ``"city_limits"`` or ``""``.

    Examples
    --------
    >>> parent, rule = section_parents([1, 2], ["Paris", "Paris 13 Gobelins"], ["FR", "FR"],
    ...                                ["11", "11"], [48.853, 48.83], [2.349, 2.36], [2e6, 1.8e5])
    >>> parent.tolist(), rule.tolist()
    ([-1, 0], ['', 'name'])
    """
    from coredge.geo import SpatialIndex

    gid = np.asarray(geonameid, dtype=np.int64)
    names = np.asarray(name, dtype=object)
    cc = np.asarray(country, dtype=object)
    a1 = np.asarray(admin1, dtype=object)
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    pop = np.asarray(population, dtype=np.float64)
    n = gid.size
    parent = np.full(n, -1, dtype=np.int64)
    rule = np.full(n, "", dtype=object)
    if n == 0:
        return parent, rule.astype(str)
    feats = geonames_features()
    limits = city_limits()
    radius = dict(zip(limits["geonameid"].astype(np.int64), limits["radius_km"], strict=True))
    nb = SpatialIndex(lat, lon).within_km(lat, lon, SECTION_MAX_KM)
    a, b, d = nb.a_index, nb.b_index, nb.distance_km
    ok = (a != b) & (cc[a] == cc[b]) & (pop[b] > pop[a])
    a, b, d = a[ok], b[ok], d[ok]  # sorted by child, then distance: the nearest parent first
    codes = feats["feature_code"].reindex(gid).fillna("").to_numpy(dtype=object)
    for i, j, dist in zip(a.tolist(), b.tolist(), d.tolist(), strict=True):
        if parent[i] >= 0:
            continue
        if codes[i] == SECTION_CODE:
            parent[i], rule[i] = j, "feature_code"
        elif _name_says_section(str(names[i]), str(names[j])):
            parent[i], rule[i] = j, "name"
        elif a1[i] == a1[j] and _within_city_limits(
            int(gid[i]), int(gid[j]), dist, float(pop[i]), float(pop[j]), radius, feats
        ):
            parent[i], rule[i] = j, "city_limits"
    # a section of a section belongs to the root city (the chain ends: parents are more populous)
    for i in np.flatnonzero(parent >= 0):
        while parent[parent[i]] >= 0:
            parent[i] = parent[parent[i]]
    return parent, rule.astype(str)


__all__ = [
    "ASSUMED_DENSITY_PER_KM2",
    "CITY_MIN_POPULATION",
    "DISTRICT_MAX_SHARE",
    "SECTION_CODE",
    "SECTION_MAX_KM",
    "SUBDIVISION_WORDS",
    "city_limits",
    "geonames_features",
    "section_parents",
]
