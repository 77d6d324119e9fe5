"""The facility-location engine: Lagrangian bounds, heuristics, fixing, then HiGHS.

`solve_cflp` runs, for the multi-source and uncapacitated variants:

1. subgradient optimisation of the Lagrangian bound (`coredge.cflp.lagrangian`), collecting the
   relaxed opening sets it meets;
2. a Lagrangian heuristic: the most recent relaxed opening sets are evaluated exactly and the
   best is improved by local search (`coredge.cflp.heuristics`);
3. more subgradient steps aimed at the incumbent's cost, then rounds of *fixing*: every facility
   whose opening (closing) provably cannot lead to a strictly better solution is fixed, and the
   bound is re-optimised under the fixings;
4. the reduced MILP (strong formulation: disaggregated ``x_ij <= y_i`` rows, capacity rows,
   aggregate capacity cover and a minimum-number-of-facilities row) over the facilities still
   free or fixed open, handed to HiGHS with the incumbent as a warm start.

Reported bounds stay valid whatever happens: with ``U`` the incumbent's cost and ``B_R`` any
bound on the reduced problem (Lagrangian or HiGHS), the optimum is at least ``min(U, B_R)``,
because every solution cheaper than ``U`` lies in the reduced problem. The first, unrestricted
Lagrangian bound is valid on its own.

The single-source variant goes straight to HiGHS with the same strong formulation (its
Lagrangian bound with continuous knapsacks is the multi-source one and gives little).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from coredge.cflp.heuristics import Solution, evaluate, local_search, new_highs
from coredge.cflp.instance import CflpInstance
from coredge.cflp.lagrangian import facility_values, fix_by_bounds, subgradient
from coredge.cflp.model import (
    VARIANTS,
    AssignmentPairs,
    SparseMilp,
    build_cflp_milp,
    define_cardinality,
    separate_linking,
)
from coredge.cflp.readers import PMedianInstance
from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

STATUSES = ("optimal", "time_limit", "infeasible")

QUIET_HEURISTICS: dict[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}
"""HiGHS options used once the engine has its own incumbent: HiGHS's primal heuristics then
mostly repeat work (measured on capb/capc: MILP phase 1.5-2x faster without them)."""


@dataclass(frozen=True)
class CflpResult:
    """Outcome of `solve_cflp`.

    Attributes
    ----------
    objective : float
        Cost of the best solution found [USD]; ``inf`` when none.
    bound : float
        Proven lower bound on the optimum [USD]; ``inf`` when proven infeasible.
    gap : float
        ``(objective - bound) / |objective|`` [fraction]; 0 when proven optimal or infeasible,
        ``inf`` when no solution was found.
    status : str
        ``"optimal"`` (gap within the requested ``mip_rel_gap``), ``"time_limit"`` or
        ``"infeasible"``.
    seconds : float
        Wall time [s].
    open : ndarray of bool, shape (m,)
        Open facilities of the best solution.
    assignment : ndarray, shape (m, n)
        Share of customer ``j``'s demand served by ``i`` [fraction].
    variant : str
        The variant solved.
    stats : dict
        Diagnostics: Lagrangian bound, iterations, facilities fixed, MILP size and nodes.
    """

    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    open: BoolArray
    assignment: FloatArray
    variant: str = "multi-source"
    stats: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no arrays except the open facility indices)."""
        return {
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "status": self.status,
            "seconds": self.seconds,
            "variant": self.variant,
            "open_facilities": np.nonzero(self.open)[0].tolist(),
            "n_open": int(self.open.sum()),
            **self.stats,
        }


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / |objective|``, 0 for proven infeasibility, ``inf`` without solution.

    Examples
    --------
    >>> relative_gap(100.0, 99.0)
    0.01
    """
    if not np.isfinite(objective):
        return 0.0 if bound == np.inf else np.inf
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned for a MILP."""

    status: str
    objective: float
    bound: float
    col_value: FloatArray
    nodes: int


