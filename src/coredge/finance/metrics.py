"""Investment metrics, vectorised along the last axis (years).

Time convention used by every function here
-------------------------------------------
``flows[..., t]`` for ``t = 0 .. T-1`` is the net cash flow [USD] that falls at the **end of year
t**, and year 0 is the valuation date: a flow at index ``t`` is discounted by ``(1 + rate) ** t``,
so ``flows[..., 0]`` is not discounted. This is the convention of ``numpy_financial.npv`` and
``numpy_financial.irr``. Leading axes (sites, tiers, trials ...) are independent series; every
function broadcasts over them.

Sign convention: money out (capex, opex, tax) is negative, money in is positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numba
import numpy as np
import numpy.typing as npt

from coredge.errors import InputError
from coredge.finance.irr_newton import (
    NEWTON_MAX_ITER,
    NEWTON_RESTART_RATES,
    NEWTON_START_RATE,
    newton_certified,
    no_bracket,
)
from coredge.finance.irr_newton import npv_and_slope as _npv_and_slope
from coredge.units import discount_factors as units_discount_factors

FloatArray = npt.NDArray[np.float64]

IRR_OK: Final = 0
"""An IRR was found (reason code)."""
IRR_NO_SIGN_CHANGE: Final = 1
"""The flows never change sign (all >= 0 or all <= 0): no rate makes NPV zero (reason code)."""
IRR_NO_ROOT_IN_WINDOW: Final = 2
"""The flows change sign but NPV has no sign change in the search window (roots outside it, or
only roots of even multiplicity, e.g. a tangent root) (reason code)."""

IRR_REASONS: Final = {
    IRR_OK: "ok",
    IRR_NO_SIGN_CHANGE: "no sign change in the cash flows",
    IRR_NO_ROOT_IN_WINDOW: "no NPV root in the search window",
}

IRR_RATE_MIN: Final = -0.99
"""Lower end of the IRR search window [fraction per year]."""
IRR_RATE_MAX: Final = 10.0
"""Upper end of the IRR search window [fraction per year]."""


def _as_flows(flows: npt.ArrayLike, name: str = "flows") -> FloatArray:
    arr = np.asarray(flows, dtype=np.float64)
    if arr.ndim == 0:
        raise InputError.of(name, flows, "an array with a last axis of years (at least 1-D)")
    return arr


def _rate_column(rate: npt.ArrayLike, lead_shape: tuple[int, ...]) -> FloatArray:
    r = np.asarray(rate, dtype=np.float64)
    if np.any(r <= -1.0):
        raise InputError.of("rate", rate, "discount rates above -1 (fractions, e.g. 0.07)")
    return np.broadcast_to(r, lead_shape)[..., None] if r.ndim else r.reshape(1)


def discount_factors(rate: npt.ArrayLike, n_years: int) -> FloatArray:
    """End-of-year discount factors ``(1 + rate) ** -t`` for ``t = 0 .. n_years-1``
    (`coredge.units.discount_factors` over the horizon).

    Parameters
    ----------
    rate : float or ndarray
        Discount rate [fraction per year]; an array gives one row of factors per rate.
    n_years : int
        Number of years T [years].

    Returns
    -------
    ndarray, shape ``rate.shape + (n_years,)``
        Discount factors [dimensionless].

    Examples
    --------
    >>> discount_factors(0.1, 3).round(4).tolist()
    [1.0, 0.9091, 0.8264]
    """
    r = np.asarray(rate, dtype=np.float64)
    t = np.arange(n_years, dtype=np.float64)
    out: FloatArray = units_discount_factors(r[..., None], t)
    return out


def npv(rate: npt.ArrayLike, flows: npt.ArrayLike) -> FloatArray:
    """Net present value of end-of-year cash flows.

    ``NPV = sum_t flows[..., t] / (1 + rate) ** t`` (year 0 undiscounted; same as
    ``numpy_financial.npv``).

    Parameters
    ----------
    rate : float or ndarray
        Discount rate [fraction per year]; scalar, or an array broadcastable to
        ``flows.shape[:-1]`` (one rate per series).
    flows : ndarray, shape (..., T)
        Net cash flows [USD] per year.

    Returns
    -------
    ndarray, shape ``flows.shape[:-1]``
        NPV [USD].

    Examples
    --------
    >>> float(npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]).round(2))
    3065.22
    """
    f = _as_flows(flows)
    lead = f.shape[:-1]
    r = _rate_column(rate, lead)
    t = np.arange(f.shape[-1], dtype=np.float64)
    out: FloatArray = np.sum(f * units_discount_factors(r, t), axis=-1)
    return out


def present_value(rate: npt.ArrayLike, values: npt.ArrayLike) -> FloatArray:
    """Present value of a yearly series (alias of `npv` for non-cash quantities such as GPU-hours).

    Parameters
    ----------
    rate : float or ndarray
        Discount rate [fraction per year].
    values : ndarray, shape (..., T)
        Yearly amounts [any unit], end-of-year convention.

    Returns
    -------
    ndarray, shape ``values.shape[:-1]``
        Discounted sum [same unit].

    Examples
    --------
    >>> float(present_value(0.0, [1.0, 2.0, 3.0]))
    6.0
    """
    return npv(rate, values)


@dataclass(frozen=True)
class IrrResult:
    """Vectorised IRR with diagnostics (all arrays have the shape of ``flows.shape[:-1]``).

    Attributes
    ----------
    irr : ndarray
        Internal rate of return [fraction per year]; NaN where none was found.
    exists : ndarray of bool
        True where an IRR was found.
    reason : ndarray of int8
        `IRR_OK`, `IRR_NO_SIGN_CHANGE` or `IRR_NO_ROOT_IN_WINDOW` (text in `IRR_REASONS`).
    n_sign_changes : ndarray of int
        Sign changes in the flows (zeros skipped). More than one means several IRRs may exist.
    n_roots_found : ndarray of int
        NPV sign changes seen on the search grid (a lower bound on the roots in the window).
    """

    irr: FloatArray
    exists: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.int8]
    n_sign_changes: npt.NDArray[np.int64]
    n_roots_found: npt.NDArray[np.int64]

    @property
    def multiple(self) -> npt.NDArray[np.bool_]:
        """True where more than one root was seen, i.e. the IRR is ambiguous."""
        out: npt.NDArray[np.bool_] = self.n_roots_found > 1
        return out


def _irr_grid(rate_min: float, rate_max: float) -> FloatArray:
    # Dense near the usual range (step 0.01 on [-0.5, 1]), coarser outside; always includes 0.
    parts = [
        np.linspace(rate_min, -0.5, 50, endpoint=False),
        np.linspace(-0.5, 1.0, 151),
        np.geomspace(1.0, max(rate_max, 1.0), 60)[1:],
    ]
    grid = np.unique(np.concatenate(parts))
    grid = grid[(grid >= rate_min) & (grid <= rate_max)]
    return np.unique(np.concatenate([grid, [0.0, rate_min, rate_max]]))


@numba.njit(parallel=True, cache=True)
def _sign_changes_kernel(flows: FloatArray, counts: npt.NDArray[np.int64]) -> None:
    """Sign changes of each row, zeros skipped, as in `count_sign_changes`."""
    for i in numba.prange(flows.shape[0]):
        last = 0  # sign of the last non-zero flow (0: none yet, or NaN)
        c = 0
        for t in range(flows.shape[1]):
            v = flows[i, t]
            s = int(v > 0.0) - int(v < 0.0)
            if v != 0.0:  # NaN too: it breaks the run (no change counted across it)
                c += int(s * last < 0)
                last = s
        counts[i] = c


def count_sign_changes(flows: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Number of sign changes along the last axis, zeros skipped (Descartes' rule bound on IRRs).

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Cash flows [USD].

    Returns
    -------
    ndarray of int, shape ``flows.shape[:-1]``
        Sign changes [count].

    Examples
    --------
    >>> int(count_sign_changes([-100, 0, 230, -132]))
    2
    """
    f = _as_flows(flows)
    if f.ndim >= 1 and f.size > 0:
        flat = np.ascontiguousarray(f.reshape(-1, f.shape[-1]))
        counts = np.empty(flat.shape[0], dtype=np.int64)
        _sign_changes_kernel(flat, counts)
        out_fast: npt.NDArray[np.int64] = counts.reshape(f.shape[:-1])
        return out_fast
    s = np.sign(f)
    # carry the last non-zero sign forward so that zeros are skipped
    idx = np.where(s != 0, np.arange(f.shape[-1]), 0)
    idx = np.maximum.accumulate(idx, axis=-1)
    filled = np.take_along_axis(s, idx, axis=-1)
    changes = (filled[..., 1:] * filled[..., :-1]) < 0
    out: npt.NDArray[np.int64] = changes.sum(axis=-1).astype(np.int64)
    return out


