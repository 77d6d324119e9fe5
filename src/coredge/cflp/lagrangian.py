"""Lagrangian relaxation of the customer-assignment rows of the CFLP: bounds and fixing.

Relaxing ``sum_i x_ij = 1`` with multipliers ``lambda_j`` [USD] splits the problem into one
continuous knapsack per facility,

    v_i(lambda) = f_i + min { sum_j (c_ij - lambda_j) x_ij : sum_j d_j x_ij <= s_i, 0 <= x <= 1 },

and a 0-1 covering knapsack over the opening decisions,

    K(lambda) = min { sum_i v_i y_i : sum_i s_i y_i >= sum_j d_j, y in {0, 1}^m },

so that ``L(lambda) = sum_j lambda_j + K(lambda)`` is a lower bound on the CFLP optimum for any
``lambda``. With integer capacities the covering knapsack is solved exactly by dynamic
programming over capacity units (after dividing by their greatest common divisor), which makes
this bound stronger than the LP relaxation of the strong formulation whenever the LP opens a
fractional amount of capacity (it is on capa/capb/capc). Otherwise its LP relaxation is used,
which is still a valid bound. The bound is maximised by subgradient optimisation (Held, Wolfe and
Crowder 1974 step rule). For the uncapacitated variant the knapsacks reduce to
``v_i = f_i + sum_j min(0, c_ij - lambda_j)`` and there is no cover.

Because every ``L(lambda)`` is a valid bound, it also gives *conditional* bounds: the bound of
the best solution with ``y_i`` forced to the opposite of the relaxed solution's value. Any facility
whose conditional bound is no better than a known solution can be fixed (`fix_by_bounds`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numba
import numpy as np
import numpy.typing as npt

from coredge.cflp.instance import CflpInstance

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]

_DP_MAX_UNITS = 200_000
"""Largest residual demand, in capacity units, for the exact knapsack DP (assumption: memory)."""


@numba.njit(cache=True)
def _facility_knapsacks(
    cost: FloatArray,
    lam: FloatArray,
    demand: FloatArray,
    capacity: FloatArray,
    capacitated: bool,
    x_out: FloatArray,
) -> FloatArray:  # pragma: no cover - compiled
    m, n = cost.shape
    vals = np.zeros(m)
    idx = np.empty(n, dtype=np.int64)
    key = np.empty(n)
    for i in range(m):
        k = 0
        for j in range(n):
            x_out[i, j] = 0.0
            r = cost[i, j] - lam[j]
            if r < 0.0:
                idx[k] = j
                key[k] = r / demand[j] if demand[j] > 0.0 else -np.inf
                k += 1
        if not capacitated:
            for t in range(k):
                j = idx[t]
                x_out[i, j] = 1.0
                vals[i] += cost[i, j] - lam[j]
            continue
        order = np.argsort(key[:k])
        rem = capacity[i]
        for t in range(k):
            j = idx[order[t]]
            dj = demand[j]
            if dj <= rem:
                x = 1.0
                rem -= dj
            elif rem > 0.0:
                x = rem / dj
                rem = 0.0
            else:
                break
            x_out[i, j] = x
            vals[i] += x * (cost[i, j] - lam[j])
    return vals


@numba.njit(cache=True)
def _cover_dp(
    v: FloatArray, w: npt.NDArray[np.int64], r_units: int, state: Int8Array
) -> tuple[float, FloatArray]:  # pragma: no cover - compiled
    """Exact ``min sum v_i y_i`` s.t. ``sum w_i y_i >= r_units`` with forced states (-1 free)."""
    m = v.size
    y = np.zeros(m)
    base = 0.0
    rem = r_units
    for i in range(m):
        if state[i] == 1 or (state[i] == -1 and v[i] <= 0.0):
            y[i] = 1.0
            base += v[i]
            rem -= w[i]
    if rem <= 0:
        return base, y
    free = np.empty(m, dtype=np.int64)
    nf = 0
    for i in range(m):
        if state[i] == -1 and v[i] > 0.0:
            free[nf] = i
            nf += 1
    dp = np.full(rem + 1, np.inf)
    dp[0] = 0.0
    take = np.zeros((nf, rem + 1), dtype=np.bool_)
    for t in range(nf):
        i = free[t]
        wi = w[i]
        vi = v[i]
        for c in range(rem, 0, -1):
            prev = c - wi
            if prev < 0:
                prev = 0
            cand = vi + dp[prev]
            if cand < dp[c]:
                dp[c] = cand
                take[t, c] = True
    if not np.isfinite(dp[rem]):
        return np.inf, y
    c = rem
    for t in range(nf - 1, -1, -1):
        if take[t, c]:
            y[free[t]] = 1.0
            c -= w[free[t]]
            if c < 0:
                c = 0
    return base + dp[rem], y


@numba.njit(cache=True)
def _cover_lp(
    v: FloatArray, s: FloatArray, need: float, state: Int8Array
) -> tuple[float, FloatArray]:  # pragma: no cover - compiled
    """LP relaxation of the covering knapsack (greedy by ``v_i / s_i``)."""
    m = v.size
    y = np.zeros(m)
    base = 0.0
    rem = need
    for i in range(m):
        if state[i] == 1 or (state[i] == -1 and v[i] <= 0.0):
            y[i] = 1.0
            base += v[i]
            rem -= s[i]
    if rem <= 0.0:
        return base, y
    nf = 0
    free = np.empty(m, dtype=np.int64)
    key = np.empty(m)
    for i in range(m):
        if state[i] == -1 and v[i] > 0.0:
            free[nf] = i
            key[nf] = v[i] / s[i] if s[i] > 0.0 else np.inf
            nf += 1
    order = np.argsort(key[:nf])
    for t in range(nf):
        i = free[order[t]]
        if s[i] <= 0.0:
            continue
        if s[i] <= rem:
            y[i] = 1.0
            base += v[i]
            rem -= s[i]
        else:
            y[i] = rem / s[i]
            base += y[i] * v[i]
            rem = 0.0
        if rem <= 0.0:
            break
    if rem > 1e-9 * max(1.0, need):
        return np.inf, y
    return base, y


@dataclass(frozen=True)
class CoverKnapsack:
    """The covering knapsack ``min sum v_i y_i  s.t.  sum s_i y_i >= total demand``.

    Solved exactly by DP in units of ``gcd(s)`` when capacities are integers and the residual is
    at most `_DP_MAX_UNITS` units; by its LP relaxation otherwise (a weaker but valid bound).
    """

    capacity: FloatArray
    need: float
    units: npt.NDArray[np.int64] | None
    need_units: int

    @classmethod
    def build(cls, capacity: FloatArray, need: float) -> CoverKnapsack:
        """Prepare for capacities [demand unit] and a total need [demand unit]."""
        s = np.asarray(capacity, dtype=np.float64)
        units: npt.NDArray[np.int64] | None = None
        need_units = 0
        if s.size and np.all(s == np.round(s)) and np.all(s >= 0) and s.max() < 2**52:
            si = s.astype(np.int64)
            g = int(np.gcd.reduce(si[si > 0])) if np.any(si > 0) else 1
            # Integer rounding: sum (s_i/g) y_i >= need/g  <=>  ... >= ceil(need/g).
            nu = int(np.ceil(need / g - 1e-9))
            if nu <= _DP_MAX_UNITS and nu * s.size <= 50_000_000:
                units = si // g
                need_units = max(nu, 0)
        return cls(s, float(need), units, need_units)

    @property
    def exact(self) -> bool:
        """Whether the knapsack is solved to integrality."""
        return self.units is not None

    def solve(self, v: FloatArray, state: Int8Array) -> tuple[float, FloatArray]:
        """Minimum value and a minimiser ``y``; ``state[i]`` is -1 free, 0 closed, 1 open."""
        if self.need <= 0:
            y = ((state == 1) | ((state == -1) & (v <= 0))).astype(np.float64)
            return float(np.dot(v, y)), y
        if self.units is not None:
            val, y = _cover_dp(v, self.units, self.need_units, state)
        else:
            val, y = _cover_lp(v, self.capacity, self.need, state)
        return float(val), y


def facility_values(
    inst: CflpInstance, lam: FloatArray, capacitated: bool = True, x_out: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Lagrangian value of opening each facility, ``v_i(lambda)``.

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    lam : ndarray, shape (n,)
        Multipliers of the assignment rows [USD].
    capacitated : bool
        Continuous knapsack per facility (True) or uncapacitated (False).
    x_out : ndarray, shape (m, n), optional
        Work array receiving the knapsack solutions.

    Returns
    -------
    (v, x)
        ``v`` [USD], shape (m,), and the relaxed assignment ``x`` (m, n).

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0]), np.array([5.0]), np.array([1.0]), np.array([[2.0]]))
    >>> facility_values(inst, np.array([4.0]))[0].tolist()
    [-1.0]
    """
    x = np.empty((inst.m, inst.n)) if x_out is None else x_out
    vals = _facility_knapsacks(
        inst.assign_cost_usd,
        np.ascontiguousarray(lam, dtype=np.float64),
        inst.demand,
        inst.capacity,
        capacitated,
        x,
    )
    return inst.fixed_cost_usd + vals, x