def solve_milp(
    model: SparseMilp,
    time_limit_s: float,
    mip_rel_gap: float,
    start: FloatArray | None = None,
    options: dict[str, Any] | None = None,
) -> MilpOutcome:
    """Solve a `SparseMilp` with HiGHS.

    Parameters
    ----------
    model : SparseMilp
        The model.
    time_limit_s : float
        Wall-time limit [s].
    mip_rel_gap : float
        Relative gap at which HiGHS stops [fraction].
    start : ndarray, optional
        A feasible column vector (warm start).
    options : dict, optional
        Extra HiGHS options (name -> value).

    Returns
    -------
    MilpOutcome
        ``status`` is ``"optimal"``, ``"time_limit"``, ``"infeasible"`` or ``"error"``;
        ``objective`` is ``inf`` without a solution; ``bound`` is HiGHS's dual bound.
    """
    h = new_highs()
    h.setOptionValue("time_limit", max(float(time_limit_s), 0.01))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    for key, val in (options or {}).items():
        h.setOptionValue(key, val)
    h.passModel(model.to_highs_lp())
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    obj = float(info.objective_function_value) if has_sol else np.inf
    bound = float(info.mip_dual_bound)
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status, bound = "infeasible", np.inf
    elif ms in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kSolutionLimit,
    ):
        status = "time_limit"
    else:
        status = "error"
    if not np.isfinite(bound) and status != "infeasible":
        bound = -np.inf
    cols = np.asarray(h.getSolution().col_value) if has_sol else np.zeros(model.num_col)
    return MilpOutcome(status, obj, bound, cols, int(info.mip_node_count))


def _solution_from_cols(
    inst: CflpInstance, pairs: AssignmentPairs, cols: FloatArray, objective: float
) -> Solution:
    y = cols[: inst.m] > 0.5
    x = np.zeros((inst.m, inst.n))
    x[pairs.i, pairs.j] = np.clip(cols[inst.m :], 0.0, 1.0)
    return Solution(objective, y, x)


def _start_cols(pairs: AssignmentPairs, sol: Solution) -> FloatArray:
    return np.concatenate([sol.open.astype(np.float64), sol.assignment[pairs.i, pairs.j]])


def min_open_count(capacity: FloatArray, need: float) -> int:
    """Fewest facilities whose capacities can cover ``need`` (largest first); ``m + 1`` if none.

    Examples
    --------
    >>> min_open_count(np.array([5.0, 3.0, 8.0]), 10.0)
    2
    """
    if need <= 0:
        return 0
    cs = np.cumsum(np.sort(np.asarray(capacity, dtype=np.float64))[::-1])
    k = int(np.searchsorted(cs, need * (1 - 1e-12)))
    return k + 1 if k < cs.size else cs.size + 1


def _add_min_open(model: SparseMilp, m: int, k: int) -> None:
    define_cardinality(model, m, k)
    name, a, _, _ = model.blocks[-1]
    model.blocks[-1] = (name, a, np.array([float(k)]), np.array([np.inf]))


def _check(inst: CflpInstance, variant: str, time_limit_s: float, mip_rel_gap: float) -> None:
    if variant not in VARIANTS:
        raise InputError.of("--variant", variant, "one of: " + ", ".join(VARIANTS))
    if not (time_limit_s > 0):
        raise InputError.of("--time-limit", time_limit_s, "a positive number of seconds")
    if not (0 <= mip_rel_gap < 1):
        raise InputError.of("--gap", mip_rel_gap, "a fraction in [0, 1)")
    if inst.m == 0 or inst.n == 0:
        raise InputError.of("instance", (inst.m, inst.n), "at least one facility and customer")


