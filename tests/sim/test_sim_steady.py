"""Steady start, replications in worker processes and consecutive windows (coredge.sim.steady,
coredge.sim.engine): a steady start needs no long warm-up (against Erlang C and against a long
warm-up from empty), replications are the same request by request in any number of processes
and equal independent single runs of their seeds, and a later window leaves the first alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.sim import simulate, spec_from_dict
from coredge.sim.engine import Window, replication_seed, simulate_windows
from coredge.sim.spec import FaultSpec
from coredge.sim.steady import mmc_occupancy, residual_quantiles


def _erlang_c(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)  # Erlang B recursion
    return b / (1.0 - a / c * (1.0 - b))


def _mmc(c: int, rho: float, s_ms: float, dist: dict[str, object] | None = None) -> object:
    lam = rho * c / (s_ms / 1000.0)
    return spec_from_dict({"sites": [{"id": "s", "servers": c}], "demand": [{"id": "d", "rate_per_s": lam}],
                           "rtt_ms": [[0.0]],
                           "service": dist or {"distribution": "exponential", "mean_ms": s_ms}})


def test_residual_of_exponential_is_exponential() -> None:
    rng = np.random.default_rng(0)
    q = residual_quantiles(rng.exponential(100.0, 200_000), grid=100)
    u = np.linspace(0.0, 1.0, 101)[1:-1]
    # memoryless: the residual of Exp(100 ms) is Exp(100 ms); quantiles within 2 %
    assert np.allclose(q[1:-1], -100.0 * np.log1p(-u), rtol=0.02, atol=0.5)
    # a length-biased residual is longer than the service on average for lognormal (E[S^2]/2E[S])
    s = np.exp(rng.normal(0.0, 1.0, 200_000))
    qr = residual_quantiles(s, grid=2000)
    mean_r = float(np.trapezoid(qr, dx=1.0 / 2000))
    assert mean_r == pytest.approx(float((s**2).mean() / (2 * s.mean())), rel=0.03)


def test_mmc_occupancy_is_the_stationary_distribution() -> None:
    rng = np.random.default_rng(1)
    c, a = 10, 8.0
    n = np.array([mmc_occupancy(a, c, 1 << 62, rng) for _ in range(20_000)])
    pc = _erlang_c(c, a)
    se = math.sqrt(pc * (1 - pc) / n.size)
    assert abs((n >= c).mean() - pc) < 4 * se  # P(all busy) = Erlang C
    # mean number waiting: C x rho / (1 - rho)
    lq = pc * (a / c) / (1 - a / c)
    q = np.maximum(n - c, 0)
    assert abs(q.mean() - lq) < 4 * q.std() / math.sqrt(n.size)
    # a queue limit cuts the waiting line
    assert max(mmc_occupancy(a, c, 3, rng) for _ in range(2000)) <= c + 3


@pytest.mark.parametrize("start", ["steady", "empty"])
def test_steady_start_needs_no_long_warmup(start: str) -> None:
    """M/M/20 at load 0.8: 150 replications of 320 counted requests (20 s) right after the
    start. From a steady start (warm-up half a mean service) P(wait) and the mean wait are
    Erlang C's; from empty without a long warm-up both are biased low."""
    c, s_ms, rho = 20, 1000.0, 0.8
    spec = _mmc(c, rho, s_ms)
    pc = _erlang_c(c, rho * c)
    n = 150
    res = [simulate(spec, requests=320, seed=i, start=start, warmup_s=0.5).summary for i in range(n)]
    wp = np.array([r["wait_prob"] for r in res])
    wait = np.array([r["mean_wait_ms"] for r in res])
    want_wait = pc * s_ms / (c * (1 - rho))
    se_p, se_w = wp.std() / math.sqrt(n), wait.std() / math.sqrt(n)
    if start == "steady":
        assert abs(wp.mean() - pc) < 3 * se_p
        assert abs(wait.mean() - want_wait) < 3 * se_w
    else:
        assert wp.mean() < pc - 3 * se_p


