"""Demand aggregation with a bound: metro clusters of demand points and their relaxation.

Demand points of one class are grouped into clusters (greedy radius clustering, largest load
first). The *cluster relaxation* replaces the class's per-point groups by one group per cluster
whose load is the members' total and which may be served by every facility reachable within
budget from **any** member (the union of the members' reachable sets).

**Why it is a relaxation.** Take any solution of the per-point model (shares ``x_gf``, backup
``b_gf``, ``B_g``, unmet ``u_g``, the rest unchanged). For a cluster ``c`` with members ``g``
(loads ``l_g``, total ``l_c``; uniform growth, so each year's loads are the reference-year ones
times one ratio) set ``X_cf = sum_g l_g x_gf / l_c``, likewise ``b_cf``, ``B_c``, ``u_c``. Every
``X_cf`` uses a facility in the union; ``sum_f X_cf + u_c = 1``; ``X_cf + b_cf <= B_c`` and
``X_cf + b_cf <= n_f`` (linking) are load-weighted averages of the members' rows;
the facility loads ``L_f = sum_c l_c X_cf = sum_g l_g x_gf`` and ``R_f`` are unchanged, so every
capacity, state-cap, training and module row holds. The costs are per MW at the facility
(energy, modules) or per MW of unmet load (the penalty, also for the years before a facility is
online, which depends only on the facility and the load profile): none depends on the demand
point, so the cluster solution costs exactly the same. Hence the cluster model's optimum, and any
valid lower bound on it, bounds the per-point model from below. Groups with no load are dropped
(removing rows of zero-load groups only relaxes). Clusters of the pooled (no-budget) groups are
the groups themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs
from coredge.latency import reach_km
from coredge.plan import model as sm

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_RADIUS_FRAC = 0.15
"""Cluster radius as a fraction of the class's reach (great-circle km within its RTT budget)
(tuning choice: the union of reachable sets then differs from a member's by a thin rim)."""

DEFAULT_MIN_RADIUS_KM = 25.0
"""Smallest cluster radius [km]: a metro area (assumption, the 20-40 km of a metro region)."""


@dataclass(frozen=True)
class Clusters:
    """The cluster relaxation's groups and pairs and how per-point groups map onto them.

    Attributes
    ----------
    groups : Groups
        One group per cluster (``point`` = the cluster's centre point, -1 for pooled groups).
    pairs : PairTable
        The union of the members' reachable pairs, sorted by cluster then RTT (min over members).
    of_group : ndarray of int, shape (G,)
        Cluster of each per-point group (-1 for groups with no load, dropped).
    radius_km : ndarray, shape (K,)
        Radius used per class [km] (0 for pooled classes).
    """

    groups: sm.Groups
    pairs: sm.PairTable
    of_group: IntArray
    radius_km: FloatArray


def class_radius_km(inputs: Inputs, frac: float = DEFAULT_RADIUS_FRAC,
                    min_km: float = DEFAULT_MIN_RADIUS_KM) -> FloatArray:
    """Cluster radius per class: ``max(min_km, frac x reach)`` [km], 0 without a budget.

    Parameters
    ----------
    inputs : Inputs
    frac : float
        Share of the class's reach [fraction].
    min_km : float
        Smallest radius [km].

    Returns
    -------
    ndarray, shape (K,)
        Radius per class [km].

    Examples
    --------
    A 50 ms class reaches about 2,400 km, so ``frac=0.15`` gives about 360 km.
    """
    net = inputs.scenario.network
    out = np.zeros(inputs.n_classes)
    for k in range(inputs.n_classes):
        b = float(inputs.rtt_budget_ms[k])
        if math.isinf(b):
            continue
        reach = float(reach_km(net, b))
        out[k] = max(min_km, frac * reach)
    return out


def build_clusters(inputs: Inputs, fac: sm.Facilities, groups: sm.Groups, full: sm.PairTable,
                   radius_km: FloatArray | None = None) -> Clusters:
    """Greedy radius clustering per class and the union pair table of the cluster relaxation.

    Per class: the unassigned point with the largest reference-year load becomes a centre and
    takes every unassigned point within ``radius_km[k]`` of it; repeat.

    Parameters
    ----------
    inputs : Inputs
    fac, groups, full
        Facilities, per-point groups and every reachable pair (`scenario_model`).
    radius_km : ndarray, shape (K,), optional
        Radius per class [km]; default `class_radius_km`.

    Returns
    -------
    Clusters

    Examples
    --------
    ``cl = build_clusters(inputs, fac, groups, full)``; ``sm.build_model(inputs, fac, cl.groups,
    cl.pairs, econ, resilient)`` is then a relaxation of the per-point model.
    """
    rad = class_radius_km(inputs) if radius_km is None else np.asarray(radius_km, dtype=np.float64)
    lat = inputs.demand["lat"].to_numpy(dtype=np.float64)
    lon = inputs.demand["lon"].to_numpy(dtype=np.float64)
    ref = groups.load_mw[:, -1]
    has = groups.load_mw.max(axis=1) > 0
    of = -np.ones(groups.count, dtype=np.int64)
    centre: list[int] = []
    klass: list[int] = []
    nc = 0
    for k in range(inputs.n_classes):
        gs = np.flatnonzero((groups.klass == k) & has)
        if gs.size == 0:
            continue
        if groups.point[gs[0]] < 0 or rad[k] <= 0:
            for g in gs:
                of[g] = nc
                centre.append(int(groups.point[g]))
                klass.append(k)
                nc += 1
            continue
        pts = groups.point[gs]
        left = np.ones(gs.size, dtype=bool)
        for i in np.argsort(-ref[gs], kind="stable"):
            if not left[i]:
                continue
            cand = np.flatnonzero(left)
            d = haversine_km(lat[pts[i]], lon[pts[i]], lat[pts[cand]], lon[pts[cand]])
            mem = cand[np.asarray(d) <= rad[k]]
            mem = np.union1d(mem, [i])
            of[gs[mem]] = nc
            left[mem] = False
            centre.append(int(pts[i]))
            klass.append(k)
            nc += 1
    load = np.zeros((nc, groups.load_mw.shape[1]))
    np.add.at(load, of[has], groups.load_mw[has])
    # A cluster keeps a backup only if every member must (fewer rows: still a relaxation).
    backup = None
    if groups.backup is not None:
        exempt = np.zeros(nc, dtype=bool)
        np.logical_or.at(exempt, of[has], ~groups.backup[has])
        backup = ~exempt
    cg = sm.Groups(np.asarray(centre, dtype=np.int64), np.asarray(klass, dtype=np.int64), load, backup)
    keep = of[full.group] >= 0
    c = of[full.group[keep]]
    f = full.fac[keep]
    r = full.rtt_ms[keep]
    key = c * fac.count + f
    order = np.lexsort((r, key))
    key, r = key[order], r[order]
    first = np.r_[True, np.diff(key) != 0]
    key, r = key[first], r[first]
    pc, pf = key // fac.count, key % fac.count
    order = np.lexsort((r, pc))
    pairs = sm.PairTable(pc[order].astype(np.int64), pf[order].astype(np.int64), r[order])
    return Clusters(cg, sm.with_mw_factor(inputs, fac, cg, pairs), of, rad)


__all__ = ["Clusters", "build_clusters", "class_radius_km"]
