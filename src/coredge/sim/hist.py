"""Fixed log-spaced histograms: streaming quantiles whose memory does not grow with requests.

Every latency or wait in the simulator lands in one bin of a fixed grid: an underflow bin
``[0, LO_MS)``, ``N_INNER`` log-spaced bins from ``LO_MS`` to ``HI_MS`` with ratio ``RATIO``
between edges (1 % relative width), and an overflow bin ``[HI_MS, inf)``. A quantile read back
from the histogram is therefore within one bin (<= 1 % relative) of the exact sample quantile.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

LO_MS: float = 0.01
"""Lower edge of the first log bin [ms] (design choice: 10 us resolution floor)."""

HI_MS: float = 1.0e7
"""Upper edge of the last log bin [ms] (design choice: 2.8 h; anything longer is overflow)."""

RATIO: float = 1.01
"""Ratio between consecutive bin edges (1 % relative bin width; design choice)."""

N_INNER: int = math.ceil(math.log(HI_MS / LO_MS) / math.log(RATIO))
"""Number of log-spaced bins between LO_MS and HI_MS (2083)."""

N_BINS: int = N_INNER + 2
"""Total bins: underflow + log bins + overflow."""

INNER_EDGES_MS = LO_MS * RATIO ** np.arange(N_INNER + 1, dtype=np.float64)
"""Edges of the log bins [ms]: bin ``k`` (1..N_INNER) is ``[INNER_EDGES_MS[k-1], INNER_EDGES_MS[k])``."""

HI_EDGE_MS: float = float(INNER_EDGES_MS[-1])
"""Start of the overflow bin [ms] (LO_MS x RATIO^N_INNER, just above HI_MS)."""

# Fast exact binning for the kernel: frexp(x) = (m, e), m in [0.5, 1); the pair (e, top
# MANT_BITS bits of m) indexes a table holding the bin of that sub-bucket's lower end. Sub-buckets
# (<= 0.2 % wide) are narrower than bins (1 %), so at most one edge comparison fixes the result.
MANT_BITS: int = 10
FREXP_E_MIN: int = math.frexp(LO_MS)[1]
FREXP_E_MAX: int = math.frexp(HI_EDGE_MS)[1]


def _sub_bucket_table() -> npt.NDArray[np.int64]:
    e = np.arange(FREXP_E_MIN, FREXP_E_MAX + 1, dtype=np.float64)[:, None]
    sub = np.arange(1 << MANT_BITS, dtype=np.float64)[None, :]
    low = np.ldexp(0.5 + sub / (1 << (MANT_BITS + 1)), e.astype(np.int64)).ravel()
    return np.searchsorted(INNER_EDGES_MS, low, side="right").astype(np.int64)


SUB_BUCKET_BIN = _sub_bucket_table()
"""Bin of the lower end of each (exponent, mantissa) sub-bucket, for `coredge.sim.kernel`."""

COARSE: int = 8
"""Fine bins merged into one bin of the per-minute histograms (~8 % relative width)."""

N_COARSE: int = (N_BINS + COARSE - 1) // COARSE


def bin_edges_ms() -> npt.NDArray[np.float64]:
    """Edges of all bins [ms], length ``N_BINS + 1`` (0 first, inf last).

    Examples
    --------
    >>> e = bin_edges_ms()
    >>> float(e[0]), float(e[1]), float(e[-1])
    (0.0, 0.01, inf)
    """
    return np.concatenate(([0.0], INNER_EDGES_MS, [math.inf]))


def bin_index(x_ms: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Bin of each value (vectorised twin of the kernel's inline computation).

    Parameters
    ----------
    x_ms : array_like
        Values [ms], >= 0.

    Returns
    -------
    ndarray of int64
        Bin index in ``[0, N_BINS)``.

    Examples
    --------
    >>> bin_index([0.0, 0.01, 1e9]).tolist()
    [0, 1, 2084]
    """
    x = np.asarray(x_ms, dtype=np.float64)
    return np.searchsorted(INNER_EDGES_MS, x, side="right").astype(np.int64)


def quantiles_ms(
    counts: npt.NDArray[np.int64], q: npt.ArrayLike, coarse: int = 1
) -> npt.NDArray[np.float64]:
    """Quantiles read from a histogram, interpolated log-linearly inside the bin.

    Parameters
    ----------
    counts : ndarray of int64, shape (..., n_bins)
        Histogram counts over the fixed grid (``coarse`` fine bins per bin).
    q : array_like
        Probabilities in [0, 1].
    coarse : int
        Number of fine bins merged per bin of ``counts`` (1 for the full grid).

    Returns
    -------
    ndarray of float64, shape (..., len(q))
        Quantiles [ms]; NaN where the histogram is empty. Values in the underflow bin are
        interpolated linearly in ``[0, LO_MS)``; the overflow bin reports ``HI_MS``.

    Examples
    --------
    >>> h = np.zeros(N_BINS, dtype=np.int64); h[bin_index([5.0, 50.0])] = 1
    >>> [round(float(v), 1) for v in quantiles_ms(h, [0.25, 1.0])]
    [5.0, 50.0]
    """
    c = np.asarray(counts, dtype=np.int64)
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    flat = c.reshape(-1, c.shape[-1])
    nb = flat.shape[1]
    edges = bin_edges_ms()[:: coarse]
    if len(edges) < nb + 1:
        edges = np.concatenate((edges, [math.inf]))
    edges = edges[: nb + 1].copy()
    edges[-1] = math.inf
    cum = np.cumsum(flat, axis=1)
    total = cum[:, -1].astype(np.float64)
    out = np.full((flat.shape[0], len(qs)), np.nan)
    rows = np.flatnonzero(total > 0)
    if len(rows):
        cum_r = cum[rows]
        tot_r = total[rows]
        ar = np.arange(len(rows))
        for j, p in enumerate(qs):
            target = np.maximum(p * tot_r, 1e-12)
            b = np.minimum((cum_r < target[:, None]).sum(axis=1), nb - 1)
            before = np.where(b > 0, cum_r[ar, np.maximum(b - 1, 0)], 0)
            frac = (target - before) / np.maximum(flat[rows, b], 1)
            lo, hi = edges[b], edges[b + 1]
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                inner = lo * (hi / np.where(lo > 0, lo, 1.0)) ** frac
            val = np.where(b == 0, hi * frac, np.where(np.isfinite(hi), inner, lo))
            out[rows, j] = val
    return out.reshape(*c.shape[:-1], len(qs))


def mean_from_hist_ms(counts: npt.NDArray[np.int64]) -> float:
    """Approximate mean [ms] from bin midpoints (for checks; the simulator keeps exact sums).

    Examples
    --------
    >>> h = np.zeros(N_BINS, dtype=np.int64); h[bin_index([10.0])] = 4
    >>> round(mean_from_hist_ms(h), 1)
    10.0
    """
    e = bin_edges_ms()
    mid = np.empty(N_BINS)
    mid[0] = LO_MS / 2
    mid[1:-1] = np.sqrt(e[1:-2] * e[2:-1])
    mid[-1] = HI_MS
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum()
    return float((c * mid).sum() / n) if n > 0 else math.nan