def lagrangian_value(
    inst: CflpInstance,
    lam: FloatArray,
    state: Int8Array | None = None,
    capacitated: bool = True,
    cover: CoverKnapsack | None = None,
) -> tuple[float, FloatArray, FloatArray, FloatArray]:
    """``L(lambda)``: a lower bound on the CFLP optimum (given the fixings in ``state``).

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    lam : ndarray, shape (n,)
        Multipliers [USD].
    state : ndarray of int8, shape (m,), optional
        -1 free, 0 fixed closed, 1 fixed open.
    capacitated : bool
        False for the uncapacitated variant (no knapsacks, no cover).
    cover : CoverKnapsack, optional
        Prepared covering knapsack (built from ``inst`` when omitted).

    Returns
    -------
    (bound, y, v, x)
        The bound [USD] (``inf`` when the fixings leave too little capacity), the relaxed opening
        vector, the facility values [USD] and the relaxed assignment.

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0]), np.array([5.0]), np.array([1.0]), np.array([[2.0]]))
    >>> lagrangian_value(inst, np.array([3.0]))[0]
    3.0
    """
    st = np.full(inst.m, -1, dtype=np.int8) if state is None else state
    v, x = facility_values(inst, lam, capacitated)
    if capacitated:
        ck = cover if cover is not None else CoverKnapsack.build(inst.capacity, inst.total_demand)
        k, y = ck.solve(v, st)
    else:
        y = ((st == 1) | ((st == -1) & (v <= 0))).astype(np.float64)
        k = float(np.dot(v, y))
    return float(lam.sum()) + k, y, v, x


