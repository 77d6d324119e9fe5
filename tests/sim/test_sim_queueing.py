"""The simulator against queueing theory: Erlang C, Erlang B, M/M/c/K, Pollaczek-Khinchine, Little.

Waits are strongly autocorrelated near saturation, so a single run is judged by a confidence
interval from batch means (by arrival minute: ``wait_sum_ms / completed`` per batch of minutes)
that must contain the analytic value; in addition the mean over several seeds must be within
1 % of it. Analytic formulas are the textbook ones (Kleinrock, Queueing Systems Vol. 1, 1975;
Gross & Harris, Fundamentals of Queueing Theory), coded here independently of the simulator.

Statistics of the checks (decided from measured run-to-run spread, not tuned per seed):

* this module makes ~40 batch-means CI checks; each uses level ``1 - 0.05 / 40`` (Bonferroni), so
  that a correct simulator fails none of them with probability >= 95 % for arbitrary seeds (a
  plain 99 % CI per check would fail one of 40 a third of the time);
* requests per seed are chosen so that the 4-seed mean has a standard deviation of about 1/3 %
  (3 sigma = 1 %) at loads 0.5 and 0.8; at 0.95 the cost of that (2.4e8 requests) is too high
  for a unit test, and 4 x 3.6e7 requests give sigma ~ 0.43 % (1 % = 2.3 sigma). Measured
  per-seed relative spread of the mean wait of M/M/4: 1.07 % at rho 0.5 with 1e6 requests,
  0.66 % at 0.8 with 6e6, 0.85 % at 0.95 with 3.6e7.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from coredge.sim import simulate, spec_from_dict
from coredge.sim.engine import SimResult

SEEDS = (11, 22, 33, 44)
BATCHES = 20
N_CI_CHECKS = 40
CI_LEVEL = 1.0 - 0.05 / N_CI_CHECKS


# ---------------------------------------------------------------- analytic formulas


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of M/G/c/c with offered load ``a`` [Erlang] (recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c (Erlang C), from Erlang B."""
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean_wait(c: int, lam: float, mean_s: float) -> float:
    """Mean wait in queue of M/M/c [same unit as mean_s]: C / (c mu - lambda)."""
    mu = 1.0 / mean_s
    return erlang_c(c, lam * mean_s) / (c * mu - lam)


def mmck_probs(c: int, k_total: int, a: float) -> np.ndarray:
    """Stationary distribution of the number in system of M/M/c/K (K = c + waiting room)."""
    p = np.empty(k_total + 1)
    for n in range(k_total + 1):
        if n <= c:
            p[n] = a**n / math.factorial(n)
        else:
            p[n] = a**c / math.factorial(c) * (a / c) ** (n - c)
    return p / p.sum()


