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


@numba.njit(nogil=True, cache=True, inline="always")
def _column(
    arr: FloatArray, c: int, i0: int, nb: int, neutral_value: float, out: FloatArray
) -> None:
    """``out[j]`` = trial ``i0 + j``'s value of a field at column ``c`` (or the neutral value)."""
    if c >= 0:
        for j in range(nb):
            out[j] = arr[i0 + j, c]
    else:
        for j in range(nb):
            out[j] = neutral_value


@numba.njit(nogil=True, cache=True, inline="always")
def _delayed_trial(
    s: int, j: int, on: FloatArray, ramp: FloatArray, capex_it: FloatArray, dep_it: FloatArray,
    p_con: FloatArray, p_mer: FloatArray, e_inv: FloatArray, opex: FloatArray,
    dep_fac: FloatArray, capex_fac: FloatArray, cap: FloatArray, residual_fac: FloatArray,
    share: FloatArray, gfac: FloatArray, kk: IntArray, ff: FloatArray, ovf: FloatArray,
    grow: FloatArray, pmi: FloatArray, gpow0: FloatArray, tax_rate: float, carry: bool,
    out: FloatArray, T: int,
) -> None:
    """One trial's net flows ``out[:, j]`` at site ``s`` with its years shifted by the delay
    ``kk[j] + ff[j]`` (the general path, one trial at a time)."""
    f = ff[j]
    k = kk[j]
    gpow = gpow0[j]
    fpow = 1.0
    pool = 0.0
    sum_cit = 0.0
    sum_dit = 0.0
    sh = share[j]
    o = ovf[j]
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
        vol = sh * on_t + (1.0 - sh) * m
        rev = sh * on_t * p_con[s, t] + (1.0 - sh) * m * p_mer[s, t] * fpow
        ebitda = rev - e_inv[s, t] * pmi[j] * vol - opex[s, t]
        dep = dep_fac[s, t] * o + dit
        tax = 0.0
        if tax_rate != 0.0:
            base = ebitda - dep
            if carry:
                base -= pool
                pool = -base if base < 0.0 else 0.0
            if base > 0.0:
                tax = tax_rate * base
        out[t, j] = ebitda - capex_fac[s, t] * o - cit - tax
        sum_cit += cit
        sum_dit += dit
        gpow *= grow[j]
        fpow *= gfac[j]
    out[T - 1, j] += residual_fac[s] * o + sum_cit - sum_dit


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
    # Trials go in blocks of B; for each site the block's trials are the vector lanes: every
    # loop over j below does one operation for all of them (the compiler turns it into SIMD
    # instructions), in the same order of operations per trial as the one-trial-at-a-time
    # formula, so the numbers are the same to the last bit. A block in which some trial's
    # interconnection delay is not zero takes the one-trial-at-a-time path (`_delayed_trial`).
    n = rate.shape[0]
    S = on.shape[0]
    T = on.shape[1]
    keep = site_npv.shape[0] > 0
    B = 64
    disc = np.empty((T, B))
    cf = np.empty((T, B))
    share = np.empty(B)
    one_m_share = np.empty(B)
    gfac = np.empty(B)
    kk = np.empty(B, dtype=np.int64)
    ff = np.empty(B)
    ovf = np.empty(B)
    grow = np.empty(B)
    pmi = np.empty(B)
    gpow = np.empty(B)
    gpow0 = np.empty(B)
    fpow = np.empty(B)
    pool = np.empty(B)
    m = np.empty(B)
    vol = np.empty(B)
    rev = np.empty(B)
    eb = np.empty(B)
    bs = np.empty(B)
    tx = np.empty(B)
    acc = np.empty(B)
    G = tier_flows.shape[1]
    tfl = np.empty((G, T, B))
    taxed = tax_rate != 0.0
    for i0 in range(0, n, B):
        i1 = min(n, i0 + B)
        nb = i1 - i0
        for j in range(nb):
            x = 1.0 / (1.0 + rate[i0 + j])
            d = 1.0
            for t in range(T):
                disc[t, j] = d
                d *= x
        tfl[:] = 0.0
        for s in range(S):
            ti = tier_index[s]
            cg, cpm, cgd, cum = cols[0, s], cols[1, s], cols[2, s], cols[3, s]
            csh, cdl, cov = cols[4, s], cols[5, s], cols[6, s]
            _column(sh, csh, i0, nb, neutral[4], share)
            s0 = share0[s]
            for j in range(nb):
                share[j] = s0 if np.isnan(share[j]) else share[j]
            for j in range(nb):
                one_m_share[j] = 1.0 - share[j]
            if usage[s]:
                _column(gd, cgd, i0, nb, neutral[2], gfac)
                d0 = decline0[s]
                for j in range(nb):
                    gfac[j] = (1.0 - (d0 if np.isnan(gfac[j]) else gfac[j])) / (1.0 - d0)
            else:
                for j in range(nb):
                    gfac[j] = 1.0
            _column(dl, cdl, i0, nb, neutral[5], ff)
            delayed = False
            for j in range(nb):
                if ff[j] != 0.0:
                    delayed = True
            if delayed:
                for j in range(nb):
                    delay = ff[j]
                    k = int(np.floor(delay))
                    kk[j] = k
                    ff[j] = delay - k
            _column(ov, cov, i0, nb, neutral[6], ovf)
            for j in range(nb):
                ovf[j] = 1.0 + ovf[j]
            _column(g, cg, i0, nb, neutral[0], grow)
            for j in range(nb):
                grow[j] = 1.0 + grow[j]
            _column(pm, cpm, i0, nb, neutral[1], pmi)
            _column(um, cum, i0, nb, neutral[3], gpow0)
            if delayed:
                for j in range(nb):
                    _delayed_trial(s, j, on, ramp, capex_it, dep_it, p_con, p_mer, e_inv,
                                   opex, dep_fac, capex_fac, cap, residual_fac, share, gfac, kk,
                                   ff, ovf, grow, pmi, gpow0, tax_rate, carry, cf, T)
            else:
                caps = cap[s]
                for j in range(nb):
                    gpow[j] = gpow0[j]
                    fpow[j] = 1.0
                    pool[j] = 0.0
                sum_cit = 0.0
                sum_dit = 0.0
                for t in range(T):
                    on_t = 0.0 + on[s, t]
                    ramp_t = 0.0 + ramp[s, t]
                    cit = 0.0 + capex_it[s, t]
                    dit = 0.0 + dep_it[s, t]
                    pc = p_con[s, t]
                    pmr = p_mer[s, t]
                    ei = e_inv[s, t]
                    ox = opex[s, t]
                    dfac = dep_fac[s, t]
                    cfac = capex_fac[s, t]
                    for j in range(nb):
                        x = ramp_t * gpow[j]
                        m[j] = caps if x > caps else x
                    for j in range(nb):
                        vol[j] = share[j] * on_t + one_m_share[j] * m[j]
                    for j in range(nb):
                        rev[j] = share[j] * on_t * pc + one_m_share[j] * m[j] * pmr * fpow[j]
                    for j in range(nb):
                        eb[j] = rev[j] - ei * pmi[j] * vol[j] - ox
                    if taxed:
                        for j in range(nb):
                            bs[j] = eb[j] - (dfac * ovf[j] + dit)
                        if carry:
                            for j in range(nb):
                                bs[j] -= pool[j]
                            for j in range(nb):
                                pool[j] = -bs[j] if bs[j] < 0.0 else 0.0
                        for j in range(nb):
                            tx[j] = tax_rate * bs[j] if bs[j] > 0.0 else 0.0
                    else:
                        for j in range(nb):
                            tx[j] = 0.0
                    for j in range(nb):
                        cf[t, j] = eb[j] - cfac * ovf[j] - cit - tx[j]
                    for j in range(nb):
                        gpow[j] *= grow[j]
                    for j in range(nb):
                        fpow[j] *= gfac[j]
                    sum_cit += cit
                    sum_dit += dit
                rf = residual_fac[s]
                for j in range(nb):
                    cf[T - 1, j] += rf * ovf[j] + sum_cit - sum_dit
            for j in range(nb):
                acc[j] = 0.0
            for t in range(T):
                for j in range(nb):
                    acc[j] += cf[t, j] * disc[t, j]
            for t in range(T):
                for j in range(nb):
                    tfl[ti, t, j] += cf[t, j]
            for j in range(nb):
                i = i0 + j
                v = np.float32(acc[j])
                if keep:
                    site_npv[i, s] = v
                row = i // block_trials
                site_npv_sum[row, s] += np.float64(v)
                if v < 0:
                    site_loss[row, s] += 1.0
        for j in range(nb):
            for gg in range(G):
                for t in range(T):
                    tier_flows[i0 + j, gg, t] = tfl[gg, t, j]


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
        C-contiguous array the tier flows are written into (else a new one).
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
        tier_flows = np.empty((n, n_tiers, T))
    rows = -(-n // block_trials)
    site_npv_sum = np.zeros((rows, S))
    site_loss = np.zeros((rows, S))
    site_npv = np.zeros((n, S) if keep_site_npv else (0, 0), dtype=np.float32)
    kernel: Any = _mc_kernel  # numba dispatcher; argument types are checked at compile time
    kernel(*shocks, cols, NEUTRAL, np.ascontiguousarray(rate, dtype=np.float64), *args,
           int(block_trials), tier_flows, site_npv_sum, site_loss, site_npv)
    return tier_flows, site_npv_sum, site_loss, site_npv


__all__ = ["NEUTRAL", "SHOCK_FIELDS", "kernel_args", "run_kernel"]
