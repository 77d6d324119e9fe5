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

from coredge.inputs.build import Inputs

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
    >>> online_year(2026, np.array([4.0, 6.0, 30.0]))
    array([2026, 2027, 2029])
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
            online[rows["site_index"].to_numpy(dtype=np.int64)] <= year
        )  # int64: a plan with no assignment has empty float columns
        served = float(
            (demand[rows["point_index"].to_numpy(dtype=np.int64)] * rows["share"].to_numpy() * ok).sum()
        )
        out[cid] = {
            "rtt_budget_ms": None if math.isinf(budget) else float(budget),
            "coverage": min(max(served / total, 0.0), 1.0) if total > 0 else 1.0,
            "served_mw": served,
            "demand_mw": total,
        }
    return out


def failed_site_needs(
    plan: Plan, load_mw: FloatArray, reach: dict[tuple[int, int], list[tuple[int, float]]], j: int,
    exempt: set[tuple[int, int]] | None = None,
) -> list[tuple[int, int, float, list[int]]]:
    """What site `j`'s failure leaves to re-home: per served (point, class) pair not in `exempt`,
    ``(point, class, MW, the other plan sites it may move to, nearest first)``.

    `load_mw` is one year's load, shape (points, classes) [MW]; `reach` from
    `coredge.plan.reach.reachable_pairs` over the plan's sites.
    """
    a = plan.assignments
    rows = a[a["site_index"] == j]
    out: list[tuple[int, int, float, list[int]]] = []
    for pi, ci, share in zip(
        rows["point_index"].to_numpy(), rows["class_index"].to_numpy(), rows["share"].to_numpy(), strict=True
    ):
        key = (int(pi), int(ci))
        if exempt and key in exempt:
            continue
        out.append((key[0], key[1], float(load_mw[pi, ci] * share), [s for s, _r in reach.get(key, []) if s != j]))
    return out


