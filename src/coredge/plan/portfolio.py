"""The plan: which sites, which tier, how many MW/GPUs in which year, and who is served where.

`Plan` is what every planner (greedy heuristic or MILP) returns and what the simulator and the
finance stage read. Shared post-processing lives here: module rounding, online years from lead
times, coverage per class, the single-site-failure check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.inputs import Inputs

FloatArray = npt.NDArray[np.float64]


def online_year(start_year: int, months: float | FloatArray) -> Any:
    """First plan year in which capacity started at the beginning of `start_year` counts.

    Capacity counts in a year when it is online by 1 July of that year: ``start_year +
    floor((months + 6) / 12)``.

    Parameters
    ----------
    start_year : int
        Year the build decision is taken (January) [year].
    months : float or ndarray
        Lead time including any grid-interconnection wait [months].

    Returns
    -------
    int or ndarray of int
        Plan year [year].

    Examples
    --------
    >>> online_year(2026, 4.0), online_year(2026, 6.0), online_year(2026, 30.0)
    (2026, 2027, 2029)
    """
    return start_year + np.floor((np.asarray(months, dtype=np.float64) + 6.0) / 12.0).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """A portfolio plan.

    Attributes
    ----------
    years : ndarray of int, shape (Y,)
    sites : DataFrame, one row per opened site (S rows)
        site_id, name, tier, lat, lon, state, country, region_id, online_year, pue,
        price_usd_per_mwh, gco2_per_kwh, grid_available_mw, interconnect_wait_months, and the
        final-year it_mw, facility_mw, gpus, inference_mw, training_mw.
    it_mw_by_year : ndarray, shape (S, Y)
        Installed IT capacity per site and year [MW]; never shrinks, zero before online_year.
    load_mw_by_year : ndarray, shape (S, Y)
        IT load placed on each site per year (inference + training) [MW].
    training_mw_by_year : ndarray, shape (S, Y)
        Training IT load per site and year [MW].
    assignments : DataFrame
        point_id, point_index, class_id, class_index, site_id, site_index, share (of the pair's
        load), rtt_ms (backbone), distance_km.
    unmet_mw : ndarray, shape (K + 1, Y)
        Load left unserved per class and year [MW]; the last row is training.
    method : str
        ``greedy`` or ``milp``.
    solver : dict
        objective_usd, bound_usd, gap, status, solve_s (MILP) or method notes.
    """

    years: npt.NDArray[np.int64]
    sites: pd.DataFrame
    it_mw_by_year: FloatArray
    load_mw_by_year: FloatArray
    training_mw_by_year: FloatArray
    assignments: pd.DataFrame
    unmet_mw: FloatArray
    method: str
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        return len(self.sites)


def modules_needed(load_mw: FloatArray, module_mw: FloatArray) -> FloatArray:
    """Installed IT MW: load rounded up to whole modules, never shrinking over the years.

    Parameters
    ----------
    load_mw : ndarray, shape (S, Y)
        Load per site and year [MW].
    module_mw : ndarray, shape (S,)
        Module size per site [MW].

    Returns
    -------
    ndarray, shape (S, Y)
        Installed capacity [MW].

    Examples
    --------
    >>> modules_needed(np.array([[0.3, 0.2, 0.9]]), np.array([0.25])).tolist()
    [[0.5, 0.5, 1.0]]
    """
    m = module_mw[:, None]
    inst = np.ceil(np.maximum(load_mw, 0.0) / m - 1e-9) * m
    return np.maximum.accumulate(inst, axis=1)


def coverage_by_class(inputs: Inputs, plan: Plan, year_index: int = -1) -> dict[str, dict[str, Any]]:
    """Share of each class's load served within its RTT budget in one plan year.

    Returns
    -------
    dict
        class id -> {"rtt_budget_ms": float or None, "coverage": fraction, "served_mw", "demand_mw"}.
    """
    out: dict[str, dict[str, Any]] = {}
    a = plan.assignments
    online = plan.sites["online_year"].to_numpy()
    year = int(plan.years[year_index])
    for k, cid in enumerate(inputs.classes):
        demand = inputs.load_mw[:, k, year_index]
        total = float(demand.sum())
        rows = a[a["class_index"] == k]
        budget = inputs.rtt_budget_ms[k]
        ok = (rows["rtt_ms"].to_numpy() <= budget + 1e-9) & (
            online[rows["site_index"].to_numpy()] <= year
        )
        served = float(
            (demand[rows["point_index"].to_numpy()] * rows["share"].to_numpy() * ok).sum()
        )
        out[cid] = {
            "rtt_budget_ms": None if math.isinf(budget) else float(budget),
            "coverage": served / total if total > 0 else 1.0,
            "served_mw": served,
            "demand_mw": total,
        }
    return out


def single_site_failure_shortfall(
    inputs: Inputs, plan: Plan, year_index: int = -1, exempt: set[tuple[int, int]] | None = None
) -> FloatArray:
    """Inference load that cannot be re-homed within budget when each site fails [MW], per site.

    For each site j: its inference load is offered to the other open sites, pair by pair, each pair
    to the sites within the class's budget that serve the class, limited by their spare capacity
    (installed minus load). The check is a max-flow relaxation solved greedily per failed site,
    so a zero shortfall proves the plan survives that failure; a positive one is an upper bound
    on the true shortfall. Pairs (point index, class index) in `exempt` are left out (neither
    re-homed nor counted): e.g. the MILP's deliberately unprotected pairs
    (``plan.solver["unprotected_pairs"]``).

    Returns
    -------
    ndarray, shape (S,)
        Unplaceable load per failed site [MW].
    """
    from coredge.plan.reach import reachable_pairs

    S = plan.n_sites
    if S == 0:
        return np.zeros(0)
    spare = plan.it_mw_by_year[:, year_index] - plan.load_mw_by_year[:, year_index]
    spare = np.maximum(spare, 0.0)
    a = plan.assignments
    short = np.zeros(S)
    load = inputs.load_mw[:, :, year_index]
    reach = reachable_pairs(inputs, plan.sites)
    for j in range(S):
        rows = a[a["site_index"] == j]
        if rows.empty:
            continue
        cap = spare.copy()
        cap[j] = 0.0
        for pi, ci, share in zip(
            rows["point_index"].to_numpy(), rows["class_index"].to_numpy(), rows["share"].to_numpy(), strict=True
        ):
            if exempt and (int(pi), int(ci)) in exempt:
                continue
            need = float(load[pi, ci] * share)
            alts = reach.get((int(pi), int(ci)), [])
            for s, _rtt in alts:
                if need <= 1e-12:
                    break
                if s == j:
                    continue
                take = min(need, cap[s])
                cap[s] -= take
                need -= take
            short[j] += max(need, 0.0)
    return short
