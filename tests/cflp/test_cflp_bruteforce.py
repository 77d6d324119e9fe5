"""Random tiny instances: the engine against brute force (all open sets, scipy linprog)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from coredge.cflp.instance import CflpInstance
from coredge.cflp.lagrangian import CoverKnapsack, fix_by_bounds, subgradient
from coredge.cflp.solve import solve_cflp
from coredge_testing import EXACT_CFLP


def transport_cost(inst: CflpInstance, open_mask: np.ndarray) -> float:
    """Multi-source cost of an open set by scipy's linprog (independent of coredge's LP)."""
    fac = np.nonzero(open_mask)[0]
    m, n = fac.size, inst.n
    c = inst.assign_cost_usd[fac]
    allowed = np.isfinite(c)
    cost = np.where(allowed, c, 0.0).ravel()
    a_eq = np.zeros((n, m * n))
    a_ub = np.zeros((m, m * n))
    for a, _ in enumerate(fac):
        for j in range(n):
            a_eq[j, a * n + j] = 1.0
            a_ub[a, a * n + j] = inst.demand[j]
    bounds = [(0.0, 1.0 if ok else 0.0) for ok in allowed.ravel()]
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=inst.capacity[fac],
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        return np.inf
    return float(inst.fixed_cost_usd[fac].sum() + res.fun)


def brute_force(inst: CflpInstance, variant: str) -> tuple[float, list[np.ndarray]]:
    """Optimum and all optimal open sets by enumeration."""
    best, sets = np.inf, []
    for bits in itertools.product([False, True], repeat=inst.m):
        mask = np.array(bits)
        if not mask.any():
            continue
        if variant == "multi-source":
            val = transport_cost(inst, mask)
        elif variant == "uncapacitated":
            cmin = np.where(mask[:, None], inst.assign_cost_usd, np.inf).min(axis=0)
            val = float(inst.fixed_cost_usd[mask].sum() + cmin.sum())
        else:  # single-source: enumerate assignments
            fac = np.nonzero(mask)[0]
            val = np.inf
            for assign in itertools.product(fac, repeat=inst.n):
                idx = np.array(assign)
                load = np.bincount(idx, weights=inst.demand, minlength=inst.m)
                if np.any(load > inst.capacity + 1e-9):
                    continue
                cost = inst.assign_cost_usd[idx, np.arange(inst.n)].sum()
                val = min(val, float(inst.fixed_cost_usd[mask].sum() + cost))
        if val < best - 1e-9:
            best, sets = val, [mask]
        elif abs(val - best) <= 1e-9:
            sets.append(mask)
    return best, sets


@st.composite
def instances(
    draw: st.DrawFn, max_m: int = 4, max_n: int = 5, sparse: bool = False
) -> CflpInstance:
    m = draw(st.integers(1, max_m))
    n = draw(st.integers(1, max_n))
    ints = st.integers(0, 30)
    f = np.array(draw(st.lists(ints, min_size=m, max_size=m)), dtype=float)
    s = np.array(draw(st.lists(st.integers(1, 20), min_size=m, max_size=m)), dtype=float)
    d = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=float)
    c = np.array(draw(st.lists(ints, min_size=m * n, max_size=m * n)), dtype=float).reshape(m, n)
    if sparse:
        mask = np.array(draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n)))
        c = np.where(mask.reshape(m, n), c, np.inf)
    return CflpInstance(f, s, d, c, name="tiny")


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(sparse=True))
def test_multi_source_matches_brute_force(inst: CflpInstance) -> None:
    opt, _sets = brute_force(inst, "multi-source")
    res = solve_cflp(inst, "multi-source", **EXACT_CFLP)
    if not np.isfinite(opt):
        assert res.status == "infeasible"
        return
    assert res.status == "optimal"
    assert res.objective == pytest.approx(opt, rel=1e-7, abs=1e-6)
    assert res.bound <= opt + 1e-6
    assert transport_cost(inst, res.open) == pytest.approx(res.objective, rel=1e-7, abs=1e-6)


@SETTINGS
@given(instances(sparse=True))
def test_uncapacitated_matches_brute_force(inst: CflpInstance) -> None:
    opt, _ = brute_force(inst, "uncapacitated")
    res = solve_cflp(inst, "uncapacitated", **EXACT_CFLP)
    if not np.isfinite(opt):
        assert res.status == "infeasible"
        return
    assert res.status == "optimal"
    assert res.objective == pytest.approx(opt, rel=1e-7, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(instances(max_m=3, max_n=4))
def test_single_source_matches_brute_force(inst: CflpInstance) -> None:
    opt, _ = brute_force(inst, "single-source")
    res = solve_cflp(inst, "single-source", **EXACT_CFLP)
    if not np.isfinite(opt):
        assert res.status == "infeasible"
        return
    assert res.status == "optimal"
    assert res.objective == pytest.approx(opt, rel=1e-7, abs=1e-6)


@SETTINGS
@given(instances())
def test_lagrangian_bound_and_fixing_keep_every_optimum(inst: CflpInstance) -> None:
    opt, sets = brute_force(inst, "multi-source")
    if not np.isfinite(opt):
        return
    lag = subgradient(inst, opt, max_iter=200)
    assert lag.bound <= opt + 1e-6 * max(1.0, abs(opt))
    state, bound = fix_by_bounds(inst, lag.multipliers, opt, lag.state)
    assert bound <= opt + 1e-6 * max(1.0, abs(opt))
    # Fixing is strict: every optimal open set agrees with every fixing.
    for mask in sets:
        assert np.all(mask[state == 1]) and not np.any(mask[state == 0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-20, 40), st.integers(1, 12)), min_size=1, max_size=7),
    st.integers(0, 40),
    st.lists(st.integers(-1, 1), min_size=7, max_size=7),
)
def test_cover_knapsack_dp_is_exact(
    items: list[tuple[int, int]], need: int, forced: list[int]
) -> None:
    v = np.array([a for a, _ in items], dtype=float)
    s = np.array([b for _, b in items], dtype=float)
    state = np.array(forced[: v.size], dtype=np.int8)
    ck = CoverKnapsack.build(s, float(need))
    assert ck.exact
    val, y = ck.solve(v, state)
    best = np.inf
    for bits in itertools.product([0.0, 1.0], repeat=v.size):
        yy = np.array(bits)
        if np.any(yy[state == 1] == 0) or np.any(yy[state == 0] == 1):
            continue
        if yy @ s >= need:
            best = min(best, float(yy @ v))
    assert val == pytest.approx(best)
    if np.isfinite(best):
        assert y @ s >= need and y @ v == pytest.approx(best)
        assert np.all(y[state == 1] == 1) and np.all(y[state == 0] == 0)


def test_engine_solves_after_a_multithreaded_highs_run() -> None:
    """HiGHS keeps one process-wide thread pool: the scenario MILP (HiGHS's default threads) and
    the CFLP engine (one thread) must both solve in the same process, in either order."""
    import highspy

    from coredge.plan.milp import _highs

    inst = CflpInstance(fixed_cost_usd=np.array([3.0, 2.0]), capacity=np.array([1.0, 1.0]),
                        demand=np.array([0.5, 0.5]), assign_cost_usd=np.array([[1.0, 2.0], [2.0, 1.0]]),
                        name="two")
    for _ in range(2):
        h = _highs(5.0, None)
        lp = highspy.HighsLp()
        lp.num_col_ = 1
        lp.num_row_ = 0
        lp.col_cost_ = np.array([1.0])
        lp.col_lower_ = np.array([0.0])
        lp.col_upper_ = np.array([1.0])
        lp.integrality_ = [highspy.HighsVarType.kInteger]
        h.passModel(lp)
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        res = solve_cflp(inst, "multi-source", **EXACT_CFLP)
        assert res.status == "optimal" and res.objective == pytest.approx(5.0)