def pk_mean_wait(lam: float, mean_s: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait of M/G/1: lambda E[S^2] / (2 (1 - rho))."""
    rho = lam * mean_s
    return lam * second_moment / (2.0 * (1.0 - rho))


# ---------------------------------------------------------------- helpers


def single_site(servers: int, rate_per_s: float, service: dict, queue_limit: int | None) -> dict:
    return {
        "sites": [{"id": "s0", "servers": servers, "queue_limit": queue_limit}],
        "demand": [{"id": "d0", "rate_per_s": rate_per_s}],
        "rtt_ms": [[0.0]],
        "service": service,
        "routing": {"policy": "nearest-available", "max_hops": None},
    }


def batch_means(res: SimResult, column_num: str, column_den: str) -> np.ndarray:
    """Ratio estimator per batch of consecutive minutes (last partial minute dropped)."""
    ts = res.timeseries.iloc[:-1]
    idx = np.array_split(np.arange(len(ts)), BATCHES)
    num = ts[column_num].to_numpy(dtype=float)
    den = ts[column_den].to_numpy(dtype=float)
    return np.array([num[i].sum() / den[i].sum() for i in idx])


def ci_contains(batches: np.ndarray, truth: float) -> tuple[bool, float, float]:
    m = float(batches.mean())
    half = float(stats.t.ppf(0.5 + CI_LEVEL / 2, len(batches) - 1) * batches.std(ddof=1) / math.sqrt(len(batches)))
    return (m - half <= truth <= m + half), m, half


def run_seeds(spec: dict, n: int) -> list[SimResult]:
    s = spec_from_dict(spec)
    return [simulate(s, requests=n, seed=seed) for seed in SEEDS]


# ---------------------------------------------------------------- M/M/c: Erlang C

# requests per seed chosen so that 4 seeds pin the mean wait to well under 1 % (3 sigma):
# the relaxation time of M/M/c grows like (1 - rho)^-2 arrivals.
MMC_CASES = [(0.5, 2_500_000), (0.8, 6_000_000), (0.95, 36_000_000)]


@pytest.mark.parametrize(("rho", "n"), MMC_CASES)
def test_mmc_matches_erlang_c(rho: float, n: int) -> None:
    c, mean_ms = 4, 10.0
    lam = rho * c / (mean_ms / 1000.0)
    runs = run_seeds(single_site(c, lam, {"distribution": "exponential", "mean_ms": mean_ms}, None), n)
    wq_ms = 1000.0 * mmc_mean_wait(c, lam, mean_ms / 1000.0)
    pw = erlang_c(c, lam * mean_ms / 1000.0)
    for r in runs:
        assert r.summary["dropped"] == 0
        ok, m, half = ci_contains(batch_means(r, "wait_sum_ms", "completed"), wq_ms)
        assert ok, f"rho={rho}: Erlang C Wq {wq_ms:.2f} ms outside batch-means CI {m:.2f} +- {half:.2f}"
        ok, m, half = ci_contains(batch_means(r, "waited", "completed"), pw)
        assert ok, f"rho={rho}: Erlang C P(wait) {pw:.4f} outside CI {m:.4f} +- {half:.4f}"
    mean_wq = np.mean([r.summary["mean_wait_ms"] for r in runs])
    mean_pw = np.mean([r.summary["wait_prob"] for r in runs])
    assert mean_wq == pytest.approx(wq_ms, rel=0.01)
    assert mean_pw == pytest.approx(pw, rel=0.01)
    # utilisation = offered load (no blocking)
    assert np.mean([r.summary["utilization"] for r in runs]) == pytest.approx(rho, rel=0.01)


# ---------------------------------------------------------------- M/D/1, M/G/1: Pollaczek-Khinchine

# (service, load, requests per seed, E[S^2] / E[S]^2); lognormal sigma 1: E[S^2] = m^2 e^(sigma^2)
PK_CASES = [
    ({"distribution": "deterministic", "mean_ms": 10.0}, 0.8, 2_000_000, 1.0),
    ({"distribution": "lognormal", "mean_ms": 10.0, "sigma": 1.0}, 0.5, 4_000_000, math.e),
]


@pytest.mark.parametrize(("service", "rho", "n", "m2_ratio"), PK_CASES)
def test_mg1_matches_pollaczek_khinchine(service: dict, rho: float, n: int, m2_ratio: float) -> None:
    mean_s = service["mean_ms"] / 1000.0
    lam = rho / mean_s
    wq_ms = 1000.0 * pk_mean_wait(lam, mean_s, m2_ratio * mean_s**2)
    runs = run_seeds(single_site(1, lam, service, None), n)
    for r in runs:
        ok, m, half = ci_contains(batch_means(r, "wait_sum_ms", "completed"), wq_ms)
        assert ok, f"{service}: P-K Wq {wq_ms:.3f} ms outside batch-means CI {m:.3f} +- {half:.3f}"
    assert np.mean([r.summary["mean_wait_ms"] for r in runs]) == pytest.approx(wq_ms, rel=0.01)
    # M/G/1: probability of waiting = rho
    assert np.mean([r.summary["wait_prob"] for r in runs]) == pytest.approx(rho, rel=0.01)


# ---------------------------------------------------------------- finite waiting room


@pytest.mark.parametrize("rho", [0.8, 1.2])
def test_mmck_blocking_matches_birth_death(rho: float) -> None:
    """queue_limit = K - c: blocking = P(N = K) of M/M/c/K; mean wait from Little on the queue."""
    c, room, mean_ms = 4, 4, 10.0
    a = rho * c
    lam = a / (mean_ms / 1000.0)
    p = mmck_probs(c, c + room, a)
    block = float(p[-1])
    lq = float(sum((n - c) * p[n] for n in range(c + 1, c + room + 1)))
    wq_ms = 1000.0 * lq / (lam * (1.0 - block))
    runs = run_seeds(single_site(c, lam, {"distribution": "exponential", "mean_ms": mean_ms}, room), 1_000_000)
    for r in runs:
        ok, m, half = ci_contains(batch_means(r, "dropped", "requests"), block)
        assert ok, f"rho={rho}: M/M/c/K blocking {block:.5f} outside CI {m:.5f} +- {half:.5f}"
    assert np.mean([r.summary["dropped_frac"] for r in runs]) == pytest.approx(block, rel=0.01)
    assert np.mean([r.summary["mean_wait_ms"] for r in runs]) == pytest.approx(wq_ms, rel=0.01)


def test_erlang_b_loss_system_is_insensitive_to_service_distribution() -> None:
    """queue_limit = 0 (M/G/c/c): blocking is Erlang B for any service distribution with that mean."""
    c, a, mean_ms = 6, 4.5, 10.0
    lam = a / (mean_ms / 1000.0)
    block = erlang_b(c, a)
    for service in (
        {"distribution": "exponential", "mean_ms": mean_ms},
        {"distribution": "lognormal", "mean_ms": mean_ms, "sigma": 1.0},
        {"distribution": "deterministic", "mean_ms": mean_ms},
    ):
        runs = run_seeds(single_site(c, lam, service, 0), 500_000)
        got = np.mean([r.summary["dropped_frac"] for r in runs])
        assert got == pytest.approx(block, rel=0.01), service["distribution"]
        assert all(r.summary["mean_wait_ms"] == 0.0 for r in runs)


# ---------------------------------------------------------------- Little's law, quantiles


def test_littles_law_per_site_in_a_network() -> None:
    """Queue length seen by arrivals (ring buffer; PASTA) = accepted rate x mean wait (heap).

    First-choice arrivals at a site are a thinned Poisson stream, so what they see is the
    time average (PASTA); Little's law then ties it to the accepted rate and the mean wait,
    which the kernel measures by a different mechanism (server-free-time heap).
    """
    spec = spec_from_dict({
        "sites": [{"id": "a", "servers": 3, "queue_limit": 6}, {"id": "b", "servers": 5, "queue_limit": 10},
                  {"id": "c", "servers": 2, "queue_limit": None}],
        "demand": [{"id": "x", "rate_per_s": 250.0}, {"id": "y", "rate_per_s": 300.0},
                   {"id": "z", "rate_per_s": 90.0}],
        "rtt_ms": [[1.0, 5.0, 9.0], [6.0, 2.0, 8.0], [7.0, 3.0, 1.0]],
        "service": {"distribution": "exponential", "mean_ms": 10.0},
    })
    r = simulate(spec, requests=3_000_000, seed=5)
    t_s = r.summary["horizon_s"]
    sites = r.sites
    assert (sites["spilled_in"] > 0).any()
    for _, row in sites.iterrows():
        lq_pasta = row["mean_waiting_seen"]
        lq_little = row["served"] / t_s * row["mean_wait_ms"] / 1000.0
        # same time average estimated two ways on one path; measured gap over 5 seeds x 3 sites:
        # sd ~0.4 %, largest 1.4 % (light site c) -> 2 % (about 4 sigma)
        assert lq_pasta == pytest.approx(lq_little, rel=0.02), row["site"]


def test_mm1_sojourn_quantiles_match_exponential() -> None:
    """M/M/1 FIFO sojourn time is exponential with rate mu - lambda: p50/p95/p99 from histograms."""
    mean_ms, rho = 10.0, 0.7
    lam = rho / (mean_ms / 1000.0)
    rate_per_ms = (1.0 - rho) / mean_ms
    runs = run_seeds(single_site(1, lam, {"distribution": "exponential", "mean_ms": mean_ms}, None), 1_000_000)
    for key, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        truth = -math.log(1.0 - q) / rate_per_ms
        assert np.mean([r.summary[key] for r in runs]) == pytest.approx(truth, rel=0.015), key
    # waiting time of M/M/1: P(W > t) = rho exp(-(mu - lambda) t) -> p95 = ln(rho / 0.05) / (mu - lambda)
    truth_w95 = math.log(rho / 0.05) / rate_per_ms
    assert np.mean([r.summary["p95_wait_ms"] for r in runs]) == pytest.approx(truth_w95, rel=0.015)