def test_steady_start_matches_a_long_warmup_for_lognormal_service() -> None:
    """M/G/c (lognormal, sigma 1, 16 servers, load 0.85, queue limit 8): many short runs from
    a steady start give the SLO attainment, drops and waits of one long run after a long
    warm-up from empty (within 3 standard errors)."""
    dist = {"distribution": "lognormal", "mean_ms": 500.0, "sigma": 1.0}
    lam = 0.85 * 16 / 0.5
    spec = spec_from_dict({"sites": [{"id": "s", "servers": 16, "queue_limit": 8}],
                           "demand": [{"id": "d", "rate_per_s": lam}], "rtt_ms": [[0.0]],
                           "service": dist, "slo_ms": 600.0})
    ref = simulate(spec, requests=400_000, seed=99, warmup_s=300.0).summary
    n = 200
    short = [simulate(spec, requests=200, seed=i, start="steady", warmup_s=0.25).summary for i in range(n)]
    for key in ("slo_attainment", "dropped_frac", "wait_prob"):
        x = np.array([r[key] for r in short])
        assert abs(x.mean() - ref[key]) < 3 * x.std() / math.sqrt(n) + 0.002, key


def test_steady_start_of_a_spilling_network() -> None:
    """Two sites, the near one too small: the fluid estimate puts the overflow at the far one,
    and short steady-started runs see the long run's spill share."""
    spec = spec_from_dict({
        "sites": [{"id": "a", "servers": 8, "queue_limit": 0}, {"id": "b", "servers": 40, "queue_limit": 20}],
        "demand": [{"id": "d", "rate_per_s": 40.0}], "rtt_ms": [[1.0, 9.0]],
        "service": {"distribution": "exponential", "mean_ms": 400.0}})
    ref = simulate(spec, requests=300_000, seed=7, warmup_s=200.0).summary
    n = 150
    short = np.array([simulate(spec, requests=100, seed=i, start="steady", warmup_s=0.2).summary["spilled_frac"]
                      for i in range(n)])
    empty = np.array([simulate(spec, requests=100, seed=i).summary["spilled_frac"] for i in range(n)])
    se = short.std() / math.sqrt(n)
    assert abs(short.mean() - ref["spilled_frac"]) < 3 * se
    assert empty.mean() < ref["spilled_frac"] - 3 * empty.std() / math.sqrt(n)  # the bias it removes


SPEC = {
    "sites": [{"id": f"s{i}", "servers": 4 + 3 * i, "queue_limit": 6, "tier": ["micro", "regional", "core"][i % 3]}
              for i in range(5)],
    "demand": [{"id": f"d{j}", "rate_per_s": 6.0 + j} for j in range(8)],
    "rtt_ms": [[float((3 * i + 7 * j) % 23 + 1) for i in range(5)] for j in range(8)],
    "service": {"distribution": "lognormal", "mean_ms": 300.0, "sigma": 0.7},
    "slo_ms": 500.0,
}


def test_replications_are_independent_runs_of_their_seeds() -> None:
    spec = spec_from_dict(SPEC)
    kw = {"start": "steady", "warmup_s": 0.5}
    both = simulate(spec, requests=30_001, seed=11, replications=2, record=True, slo_batches=8, **kw)
    t = both.requests_table
    assert t is not None and list(t["replication"].unique()) == [0, 1]
    for r, n in ((0, 15_001), (1, 15_000)):
        one = simulate(spec, requests=n, seed=replication_seed(11, r), record=True, **kw)
        assert one.requests_table is not None
        mine = t[t["replication"] == r].drop(columns="replication").reset_index(drop=True)
        assert mine.equals(one.requests_table)
    assert replication_seed(11, 0) == 11 and replication_seed(11, 1) != replication_seed(11, 2)
    s = both.summary
    assert s["requests"] == 30_001 and s["replications"] == 2 and s["start"] == "steady"
    assert s["slo_ci"]["batches"] == 8  # 4 per replication
    lo, hi = s["slo_ci"]["overall"]
    assert lo <= s["slo_attainment"] <= hi
    # counted time: the sum of the replications' spans
    assert s["horizon_s"] == pytest.approx(float(t.groupby("replication")["arrival_ms"].max().sum()) / 1000.0)