def conditional_bounds(
    lam_sum: float, v: FloatArray, y: FloatArray, state: Int8Array, cover: CoverKnapsack | None
) -> FloatArray:
    """Bound with each free ``y_i`` forced to the opposite of its relaxed value [USD].

    ``nan`` for facilities that are not free or whose relaxed value is fractional.
    """
    m = v.size
    out = np.full(m, np.nan)
    if cover is None:
        base = float(np.dot(v, y))
        free = (state == -1) & ((y == 0) | (y == 1))
        flip = np.where(y > 0.5, -v, v)
        out[free] = lam_sum + base + flip[free]
        return out
    for i in np.nonzero(state == -1)[0]:
        if y[i] not in (0.0, 1.0):
            continue
        st = state.copy()
        st[i] = 0 if y[i] > 0.5 else 1
        out[i] = lam_sum + cover.solve(v, st)[0]
    return out


@dataclass
class LagrangianResult:
    """Outcome of subgradient optimisation.

    Attributes
    ----------
    bound : float
        Best Lagrangian bound found [USD] (valid for the problem with ``state`` fixings).
    multipliers : ndarray, shape (n,)
        Multipliers giving ``bound`` [USD].
    state : ndarray of int8, shape (m,)
        Fixings: -1 free, 0 closed, 1 open.
    iterations : int
        Subgradient iterations run.
    open_sets : list of ndarray of bool
        Distinct relaxed opening sets met, oldest first (seeds for primal heuristics).
    """

    bound: float
    multipliers: FloatArray
    state: Int8Array
    iterations: int
    open_sets: list[npt.NDArray[np.bool_]] = field(default_factory=list)


def initial_multipliers(inst: CflpInstance) -> FloatArray:
    """Start multipliers: each customer's cheapest reachable assignment cost [USD].

    Examples
    --------
    >>> inst = CflpInstance(np.zeros(2), np.ones(2), np.ones(1), np.array([[3.0], [2.0]]))
    >>> initial_multipliers(inst).tolist()
    [2.0]
    """
    c = inst.assign_cost_usd
    lam = np.where(np.isfinite(c), c, np.nan)
    out = np.nanmin(lam, axis=0) if inst.m else np.zeros(inst.n)
    return np.asarray(out, dtype=np.float64)