def single_site_failure_shortfall(
    inputs: Inputs, plan: Plan, year_index: int = -1, exempt: set[tuple[int, int]] | None = None,
    sites: npt.ArrayLike | None = None,
    reach: dict[tuple[int, int], list[tuple[int, float]]] | None = None,
) -> FloatArray:
    """Inference load that cannot be re-homed within budget when each site fails [MW], per site.

    For each site j its inference load is offered to the other open sites: each (point, class)
    pair may move to the sites within the class's budget that serve the class, limited by their
    spare capacity (installed minus load). The shortfall is the load no re-homing can place: the
    maximum flow of this bipartite transportation problem is computed exactly (a LP, HiGHS via
    scipy) wherever a greedy nearest-first re-homing, tried first, strands load; so a zero proves
    the plan survives that failure and a positive value is the exact minimum stranded load.
    Pairs (point index, class index) in `exempt` are left out (neither re-homed nor counted):
    e.g. the MILP's deliberately unprotected pairs (``plan.solver["unprotected_pairs"]``).

    Parameters
    ----------
    sites : array of int, optional
        Only these failed sites are checked (the others report 0).
    reach : dict, optional
        `coredge.plan.reach.reachable_pairs` of the plan's sites, when the caller has it.

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
    short = np.zeros(S)
    load = inputs.load_mw[:, :, year_index]
    if reach is None:
        reach = reachable_pairs(inputs, plan.sites)
    fk = site_class_factor(inputs, plan)
    todo = range(S) if sites is None else [int(j) for j in np.atleast_1d(np.asarray(sites))]
    for j in todo:
        items = failed_site_needs(plan, load, reach, j, exempt)
        if items:
            coef = None if fk is None else [fk[it[3], it[1]] for it in items]
            short[j] = _rehoming_shortfall([it[2] for it in items], [it[3] for it in items], spare, coef)
    return short


def site_class_factor(inputs: Inputs, plan: Plan) -> FloatArray | None:
    """IT MW each plan site installs per MW of each class's load (its tier's accelerator,
    `coredge.inputs.build.Inputs.site_mw_factor`), shape (S, K); None without per-tier hardware."""
    if not inputs.scenario.hardware.per_tier:
        return None
    return inputs.site_mw_factor(plan.sites["tier"].astype(str).to_numpy())


def greedy_place(need: float, alts: list[int], cap: FloatArray, coef: npt.ArrayLike | None = None) -> float:
    """Place `need` MW into `cap` over `alts` in order, taking from `cap` in place; what is left [MW].

    With `coef` (one per alternative), placing 1 MW of the need at ``alts[i]`` takes ``coef[i]``
    MW of its capacity (its tier's accelerator); the need stays in MW of load.
    """
    c = None if coef is None else np.asarray(coef, dtype=np.float64)
    for i, s in enumerate(alts):
        if need <= 1e-12:
            break
        if c is None:
            take = min(need, cap[s])
            cap[s] -= take
        else:
            take = min(need, cap[s] / c[i])
            cap[s] -= take * c[i]
        need -= take
    return need


def _rehoming_shortfall(
    needs: list[float], alts: list[list[int]], spare: FloatArray, coef: list[Any] | None = None
) -> float:
    """Load of `needs` that no assignment to their `alts` within `spare` can place [MW].

    Greedy nearest-first first (enough when it places everything); otherwise the exact maximum
    flow by LP: maximise ``sum f_ps`` with ``sum_s f_ps <= need_p``, ``sum_p c_ps f_ps <=
    spare_s`` (``c_ps`` from `coef`, the site's IT MW per MW of the need's load; 1 without).
    """
    cap = spare.copy()
    left = 0.0
    for i, (need, alt) in enumerate(zip(needs, alts, strict=True)):
        left += max(greedy_place(need, alt, cap, None if coef is None else coef[i]), 0.0)
    if left <= 0.0:
        return 0.0
    import scipy.sparse as sps
    from scipy.optimize import linprog

    # Needs with no alternative that has spare are stranded exactly; the LP takes the rest.
    movable = [any(spare[s] > 0.0 for s in x) for x in alts]
    stranded = float(sum(n for n, mv in zip(needs, movable, strict=True) if not mv))
    needs = [n for n, mv in zip(needs, movable, strict=True) if mv]
    coef = None if coef is None else [c for c, mv in zip(coef, movable, strict=True) if mv]
    alts = [x for x, mv in zip(alts, movable, strict=True) if mv]
    p_idx = np.repeat(np.arange(len(needs)), [len(x) for x in alts])
    s_idx = np.fromiter((s for x in alts for s in x), dtype=np.int64, count=int(p_idx.size))
    keep = spare[s_idx] > 0.0
    c_val = (np.ones(p_idx.size) if coef is None
             else np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in coef]) if coef else np.ones(0))
    p_idx, s_idx, c_val = p_idx[keep], s_idx[keep], c_val[keep]
    total = float(sum(needs))
    if p_idx.size == 0:
        return stranded
    used_s, s_row = np.unique(s_idx, return_inverse=True)
    n_e = p_idx.size
    a_ub = sps.vstack([
        sps.csr_matrix((np.ones(n_e), (p_idx, np.arange(n_e))), shape=(len(needs), n_e)),
        sps.csr_matrix((c_val, (s_row, np.arange(n_e))), shape=(used_s.size, n_e)),
    ]).tocsr()
    b_ub = np.r_[np.asarray(needs, dtype=np.float64), spare[used_s]]
    res = linprog(-np.ones(n_e), A_ub=a_ub, b_ub=b_ub, bounds=(0.0, None), method="highs")
    if res.status != 0:  # pragma: no cover - a bounded feasible LP; keep the greedy figure
        return left
    rest = total + float(res.fun)  # placed = -res.fun
    return stranded + (rest if rest > 1e-9 * max(total, 1.0) else 0.0)