def test_worker_processes_change_nothing() -> None:
    """The same replications in one process and in two: identical, request by request."""
    spec = spec_from_dict(SPEC)
    kw = {"requests": 20_000, "seed": 3, "replications": 2, "record": True, "start": "steady",
          "warmup_s": 0.5, "slo_batches": 6}
    one = simulate(spec, workers=1, **kw)
    two = simulate(spec, workers=2, **kw)
    assert one.requests_table is not None and two.requests_table is not None
    assert one.requests_table.equals(two.requests_table)
    assert one.sites.equals(two.sites) and one.classes.equals(two.classes)
    assert one.timeseries.equals(two.timeseries)
    assert one.summary["slo_ci"] == two.summary["slo_ci"] and two.summary["workers"] == 2


def test_a_second_window_leaves_the_first_alone() -> None:
    spec = spec_from_dict(SPEC)
    kw = {"seed": 5, "start": "steady", "warmup_s": 0.5, "replications": 2}
    alone = simulate(spec, requests=8_000, record=True, **kw)
    fault = FaultSpec(site="s0", at_s=20.0, for_s=30.0)
    first, second = simulate_windows(spec, [Window(8_000), Window(6_000, faults=(fault,))], record=True, **kw)
    assert first.requests_table is not None and alone.requests_table is not None
    assert first.requests_table.equals(alone.requests_table)
    t2 = second.requests_table
    assert t2 is not None and second.summary["requests"] == 6_000
    # the second window's clock starts at 0 and the fault is in it: s0 takes nothing in [20, 50) s
    during = t2[(t2["arrival_ms"] >= 20_000) & (t2["arrival_ms"] < 50_000)]
    assert len(during) > 0 and not (during["site"] == 0).any()
    assert second.summary["faults"]["requests_during"] == len(during)


def test_a_second_window_continues_the_first() -> None:
    """Without faults, two windows are one run cut in two: the second window's requests are
    the continuation of the first (same sites, same waits), with its clock restarted."""
    spec = spec_from_dict(SPEC)
    kw = {"seed": 8, "start": "steady", "warmup_s": 0.5, "replications": 2, "record": True}
    a, b = simulate_windows(spec, [Window(8_000), Window(6_000)], **kw)
    whole = simulate(spec, requests=14_000, **kw).requests_table
    assert whole is not None and a.requests_table is not None and b.requests_table is not None
    for r in (0, 1):
        w = whole[whole["replication"] == r].reset_index(drop=True)
        first = a.requests_table[a.requests_table["replication"] == r]
        second = b.requests_table[b.requests_table["replication"] == r].reset_index(drop=True)
        cut = len(first)
        rest = w.iloc[cut:].reset_index(drop=True)
        assert len(rest) == len(second) == 3_000
        assert (rest["site"].to_numpy() == second["site"].to_numpy()).all()
        shift = float(w["arrival_ms"].iat[cut - 1])
        assert np.allclose(rest["arrival_ms"] - shift, second["arrival_ms"], rtol=0, atol=1e-6)
        assert np.allclose(rest["wait_ms"].fillna(-1), second["wait_ms"].fillna(-1), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("kw", "needle"), [
    ({"replications": 0}, "--replications"),
    ({"workers": 0}, "--workers"),
    ({"start": "warm"}, "start"),
    ({"replications": 5, "requests": 3}, "--replications"),
])
def test_bad_run_options(kw: dict[str, object], needle: str) -> None:
    spec = spec_from_dict(SPEC)
    args: dict[str, object] = {"requests": 100, **kw}
    with pytest.raises(InputError, match=needle):
        simulate(spec, **args)  # type: ignore[arg-type]
