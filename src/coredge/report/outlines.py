"""Map outlines for the report: TopoJSON arcs decoded by hand from the vendored us-atlas and
world-atlas files (plotly's geo maps would fetch base maps at view time; the report is offline).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from coredge.data import CONTIGUOUS_US_STATES, STATE_FIPS, read_topo
from coredge.errors import InputError

Polyline = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def decode_arcs(topology: dict[str, Any]) -> list[npt.NDArray[np.float64]]:
    """Decode the arcs of a TopoJSON topology into absolute coordinates.

    Quantized topologies (with a ``transform``) store each arc as delta-encoded integer
    positions: position k is the cumulative sum of deltas 0..k, then scaled and translated.
    Without a ``transform`` positions are already absolute.

    Parameters
    ----------
    topology : dict
        Parsed TopoJSON ``Topology`` object.

    Returns
    -------
    list of ndarray
        One ``(n, 2)`` array of (x, y) per arc [input units; degrees for lon/lat files].

    Examples
    --------
    >>> topo = {"transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
    ...         "arcs": [[[0, 0], [2, 4], [1, -4]]]}
    >>> decode_arcs(topo)[0].tolist()
    [[10.0, 20.0], [11.0, 21.0], [11.5, 20.0]]
    """
    transform = topology.get("transform")
    arcs = topology["arcs"]
    if not arcs:
        return []
    lengths = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    if all(len(p) == 2 for a in arcs for p in a):
        # fast path: one flat array for all arcs (the usual 2-D case)
        flat = np.fromiter(
            chain.from_iterable(chain.from_iterable(arcs)), dtype=np.float64
        ).reshape(-1, 2)
    else:  # positions carry extra dimensions: keep x, y
        flat = np.array([p[:2] for a in arcs for p in a], dtype=np.float64).reshape(-1, 2)
    if transform:
        scale = np.asarray(transform["scale"], dtype=np.float64)
        translate = np.asarray(transform["translate"], dtype=np.float64)
        # delta decoding restarts at every arc: cumulative sum over all points, minus the
        # running total reached before each arc's first point
        total = np.cumsum(flat, axis=0)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        before = np.zeros((len(arcs), 2))
        before[1:] = total[starts[1:] - 1]
        flat = (total - np.repeat(before, lengths, axis=0)) * scale + translate
    return np.split(flat, np.cumsum(lengths)[:-1])


def _arc_indices(geometry: dict[str, Any]) -> Iterable[int]:
    """All arc indices referenced by a geometry (reversed ones, ``~i``, mapped to ``i``)."""
    gtype = geometry.get("type")
    if gtype == "GeometryCollection":
        for g in geometry.get("geometries", []):
            yield from _arc_indices(g)
        return
    arcs = geometry.get("arcs")
    if arcs is None:  # Point, MultiPoint, null geometry
        return
    depth = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}.get(
        str(gtype), 0
    )
    stack: list[tuple[Any, int]] = [(arcs, depth)]
    while stack:
        item, d = stack.pop()
        if d <= 1:
            for i in item:
                yield int(i) if i >= 0 else ~int(i)
        else:
            stack.extend((sub, d - 1) for sub in item)


@lru_cache(maxsize=2)
def _outline(region: str) -> tuple[Polyline, ...]:
    if region == "us":
        topo = read_topo("topo/us-states-10m.json")
        wanted = {STATE_FIPS[s] for s in CONTIGUOUS_US_STATES}
        geoms = [g for g in topo["objects"]["states"]["geometries"] if str(g.get("id")) in wanted]
    else:
        topo = read_topo("topo/world-countries-110m.json")
        geoms = list(topo["objects"]["countries"]["geometries"])
    arcs = decode_arcs(topo)
    used = sorted({i for g in geoms for i in _arc_indices(g)})
    lines: list[Polyline] = []
    for i in used:
        a = arcs[i]
        # split where an arc wraps across the antimeridian (a jump of > 180 deg in longitude),
        # so that drawing the pieces does not streak across the whole map
        cuts = np.flatnonzero(np.abs(np.diff(a[:, 0])) > 180.0) + 1
        for piece in np.split(a, cuts):
            if len(piece) < 2:
                continue
            lon, lat = piece[:, 0].copy(), piece[:, 1].copy()
            lon.setflags(write=False)
            lat.setflags(write=False)
            lines.append((lon, lat))
    return tuple(lines)


def outline_lines(region: Literal["us", "world"]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Map outlines as lon/lat polylines, decoded by hand from the vendored TopoJSON.

    Parameters
    ----------
    region : {"us", "world"}
        ``"us"``: state borders and coast of the 48 contiguous states + DC (US Census 2017,
        us-atlas). ``"world"``: country borders and coasts (Natural Earth 1:110m, world-atlas).

    Returns
    -------
    list of (lon, lat)
        One polyline per TopoJSON arc (a shared border appears once; an arc that wraps across
        the antimeridian is split there) [degrees]. The arrays are read-only (cached); copy
        before modifying.

    Raises
    ------
    InputError
        Unknown region.

    Examples
    --------
    >>> lines = outline_lines("us")
    >>> lon_min = min(float(lon.min()) for lon, _ in lines)
    >>> -125.0 < lon_min < -124.0
    True
    """
    if region not in ("us", "world"):
        raise InputError.of("region", region, "one of: us, world")
    return list(_outline(region))
