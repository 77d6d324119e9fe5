"""IRR by Newton's method, certified against the grid-scan rule of `irr_detail`.

`coredge.finance.metrics.irr_detail` defines the IRR of a series as the root of NPV closest to
zero among the brackets that a fixed grid of rates shows (the last grid interval with a sign
change below zero and the first above it, each refined; the smaller ``|r|`` wins). Scanning the
~260 grid rates of every series is the expensive part. `newton_certified` answers most series
without the scan, all series at once in a parallel compiled loop:

1. **Newton** on ``P(x) = sum_t flows[t] x^t`` with ``x = 1 / (1 + r)``, started at
   ``r = NEWTON_START_RATE``; a series whose step does not fall below ``tol`` within
   ``max_iter`` iterations, or whose root lies outside the window, is not answered here.
2. **Certification** of the root ``r*`` on the scan's own grid and with the scan's own NPV
   arithmetic (`npv_and_slope`, so the signs are the very ones the scan sees): walking out
   from zero, (a) every grid point up to ``r*`` has the sign of ``NPV(0)`` and the next one
   the other sign (the grid interval holding ``r*`` is the first bracket on its side), and
   (b) on the other side of zero every grid point down to the first at or beyond ``-r*`` has
   the sign of ``NPV(0)`` (a bracket there holds a root farther from zero). A zero NPV on a
   grid point fails the certificate (the scan counts it as a root).

The scan answers every series not certified, so the result is the scan's, up to the
refinement tolerance, with one assumption the scan shares: a grid interval holds at most one
root (three roots within one grid step would let the two refinements pick different ones).
Cost: Newton's few iterations plus ``2 |r*| / 0.01`` grid evaluations instead of ~260.
"""

from __future__ import annotations

from typing import Final

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

NEWTON_START_RATE: Final = 0.1
"""Starting rate of the Newton iteration [fraction per year] (a typical IRR)."""
NEWTON_RESTART_RATES: Final = (0.0, 0.3, -0.3)
"""Starting rates [fraction per year] of further Newton passes for the series the first pass
leaves uncertified (it converged to another root, or not at all)."""
NEWTON_MAX_ITER: Final = 30
"""Iteration cap of the Newton pass [count]; series not converged by then go to the scan
(Newton converges quadratically near a simple root: the cap only cuts off slow tails)."""


@numba.njit(cache=True, inline="always")
def npv_and_slope(row: FloatArray, rate: float) -> tuple[float, float]:
    """NPV(rate) [USD] and dNPV/drate of one series by Horner's rule in x = 1/(1+rate)."""
    x = 1.0 / (1.0 + rate)
    p = 0.0
    dp = 0.0
    for t in range(row.size - 1, -1, -1):
        dp = dp * x + p
        p = p * x + row[t]
    return p, -dp * x * x


LANES: Final = 8
"""Series iterated together by Newton, and grid rates evaluated together by the certificate
(independent Horner chains the processor overlaps) [count]."""


@numba.njit(cache=True)
def _newton_lanes(
    flows: FloatArray,
    i0: int,
    x0: float,
    tol: float,
    max_iter: int,
    roots: FloatArray,
    work: FloatArray,
    live: npt.NDArray[np.bool_],
) -> None:
    """Newton's method in x = 1/(1+r) from ``x0`` on series ``i0 .. i0+LANES-1`` together;
    ``roots[j]`` gets the root of series ``i0 + j`` as a rate, NaN if not converged
    (``work``, shape (3, LANES), and ``live``, shape (LANES,), are scratch space)."""
    n, T = flows.shape
    m = min(LANES, n - i0)
    x = work[0]
    p = work[1]
    dp = work[2]
    for j in range(LANES):
        x[j] = x0
        roots[j] = np.nan
        live[j] = j < m
    n_live = m
    for _ in range(max_iter):
        if n_live == 0:
            break
        for j in range(LANES):
            p[j] = flows[i0 + j, T - 1] if j < m else 0.0
            dp[j] = 0.0
        for t in range(T - 2, -1, -1):
            for j in range(LANES):
                ft = flows[i0 + j, t] if j < m else 0.0
                dp[j] = dp[j] * x[j] + p[j]
                p[j] = p[j] * x[j] + ft
        for j in range(m):
            if not live[j]:
                continue
            if dp[j] == 0.0:
                live[j] = False
                n_live -= 1
                continue
            step = p[j] / dp[j]
            x[j] = x[j] - step
            if not (x[j] > 0.0 and np.isfinite(x[j])):
                live[j] = False
                n_live -= 1
                x[j] = x0
            elif abs(step) <= tol * x[j]:
                roots[j] = 1.0 / x[j] - 1.0
                live[j] = False
                n_live -= 1


