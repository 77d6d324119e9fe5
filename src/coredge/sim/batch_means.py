"""Batch-means confidence intervals of SLO attainment (`coredge.sim.engine.simulate`
``slo_batches``).

A simulation's requests are split into B batches of consecutive arrivals; the attainment of
each batch is one observation and the spread of the B observations gives a Student-t interval
for the long-run attainment (the method of batch means; e.g. Law, *Simulation Modeling and
Analysis*, 5th ed., 2015, section 9.5.3). It is valid when the batches are long against the
queues' memory, so that their means are nearly independent and nearly normal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt


def batch_means_ci(
    met: npt.NDArray[np.float64], arrivals: npt.NDArray[np.float64], level: float = 0.95
) -> tuple[float, float]:
    """Batch-means confidence interval of a ratio (SLO attainment) from B batches.

    Each batch b of consecutive arrivals gives ``p_b = met_b / arrivals_b``; the interval is
    ``mean(p) -/+ t_{B-1} sd(p) / sqrt(B)`` (Student t; batches without arrivals are left out).
    The batches must be long against the queues' memory for their means to be nearly
    independent (at least several mean service times each).

    Parameters
    ----------
    met, arrivals : ndarray, shape (B,)
        Requests within SLO and requests per batch [count].
    level : float
        Confidence level [fraction].

    Returns
    -------
    (lo, hi) : tuple of float
        Bounds [fraction]; NaN with fewer than two batches with arrivals.

    Examples
    --------
    >>> lo, hi = batch_means_ci(np.array([90.0, 92, 91, 89]), np.full(4, 100.0))
    >>> round(lo, 4), round(hi, 4)
    (0.8845, 0.9255)
    """
    from scipy.stats import t as student_t

    ok = arrivals > 0
    p = met[ok] / arrivals[ok]
    b = p.size
    if b < 2:
        return math.nan, math.nan
    half = float(student_t.ppf(0.5 + level / 2, b - 1) * p.std(ddof=1) / math.sqrt(b))
    mean = float(p.mean())
    return mean - half, mean + half


def slo_ci(cum: list[npt.NDArray[np.int64]], class_ids: Sequence[str]) -> dict[str, Any]:
    """Batch-means 95 % CIs of SLO attainment from the cumulative ``(class, [arrivals, SLO
    met])`` counts after each batch: ``{"method", "level", "batches", "overall": [lo, hi],
    "by_class": {class id: [lo, hi]}}`` [fraction]."""
    c = np.stack(cum).astype(np.float64)  # (B, K, 2), cumulative
    per = np.diff(c, axis=0, prepend=np.zeros_like(c[:1]))
    arr, met = per[:, :, 0], per[:, :, 1]
    lo, hi = batch_means_ci(met.sum(axis=1), arr.sum(axis=1))
    by_class = {}
    for k, cid in enumerate(class_ids):
        kl, kh = batch_means_ci(met[:, k], arr[:, k])
        by_class[str(cid)] = [kl, kh]
    return {"method": "batch means", "level": 0.95, "batches": int(per.shape[0]),
            "overall": [lo, hi], "by_class": by_class}


__all__ = ["batch_means_ci", "slo_ci"]