@numba.njit(cache=True)
def _refine_one(row: FloatArray, lo: float, hi: float, f_lo: float, tol: float, max_iter: int) -> float:
    """Safeguarded Newton (bisection fallback) on a bracket [lo, hi] with NPV(lo) = f_lo."""
    r = 0.5 * (lo + hi)
    for _ in range(max_iter):
        f, fp = _npv_and_slope(row, r)
        if f == 0.0:
            return r
        if (f > 0.0) == (f_lo > 0.0):
            lo = r
        else:
            hi = r
        nxt = 0.5 * (lo + hi)
        if fp != 0.0:
            newton = r - f / fp
            if lo < newton < hi:
                nxt = newton
        if abs(nxt - r) <= tol * (1.0 + abs(r)) or hi - lo <= tol:
            return nxt
        r = nxt
    return r


@numba.njit(parallel=True, cache=True)
def _irr_kernel(
    flows: FloatArray,
    grid: FloatArray,
    k0: int,
    tol: float,
    max_iter: int,
    out: FloatArray,
    n_roots: npt.NDArray[np.int64],
) -> None:
    n = flows.shape[0]
    K = grid.size
    for i in numba.prange(n):
        row = flows[i]
        cnt = 0
        best = np.nan
        best_abs = np.inf
        neg_k = -1
        neg_f = 0.0
        pos_k = -1
        pos_f = 0.0
        prev, _ = _npv_and_slope(row, grid[0])
        if prev == 0.0:
            cnt += 1
            if abs(grid[0]) < best_abs:
                best = grid[0]
                best_abs = abs(grid[0])
        for k in range(1, K):
            cur, _ = _npv_and_slope(row, grid[k])
            if cur == 0.0:
                cnt += 1
                if abs(grid[k]) < best_abs:
                    best = grid[k]
                    best_abs = abs(grid[k])
            elif prev != 0.0 and (cur > 0.0) != (prev > 0.0):
                cnt += 1
                if k <= k0:
                    neg_k = k - 1  # keep the last one below zero
                    neg_f = prev
                elif pos_k < 0:
                    pos_k = k - 1  # the first one above zero
                    pos_f = prev
            prev = cur
        if neg_k >= 0:
            r = _refine_one(row, grid[neg_k], grid[neg_k + 1], neg_f, tol, max_iter)
            if abs(r) < best_abs:
                best = r
                best_abs = abs(r)
        if pos_k >= 0:
            r = _refine_one(row, grid[pos_k], grid[pos_k + 1], pos_f, tol, max_iter)
            if abs(r) < best_abs:
                best = r
                best_abs = abs(r)
        out[i] = best
        n_roots[i] = cnt