def subgradient(
    inst: CflpInstance,
    upper_bound: float,
    capacitated: bool = True,
    lam0: FloatArray | None = None,
    state: Int8Array | None = None,
    max_iter: int = 300,
    step0: float = 2.0,
    patience: int = 20,
    min_step: float = 1e-4,
    target: float | None = None,
    keep_sets: int = 50,
    deadline: float | None = None,
) -> LagrangianResult:
    """Maximise ``L(lambda)`` by subgradient steps (Held-Wolfe-Crowder step rule).

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    upper_bound : float
        Cost of a known solution [USD] (the step target; ``inf`` uses ``1.05 * |L| + 1``).
    capacitated : bool
        False for the uncapacitated variant.
    lam0 : ndarray, optional
        Starting multipliers [USD] (default `initial_multipliers`).
    state : ndarray of int8, optional
        Fixings (-1 free, 0 closed, 1 open), respected by the relaxation.
    max_iter : int
        Iteration limit.
    step0 : float
        Initial step factor (halved after ``patience`` iterations without improvement).
    patience : int
        Iterations without improvement before the step factor is halved.
    min_step : float
        Stop when the step factor falls below this.
    target : float, optional
        Stop once the bound reaches this value [USD] (e.g. the upper bound).
    keep_sets : int
        How many distinct relaxed opening sets to keep (the most recent ones).
    deadline : float, optional
        Stop at this `time.perf_counter` value [s].

    Returns
    -------
    LagrangianResult

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0]), np.array([5.0]), np.array([1.0]), np.array([[2.0]]))
    >>> round(subgradient(inst, 3.0).bound, 6)
    3.0
    """
    st = np.full(inst.m, -1, dtype=np.int8) if state is None else state.copy()
    lam = initial_multipliers(inst) if lam0 is None else np.array(lam0, dtype=np.float64)
    cover = CoverKnapsack.build(inst.capacity, inst.total_demand) if capacitated else None
    x = np.empty((inst.m, inst.n))
    best = -np.inf
    best_lam = lam.copy()
    alpha = step0
    since = 0
    seen: dict[bytes, npt.NDArray[np.bool_]] = {}
    it = 0
    for it in range(1, max_iter + 1):
        v, _ = facility_values(inst, lam, capacitated, x)
        if cover is not None:
            k, y = cover.solve(v, st)
        else:
            y = ((st == 1) | ((st == -1) & (v <= 0))).astype(np.float64)
            k = float(np.dot(v, y))
        if not np.isfinite(k):
            return LagrangianResult(np.inf, lam, st, it, list(seen.values()))
        val = float(lam.sum()) + k
        if val > best + 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best, best_lam, since = val, lam.copy(), 0
        else:
            since += 1
            if since >= patience:
                alpha *= 0.5
                since = 0
        opened = y > 0.5
        key = np.packbits(opened).tobytes()
        seen.pop(key, None)
        seen[key] = opened  # most recent last
        if len(seen) > keep_sets:
            del seen[next(iter(seen))]
        if target is not None and best >= target:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        g = 1.0 - y @ x
        norm = float(np.dot(g, g))
        if norm <= 1e-18 or alpha < min_step:
            break
        ub = upper_bound if np.isfinite(upper_bound) else 1.05 * abs(val) + 1.0
        t = alpha * max(ub - val, 1e-9 * max(1.0, abs(ub))) / norm
        lam = lam + t * g
    return LagrangianResult(float(best), best_lam, st, it, list(seen.values()))


def fix_by_bounds(
    inst: CflpInstance,
    lam: FloatArray,
    upper_bound: float,
    state: Int8Array,
    capacitated: bool = True,
    rel_tol: float = 1e-9,
) -> tuple[Int8Array, float]:
    """Fix every ``y_i`` whose flip provably cannot beat ``upper_bound``.

    A facility closed (open) in the relaxed solution is fixed closed (open) when the Lagrangian
    bound with it forced open (closed) is at least ``upper_bound * (1 + rel_tol)``: no solution
    strictly better than the incumbent opens (closes) it.

    Parameters
    ----------
    inst : CflpInstance
        The instance.
    lam : ndarray, shape (n,)
        Multipliers [USD].
    upper_bound : float
        Cost of a known feasible solution [USD].
    state : ndarray of int8
        Current fixings (-1 free, 0 closed, 1 open); not modified.
    capacitated : bool
        False for the uncapacitated variant.
    rel_tol : float
        Safety margin against rounding [fraction].

    Returns
    -------
    (state, bound)
        New fixings and ``L(lambda)`` under the old fixings [USD].

    Examples
    --------
    >>> inst = CflpInstance(np.array([1.0, 9.0]), np.ones(2) * 5, np.array([1.0]),
    ...                     np.array([[2.0], [2.0]]))
    >>> fix_by_bounds(inst, np.array([3.0]), 3.0, np.full(2, -1, np.int8))[0].tolist()
    [1, 0]
    """
    cover = CoverKnapsack.build(inst.capacity, inst.total_demand) if capacitated else None
    bound, y, v, _ = lagrangian_value(inst, lam, state, capacitated, cover)
    new = state.copy()
    if not np.isfinite(bound):
        return new, bound
    cond = conditional_bounds(float(lam.sum()), v, y, state, cover)
    margin = rel_tol * max(1.0, abs(upper_bound))
    fix = np.isfinite(cond) & (cond >= upper_bound + margin)
    fix |= np.isposinf(cond)
    new[fix & (y > 0.5)] = 1
    new[fix & (y < 0.5)] = 0
    return new, bound