def _finish(
    inst: CflpInstance,
    variant: str,
    best: Solution,
    bound: float,
    t0: float,
    mip_rel_gap: float,
    stats: dict[str, Any],
    proven_infeasible: bool = False,
) -> CflpResult:
    seconds = time.perf_counter() - t0
    if proven_infeasible:
        return CflpResult(
            np.inf,
            np.inf,
            0.0,
            "infeasible",
            seconds,
            np.zeros(inst.m, bool),
            np.zeros((inst.m, inst.n)),
            variant,
            stats,
        )
    obj = best.objective
    bnd = min(bound, obj) if np.isfinite(obj) else bound
    gap = relative_gap(obj, bnd)
    # HiGHS also stops on its absolute gap (1e-6); count that as optimal too.
    done = np.isfinite(obj) and (gap <= mip_rel_gap + 1e-12 or obj - bnd <= 1e-6)
    status = "optimal" if done else "time_limit"
    return CflpResult(obj, bnd, gap, status, seconds, best.open, best.assignment, variant, stats)


def solve_cflp(
    instance: CflpInstance,
    variant: str = "multi-source",
    time_limit_s: float = 300.0,
    mip_rel_gap: float = 1e-9,
    warm_start: BoolArray | Solution | None = None,
    lagrangian_iters: int = 1000,
    separate_above: int = 5000,
    highs_options: dict[str, Any] | None = None,
) -> CflpResult:
    """Solve a capacitated (or uncapacitated) facility-location problem.

    Parameters
    ----------
    instance : CflpInstance
        The data.
    variant : str
        ``"multi-source"`` (a customer's demand may be split), ``"single-source"`` (each customer
        served by exactly one facility) or ``"uncapacitated"`` (capacities ignored).
    time_limit_s : float
        Wall-time limit [s] (the Lagrangian phase is bounded by iterations; HiGHS gets the rest).
    mip_rel_gap : float
        Stop once the proven relative gap is at most this [fraction].
    warm_start : ndarray of bool or Solution, optional
        A known open set (or solution); its exact cost seeds the incumbent.
    lagrangian_iters : int
        Subgradient iterations of the first phase (0 skips the Lagrangian machinery).
    separate_above : int
        With more assignment columns than this, the reduced MILP gets only the ``x <= y`` rows
        its LP relaxation needs (row generation, `separate_linking`) instead of all of them.
    highs_options : dict, optional
        Extra HiGHS options for the MILP phase (name -> value), e.g. ``{"mip_max_nodes": 1000}``
        for a limit that does not depend on the machine's speed (with ``time_limit_s=math.inf``).

    Returns
    -------
    CflpResult
        Best solution, proven bound, gap and status.

    Examples
    --------
    >>> inst = CflpInstance(np.array([10.0, 12.0]), np.array([5.0, 5.0]), np.array([3.0, 4.0]),
    ...                     np.array([[1.0, 9.0], [9.0, 1.0]]))
    >>> res = solve_cflp(inst)
    >>> res.status, round(res.objective, 6), res.open.tolist()
    ('optimal', 24.0, [True, True])
    """
    t0 = time.perf_counter()
    _check(instance, variant, time_limit_s, mip_rel_gap)
    inst = instance
    deadline = t0 + time_limit_s
    stats: dict[str, Any] = {"m": inst.m, "n": inst.n}

    if variant == "single-source":
        return _solve_single_source(
            inst, time_limit_s, mip_rel_gap, warm_start, t0, stats, highs_options
        )

    capacitated = variant == "multi-source"
    none = Solution(np.inf, np.zeros(inst.m, bool), np.zeros((inst.m, inst.n)))
    best = none
    if warm_start is not None:
        given = warm_start.open if isinstance(warm_start, Solution) else warm_start
        mask = np.asarray(given, dtype=bool)
        if mask.shape != (inst.m,):
            raise InputError.of("warm_start", mask.shape, f"an open mask of length {inst.m}")
        best = evaluate(inst, mask, capacitated)

    # Quick infeasibility proofs.
    if not np.all(inst.reachable.any(axis=0)):
        return _finish(inst, variant, none, np.inf, t0, mip_rel_gap, stats, True)
    if capacitated and inst.capacity.sum() < inst.total_demand * (1 - 1e-12):
        return _finish(inst, variant, none, np.inf, t0, mip_rel_gap, stats, True)

    state = np.full(inst.m, -1, dtype=np.int8)
    lam_final: FloatArray | None = None
    global_bound = -np.inf
    restricted_bound = -np.inf
    if lagrangian_iters > 0:
        # Phase 1: bound and relaxed open sets.
        lag = subgradient(
            inst, best.objective, capacitated, max_iter=lagrangian_iters // 2, deadline=deadline
        )
        global_bound = lag.bound
        stats["lagrangian_iterations"] = lag.iterations
        if not np.isfinite(lag.bound):
            return _finish(inst, variant, none, np.inf, t0, mip_rel_gap, stats, True)
        stats["t_lagrangian1_s"] = time.perf_counter() - t0
        # Phase 2: Lagrangian heuristic + local search.
        t_h = time.perf_counter()
        evals = 0
        for mask in lag.open_sets[-5:][::-1]:
            sol = evaluate(inst, mask, capacitated)
            evals += 1
            if sol.objective < best.objective:
                best = sol
        if np.isfinite(best.objective):
            v, _ = facility_values(inst, lag.multipliers, capacitated)
            best, used = local_search(inst, best, v, capacitated, max_evals=150, deadline=deadline)
            evals += used
        stats["t_heuristic_s"] = time.perf_counter() - t_h
        stats["heuristic_objective"] = best.objective
        # Phase 3: bound aimed at the incumbent, then fixing rounds.
        lam = lag.multipliers
        if np.isfinite(best.objective) and time.perf_counter() < deadline:
            lag2 = subgradient(
                inst,
                best.objective,
                capacitated,
                lam0=lam,
                max_iter=lagrangian_iters - lagrangian_iters // 2,
                step0=1.0,
                target=best.objective,
                deadline=deadline,
            )
            global_bound = max(global_bound, lag2.bound)
            stats["lagrangian_iterations"] += lag2.iterations
            lam = lag2.multipliers if lag2.bound >= lag.bound else lam
            restricted_bound = global_bound
            # Local search again, guided by the sharper multipliers.
            t_h2 = time.perf_counter()
            v, _ = facility_values(inst, lam, capacitated)
            best, used = local_search(inst, best, v, capacitated, max_evals=100, deadline=deadline)
            evals += used
            stats["t_heuristic_s"] += time.perf_counter() - t_h2
            for _ in range(4):
                if time.perf_counter() >= deadline:
                    break
                new_state, _ = fix_by_bounds(inst, lam, best.objective, state, capacitated)
                if np.array_equal(new_state, state):
                    break
                state = new_state
                lag3 = subgradient(
                    inst,
                    best.objective,
                    capacitated,
                    lam0=lam,
                    state=state,
                    max_iter=max(50, lagrangian_iters // 5),
                    step0=0.5,
                    target=best.objective,
                    deadline=deadline,
                )
                stats["lagrangian_iterations"] += lag3.iterations
                restricted_bound = max(restricted_bound, lag3.bound)
                if lag3.bound >= lag.bound:
                    lam = lag3.multipliers
        lam_final = lam
        stats["heuristic_evaluations"] = evals
        stats["t_fixing_s"] = time.perf_counter() - t_h - stats["t_heuristic_s"]
        stats["lagrangian_bound"] = global_bound
        stats["fixed_open"] = int((state == 1).sum())
        stats["fixed_closed"] = int((state == 0).sum())
        stats["free"] = int((state == -1).sum())

    bound = max(global_bound, min(best.objective, restricted_bound))
    if relative_gap(best.objective, bound) <= mip_rel_gap:
        return _finish(inst, variant, best, bound, t0, mip_rel_gap, stats)
    if not np.any(state == -1):
        # Every facility fixed: the reduced problem has one open set.
        sol = evaluate(inst, state == 1, capacitated)
        if sol.objective < best.objective:
            best = sol
        return _finish(inst, variant, best, best.objective, t0, mip_rel_gap, stats)

    # Phase 4: the reduced MILP.
    keep = state != 0
    pairs = AssignmentPairs.from_instance(inst, keep)
    y_lower = (state == 1).astype(np.float64)
    y_upper = keep.astype(np.float64)
    linking: BoolArray | str = "all"
    if capacitated and pairs.k > separate_above:
        # Row generation for the x <= y rows, seeded with the pairs the Lagrangian relaxation
        # would use (negative reduced cost c_ij - lambda_j).
        base, _ = build_cflp_milp(
            inst, variant, pairs=pairs, linking="none", y_lower=y_lower, y_upper=y_upper
        )
        _add_min_open(base, inst.m, min_open_count(inst.capacity[keep], inst.total_demand))
        seed = pairs.cost_usd - lam_final[pairs.j] < 0 if lam_final is not None else None
        t_sep = time.perf_counter()
        h = new_highs()
        h.setOptionValue("time_limit", max(0.01, 0.5 * (deadline - time.perf_counter())))
        active, lp_bound, _complete = separate_linking(
            base, pairs, seed if seed is not None else np.zeros(pairs.k, bool), highs=h
        )
        stats["lp_bound"] = lp_bound
        stats["t_separation_s"] = time.perf_counter() - t_sep
        stats["linking_rows"] = int(active.sum())
        restricted_bound = max(restricted_bound, lp_bound)
        linking = active
    model, _ = build_cflp_milp(
        inst,
        variant,
        pairs=pairs,
        cover=capacitated,
        linking=linking,
        y_lower=y_lower,
        y_upper=y_upper,
    )
    if capacitated:
        _add_min_open(model, inst.m, min_open_count(inst.capacity[keep], inst.total_demand))
    stats["milp_columns"] = model.num_col
    start = _start_cols(pairs, best) if np.isfinite(best.objective) else None
    if start is not None and np.any(best.open & ~keep):
        start = None  # cannot happen with exact arithmetic (fixing is strict); stay safe
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        return _finish(inst, variant, best, bound, t0, mip_rel_gap, stats)
    t_milp = time.perf_counter()
    opts = dict(QUIET_HEURISTICS) if start is not None else {}
    opts.update(highs_options or {})
    out = solve_milp(model, remaining, mip_rel_gap, start, opts)
    stats["t_milp_s"] = time.perf_counter() - t_milp
    stats["milp_status"] = out.status
    stats["milp_nodes"] = out.nodes
    if out.objective < best.objective:
        best = _solution_from_cols(inst, pairs, out.col_value, out.objective)
    if out.status == "infeasible":
        # No solution cheaper than the incumbent exists (or none at all).
        if not np.isfinite(best.objective):
            return _finish(inst, variant, none, np.inf, t0, mip_rel_gap, stats, True)
        return _finish(inst, variant, best, best.objective, t0, mip_rel_gap, stats)
    if out.status == "optimal" and not np.isfinite(global_bound) and not np.isfinite(out.bound):
        out_bound = out.objective
    else:
        out_bound = out.bound
    reduced = max(restricted_bound, out_bound)
    if not np.isfinite(best.objective) and out.status == "optimal":
        reduced = out.objective
    bound = max(global_bound, min(best.objective, reduced))
    return _finish(inst, variant, best, bound, t0, mip_rel_gap, stats)


def _solve_single_source(
    inst: CflpInstance,
    time_limit_s: float,
    mip_rel_gap: float,
    warm_start: BoolArray | Solution | None,
    t0: float,
    stats: dict[str, Any],
    highs_options: dict[str, Any] | None = None,
) -> CflpResult:
    none = Solution(np.inf, np.zeros(inst.m, bool), np.zeros((inst.m, inst.n)))
    # A customer no reachable facility can hold alone makes the problem infeasible.
    fits = inst.reachable & (inst.capacity[:, None] >= inst.demand[None, :])
    if not np.all(fits.any(axis=0)) or inst.capacity.sum() < inst.total_demand:
        return _finish(inst, "single-source", none, np.inf, t0, mip_rel_gap, stats, True)
    # Pairs that cannot fit are dropped (a single-source x_ij = 1 would exceed s_i).
    jj, ii = np.nonzero(fits.T)
    pairs = AssignmentPairs(
        ii.astype(np.int64), jj.astype(np.int64), inst.assign_cost_usd[ii, jj], inst.m, inst.n
    )
    model, _ = build_cflp_milp(inst, "single-source", pairs=pairs)
    _add_min_open(model, inst.m, min_open_count(inst.capacity, inst.total_demand))
    start = None
    if isinstance(warm_start, Solution) and np.isfinite(warm_start.objective):
        start = _start_cols(pairs, warm_start)
    remaining = time_limit_s - (time.perf_counter() - t0)
    out = solve_milp(model, remaining, mip_rel_gap, start, highs_options)
    stats["milp_status"] = out.status
    stats["milp_nodes"] = out.nodes
    stats["milp_columns"] = model.num_col
    if out.status == "infeasible":
        return _finish(inst, "single-source", none, np.inf, t0, mip_rel_gap, stats, True)
    best = none
    if np.isfinite(out.objective):
        best = _solution_from_cols(inst, pairs, out.col_value, out.objective)
        best = Solution(best.objective, best.open, np.round(best.assignment))
    bound = out.bound if out.status != "optimal" or np.isfinite(out.bound) else out.objective
    return _finish(inst, "single-source", best, bound, t0, mip_rel_gap, stats)


def solve_pmedian(
    instance: PMedianInstance,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-9,
    highs_options: dict[str, Any] | None = None,
) -> CflpResult:
    """Solve a p-median problem: open exactly ``p`` vertices, minimise total distance.

    The strong uncapacitated formulation (``x_ij <= y_i`` for every pair) plus the row
    ``sum_i y_i = p`` is handed to HiGHS.

    Parameters
    ----------
    instance : PMedianInstance
        Distances and ``p``.
    time_limit_s : float
        Wall-time limit [s].
    mip_rel_gap : float
        Relative gap to stop at [fraction].
    highs_options : dict, optional
        Extra HiGHS options (name -> value), e.g. ``{"mip_max_nodes": 1000}``.

    Returns
    -------
    CflpResult
        ``variant`` is ``"p-median"``.

    Examples
    --------
    >>> pm = PMedianInstance(np.array([[0.0, 1.0, 4.0], [1.0, 0.0, 3.0], [4.0, 3.0, 0.0]]), 1)
    >>> solve_pmedian(pm).objective
    4.0
    """
    t0 = time.perf_counter()
    inst = instance.as_cflp()
    if not (time_limit_s > 0):
        raise InputError.of("--time-limit", time_limit_s, "a positive number of seconds")
    stats: dict[str, Any] = {"m": inst.m, "n": inst.n, "p": instance.p}
    model, pairs = build_cflp_milp(inst, "uncapacitated")
    define_cardinality(model, inst.m, instance.p)
    out = solve_milp(model, time_limit_s, mip_rel_gap, options=highs_options)
    stats["milp_status"] = out.status
    stats["milp_nodes"] = out.nodes
    none = Solution(np.inf, np.zeros(inst.m, bool), np.zeros((inst.m, inst.n)))
    if out.status == "infeasible":
        return _finish(inst, "p-median", none, np.inf, t0, mip_rel_gap, stats, True)
    best = none
    if np.isfinite(out.objective):
        best = _solution_from_cols(inst, pairs, out.col_value, out.objective)
    return _finish(inst, "p-median", best, out.bound, t0, mip_rel_gap, stats)
