"""Primal heuristics: evaluate an open set exactly, Lagrangian repair, local search.

For a fixed set of open facilities the multi-source problem is a transportation LP
(`assign_lp`); the uncapacitated one is "every customer to its cheapest open facility"
(`assign_nearest`). The local search (`local_search`) tries close, open and swap moves ranked
by the Lagrangian facility values and keeps improving moves (first improvement), evaluating
each candidate set exactly, within a budget of evaluations.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.cflp.instance import CflpInstance

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


_banner_shown = False


def _first_highs() -> highspy.Highs:
    """Create the process's first HiGHS object with its banner sent to stderr, not stdout."""
    global _banner_shown
    _banner_shown = True
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        h = highspy.Highs()
        libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


_threads_in_use: int | None = None


def set_threads(h: highspy.Highs, threads: int) -> None:
    """Set HiGHS's ``threads`` option, resetting its process-wide scheduler when the count changes.

    HiGHS starts one global thread pool with the first run's thread count; a later instance asking
    for another count fails to solve (status not optimal, no solution) unless the pool is reset.
    Every HiGHS instance of coredge sets its threads here (0: HiGHS's default).
    """
    global _threads_in_use
    if _threads_in_use is not None and _threads_in_use != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _threads_in_use = threads
    h.setOptionValue("threads", int(threads))


def new_highs() -> highspy.Highs:
    """A silent single-threaded HiGHS instance (stdout stays clean for ``--json``)."""
    h = highspy.Highs() if _banner_shown else _first_highs()
    h.setOptionValue("output_flag", False)
    set_threads(h, 1)
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
    max_evals: int = 150,
    round_width: int = 40,
    deadline: float | None = None,
) -> tuple[Solution, int]:
    """Improve an open set by close, open and swap moves (first improvement).

    Every move of the neighbourhood is ranked by the change it makes to the sum of facility
    scores (e.g. Lagrangian values ``v_i``: closing ``i`` scores ``-v_i``, opening ``k`` scores
    ``+v_k``, a swap ``v_k - v_i``); moves that leave too little capacity are skipped. Moves are
    evaluated exactly in that order; the first improving one is taken and the neighbourhood is
    rebuilt. The search stops when ``round_width`` moves in a row do not improve or the budget
    of evaluations is spent.

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    start : Solution
        A feasible starting solution.
    score : ndarray, shape (m,)
        Facility scores, lower is more attractive [USD].
    capacitated : bool
        Use the transportation LP (True) or nearest assignment (False).
    max_evals : int
        Budget of exact evaluations.
    round_width : int
        Moves evaluated per neighbourhood before giving up.
    deadline : float, optional
        Stop at this `time.perf_counter` value [s].

    Returns
    -------
    (Solution, int)
        The best solution found and the number of evaluations used.
    """
    best = start
    evals = 0
    seen: set[bytes] = {np.packbits(start.open).tobytes()}
    sc = np.asarray(score, dtype=np.float64)
    need = inst.total_demand if capacitated else 0.0
    while evals < max_evals:
        opened = np.nonzero(best.open)[0]
        closed = np.nonzero(~best.open)[0]
        cap = float(inst.capacity[opened].sum())
        # Candidate moves as (delta, out, in) with -1 meaning "none".
        outs = np.concatenate([opened, np.full(closed.size, -1), np.repeat(opened, closed.size)])
        ins = np.concatenate([np.full(opened.size, -1), closed, np.tile(closed, opened.size)])
        delta = np.where(ins >= 0, sc[np.maximum(ins, 0)], 0.0) - np.where(
            outs >= 0, sc[np.maximum(outs, 0)], 0.0
        )
        new_cap = (
            cap
            + np.where(ins >= 0, inst.capacity[np.maximum(ins, 0)], 0.0)
            - np.where(outs >= 0, inst.capacity[np.maximum(outs, 0)], 0.0)
        )
        ok = (new_cap >= need) & ~((outs >= 0) & (ins < 0) & (opened.size == 1))
        order = np.nonzero(ok)[0][np.argsort(delta[ok], kind="stable")]
        improved = False
        tried = 0
        for t in order:
            if evals >= max_evals or tried >= round_width:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                return best, evals
            cand = best.open.copy()
            if outs[t] >= 0:
                cand[outs[t]] = False
            if ins[t] >= 0:
                cand[ins[t]] = True
            key = np.packbits(cand).tobytes()
            if key in seen:
                continue
            seen.add(key)
            sol = evaluate(inst, cand, capacitated)
            evals += 1
            tried += 1
            if sol.objective < best.objective - 1e-9 * max(1.0, abs(best.objective)):
                best = sol
                improved = True
                break
        if not improved:
            break
    return best, evals
