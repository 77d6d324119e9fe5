"""Batch-means confidence intervals of SLO attainment (`coredge.sim.batch_means`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coredge.sim import simulate
from coredge.sim.batch_means import batch_means_ci
from coredge.sim.spec import spec_from_dict


def _mm1(slo_ms: float):  # type: ignore[no-untyped-def]
    return spec_from_dict({
        "sites": [{"id": "s0", "servers": 1, "queue_limit": None}],
        "demand": [{"id": "d0", "rate_per_s": 8.0}],
        "rtt_ms": [[0.0]],
        "service": {"distribution": "exponential", "mean_ms": 100.0},
        "slo_ms": slo_ms,
    })


def test_batch_means_ci_textbook() -> None:
    p = np.array([0.90, 0.92, 0.91, 0.89])
    lo, hi = batch_means_ci(p * 100, np.full(4, 100.0))
    # mean 0.905, sd 0.012910, t(0.975, 3) = 3.182446
    half = 3.182446305284263 * 0.012909944487358056 / 2
    assert lo == pytest.approx(0.905 - half, abs=1e-12) and hi == pytest.approx(0.905 + half, abs=1e-12)
    assert all(math.isnan(x) for x in batch_means_ci(np.array([1.0]), np.array([2.0])))


def test_mm1_interval_covers_the_exact_sojourn_probability() -> None:
    # M/M/1, lambda 8/s, mu 10/s: sojourn ~ Exp(mu - lambda) -> P(T <= 0.5 s) = 1 - e^-1
    exact = 1.0 - math.exp(-(10.0 - 8.0) * 0.5)
    res = simulate(_mm1(500.0), requests=400_000, seed=4, slo_batches=20, warmup_s=20.0)
    ci = res.summary["slo_ci"]
    assert ci["batches"] == 20 and ci["method"] == "batch means"
    lo, hi = ci["overall"]
    assert lo < exact < hi
    assert lo < res.summary["slo_attainment"] < hi
    assert hi - lo < 0.03  # informative: about +-1 percentage point


def test_batches_do_not_change_the_results() -> None:
    a = simulate(_mm1(300.0), requests=50_000, seed=2).summary
    b = simulate(_mm1(300.0), requests=50_000, seed=2, slo_batches=7).summary
    for key in ("slo_attainment", "p99_ms", "mean_wait_ms", "completed"):
        assert a[key] == b[key], key
    assert "slo_ci" not in a and b["slo_ci"]["batches"] == 7
