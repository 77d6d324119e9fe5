"""The compiled Monte Carlo cash-flow kernel: `coredge.finance.cashflow.evaluate` for many trials,
summed per tier, without building (trials, sites, years) arrays.

Shocks come in a compact layout so that no (trials, sites) array of neutral values is ever
filled: each of the seven `coredge.finance.cashflow.Shocks` fields (order of `SHOCK_FIELDS`) is
an array ``(n, m)`` of draws and a column map ``cols[f, s]``: site ``s`` reads column
``cols[f, s]`` of field ``f`` (``0`` for a draw shared by every site, the site's rank among the
sites drawn for a site-scope draw), or the field's neutral value where ``cols[f, s] == -1``
(a variable restricted to other tiers, or not drawn at all).

The kernel runs on one thread and releases the GIL (``nogil``): callers parallelise by handing
different trials to different threads (`coredge.finance.montecarlo.run_monte_carlo`), so the
numbers of a trial never depend on how many threads there are.
"""

from __future__ import annotations

from typing import Any, Final

import numba
import numpy as np
import numpy.typing as npt

from coredge.finance.cashflow import SHOCK_NEUTRAL, Drivers

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SHOCK_FIELDS: Final[tuple[str, ...]] = tuple(SHOCK_NEUTRAL)
"""`Shocks` fields in the kernel's argument order."""

NEUTRAL: Final = np.array([SHOCK_NEUTRAL[f] for f in SHOCK_FIELDS], dtype=np.float64)
"""Neutral value of each field, `SHOCK_FIELDS` order (NaN = the site's base value)."""


@numba.njit(nogil=True, cache=True)
def _mc_kernel(
    g: FloatArray,
    pm: FloatArray,
    gd: FloatArray,
    um: FloatArray,
    sh: FloatArray,
    dl: FloatArray,
    ov: FloatArray,
    cols: IntArray,
    neutral: FloatArray,
    rate: FloatArray,
    on: FloatArray,
    ramp: FloatArray,
    share0: FloatArray,
    cap: FloatArray,
    usage: npt.NDArray[np.bool_],
    decline0: FloatArray,
    p_con: FloatArray,
    p_mer: FloatArray,
    e_inv: FloatArray,
    opex: FloatArray,
    capex_fac: FloatArray,
    capex_it: FloatArray,
    dep_fac: FloatArray,
    dep_it: FloatArray,
    residual_fac: FloatArray,
    tier_index: IntArray,
    tax_rate: float,
    carry: bool,
    block_trials: int,
    tier_flows: FloatArray,
    site_npv_sum: FloatArray,
    site_loss: FloatArray,
    site_npv: npt.NDArray[np.float32],
) -> None:
    n = rate.shape[0]
    S = on.shape[0]
    T = on.shape[1]
    keep = site_npv.shape[0] > 0  # (n, S) to fill, or (0, 0): sums only
    B = 64  # trials per block: a site's driver rows stay in cache while the block runs
    buf = np.empty(T)
    disc = np.empty((B, T))
    for i0 in range(0, n, B):
        i1 = min(n, i0 + B)
        for i in range(i0, i1):
            x = 1.0 / (1.0 + rate[i])
            d = 1.0
            for t in range(T):
                disc[i - i0, t] = d
                d *= x
        for s in range(S):
            ti = tier_index[s]
            cg, cpm, cgd, cum = cols[0, s], cols[1, s], cols[2, s], cols[3, s]
            csh, cdl, cov = cols[4, s], cols[5, s], cols[6, s]
            for i in range(i0, i1):
                share = sh[i, csh] if csh >= 0 else neutral[4]
                if np.isnan(share):
                    share = share0[s]
                decl = gd[i, cgd] if cgd >= 0 else neutral[2]
                if np.isnan(decl):
                    decl = decline0[s]
                gfac = (1.0 - decl) / (1.0 - decline0[s]) if usage[s] else 1.0
                delay = dl[i, cdl] if cdl >= 0 else neutral[5]
                k = int(np.floor(delay))
                f = delay - k
                ovf = 1.0 + (ov[i, cov] if cov >= 0 else neutral[6])
                grow = 1.0 + (g[i, cg] if cg >= 0 else neutral[0])
                pmi = pm[i, cpm] if cpm >= 0 else neutral[1]
                gpow = um[i, cum] if cum >= 0 else neutral[3]
                fpow = 1.0
                pool = 0.0
                sum_cit = 0.0
                sum_dit = 0.0
                for t in range(T):
                    a = t - k
                    b = a - 1
                    on_t = 0.0
                    ramp_t = 0.0
                    cit = 0.0
                    dit = 0.0
                    if a >= 0:
                        on_t += (1.0 - f) * on[s, a]
                        ramp_t += (1.0 - f) * ramp[s, a]
                        cit += (1.0 - f) * capex_it[s, a]
                        dit += (1.0 - f) * dep_it[s, a]
                    if b >= 0 and f > 0.0:
                        on_t += f * on[s, b]
                        ramp_t += f * ramp[s, b]
                        cit += f * capex_it[s, b]
                        dit += f * dep_it[s, b]
                    m = ramp_t * gpow
                    if m > cap[s]:
                        m = cap[s]
                    vol = share * on_t + (1.0 - share) * m
                    rev = share * on_t * p_con[s, t] + (1.0 - share) * m * p_mer[s, t] * fpow
                    ebitda = rev - e_inv[s, t] * pmi * vol - opex[s, t]
                    dep = dep_fac[s, t] * ovf + dit
                    tax = 0.0
                    if tax_rate != 0.0:
                        base = ebitda - dep
                        if carry:
                            base -= pool
                            pool = -base if base < 0.0 else 0.0
                        if base > 0.0:
                            tax = tax_rate * base
                    buf[t] = ebitda - capex_fac[s, t] * ovf - cit - tax
                    sum_cit += cit
                    sum_dit += dit
                    gpow *= grow
                    fpow *= gfac
                buf[T - 1] += residual_fac[s] * ovf + sum_cit - sum_dit
                acc = 0.0
                for t in range(T):
                    acc += buf[t] * disc[i - i0, t]
                    tier_flows[i, ti, t] += buf[t]
                v = np.float32(acc)  # the site NPVs of a trial are kept to float32 precision
                if keep:
                    site_npv[i, s] = v
                row = i // block_trials
                site_npv_sum[row, s] += np.float64(v)
                if v < 0:
                    site_loss[row, s] += 1.0


