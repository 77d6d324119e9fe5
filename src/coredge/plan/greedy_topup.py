"""Capacity top-up for the greedy planner: more edge sites where a latency-bound class's load
is left unserved because the sites that cover its points are full.

The greedy's coverage step (`coredge.plan.greedy`) opens the fewest sites that put every point
within some open site's reach; it does not count their capacity. Where one 20 MW regional site
covers a metropolis of many millions (the world scenario), the nearest-first assignment fills
it and leaves the rest unserved, and a warm start below the MILP's coverage target pays the
coverage shortfall price (1e12 USD per MW) in full. `top_up_sites` picks, for each class short of
``planning.min_coverage_frac`` (tightest budget first), unopened candidates of the tiers that
serve the class (a core campus too, where the core serves it: the unserved load is then GW, not
a few MW) by weighted set cover on the unserved final-year load, each counted up to its own capacity,
until the picked capacity covers that load. Only a class short of the target by at least one
regional site's largest IT load (``tiers.regional.it_mw_max``, 20 MW built in) is topped up:
smaller shortfalls come from remote points and whole-module rounding, which the MILP settles
(on the default US scenario every class is short by less than 2 MW and nothing changes;
topping those up too gave a cheaper greedy plan but a weaker certified bound, 12.9 % -> 45.2 %,
measured 2026-12-04).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.inputs.build import Inputs
from coredge.plan.reach import class_pairs, tier_serves
from coredge.plan.result import Plan, coverage_by_class
from coredge.scenario.schema import TIER_IDS

TOP_UP_ROUNDS = 4
"""Most rounds of top-up and rebuild the greedy planner makes [rounds]."""


def _site_capacity_mw(inputs: Inputs) -> npt.NDArray[np.float64]:
    """IT MW each candidate holds at its largest allowed tier, within its grid power [MW]
    (as the greedy planner counts it)."""
    cand = inputs.candidates
    tiers = inputs.scenario.tiers
    allow = {t: cand[f"allow_{t}"].to_numpy(dtype=bool) for t in TIER_IDS}
    tier_of = np.where(allow["core"], "core", np.where(allow["regional"], "regional", "micro"))
    pue = np.array([cand[f"pue_{t}"].iat[j] for j, t in enumerate(tier_of)], dtype=np.float64)
    max_mw = np.array([tiers[t].it_mw_max for t in tier_of], dtype=np.float64)
    return np.asarray(np.minimum(max_mw, cand["grid_available_mw"].to_numpy(dtype=np.float64) / pue))


def unserved_mw(inputs: Inputs, plan: Plan, k: int) -> npt.NDArray[np.float64]:
    """Final-year load of class `k` each point is left without within budget [MW], shape (N,)."""
    a = plan.assignments
    rows = a[a["class_index"] == k]
    online = plan.sites["online_year"].to_numpy()
    ok = (rows["rtt_ms"].to_numpy() <= float(inputs.rtt_budget_ms[k]) + 1e-9) & (
        online[rows["site_index"].to_numpy()] <= int(plan.years[-1]))
    served = np.zeros(inputs.n_points)
    np.add.at(served, rows["point_index"].to_numpy()[ok], rows["share"].to_numpy()[ok])
    return np.asarray(inputs.load_mw[:, k, -1] * np.clip(1.0 - served, 0.0, 1.0))


def top_up_sites(inputs: Inputs, plan: Plan, already: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Candidates to open so that the classes below the coverage target can be served.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan
        The greedy plan so far.
    already : ndarray of bool, shape (C,)
        Candidates a previous round picked.

    Returns
    -------
    ndarray of bool, shape (C,)
        New candidates to open (none when every latency-bound class meets the target or no
        unopened candidate reaches its unserved load).
    """
    target = float(inputs.scenario.planning.min_coverage_frac)
    cand = inputs.candidates
    n_cand = len(cand)
    index = {str(c): j for j, c in enumerate(cand["id"])}
    open_now = already.copy()
    for sid in plan.sites["site_id"]:
        j = index.get(str(sid))
        if j is not None:
            open_now[j] = True
    cap_left = _site_capacity_mw(inputs)
    cov = coverage_by_class(inputs, plan)
    lat = cand["lat"].to_numpy(dtype=np.float64)
    lon = cand["lon"].to_numpy(dtype=np.float64)
    picked = np.zeros(n_cand, dtype=bool)
    min_shortfall_mw = float(inputs.scenario.tiers["regional"].it_mw_max)
    for k in sorted(range(inputs.n_classes), key=lambda k: float(inputs.rtt_budget_ms[k])):
        cid = inputs.classes[k]
        if math.isinf(float(inputs.rtt_budget_ms[k])) or cov[cid]["coverage"] >= target:
            continue
        # a shortfall below one regional site is remote points and module rounding, which the
        # MILP settles; a shortfall of a whole site or more is capacity the coverage step missed
        if target * cov[cid]["demand_mw"] - cov[cid]["served_mw"] < min_shortfall_mw:
            continue
        serves = np.zeros(n_cand, dtype=bool)
        for t in TIER_IDS:
            if tier_serves(inputs, t, cid):
                serves |= cand[f"allow_{t}"].to_numpy(dtype=bool)
        free = serves & ~open_now & ~picked
        if not free.any():
            continue
        left = unserved_mw(inputs, plan, k)
        pr = class_pairs(inputs, lat, lon, k)
        m = free[pr.site] & (left[pr.point] > 0)
        if not m.any():
            continue
        at = sp.csr_matrix((np.ones(int(m.sum())), (pr.site[m], pr.point[m])), shape=(n_cand, inputs.n_points))
        need = float(left[np.unique(pr.point[m])].sum())
        got = 0.0
        while got < need:
            reach = at @ left
            score = np.minimum(reach, cap_left)
            score[~free | picked] = 0.0
            j = int(np.argmax(score))
            if score[j] <= 1e-9:
                break
            picked[j] = True
            take = float(score[j])
            got += take
            cap_left[j] -= take
            # the picked site absorbs that much of the load it reaches, in proportion
            pts = at.getrow(j).indices
            left[pts] *= max(0.0, 1.0 - take / float(reach[j]))
    return picked