@numba.njit(cache=True)
def _same_sign_walk(
    row: FloatArray, grid: FloatArray, xg: FloatArray, k: int, dk: int, r: float, f0: float
) -> int:
    """Walk the grid from index k by dk while grid[k] is strictly between 0 and r; return the
    first index beyond (K or -1 off the grid), or -2 if a point on the way lacks NPV(0)'s sign.

    Four grid rates are evaluated together, in registers (each by the same arithmetic as
    `npv_and_slope`)."""
    K = grid.size
    T = row.size
    pos0 = f0 > 0.0
    while True:
        m = 0
        xs0 = xs1 = xs2 = xs3 = 1.0
        for j in range(4):
            kk = k + j * dk
            if not (0 <= kk < K and (grid[kk] < r if dk > 0 else grid[kk] > r)):
                break
            m += 1
            if j == 0:
                xs0 = xg[kk]
            elif j == 1:
                xs1 = xg[kk]
            elif j == 2:
                xs2 = xg[kk]
            else:
                xs3 = xg[kk]
        if m == 0:
            return k
        p0 = p1 = p2 = p3 = 0.0
        for t in range(T - 1, -1, -1):
            rt = row[t]
            p0 = p0 * xs0 + rt
            p1 = p1 * xs1 + rt
            p2 = p2 * xs2 + rt
            p3 = p3 * xs3 + rt
        if p0 == 0.0 or (p0 > 0.0) != pos0:
            return -2
        if m > 1 and (p1 == 0.0 or (p1 > 0.0) != pos0):
            return -2
        if m > 2 and (p2 == 0.0 or (p2 > 0.0) != pos0):
            return -2
        if m > 3 and (p3 == 0.0 or (p3 > 0.0) != pos0):
            return -2
        k += m * dk


@numba.njit(cache=True)
def _certified(row: FloatArray, grid: FloatArray, xg: FloatArray, k0: int, r: float) -> bool:
    """True if the grid scan of `irr_detail` would return the root ``r`` of this series."""
    K = grid.size
    f0, _ = npv_and_slope(row, grid[k0])
    if f0 == 0.0 or r == 0.0:
        return False
    d = 1 if r > 0.0 else -1
    # (a) out to r: the same sign, then the other sign just beyond r
    k = _same_sign_walk(row, grid, xg, k0 + d, d, r, f0)
    if k < 0 or k >= K or grid[k] == r:
        return False
    f, _ = npv_and_slope(row, grid[k])
    if f == 0.0 or (f > 0.0) == (f0 > 0.0):
        return False
    # (b) the other side, out to -r and one grid point at or beyond it: the same sign
    k = _same_sign_walk(row, grid, xg, k0 - d, -d, -r, f0)
    if k == -2:
        return False
    if 0 <= k < K:
        f, _ = npv_and_slope(row, grid[k])
        if f == 0.0 or (f > 0.0) != (f0 > 0.0):
            return False
    return True


@numba.njit(parallel=True, cache=True)
def newton_certified(
    flows: FloatArray,
    grid: FloatArray,
    k0: int,
    rate_min: float,
    rate_max: float,
    tol: float,
    max_iter: int,
    start_rate: float,
    out: FloatArray,
) -> None:
    """Newton's root of each series where certified (see the module docstring), NaN elsewhere.

    Parameters
    ----------
    flows : ndarray, shape (n, T)
        Cash flows [USD], C-contiguous.
    grid : ndarray, shape (K,)
        The scan's grid of rates [fraction per year], sorted, ``grid[k0] == 0``.
    k0 : int
        Index of zero in ``grid``.
    rate_min, rate_max : float
        Search window [fraction per year].
    tol : float
        Newton's relative step tolerance in ``x`` [fraction].
    max_iter : int
        Newton's iteration cap [count].
    start_rate : float
        Newton's starting rate [fraction per year].
    out : ndarray, shape (n,)
        Filled with the certified IRR [fraction per year] or NaN.
    """
    n = flows.shape[0]
    x0 = 1.0 / (1.0 + start_rate)
    xg = 1.0 / (1.0 + grid)  # the x of each grid rate, as `npv_and_slope` computes it
    n_groups = (n + LANES - 1) // LANES
    n_chunks = min(n_groups, 64)
    for c in numba.prange(n_chunks):
        roots = np.empty(LANES)
        work = np.empty((3, LANES))
        live = np.empty(LANES, dtype=np.bool_)
        for b in range(c * n_groups // n_chunks, (c + 1) * n_groups // n_chunks):
            i0 = b * LANES
            _newton_lanes(flows, i0, x0, tol, max_iter, roots, work, live)
            for j in range(min(LANES, n - i0)):
                r = roots[j]
                row = flows[i0 + j]
                if np.isfinite(r) and rate_min < r < rate_max and _certified(row, grid, xg, k0, r):
                    out[i0 + j] = r
                else:
                    out[i0 + j] = np.nan


@numba.njit(parallel=True, cache=True)
def no_bracket(flows: FloatArray, grid: FloatArray, k0: int, out: npt.NDArray[np.bool_]) -> None:
    """True where NPV has one sign and no zero on every grid rate: the scan of `irr_detail`
    finds no bracket and no root there (evaluated by the scan's own arithmetic).

    Parameters
    ----------
    flows : ndarray, shape (n, T)
        Cash flows [USD], C-contiguous.
    grid : ndarray, shape (K,)
        The scan's grid of rates [fraction per year], sorted, ``grid[k0] == 0``.
    k0 : int
        Index of zero in ``grid``.
    out : ndarray of bool, shape (n,)
        Filled with the answer.
    """
    xg = 1.0 / (1.0 + grid)
    for i in numba.prange(flows.shape[0]):
        row = flows[i]
        f0, _ = npv_and_slope(row, grid[k0])
        out[i] = (
            f0 != 0.0
            and _same_sign_walk(row, grid, xg, k0 + 1, 1, np.inf, f0) == grid.size
            and _same_sign_walk(row, grid, xg, k0 - 1, -1, -np.inf, f0) == -1
        )


__all__ = [
    "LANES",
    "NEWTON_MAX_ITER",
    "NEWTON_RESTART_RATES",
    "NEWTON_START_RATE",
    "newton_certified",
    "no_bracket",
    "npv_and_slope",
]
