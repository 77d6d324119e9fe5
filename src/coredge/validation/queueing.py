"""The request-level simulator against queueing theory (exact results, no fitted constant).

Cases (one GPU pool, Poisson arrivals; formulas from Kleinrock, *Queueing Systems* Vol. 1, 1975,
and Gross & Harris, *Fundamentals of Queueing Theory*, coded here independently of the
simulator):

* M/M/4 at loads 0.5 and 0.8: mean wait in queue and probability of waiting (Erlang C,
  `coredge.physics.throughput.erlang_c`);
* M/D/1 at load 0.8: mean wait (Pollaczek-Khinchine);
* M/M/4/8 at load 1.2: blocking probability (birth-death stationary distribution).

The error is sampling noise of a finite run (a few hundred thousand requests per case): the
documented tolerance is what that noise allows, not a fit.
"""

from __future__ import annotations

import math
from typing import Any

from coredge.physics.throughput import erlang_b, erlang_c
from coredge.validation import ErrorStat, error_stat, register

REQUESTS = 400_000
"""Requests per case (one seed): keeps the whole check to a few seconds."""
SEED = 7
SOURCE = "Kleinrock (1975), Queueing Systems Vol. 1; Gross & Harris, Fundamentals of Queueing Theory"


def mmck_blocking(c: int, k_total: int, a: float) -> float:
    """Blocking probability ``P(N = K)`` of M/M/c/K at offered load ``a`` [Erlang]."""
    w = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
         for n in range(k_total + 1)]
    return w[-1] / sum(w)


def _one_site(servers: int, rate_per_s: float, service: dict[str, Any], queue_limit: int | None) -> dict[str, Any]:
    return {
        "sites": [{"id": "s0", "servers": servers, "queue_limit": queue_limit}],
        "demand": [{"id": "d0", "rate_per_s": rate_per_s}],
        "rtt_ms": [[0.0]],
        "service": service,
        "routing": {"policy": "nearest-available", "max_hops": None},
    }


def _simulate(spec: dict[str, Any]) -> dict[str, Any]:
    from coredge.sim import simulate, spec_from_dict

    return simulate(spec_from_dict(spec), requests=REQUESTS, seed=SEED).summary


@register("queueing")
def queueing_checks() -> list[ErrorStat]:
    """Simulated waits and blocking against their exact values."""
    mean_ms = 10.0
    pred: dict[str, list[float]] = {"mean wait": [], "P(wait)": [], "blocking": []}
    exact: dict[str, list[float]] = {"mean wait": [], "P(wait)": [], "blocking": []}
    for rho in (0.5, 0.8):  # M/M/4
        c = 4
        lam = rho * c / (mean_ms / 1000.0)
        s = _simulate(_one_site(c, lam, {"distribution": "exponential", "mean_ms": mean_ms}, None))
        pw = float(erlang_c(c, lam * mean_ms / 1000.0))
        pred["mean wait"].append(float(s["mean_wait_ms"]))
        exact["mean wait"].append(pw / (c * 1000.0 / mean_ms - lam) * 1000.0)
        pred["P(wait)"].append(float(s["wait_prob"]))
        exact["P(wait)"].append(pw)
    lam = 0.8 / (mean_ms / 1000.0)  # M/D/1: Wq = lambda E[S^2] / (2 (1 - rho))
    s = _simulate(_one_site(1, lam, {"distribution": "deterministic", "mean_ms": mean_ms}, None))
    pred["mean wait"].append(float(s["mean_wait_ms"]))
    exact["mean wait"].append(lam * (mean_ms / 1000.0) ** 2 / (2.0 * 0.2) * 1000.0)
    c, room, a = 4, 4, 1.2 * 4  # M/M/4/8 at load 1.2
    s = _simulate(_one_site(c, a / (mean_ms / 1000.0), {"distribution": "exponential", "mean_ms": mean_ms}, room))
    pred["blocking"].append(float(s["dropped_frac"]))
    exact["blocking"].append(mmck_blocking(c, c + room, a))
    tol = {"mean wait": (5.0, 8.0), "P(wait)": (2.0, 3.0), "blocking": (2.0, 3.0)}
    return [
        error_stat("request simulator", f"queueing theory: {k}", "exact", pred[k], exact[k], SOURCE,
                   "1975", max_median_pct=tol[k][0], max_p90_pct=tol[k][1])
        for k in pred
    ]


__all__ = ["erlang_b", "erlang_c", "mmck_blocking", "queueing_checks"]