def kernel_args(dv: Drivers) -> tuple[Any, ...]:
    """The drivers' arrays in the kernel's argument order (after the shocks and the rate)."""
    c = np.ascontiguousarray
    return (
        c(dv.on),
        c(dv.ramp),
        c(dv.share),
        c(dv.cap),
        c(dv.usage_priced),
        c(dv.base_decline),
        c(dv.p_con),
        c(dv.p_mer),
        c(dv.e_inv),
        c(dv.opex_fixed),
        c(dv.capex_fac),
        c(dv.capex_it_inv),
        c(dv.dep_fac),
        c(dv.dep_it_inv),
        c(dv.residual_fac),
        c(dv.tier_index.astype(np.int64)),
        float(dv.tax_rate),
        bool(dv.tax_loss_carryforward),
    )


def run_kernel(
    shocks: list[FloatArray],
    cols: IntArray,
    rate: FloatArray,
    args: tuple[Any, ...],
    n_tiers: int,
    block_trials: int,
    tier_flows: FloatArray | None = None,
    keep_site_npv: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.float32]]:
    """Evaluate ``rate.size`` trials on the calling thread (the GIL is released meanwhile).

    Parameters
    ----------
    shocks : list of 7 ndarray (n, m) or (1, 1)
        Draws of each `SHOCK_FIELDS` field, read through ``cols`` [unit of the field].
    cols : ndarray (7, S) of int64
        Column of each field read by each site; -1 = the neutral value.
    rate : ndarray (n,)
        Discount rate per trial [fraction/year].
    args : tuple
        `kernel_args` of the drivers.
    n_tiers : int
        Number of tiers G.
    block_trials : int
        Trials per row of the site sums: trial ``i`` adds to row ``i // block_trials``, in
        trial order, so that a row's sums do not depend on how trials are grouped into calls.
    tier_flows : ndarray (n, G, T), optional
        Zeroed C-contiguous array to write the tier flows into (else a new one).
    keep_site_npv : bool
        Also return every trial's site NPVs (else an empty array).

    Returns
    -------
    tier_flows : ndarray (n, G, T)
        Net cash flow per trial, tier and year [USD].
    site_npv_sum : ndarray (ceil(n / block_trials), S)
        Sum over each row's trials of each site's NPV (each rounded to float32) [USD].
    site_loss : ndarray (ceil(n / block_trials), S)
        Trials of each row in which each site's NPV is negative [count].
    site_npv : ndarray (n, S) float32, or (0, 0)
        NPV per trial and site [USD], with ``keep_site_npv``.
    """
    S, T = args[0].shape
    n = rate.shape[0]
    if tier_flows is None:
        tier_flows = np.zeros((n, n_tiers, T))
    rows = -(-n // block_trials)
    site_npv_sum = np.zeros((rows, S))
    site_loss = np.zeros((rows, S))
    site_npv = np.zeros((n, S) if keep_site_npv else (0, 0), dtype=np.float32)
    kernel: Any = _mc_kernel  # numba dispatcher; argument types are checked at compile time
    kernel(*shocks, cols, NEUTRAL, np.ascontiguousarray(rate, dtype=np.float64), *args,
           int(block_trials), tier_flows, site_npv_sum, site_loss, site_npv)
    return tier_flows, site_npv_sum, site_loss, site_npv


__all__ = ["NEUTRAL", "SHOCK_FIELDS", "kernel_args", "run_kernel"]
