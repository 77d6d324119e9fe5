"""Which sites can serve which demand points within each class's RTT budget.

Pairs come from a k-d tree radius query (`coredge.geo.SpatialIndex`) with the radius given by the
inverse of the RTT model, never from an all-pairs matrix; classes without a budget reach every
site that serves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.geo import SpatialIndex, haversine_km
from coredge.inputs.build import Inputs
from coredge.latency import reach_km, rtt_ms


@dataclass(frozen=True)
class Pairs:
    """Reachable (demand point, site) pairs of one workload class, sorted by point then RTT."""

    point: npt.NDArray[np.int64]
    site: npt.NDArray[np.int64]
    rtt_ms: npt.NDArray[np.float64]
    distance_km: npt.NDArray[np.float64]


def tier_serves(inputs: Inputs, tier: str, class_id: str) -> bool:
    """Whether sites of `tier` may serve workload class `class_id`."""
    k = inputs.classes.index(class_id)
    spec = inputs.scenario.tiers.get(tier)  # type: ignore[call-overload]
    return spec is not None and bool(spec.serves_class(class_id, not math.isinf(inputs.rtt_budget_ms[k])))


def class_pairs(
    inputs: Inputs, lat: npt.ArrayLike, lon: npt.ArrayLike, k: int, index: SpatialIndex | None = None
) -> Pairs:
    """Pairs of demand points and sites (given by coordinates) within class `k`'s budget."""
    net = inputs.scenario.network
    plat = inputs.demand["lat"].to_numpy()
    plon = inputs.demand["lon"].to_numpy()
    budget = float(inputs.rtt_budget_ms[k])
    slat = np.asarray(lat, dtype=np.float64)
    slon = np.asarray(lon, dtype=np.float64)
    if math.isinf(budget):
        n, m = plat.size, slat.size
        p = np.repeat(np.arange(n, dtype=np.int64), m)
        s = np.tile(np.arange(m, dtype=np.int64), n)
        d = haversine_km(plat[p], plon[p], slat[s], slon[s])
    else:
        idx = index if index is not None else SpatialIndex(slat, slon)
        radius = reach_km(net, budget)
        nb = idx.within_km(plat, plon, radius)
        p, s, d = nb.a_index, nb.b_index, nb.distance_km
    rtt = rtt_ms(net, d)
    keep = rtt <= budget + 1e-9
    p, s, d, rtt = p[keep], s[keep], d[keep], rtt[keep]
    order = np.lexsort((rtt, p))
    return Pairs(p[order], s[order], rtt[order], d[order])


def reachable_pairs(inputs: Inputs, sites: pd.DataFrame) -> dict[tuple[int, int], list[tuple[int, float]]]:
    """For each (point, class): the opened sites that serve the class within budget, nearest first."""
    out: dict[tuple[int, int], list[tuple[int, float]]] = {}
    if sites.empty:
        return out
    tiers = sites["tier"].to_numpy()
    lat = sites["lat"].to_numpy()
    lon = sites["lon"].to_numpy()
    index = SpatialIndex(lat, lon)
    for k, cid in enumerate(inputs.classes):
        ok_site = np.array([tier_serves(inputs, str(t), cid) for t in tiers])
        pr = class_pairs(inputs, lat, lon, k, index)
        mask = ok_site[pr.site]
        for p, s, r in zip(pr.point[mask], pr.site[mask], pr.rtt_ms[mask], strict=True):
            out.setdefault((int(p), k), []).append((int(s), float(r)))
    return out
