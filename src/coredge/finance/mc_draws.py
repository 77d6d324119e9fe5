"""Draws of the Monte Carlo's uncertain inputs into preallocated arrays, clipped to bounds.

`fill` gives exactly the numbers of ``np.clip(dist.sample(rng, out.shape), lo, hi)`` (the same
values from the same generator state, leaving the generator in the same state), faster where
the distribution is a transform of one uniform or one standard normal per value:

- ``uniform(low, high)``: numpy draws ``low + (high - low) * U`` with ``U = next_double``, the
  values of ``Generator.random``;
- ``triangular(left, mode, right)``: numpy inverts the CDF of one ``U`` per value
  (``left + sqrt(U (mode - left)(right - left))`` below the mode's quantile, the mirror image
  above); the inversion and the clip run compiled, in place, in one pass;
- ``normal(mean, sd)``: ``mean + sd * Z`` with ``Z`` from ``Generator.standard_normal``;
- ``fixed``: the value.

Other kinds (lognormal) draw through `coredge.distributions.Distribution.sample`. The tests
check every fast path against ``Distribution.sample`` value for value.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from coredge.distributions import Distribution

FloatArray = npt.NDArray[np.float64]


@numba.njit(nogil=True, cache=True)
def _triangular_from_uniform(
    u: FloatArray, left: float, mode: float, right: float, lo: float, hi: float
) -> None:
    base = right - left
    leftbase = mode - left
    ratio = leftbase / base
    leftprod = leftbase * base
    rightprod = (right - mode) * base
    flat = u.reshape(-1)
    for j in range(flat.size):
        x = flat[j]
        if x <= ratio:
            x = left + np.sqrt(x * leftprod)
        else:
            x = right - np.sqrt((1.0 - x) * rightprod)
        if x < lo:
            x = lo
        if x > hi:
            x = hi
        flat[j] = x


def fill(dist: Distribution, rng: np.random.Generator, out: FloatArray, lo: float, hi: float) -> None:
    """Overwrite ``out`` (C-contiguous float64) with draws of ``dist`` clipped to [lo, hi].

    Parameters
    ----------
    dist : Distribution
    rng : numpy.random.Generator
        Advanced exactly as ``dist.sample(rng, out.shape)`` advances it.
    out : ndarray
        Filled in C order [unit of the variable].
    lo, hi : float
        Bounds (may be infinite) [unit of the variable].

    Examples
    --------
    >>> d = Distribution("triangular", (0.0, 0.5, 3.0))
    >>> a = np.empty((4, 3))
    >>> fill(d, np.random.default_rng(1), a, 0.0, np.inf)
    >>> bool(np.array_equal(a, np.clip(d.sample(np.random.default_rng(1), (4, 3)), 0.0, np.inf)))
    True
    """
    p = dist.params
    if dist.kind == "triangular":
        rng.random(out=out)
        _triangular_from_uniform(out, p[0], p[1], p[2], float(lo), float(hi))
        return
    if dist.kind == "uniform":
        rng.random(out=out)
        out *= p[1] - p[0]
        out += p[0]
    elif dist.kind == "normal":
        rng.standard_normal(out=out)
        out *= p[1]
        out += p[0]
    elif dist.kind == "fixed":
        out.fill(p[0])
    else:
        out[...] = dist.sample(rng, out.shape)
    np.clip(out, lo, hi, out=out)


__all__ = ["fill"]
