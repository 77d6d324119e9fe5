"""Policies, workload classes, diurnal traffic, faults, slot model, outputs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coredge.errors import InputError
from coredge.sim import FaultSpec, simulate, spec_from_dict
from coredge.sim.spec import DiurnalSpec
from coredge.sim.traffic import diurnal_multiplier


def base(**over: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "sites": [{"id": "near", "servers": 1, "queue_limit": None},
                  {"id": "far", "servers": 100, "queue_limit": None}],
        "demand": [{"id": "d", "rate_per_s": 20.0}],
        "rtt_ms": [[0.0, 20.0]],
        "service": {"distribution": "deterministic", "mean_ms": 100.0},
        "routing": {"policy": "nearest-available", "max_hops": None},
    }
    spec.update(over)
    return spec


def test_least_expected_latency_avoids_a_long_queue() -> None:
    """near: 1 server at load 2 with unlimited queue; far: 100 idle servers 20 ms away.

    nearest-available piles everything onto near (unstable queue); least-expected-latency
    joins near only when its server is free (otherwise expected wait >= 100 ms > 20 ms RTT),
    so no request ever waits and latency is 100 ms (near) or 120 ms (far) exactly.
    """
    spec = spec_from_dict(base())
    na = simulate(spec, requests=20_000, seed=1)
    lel = simulate(spec, requests=20_000, seed=1, policy="least-expected-latency")
    assert na.summary["spilled"] == 0 and na.summary["mean_wait_ms"] > 10_000
    assert lel.summary["mean_wait_ms"] == 0.0
    assert lel.summary["p99_ms"] == pytest.approx(120.0, rel=0.01)
    near = lel.sites.set_index("site").loc["near"]
    # near serves when free: with 100 ms service and 20/s Poisson arrivals, P(free) at arrival
    # is 1 / (1 + a) for the loss system M/D/1/1 (Erlang B, insensitive): a = 2 -> 1/3
    assert near["served"] / 20_000 == pytest.approx(1 / 3, abs=0.015)


def test_max_hops_limits_candidates() -> None:
    spec = spec_from_dict(base(sites=[{"id": "near", "servers": 1, "queue_limit": 0},
                                      {"id": "far", "servers": 100, "queue_limit": None}]))
    one = simulate(spec, requests=20_000, seed=2, max_hops=1)
    two = simulate(spec, requests=20_000, seed=2)
    assert one.summary["spilled"] == 0
    # M/D/1/1 loss: blocking = a / (1 + a) with a = 2 (Erlang B, insensitive to service law)
    assert one.summary["dropped_frac"] == pytest.approx(2 / 3, abs=0.015)
    assert two.summary["dropped"] == 0
    assert two.summary["spilled"] == one.summary["dropped"]


def test_tiered_spill_orders_by_tier_then_rtt_within_budget() -> None:
    spec = spec_from_dict({
        "sites": [{"id": "m", "servers": 1, "queue_limit": 0, "tier": "micro"},
                  {"id": "r", "servers": 1, "queue_limit": 0, "tier": "regional"},
                  {"id": "c", "servers": 50, "queue_limit": None, "tier": "core"}],
        "demand": [{"id": "d", "rate_per_s": 15.0}],
        "rtt_ms": [[8.0, 2.0, 30.0]],
        "classes": [
            {"id": "wide", "share": 0.5, "rtt_budget_ms": 10.0, "slo_ms": 1000.0,
             "service": {"distribution": "exponential", "mean_ms": 50.0}},
            {"id": "tight", "share": 0.5, "rtt_budget_ms": 5.0, "slo_ms": 1000.0,
             "service": {"distribution": "exponential", "mean_ms": 50.0}},
        ],
        "routing": {"policy": "tiered-spill", "max_hops": None},
    })
    res = simulate(spec, requests=30_000, seed=3, record=True)
    t = res.requests_table
    assert t is not None
    sites = t["site"].to_numpy()
    cls = t["class"].to_numpy()
    assert not np.any(sites[cls == 1] == 0)  # micro at 8 ms is outside the 5 ms budget
    # the wide class tries micro first although regional is nearer
    wide = sites[cls == 0]
    assert np.mean(wide == 0) > np.mean(wide == 1) > 0
    assert set(res.tiers["tier"]) == {"micro", "regional", "core"}
    assert res.summary["tiers"]["core"]["served"] > 0
    assert res.summary["dropped"] == 0
    # nearest-available on the same spec goes to the 2 ms regional site first
    na = simulate(spec, requests=30_000, seed=3, policy="nearest-available", record=True)
    assert na.requests_table is not None
    first = na.requests_table["site"].to_numpy()
    assert np.mean(first == 1) > np.mean(first == 0)


def test_tiered_spill_needs_tiers() -> None:
    with pytest.raises(InputError, match="tier"):
        simulate(spec_from_dict(base()), requests=10, policy="tiered-spill")


def test_fault_window_blocks_site_and_reports_slo_during_and_outside() -> None:
    spec = spec_from_dict(base(
        sites=[{"id": "a", "servers": 50, "queue_limit": None},
               {"id": "b", "servers": 50, "queue_limit": None}],
        rtt_ms=[[1.0, 50.0]], service={"distribution": "deterministic", "mean_ms": 10.0},
        slo_ms=40.0,
    ))
    res = simulate(spec, requests=2_000, seed=4, record=True,
                   faults=[FaultSpec(site="a", at_s=20.0, for_s=30.0)])
    t = res.requests_table
    assert t is not None
    inside = (t["arrival_ms"] >= 20_000) & (t["arrival_ms"] < 50_000)
    assert inside.sum() > 0
    assert (t.loc[inside, "site"] == 1).all() and (t.loc[~inside, "site"] == 0).all()
    f = res.summary["faults"]
    assert f["requests_during"] == int(inside.sum())
    assert f["slo_attainment_during"] == 0.0 and f["slo_attainment_outside"] == 1.0
    with pytest.raises(InputError, match="--fail-site"):
        simulate(spec, requests=10, faults=[FaultSpec(site="zz", at_s=0.0, for_s=1.0)])


def test_workload_classes_shares_services_and_slo() -> None:
    spec = spec_from_dict({
        "sites": [{"id": "s", "servers": 10_000, "queue_limit": None}],
        "demand": [{"id": "d", "rate_per_s": 100.0}],
        "rtt_ms": [[5.0]],
        "classes": [
            # tokens_sigma 0: exactly rint(120) tokens -> 40 + 120 x 2 = 280 ms
            {"id": "chat", "share": 1.0, "slo_ms": 290.0,
             "service": {"distribution": "tokens", "prefill_ms": 40.0, "tpot_ms": 2.0,
                         "tokens_mean": 120.0, "tokens_sigma": 0.0}},
            {"id": "embed", "share": 3.0, "slo_ms": 10.0,
             "service": {"distribution": "empirical", "samples_ms": [2.0, 4.0]}},
        ],
    })
    res = simulate(spec, requests=40_000, seed=5)
    c = res.classes.set_index("class")
    n = 40_000
    # class shares: binomial, within 4 sigma
    assert abs(c.loc["chat", "requests"] - n / 4) < 4 * math.sqrt(n * 0.25 * 0.75)
    assert c.loc["chat", "mean_latency_ms"] == pytest.approx(285.0, rel=1e-12)
    assert c.loc["chat", "slo_attainment"] == 1.0
    assert c.loc["embed", "mean_latency_ms"] == pytest.approx(8.0, abs=0.05)  # 5 + U{2,4}
    assert c.loc["embed", "slo_attainment"] == 1.0
    assert set(res.summary["classes"]) == {"chat", "embed"}
    assert res.summary["slo_attainment"] == 1.0


def test_service_sampler_callable_and_site_speed() -> None:
    spec = spec_from_dict(base(sites=[{"id": "s", "servers": 1000, "queue_limit": None, "speed": 2.0}],
                               rtt_ms=[[3.0]]))
    res = simulate(spec, requests=5_000, seed=6,
                   samplers={"default": lambda rng, n: np.full(n, 30.0)})
    assert res.summary["mean_latency_ms"] == pytest.approx(3.0 + 15.0, rel=1e-12)
    with pytest.raises(InputError, match="samplers"):
        simulate(spec, requests=10, samplers={"chat": lambda rng, n: np.ones(n)})


def test_slot_model_equals_server_model() -> None:
    a = simulate(spec_from_dict(base(sites=[{"id": "s", "servers": 12, "queue_limit": 5}],
                                     rtt_ms=[[1.0]], demand=[{"id": "d", "rate_per_s": 110.0}])),
                 requests=30_000, seed=7)
    b = simulate(spec_from_dict(base(sites=[{"id": "s", "replicas": 3, "slots_per_replica": 4,
                                             "queue_limit": 5}],
                                     rtt_ms=[[1.0]], demand=[{"id": "d", "rate_per_s": 110.0}])),
                 requests=30_000, seed=7)
    for key in ("completed", "dropped", "p99_ms", "mean_wait_ms"):
        assert a.summary[key] == b.summary[key]


def _hourly_expected(profile: DiurnalSpec, rate_per_s: float, hours: int, offset_h: float) -> np.ndarray:
    t_h = (np.arange(hours * 3600) + 0.5) / 3600.0  # 1-second midpoint rule
    m = diurnal_multiplier(profile, t_h + offset_h)
    return rate_per_s * m.reshape(hours, 3600).sum(axis=1)


@pytest.mark.parametrize(
    "profile",
    [{"amplitude": 0.8, "peak_hour_local": 13.0},
     {"hourly": [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 2, 2, 1, 1]}],
)
def test_diurnal_thinning_follows_the_profile_in_local_time(profile: dict[str, Any]) -> None:
    """Hourly counts of a thinned Poisson process match the integrated intensity (Poisson, 4.5 sigma)."""
    rate, hours = 5.0, 48
    spec = spec_from_dict(base(demand=[{"id": "d", "rate_per_s": rate, "lat": 41.9, "lon": -87.6}],
                               sites=[{"id": "s", "servers": 1000, "queue_limit": None}],
                               rtt_ms=[[1.0]], diurnal=profile))
    res = simulate(spec, hours=float(hours), seed=8)
    counts = res.timeseries["requests"].to_numpy().reshape(hours, 60).sum(axis=1)
    expected = _hourly_expected(DiurnalSpec(**profile), rate, hours, -87.6 / 15.0)
    z = (counts - expected) / np.sqrt(expected)
    assert np.all(np.abs(z) < 4.5), z.round(2)
    assert abs(counts.sum() - expected.sum()) < 4 * math.sqrt(expected.sum())
    assert expected.max() > 1.5 * expected.min()  # the check has teeth
    assert len(res.timeseries) == hours * 60


def test_result_write_is_atomic_and_refuses_non_empty(tmp_path: Path) -> None:
    res = simulate(spec_from_dict(base()), requests=1_000, seed=9)
    out = res.write(tmp_path / "run")
    assert {p.name for p in out.iterdir()} == {
        "summary.json", "spec.json", "sites.parquet", "classes.parquet", "demand.parquet",
        "tiers.parquet", "timeseries.parquet", ".coredge-output.json"}
    assert pd.read_parquet(out / "sites.parquet")["served"].sum() == res.summary["completed"]
    with pytest.raises(InputError, match="--out"):
        res.write(out)
    res.write(out, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
