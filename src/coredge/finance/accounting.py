"""Accounting schedules of the cash flows: capex phasing, depreciation, year shifts, income tax.

Pure array functions over ``(..., years)``, year index ``t = 0 .. T-1`` as in
`coredge.finance.cashflow`, which builds the cash flows from them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]


def phasing_weights(
    start_index: npt.ArrayLike, n_years: npt.ArrayLike, horizon_years: int, shape: str = "s_curve"
) -> FloatArray:
    """Share of a capex amount spent in each year of a construction period.

    The period covers year indices ``start .. start + n_years - 1``; a ``linear`` profile spends
    equally, an ``s_curve`` spends ``F((t+1-start)/n) - F((t-start)/n)`` with the smoothstep
    ``F(x) = 3x^2 - 2x^3`` (slow start, peak mid-way, slow finish). Weights sum to 1 when the
    period lies inside the horizon; spend before year 0 is booked in year 0; spend after the
    horizon is dropped.

    Parameters
    ----------
    start_index : int or ndarray, shape (S,)
        First construction year index [year index], may be negative.
    n_years : int or ndarray, shape (S,)
        Construction years, >= 1 [years].
    horizon_years : int
        T [years].
    shape : {"s_curve", "linear"}
        Spending profile.

    Returns
    -------
    ndarray, shape (S, T)
        Weights [fraction].

    Examples
    --------
    >>> phasing_weights(1, 2, 4, "linear").tolist()
    [[0.0, 0.5, 0.5, 0.0]]
    >>> phasing_weights(0, 4, 4).round(4).tolist()
    [[0.1562, 0.3438, 0.3438, 0.1562]]
    """
    b = np.atleast_1d(np.asarray(start_index, dtype=np.float64))[:, None]
    n = np.maximum(np.atleast_1d(np.asarray(n_years, dtype=np.float64)), 1.0)[:, None]
    t = np.arange(horizon_years, dtype=np.float64)[None, :]
    x0 = np.clip((t - b) / n, 0.0, 1.0)
    x1 = np.clip((t + 1.0 - b) / n, 0.0, 1.0)
    if shape == "linear":
        w = x1 - x0
    elif shape == "s_curve":
        w = (3 * x1**2 - 2 * x1**3) - (3 * x0**2 - 2 * x0**3)
    else:
        raise InputError.of("capex_shape", shape, "one of: s_curve, linear")
    # spend that would fall before year 0 is booked in year 0
    before = np.clip((0.0 - b) / n, 0.0, 1.0)
    before = 3 * before**2 - 2 * before**3 if shape == "s_curve" else before
    w[:, 0] += before[:, 0]
    return w


def straight_line_depreciation(purchases: npt.ArrayLike, life_years: float) -> FloatArray:
    """Straight-line depreciation of yearly purchases, within the horizon.

    An amount bought in year ``p`` is depreciated by ``amount / life`` in years ``p, p+1, ...``
    (a fractional life puts the remainder in the last year), so that depreciation sums to the
    amount when the horizon is long enough.

    Parameters
    ----------
    purchases : ndarray, shape (..., T)
        Amount placed in service per year [USD].
    life_years : float
        Depreciation life [years], > 0.

    Returns
    -------
    ndarray, shape (..., T)
        Depreciation per year [USD].

    Examples
    --------
    >>> straight_line_depreciation([0.0, 100.0, 0.0, 0.0], 2.5).tolist()
    [0.0, 40.0, 40.0, 20.0]
    """
    p = np.asarray(purchases, dtype=np.float64)
    T = p.shape[-1]
    j = np.arange(T, dtype=np.float64)
    kernel = np.clip(life_years - j, 0.0, 1.0) / life_years  # share in year j after purchase
    out = np.zeros_like(p)
    for lag in range(T):
        if kernel[lag] == 0.0:
            break
        out[..., lag:] += p[..., : T - lag] * kernel[lag]
    return out


def shift_years(x: npt.ArrayLike, delay_years: npt.ArrayLike) -> FloatArray:
    """Delay yearly series by a (fractional) number of years, linearly interpolated.

    ``y[t] = (1 - f) * x[t - k] + f * x[t - k - 1]`` with ``delay = k + f``, ``x[<0] = 0``;
    what is pushed past the horizon is lost.

    Parameters
    ----------
    x : ndarray, shape (..., T)
        Series [any unit].
    delay_years : float or ndarray broadcastable to ``x.shape[:-1]``
        Delay >= 0 [years].

    Returns
    -------
    ndarray, shape (..., T)
        Delayed series [same unit].

    Examples
    --------
    >>> shift_years([1.0, 2.0, 3.0, 4.0], 1.5).tolist()
    [0.0, 0.5, 1.5, 2.5]
    """
    arr = np.asarray(x, dtype=np.float64)
    d = np.broadcast_to(np.asarray(delay_years, dtype=np.float64), arr.shape[:-1])
    if np.any(d < 0):
        raise InputError.of("delay_years", float(d.min()), ">= 0 years")
    k = np.floor(d).astype(np.int64)[..., None]
    f = (d - np.floor(d))[..., None]
    T = arr.shape[-1]
    t = np.arange(T)
    pad = np.concatenate([np.zeros((*arr.shape[:-1], 1)), arr], axis=-1)  # pad[..., i+1] = x[i]
    i0 = np.clip(t - k, -1, T - 1) + 1
    i1 = np.clip(t - k - 1, -1, T - 1) + 1
    a = np.take_along_axis(np.broadcast_to(pad, (*i0.shape[:-1], T + 1)), i0, axis=-1)
    b = np.take_along_axis(np.broadcast_to(pad, (*i1.shape[:-1], T + 1)), i1, axis=-1)
    out: FloatArray = (1.0 - f) * a + f * b
    return out


def income_tax(
    taxable_usd: npt.ArrayLike, tax_rate: float, loss_carryforward: bool = True
) -> FloatArray:
    """Income tax per year, with optional unlimited loss carry-forward.

    Parameters
    ----------
    taxable_usd : ndarray, shape (..., T)
        EBITDA minus depreciation [USD]; negative values are losses.
    tax_rate : float
        Tax rate [fraction].
    loss_carryforward : bool
        When True, earlier losses offset later profits before tax is due.

    Returns
    -------
    ndarray, shape (..., T)
        Tax paid [USD], >= 0.

    Examples
    --------
    >>> income_tax([-100.0, 60.0, 60.0], 0.25).tolist()
    [0.0, 0.0, 5.0]
    """
    x = np.asarray(taxable_usd, dtype=np.float64)
    if tax_rate == 0.0:
        return np.zeros_like(x)
    if not loss_carryforward:
        out0: FloatArray = tax_rate * np.maximum(x, 0.0)
        return out0
    out = np.zeros_like(x)
    pool = np.zeros(x.shape[:-1])
    for t in range(x.shape[-1]):
        base = x[..., t] - pool
        out[..., t] = tax_rate * np.maximum(base, 0.0)
        pool = np.maximum(-base, 0.0)
    return out
