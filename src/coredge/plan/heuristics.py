"""Primal heuristics: evaluate an open set exactly, Lagrangian repair, local search.

For a fixed set of open facilities the multi-source problem is a transportation LP
(`assign_lp`); the uncapacitated one is "every customer to its cheapest open facility"
(`assign_nearest`). The local search (`local_search`) tries close, open and swap moves ranked
by the Lagrangian facility values and keeps improving moves (first improvement), evaluating
each candidate set exactly, within a budget of evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.plan.instance import CflpInstance

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Solution:
    """A feasible solution.

    Attributes
    ----------
    objective : float
        Total cost [USD] (``inf`` when the open set cannot serve all demand).
    open : ndarray of bool, shape (m,)
        Open facilities.
    assignment : ndarray, shape (m, n)
        Share of each customer's demand served by each facility [fraction].
    """

    objective: float
    open: BoolArray
    assignment: FloatArray


def new_highs() -> highspy.Highs:
    """A silent single-threaded HiGHS instance."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def _infeasible(inst: CflpInstance, open_mask: BoolArray) -> Solution:
    return Solution(np.inf, open_mask.copy(), np.zeros((inst.m, inst.n)))


def assign_nearest(inst: CflpInstance, open_mask: BoolArray) -> Solution:
    """Uncapacitated assignment: every customer to its cheapest open facility.

    Parameters
    ----------
    inst : CflpInstance
        The instance (capacities ignored).
    open_mask : ndarray of bool, shape (m,)
        Open facilities.

    Returns
    -------
    Solution
        Cost = fixed costs of open facilities + assignment costs [USD].

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0, 1.0]), np.ones(2), np.ones(1), np.array([[3.0], [2.0]]))
    >>> assign_nearest(inst, np.array([True, True])).objective
    4.0
    """
    if not open_mask.any():
        return _infeasible(inst, open_mask)
    c = np.where(open_mask[:, None], inst.assign_cost_usd, np.inf)
    best = np.argmin(c, axis=0)
    cost = c[best, np.arange(inst.n)]
    if not np.all(np.isfinite(cost)):
        return _infeasible(inst, open_mask)
    x = np.zeros((inst.m, inst.n))
    x[best, np.arange(inst.n)] = 1.0
    return Solution(float(inst.fixed_cost_usd[open_mask].sum() + cost.sum()), open_mask.copy(), x)


def assign_lp(inst: CflpInstance, open_mask: BoolArray) -> Solution:
    """Multi-source assignment for a fixed open set: the transportation LP, solved by HiGHS.

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    open_mask : ndarray of bool, shape (m,)
        Open facilities.

    Returns
    -------
    Solution
        Optimal cost for this open set [USD]; ``inf`` objective when it is infeasible.

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([2.0]),
    ...                     np.array([[3.0], [5.0]]))
    >>> assign_lp(inst, np.array([True, True])).objective
    6.0
    """
    fac = np.nonzero(open_mask)[0]
    if fac.size == 0 or inst.capacity[fac].sum() < inst.total_demand * (1 - 1e-12):
        return _infeasible(inst, open_mask)
    reach = inst.reachable[fac]
    li, jj = np.nonzero(reach)
    if np.any(~reach.any(axis=0)):
        return _infeasible(inst, open_mask)
    k = li.size
    cost = inst.assign_cost_usd[fac[li], jj]
    rows = np.concatenate([jj, inst.n + li])
    cols = np.concatenate([np.arange(k), np.arange(k)])
    vals = np.concatenate([np.ones(k), inst.demand[jj]])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(inst.n + fac.size, k))
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = k
    lp.num_row_ = inst.n + fac.size
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(k)
    lp.col_upper_ = np.ones(k)
    lp.row_lower_ = np.concatenate([np.ones(inst.n), np.full(fac.size, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(inst.n), inst.capacity[fac]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = k
    lp.a_matrix_.num_row_ = inst.n + fac.size
    h = new_highs()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return _infeasible(inst, open_mask)
    xv = np.clip(np.asarray(h.getSolution().col_value), 0.0, 1.0)
    x = np.zeros((inst.m, inst.n))
    x[fac[li], jj] = xv
    obj = float(inst.fixed_cost_usd[fac].sum() + np.dot(cost, xv))
    return Solution(obj, open_mask.copy(), x)


def evaluate(inst: CflpInstance, open_mask: BoolArray, capacitated: bool = True) -> Solution:
    """Exact cost of an open set (transportation LP, or nearest facility when uncapacitated)."""
    return assign_lp(inst, open_mask) if capacitated else assign_nearest(inst, open_mask)


def local_search(
    inst: CflpInstance,
    start: Solution,
    score: FloatArray,
    capacitated: bool = True,
    max_evals: int = 60,
    width: int = 6,
) -> tuple[Solution, int]:
    """Improve an open set by close, open and swap moves (first improvement).

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    start : Solution
        A feasible starting solution.
    score : ndarray, shape (m,)
        Attractiveness of each facility, lower is better (e.g. Lagrangian values ``v_i``
        [USD]); moves are tried in this order and only the ``width`` best candidates to open and
        the ``width`` worst open facilities to close are considered.
    capacitated : bool
        Use the transportation LP (True) or nearest assignment (False).
    max_evals : int
        Budget of exact evaluations.
    width : int
        Candidates per move type.

    Returns
    -------
    (Solution, int)
        The best solution found and the number of evaluations used.
    """
    best = start
    evals = 0
    seen: set[bytes] = {np.packbits(start.open).tobytes()}
    improved = True
    while improved and evals < max_evals:
        improved = False
        opened = np.nonzero(best.open)[0]
        closed = np.nonzero(~best.open)[0]
        close_c = opened[np.argsort(-score[opened])][:width]
        open_c = closed[np.argsort(score[closed])][:width]
        moves: list[tuple[list[int], list[int]]] = [([int(i)], []) for i in close_c]
        moves += [([], [int(i)]) for i in open_c]
        moves += [([int(a)], [int(b)]) for a in close_c[: max(2, width // 2)] for b in open_c]
        for out, inn in moves:
            if evals >= max_evals:
                break
            cand = best.open.copy()
            cand[out] = False
            cand[inn] = True
            key = np.packbits(cand).tobytes()
            if key in seen or not cand.any():
                continue
            seen.add(key)
            if capacitated and inst.capacity[cand].sum() < inst.total_demand:
                continue
            sol = evaluate(inst, cand, capacitated)
            evals += 1
            if sol.objective < best.objective - 1e-9 * max(1.0, abs(best.objective)):
                best = sol
                improved = True
                break
    return best, evals
