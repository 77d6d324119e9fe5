"""Link cuts and penalties (routing sees them) and capacity derates (M/M/c at the derated c).

Truth from outside the code: per-request routing written out by hand for link faults; Erlang C
(coded in test_sim_queueing's style, independently of the simulator) for a derated pool.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from coredge.errors import InputError
from coredge.sim import FaultSpec, simulate, spec_from_dict


def _two_sites(policy: str = "nearest-available") -> dict[str, Any]:
    return {
        "sites": [{"id": "a", "servers": 400, "queue_limit": None, "tier": "micro"},
                  {"id": "b", "servers": 400, "queue_limit": None, "tier": "core"}],
        "demand": [{"id": "x", "rate_per_s": 300.0}, {"id": "y", "rate_per_s": 200.0}],
        "rtt_ms": [[2.0, 6.0], [2.5, 6.5]],
        "classes": [{"id": "chat", "share": 1.0, "slo_ms": 30.0, "rtt_budget_ms": 10.0,
                     "service": {"distribution": "deterministic", "mean_ms": 20.0}}],
        "routing": {"policy": policy},
    }


def _window(t: Any, lo_s: float, hi_s: float) -> Any:
    return (t["arrival_ms"] >= lo_s * 1000.0) & (t["arrival_ms"] < hi_s * 1000.0)


@pytest.mark.parametrize("policy", ["nearest-available", "least-expected-latency", "tiered-spill"])
def test_cut_link_is_skipped_only_for_its_pairs_and_window(policy: str) -> None:
    d = _two_sites(policy)
    d["faults"] = [{"kind": "link", "site": "a", "demand": ["x"], "at_s": 20.0, "for_s": 30.0}]
    r = simulate(spec_from_dict(d), requests=40_000, seed=1, record=True)
    t = r.requests_table
    assert t is not None
    inside = _window(t, 20.0, 50.0)
    x = t["demand"] == 0
    # 400 servers, load 10 Erlang: nobody waits, so routing is by RTT alone
    assert float(t["wait_ms"].max()) == 0.0
    assert (t.loc[inside & x, "site"] == 1).all() and (inside & x).sum() > 8000
    assert (t.loc[~inside, "site"] == 0).all()
    assert (t.loc[inside & ~x, "site"] == 0).all()  # y's link to a is intact
    np.testing.assert_allclose(t.loc[inside & x, "latency_ms"], 6.0 + 20.0)
    f = r.summary["faults"]
    assert f["requests_during"] == int(inside.sum())
    assert f["windows"][0]["kind"] == "link" and f["windows"][0]["rtt_penalty_ms"] is None
    # SLO 30 ms: 26 ms is met; everything served
    assert f["slo_attainment_during"] == 1.0 and f["classes"]["chat"]["requests_during"] == int(inside.sum())


@pytest.mark.parametrize(("penalty", "site_in", "rtt_in"), [(3.0, 0, 5.0), (10.0, 1, 6.0)])
def test_penalised_link_is_re_ranked_by_rtt(penalty: float, site_in: int, rtt_in: float) -> None:
    d = _two_sites()
    d["faults"] = [{"kind": "link", "site": "a", "at_s": 10.0, "for_s": 10.0, "rtt_penalty_ms": penalty}]
    r = simulate(spec_from_dict(d), requests=15_000, seed=2, record=True)
    t = r.requests_table
    assert t is not None
    inside = _window(t, 10.0, 20.0) & (t["demand"] == 0)
    # x: a costs 2 + penalty, b costs 6: the nearer after the penalty wins, at its real RTT
    assert (t.loc[inside, "site"] == site_in).all()
    np.testing.assert_allclose(t.loc[inside, "rtt_ms"], rtt_in)
    np.testing.assert_allclose(t.loc[inside, "latency_ms"], rtt_in + 20.0)
    assert (t.loc[~_window(t, 10.0, 20.0), "site"] == 0).all()


def test_penalty_beyond_the_rtt_budget_sends_tiered_spill_to_the_core() -> None:
    d = _two_sites("tiered-spill")  # budget 10 ms: micro a allowed at 2 ms, not at 2 + 9
    r = simulate(spec_from_dict(d), requests=10_000, seed=3, record=True,
                 faults=[FaultSpec(kind="link", site="a", at_s=5.0, for_s=5.0, rtt_penalty_ms=9.0)])
    t = r.requests_table
    assert t is not None
    inside = _window(t, 5.0, 10.0)
    assert (t.loc[inside, "site"] == 1).all() and (t.loc[~inside, "site"] == 0).all()


def test_link_fault_validation() -> None:
    d = _two_sites()
    d["faults"] = [{"kind": "link", "site": "a", "demand": ["zz"], "at_s": 0, "for_s": 1},
                   {"kind": "derate", "site": "b", "at_s": 0, "for_s": 1},
                   {"kind": "site", "site": "b", "at_s": 0, "for_s": 1, "fraction": 0.5}]
    with pytest.raises(InputError) as e:
        spec_from_dict(d)
    msg = str(e.value)
    assert "faults[0].demand" in msg and "faults[1].fraction" in msg and "faults[2].fraction" in msg
    with pytest.raises(InputError, match="fraction"):
        spec_from_dict({**_two_sites(), "faults": [{"kind": "derate", "site": "a", "at_s": 0,
                                                    "for_s": 1, "fraction": 1.5}]})


# ------------------------------------------------------------------ derates vs Erlang C


def _erlang_c(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1.0 - a / c * (1.0 - b))


def _ci(num: np.ndarray, den: np.ndarray, truth: float, level: float) -> tuple[bool, float, float]:
    idx = np.array_split(np.arange(len(num)), 20)
    x = np.array([num[i].sum() / den[i].sum() for i in idx])
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return abs(float(x.mean()) - truth) <= half, float(x.mean()), half


def test_derated_site_is_mmc_at_the_derated_servers() -> None:
    """c = 10 derated to 5 for an hour: M/M/5 at load 0.7 inside, M/M/10 at 0.35 after."""
    c, mean_ms, rho_in = 10, 10.0, 0.7
    lam = rho_in * 5 / (mean_ms / 1000.0)
    d = {"sites": [{"id": "s", "servers": c, "queue_limit": None}],
         "demand": [{"id": "d", "rate_per_s": lam}], "rtt_ms": [[0.0]],
         "service": {"distribution": "exponential", "mean_ms": mean_ms},
         "faults": [{"kind": "derate", "site": "s", "at_s": 60.0, "for_s": 3600.0, "fraction": 0.5}]}
    spec = spec_from_dict(d)
    a = lam * mean_ms / 1000.0
    pw_in, pw_out = _erlang_c(5, a), _erlang_c(c, a)
    wq_in = pw_in / (5 / mean_ms - lam / 1000.0)  # ms
    level = 1.0 - 0.05 / 8  # Bonferroni over the 8 interval checks below
    means = []
    for seed in (5, 6):
        r = simulate(spec, hours=1.5, seed=seed)
        ts = r.timeseries
        m = ts["minute"].to_numpy()
        inside = (m >= 2) & (m < 61)  # window [1 min, 61 min), first minute as burn-in
        after = (m >= 62) & (m < len(ts) - 1)
        comp = ts["completed"].to_numpy(dtype=float)
        for name, num, truth, sel in (
            ("P(wait) during", ts["waited"].to_numpy(dtype=float), pw_in, inside),
            ("Wq during", ts["wait_sum_ms"].to_numpy(dtype=float), wq_in, inside),
            ("P(wait) after", ts["waited"].to_numpy(dtype=float), pw_out, after),
        ):
            if name == "P(wait) after" and seed == 6:
                continue
            ok, mean, half = _ci(num[sel], comp[sel], truth, level)
            assert ok, f"{name}: Erlang C {truth:.4f} outside CI {mean:.4f} +- {half:.4f}"
        means.append(ts["wait_sum_ms"].to_numpy()[inside].sum() / comp[inside].sum())
        assert r.summary["faults"]["windows"][0] == {"site": "s", "at_s": 60.0, "for_s": 3600.0,
                                                     "kind": "derate", "fraction": 0.5}
    # 2 x 1.26e6 arrivals in the window: the mean wait within 2 % of Erlang C (measured spread ~0.7 %)
    assert float(np.mean(means)) == pytest.approx(wq_in, rel=0.02)
    # the undamaged pool would barely queue: the derate is what the figures show
    assert pw_out < 0.05 < pw_in


def test_derate_keeps_requests_in_service_and_restores_capacity() -> None:
    """Hand-checked: 2 servers, 1 s jobs; derate to 1 server in [0.5 s, 3 s)."""
    d = {"sites": [{"id": "s", "servers": 2, "queue_limit": None}],
         "demand": [{"id": "d", "rate_per_s": 1.0}], "rtt_ms": [[0.0]],
         "service": {"distribution": "deterministic", "mean_ms": 1000.0}}
    from coredge.sim.kernel import FIRST_ACCEPT
    from coredge.sim.reference import reference_run

    order = np.zeros((1, 1), dtype=np.int32)
    lens = np.ones(1, dtype=np.int32)
    rtt = np.zeros((1, 1))
    arr = [0.0, 100.0, 600.0, 700.0, 3500.0, 3600.0]
    out = reference_run(arr, [0] * 6, [1000.0] * 6, 1, FIRST_ACCEPT, order, lens, rtt, [2], [None],
                        [1.0], [1000.0], derates=[(0, 500.0, 3000.0, 1)])
    # jobs at 0 and 100 keep both servers (in service); from 0.5 s one server is blocked once
    # free (at 1.0 s) until 3 s: the job at 600 starts when the other frees (1.1 s), the one at
    # 700 after it (2.1 s); after 3 s both servers serve again.
    assert out.wait_ms == pytest.approx([0.0, 0.0, 500.0, 1400.0, 0.0, 0.0])
    assert spec_from_dict(d).sites[0].servers == 2


# ------------------------------------------------------------------ plan-share


def test_plan_share_draws_sites_by_share_and_spills_up_a_tier() -> None:
    d = {
        "sites": [{"id": "m1", "servers": 1000, "tier": "micro"},
                  {"id": "m2", "servers": 1000, "tier": "micro"},
                  {"id": "r", "servers": 1000, "tier": "regional"},
                  {"id": "c", "servers": 1000, "tier": "core"}],
        "demand": [{"id": "x", "rate_per_s": 100.0}],
        "rtt_ms": [[2.0, 3.0, 5.0, 20.0]],
        "service": {"distribution": "deterministic", "mean_ms": 10.0},
        "routing": {"policy": "plan-share", "shares": {"x": {"default": {"m1": 0.25, "m2": 0.75}}}},
    }
    n = 40_000
    r = simulate(spec_from_dict(d), requests=n, seed=9, record=True)
    t = r.requests_table
    assert t is not None
    frac_m1 = float((t["site"] == 0).mean())
    assert abs(frac_m1 - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)  # binomial, 4 sd
    assert set(t["site"].unique()) == {0, 1}
    # m2 full (0 servers is not allowed: 1 server, no queue): its draws spill to the regional site,
    # never sideways to the nearer micro m1
    d["sites"][1] = {"id": "m2", "servers": 1, "queue_limit": 0, "tier": "micro"}
    t2 = simulate(spec_from_dict(d), requests=n, seed=9, record=True).requests_table
    assert t2 is not None
    to_m1 = float((t2["site"] == 0).mean())
    assert abs(to_m1 - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)
    # m2 is an M/D/1/1 loss system at 75 requests/s x 10 ms: Erlang B(1, 0.75) = 0.75 / 1.75
    # of its draws are refused and go up to the regional site; none reach the core
    spilled = int((t2["site"] == 2).sum())
    assert spilled == pytest.approx(0.75 * n * 0.75 / 1.75, rel=0.03)
    assert int((t2["site"] == 3).sum()) == 0


def test_plan_share_fails_over_sideways_only_when_no_higher_tier_accepts() -> None:
    """m2 (the plan's site) and the regional site are down for the whole run: requests fail over
    sideways to m1 (same tier, within the budget) rather than being dropped, with latency = RTT to
    m1 + service (deterministic 10 ms, idle servers: no wait). A failed core campus fails over to
    the other core campus; a site beyond the class's budget is never used."""
    d = {
        "sites": [{"id": "m1", "servers": 1000, "tier": "micro"},
                  {"id": "m2", "servers": 1000, "tier": "micro"},
                  {"id": "r", "servers": 1000, "tier": "regional"},
                  {"id": "far", "servers": 1000, "tier": "micro"}],
        "demand": [{"id": "x", "rate_per_s": 100.0}],
        "rtt_ms": [[4.0, 2.0, 5.0, 80.0]],
        "classes": [{"id": "chat", "share": 1.0, "rtt_budget_ms": 20.0,
                     "service": {"distribution": "deterministic", "mean_ms": 10.0}}],
        "routing": {"policy": "plan-share", "shares": {"x": {"chat": {"m2": 1.0}}}},
    }
    down = [FaultSpec(site="m2", at_s=0.0, for_s=1e9), FaultSpec(site="r", at_s=0.0, for_s=1e9)]
    r = simulate(spec_from_dict(d), requests=5_000, seed=1, record=True, faults=down)
    t = r.requests_table
    assert t is not None and r.summary["dropped"] == 0
    assert set(t["site"].unique()) == {0}
    assert t["latency_ms"].to_numpy() == pytest.approx(np.full(len(t), 4.0 + 10.0))
    # with the regional site up, the failover goes up the tiers first
    t_up = simulate(spec_from_dict(d), requests=5_000, seed=1, record=True,
                    faults=down[:1]).requests_table
    assert t_up is not None and set(t_up["site"].unique()) == {2}
    # a failed core campus: the other core campus takes its requests
    c = {**d, "sites": [{"id": "c1", "servers": 1000, "tier": "core"},
                        {"id": "c2", "servers": 1000, "tier": "core"}],
         "rtt_ms": [[10.0, 30.0]], "routing": {"policy": "plan-share", "shares": {"x": {"chat": {"c1": 1.0}}}}}
    rc = simulate(spec_from_dict(c), requests=5_000, seed=1, record=True,
                  faults=[FaultSpec(site="c1", at_s=0.0, for_s=1e9)])
    assert rc.summary["dropped"] == 0 and rc.requests_table is not None
    assert set(rc.requests_table["site"].unique()) == {1}