def irr_detail(
    flows: npt.ArrayLike,
    rate_min: float = IRR_RATE_MIN,
    rate_max: float = IRR_RATE_MAX,
    tol: float = 1e-13,
    max_iter: int = 100,
    count_roots: bool = True,
) -> IrrResult:
    """Internal rate of return of many cash-flow series at once, with diagnostics.

    Rule (the same as ``numpy_financial.irr``, restricted to a window): the IRR is the real root
    ``r`` of ``NPV(r) = 0`` **closest to zero** among the roots in ``[rate_min, rate_max]``.
    NPV is evaluated on a fixed grid of about 260 rates over the window (step 0.01 on
    [-0.5, 1]); every grid interval with a sign change brackets a root; the bracket nearest to
    zero on each side of zero is refined by Newton's method safeguarded by bisection (to a
    relative step of ``tol``), and the refined root with the smaller ``|r|`` is returned.
    The loop over series is compiled with numba and runs in parallel.

    With ``count_roots=False`` most series skip the scan: Newton's method runs on all series at
    once and a root it finds is kept where the grid values between ``-|r|`` and ``|r|`` show
    that the scan would pick the same root (`coredge.finance.irr_newton`); the scan answers
    only the rest (no convergence, ``|r| > 0.49``, grid values within rounding of zero). The
    IRRs are the same as the scan's to the refinement tolerance; ``n_roots_found`` is then 1
    for the series Newton answered (only the grid near zero was looked at), so `multiple`
    flags only the series the scan answered. ``count_roots=True`` (default) scans every series
    and counts all roots on the grid.

    Where no IRR is returned (NaN, ``exists`` False), ``reason`` says why:

    * `IRR_NO_SIGN_CHANGE`: all flows >= 0 or all <= 0 (no real root for ``r > -1`` exists).
    * `IRR_NO_ROOT_IN_WINDOW`: the flows change sign but NPV does not change sign on the grid:
      the roots lie outside the window (``numpy_financial`` may still return one there), or
      the only roots are of even multiplicity (a tangent root, NPV touches zero), or two
      roots fall inside one grid interval (only possible for roots closer than 0.01 apart
      in the dense range).

    With several sign changes in the flows (e.g. an IT refresh after years of income) several
    IRRs may exist; ``n_sign_changes`` and ``n_roots_found`` flag those series.

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Net cash flows [USD], end-of-year convention (see module docstring).
    rate_min, rate_max : float
        Search window [fraction per year]; ``rate_min > -1``.
    tol : float
        Relative step tolerance of the refinement [fraction].
    max_iter : int
        Iteration cap of the refinement (and of the Newton pass).
    count_roots : bool
        Scan every series and count its roots on the whole grid (True), or answer by Newton
        where certified and scan only the rest (False, faster; same IRRs).

    Returns
    -------
    IrrResult

    Examples
    --------
    >>> res = irr_detail([[-100, 39, 59, 55, 20], [100, 10, 10, 10, 10]])
    >>> res.irr.round(5).tolist(), res.reason.tolist()
    ([0.28095, nan], [0, 1])
    """
    f = _as_flows(flows)
    if not -1.0 < rate_min < 0.0 < rate_max:
        raise InputError.of(
            "rate_min/rate_max", (rate_min, rate_max), "-1 < rate_min < 0 < rate_max"
        )
    lead = f.shape[:-1]
    flat = f.reshape(-1, f.shape[-1]) if f.ndim > 1 else f.reshape(1, -1)
    n = flat.shape[0]
    nsc = count_sign_changes(flat)
    grid = _irr_grid(rate_min, rate_max)
    k0 = int(np.flatnonzero(grid == 0.0)[0])
    flat = np.ascontiguousarray(flat)
    out = np.empty(n)
    n_found = np.empty(n, dtype=np.int64)
    if count_roots or n == 0 or flat.shape[-1] < 2:
        _irr_kernel(flat, grid, k0, tol, max_iter, out, n_found)
    else:
        todo = np.arange(n)
        sub = flat
        for start in (NEWTON_START_RATE, *NEWTON_RESTART_RATES):
            o_sub = np.empty(todo.size)
            newton_certified(
                sub, grid, k0, rate_min, rate_max, 1e-14, min(max_iter, NEWTON_MAX_ITER), start,
                o_sub,
            )
            done = np.isfinite(o_sub)
            out[todo[done]] = o_sub[done]
            n_found[todo[done]] = 1
            keep = ~done & (nsc[todo] > 0)
            todo, sub = todo[keep], sub[keep]
            if todo.size < n // 1000:  # too few to be worth another pass
                break
        # series with one NPV sign on the whole grid: no bracket, no root (what the scan says)
        none = np.empty(todo.size, dtype=np.bool_)
        no_bracket(np.ascontiguousarray(flat[todo]), grid, k0, none)
        out[todo[none]] = np.nan
        n_found[todo[none]] = 0
        rest = todo[~none]
        if rest.size:
            o_rest = np.empty(rest.size)
            n_rest = np.empty(rest.size, dtype=np.int64)
            _irr_kernel(np.ascontiguousarray(flat[rest]), grid, k0, tol, max_iter, o_rest, n_rest)
            out[rest] = o_rest
            n_found[rest] = n_rest
    # without a sign change no rate > -1 zeroes NPV, except for all-zero flows (every rate
    # does); report those as "no sign change" too
    out[nsc == 0] = np.nan
    n_found[nsc == 0] = 0
    found = np.isfinite(out)

    reason = np.where(found, IRR_OK, np.where(nsc == 0, IRR_NO_SIGN_CHANGE, IRR_NO_ROOT_IN_WINDOW))
    return IrrResult(
        irr=out.reshape(lead),
        exists=found.reshape(lead),
        reason=reason.astype(np.int8).reshape(lead),
        n_sign_changes=nsc.reshape(lead),
        n_roots_found=n_found.astype(np.int64).reshape(lead),
    )


