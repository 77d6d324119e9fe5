"""Regions that latency budgets keep apart: the connected components of the reachability graph.

Demand points and candidate facilities are the nodes; a latency-bound pair (a point and a
facility of a tier that serves the class, within the class's RTT budget, `coredge.plan.reach`)
is an edge. Two components share no latency-bound pair, so their latency-bound groups, edge
sites and reserves are independent: the only rows that couple them are those of the classes
without a budget (batch, pooled at every core campus) and of training (one total per year over
every core campus), and the state caps and yearly capex budget when a scenario sets them.

This is what a decomposition by region rests on (docs/world.md): relax the coupling rows with
multipliers (Lagrangian relaxation) and the sum of the components' minima plus the multipliers'
constant is a lower bound on the full model for *any* multipliers, so the bound stays valid
whether or not the multipliers have converged; the plans of the components, with batch and
training placed by one global pass, are a feasible plan whose cost is the upper bound.
`latency_regions` measures how far a scenario splits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from coredge.inputs.build import Inputs
from coredge.plan.facilities import build_facilities
from coredge.plan.reach import class_pairs, tier_serves


@dataclass(frozen=True)
class LatencyRegions:
    """The components of the latency-bound reachability graph of a scenario.

    Attributes
    ----------
    point_region : ndarray of int, shape (N,)
        Component of each demand point; ``-1`` where no latency-bound class reaches any facility.
    facility_region : ndarray of int, shape (F,)
        Component of each candidate facility (`coredge.plan.facilities.Facilities`); ``-1``
        where it serves no latency-bound pair.
    facility_site : ndarray of int, shape (F,)
        Candidate row of each facility.
    pairs : ndarray of int, shape (R,)
        Latency-bound (point, class, facility) pairs within budget in each component.
    load_mw : ndarray of float, shape (R,)
        Final-year latency-bound load of each component's points [MW].
    """

    point_region: npt.NDArray[np.int64]
    facility_region: npt.NDArray[np.int64]
    facility_site: npt.NDArray[np.int64]
    pairs: npt.NDArray[np.int64]
    load_mw: npt.NDArray[np.float64]

    @property
    def count(self) -> int:
        """Number of components with at least one pair."""
        return int(self.pairs.size)

    @property
    def largest_pair_share(self) -> float:
        """Share of all latency-bound pairs in the largest component [fraction] (1.0: no split)."""
        total = int(self.pairs.sum())
        return float(self.pairs.max()) / total if total else 0.0


def latency_regions(inputs: Inputs, max_budget_ms: float = math.inf) -> LatencyRegions:
    """Connected components of the graph whose edges are the latency-bound pairs within budget.

    Each node is a demand point or a candidate facility (site and tier) that can come online
    within the horizon; classes without a budget add no edges (they couple every component
    through the core campuses, see the module docstring).

    Parameters
    ----------
    inputs : Inputs
    max_budget_ms : float
        Only classes with an RTT budget at most this add edges [ms] (to see which classes join
        the regions); ``inf``: every latency-bound class.
    """
    fac = build_facilities(inputs)
    lat = fac.table["lat"].to_numpy(dtype=np.float64)
    lon = fac.table["lon"].to_numpy(dtype=np.float64)
    n, f = inputs.n_points, int(fac.count)
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    final = inputs.load_mw[:, :, -1]
    for k, cid in enumerate(inputs.classes):
        budget = float(inputs.rtt_budget_ms[k])
        if math.isinf(budget) or budget > max_budget_ms:
            continue
        serves = np.flatnonzero([tier_serves(inputs, str(t), cid) for t in fac.tier])
        if serves.size == 0:
            continue
        pr = class_pairs(inputs, lat[serves], lon[serves], k)
        keep = final[pr.point, k] > 0
        rows.append(pr.point[keep].astype(np.int64))
        cols.append(n + serves[pr.site[keep]].astype(np.int64))
    a = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    b = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(n + f, n + f))
    _, label = connected_components(graph, directed=False)
    touched = np.zeros(n + f, dtype=bool)
    touched[a] = True
    touched[b] = True
    # renumber the components that hold a pair 0..m-1, largest first
    used = np.unique(label[a]) if a.size else np.zeros(0, dtype=np.int64)
    pair_count = np.array([int((label[a] == c).sum()) for c in used], dtype=np.int64)
    order = used[np.argsort(-pair_count, kind="stable")]
    new = np.full(label.max() + 1 if label.size else 0, -1, dtype=np.int64)
    new[order] = np.arange(order.size)
    region = np.where(touched, new[label], -1)
    point_region = region[:n]
    lat_load = final[:, inputs.rtt_budget_ms <= max_budget_ms].sum(axis=1)
    load = np.array([float(lat_load[point_region == r].sum()) for r in range(order.size)])
    return LatencyRegions(
        point_region=point_region,
        facility_region=region[n:],
        facility_site=np.asarray(fac.site, dtype=np.int64),
        pairs=np.sort(pair_count)[::-1],
        load_mw=load,
    )