def irr(flows: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Internal rate of return, vectorised: ``(irr, exists_mask)``.

    See `irr_detail` for the root-selection rule (closest to zero within [-0.99, 10], matching
    ``numpy_financial.irr`` there) and the reasons for NaN.

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Net cash flows [USD], end-of-year convention.

    Returns
    -------
    irr : ndarray, shape ``flows.shape[:-1]``
        IRR [fraction per year]; NaN where none exists.
    exists : ndarray of bool
        True where an IRR was found.

    Examples
    --------
    >>> r, ok = irr([-100, 0, 0, 74])
    >>> round(float(r), 5), bool(ok)
    (-0.0955, True)
    """
    res = irr_detail(flows, count_roots=False)
    return res.irr, res.exists


def _payback(flows: FloatArray) -> FloatArray:
    cum = np.cumsum(flows, axis=-1)
    T = flows.shape[-1]
    nonneg = cum >= 0.0
    first = np.argmax(nonneg, axis=-1)
    never = ~nonneg.any(axis=-1)
    prev_cum = np.take_along_axis(cum, np.maximum(first - 1, 0)[..., None], axis=-1)[..., 0]
    flow_at = np.take_along_axis(flows, first[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(flow_at > 0, -prev_cum / flow_at, 1.0)
    pb = np.where(first == 0, 0.0, first - 1 + frac).astype(np.float64)
    pb = np.where(never, np.nan, pb)
    del T
    out: FloatArray = pb
    return out


def payback_years(flows: npt.ArrayLike, rate: npt.ArrayLike | None = None) -> FloatArray:
    """Payback period, simple or discounted, interpolated within the year.

    The payback is the first time the cumulative cash flow reaches zero. With end-of-year flows,
    if the cumulative flow is ``C[t-1] < 0`` at the end of year ``t-1`` and ``C[t] >= 0`` at the
    end of year ``t``, the payback is ``t - 1 + (-C[t-1]) / flows[t]`` (years after the end of
    year 0, i.e. measured on the same index as the flows; the flow of year ``t`` is assumed to
    accrue evenly between the two year ends). It is 0 when ``C[0] >= 0`` and NaN if the
    cumulative flow never reaches zero within the horizon. Later dips (e.g. an IT refresh) do not
    reset it.

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Net cash flows [USD].
    rate : float or ndarray, optional
        Discount rate [fraction per year]; when given, the discounted payback is returned.

    Returns
    -------
    ndarray, shape ``flows.shape[:-1]``
        Payback [years]; NaN if never.

    Examples
    --------
    >>> float(payback_years([-100, 40, 40, 40]))
    2.5
    """
    f = _as_flows(flows)
    if rate is not None:
        r = _rate_column(rate, f.shape[:-1])
        f = f * units_discount_factors(r, np.arange(f.shape[-1], dtype=np.float64))
    return _payback(f)


def moic(flows: npt.ArrayLike) -> FloatArray:
    """Multiple on invested capital: money returned / money put in (undiscounted).

    ``MOIC = sum(max(flows, 0)) / sum(max(-flows, 0))``; NaN when nothing is put in.

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Net cash flows [USD].

    Returns
    -------
    ndarray, shape ``flows.shape[:-1]``
        MOIC [dimensionless multiple].

    Examples
    --------
    >>> float(moic([-100, 60, 90]))
    1.5
    """
    f = _as_flows(flows)
    inflow = np.clip(f, 0.0, None).sum(axis=-1)
    outflow = np.clip(-f, 0.0, None).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(outflow > 0, inflow / np.where(outflow > 0, outflow, 1.0), np.nan)
    return out


def peak_funding_usd(flows: npt.ArrayLike) -> FloatArray:
    """Peak funding requirement: the depth of the most negative cumulative cash flow.

    ``peak_funding_usd = max(0, -min_t cumsum(flows)[t])`` (undiscounted), reported as a
    non-negative amount of money that must be raised.

    Parameters
    ----------
    flows : ndarray, shape (..., T)
        Net cash flows [USD].

    Returns
    -------
    ndarray, shape ``flows.shape[:-1]``
        Peak funding [USD], >= 0.

    Examples
    --------
    >>> float(peak_funding_usd([-100, -50, 80, 200]))
    150.0
    """
    f = _as_flows(flows)
    out: FloatArray = np.maximum(0.0, -np.cumsum(f, axis=-1).min(axis=-1))
    return out


def lcoc(costs: npt.ArrayLike, units: npt.ArrayLike, rate: npt.ArrayLike) -> FloatArray:
    """Levelised cost of compute: ``PV(costs) / PV(units)``.

    With ``units`` in GPU-hours this is [USD/GPU-hour]; in millions of tokens it is
    [USD per million tokens]. NaN where ``PV(units) == 0``.

    Parameters
    ----------
    costs : ndarray, shape (..., T)
        Yearly costs [USD], positive numbers (capex + opex - residual value, as you define).
    units : ndarray, shape (..., T)
        Yearly delivered units [GPU-h or million tokens].
    rate : float or ndarray
        Discount rate [fraction per year].

    Returns
    -------
    ndarray, shape ``costs.shape[:-1]``
        Levelised cost [USD per unit].

    Examples
    --------
    >>> round(float(lcoc([100.0, 0.0], [0.0, 110.0], 0.10)), 9)
    1.0
    """
    pv_c = npv(rate, costs)
    pv_u = npv(rate, units)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(pv_u != 0, pv_c / np.where(pv_u != 0, pv_u, 1.0), np.nan)
    return out


__all__ = [
    "IRR_NO_ROOT_IN_WINDOW",
    "IRR_NO_SIGN_CHANGE",
    "IRR_OK",
    "IRR_RATE_MAX",
    "IRR_RATE_MIN",
    "IRR_REASONS",
    "IrrResult",
    "count_sign_changes",
    "discount_factors",
    "irr",
    "irr_detail",
    "lcoc",
    "moic",
    "npv",
    "payback_years",
    "peak_funding_usd",
    "present_value",
]
