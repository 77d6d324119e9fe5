"""The compiled kernel against a pure-Python implementation of the same rules, plus accounting.

Hypothesis draws small random networks (sites, demand points, servers, queue limits, RTTs with
unreachable pairs, speeds, classes, policies, max_hops, faults); for each, every request must
go to the same site with the same wait as in `coredge.sim.reference` (naive lists, candidate
lists rebuilt with ``sorted``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coredge.sim import simulate, spec_from_dict
from coredge.sim.engine import DRAW_STREAM
from coredge.sim.hist import N_BINS, bin_index
from coredge.sim.kernel import _bin
from coredge.sim.policies import get_policy
from coredge.sim.reference import reference_candidates, reference_run
from coredge.sim.spec import share_rows
from coredge.sim.traffic import TrafficSource

N_REQ = 300


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    n_s = draw(st.integers(1, 4))
    n_d = draw(st.integers(1, 3))
    policy = draw(st.sampled_from(["nearest-available", "least-expected-latency", "tiered-spill",
                                   "plan-share"]))
    sites = []
    for i in range(n_s):
        site: dict[str, Any] = {
            "id": f"s{i}",
            "servers": draw(st.integers(1, 3)),
            "queue_limit": draw(st.one_of(st.none(), st.integers(0, 3))),
            "speed": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "tier": draw(st.sampled_from(["micro", "regional", "core"])),
        }
        sites.append(site)
    rtt = [
        [draw(st.one_of(st.none(), st.floats(0.0, 20.0, allow_nan=False))) for _ in range(n_s)]
        for _ in range(n_d)
    ]
    demand = [{"id": f"d{j}", "rate_per_s": draw(st.floats(5.0, 200.0))} for j in range(n_d)]
    spec: dict[str, Any] = {
        "sites": sites,
        "demand": demand,
        "rtt_ms": rtt,
        "routing": {"policy": policy, "max_hops": draw(st.one_of(st.none(), st.integers(1, 3)))},
    }
    n_class = draw(st.integers(1, 2))
    if n_class == 1:
        spec["service"] = {"distribution": "exponential", "mean_ms": draw(st.floats(5.0, 60.0))}
        spec["slo_ms"] = 40.0
    else:
        spec["classes"] = [
            {
                "id": f"k{k}",
                "share": draw(st.floats(0.2, 1.0)),
                "slo_ms": draw(st.floats(10.0, 100.0)),
                "rtt_budget_ms": draw(st.one_of(st.none(), st.floats(1.0, 15.0))),
                "service": {"distribution": "lognormal", "mean_ms": draw(st.floats(5.0, 60.0)), "sigma": 0.8},
            }
            for k in range(n_class)
        ]
    n_f = draw(st.integers(0, 2))
    spec["faults"] = [
        {"site": f"s{draw(st.integers(0, n_s - 1))}", "at_s": draw(st.floats(0.0, 1.0)),
         "for_s": draw(st.floats(0.05, 1.0))}
        for _ in range(n_f)
    ]
    for _ in range(draw(st.integers(0, 2))):  # link cuts / penalties
        f: dict[str, Any] = {"kind": "link", "site": f"s{draw(st.integers(0, n_s - 1))}",
                             "at_s": draw(st.floats(0.0, 1.0)), "for_s": draw(st.floats(0.05, 1.0)),
                             "rtt_penalty_ms": draw(st.one_of(st.none(), st.floats(0.0, 20.0)))}
        if draw(st.booleans()):
            f["demand"] = [f"d{draw(st.integers(0, n_d - 1))}"]
        spec["faults"].append(f)
    for _ in range(draw(st.integers(0, 2))):  # capacity derates
        spec["faults"].append({"kind": "derate", "site": f"s{draw(st.integers(0, n_s - 1))}",
                               "at_s": draw(st.floats(0.0, 1.0)), "for_s": draw(st.floats(0.05, 1.0)),
                               "fraction": draw(st.sampled_from([0.0, 0.3, 0.5, 0.9]))})
    if policy == "plan-share":
        k_ids = [c["id"] for c in spec.get("classes", [])] or ["default"]
        spec["routing"]["shares"] = {}
        for j in range(n_d):
            by_k = {}
            for k in k_ids:
                if draw(st.booleans()):
                    row = {f"s{i}": draw(st.sampled_from([0.0, 0.2, 1.0])) for i in range(n_s)}
                    row["s0"] = row["s0"] or 0.5  # a positive sum
                    by_k[k] = row
            spec["routing"]["shares"][f"d{j}"] = by_k
    return spec


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_dict=networks(), seed=st.integers(0, 2**31 - 1))
def test_kernel_matches_python_reference(spec_dict: dict[str, Any], seed: int) -> None:
    spec = spec_from_dict(spec_dict)
    res = simulate(spec, requests=N_REQ, seed=seed, record=True)
    src = TrafficSource(spec, seed)
    ch = src.next_chunk(N_REQ)
    n_class = src.n_class
    rtt = [[math.inf if v is None else v for v in r] for r in spec_dict["rtt_ms"]]
    budget = [c.get("rtt_budget_ms") or math.inf for c in spec_dict.get("classes", [])] or [math.inf]
    policy = spec.routing.policy
    tiers = [s["tier"] for s in spec_dict["sites"]]
    shares = share_rows(spec)
    sh = shares.tolist() if shares is not None else None

    def lists(m: list[list[float]]) -> Any:
        return reference_candidates(m, policy, n_class, tiers, budget, spec.routing.max_hops,
                                    shares=sh)

    order, lens, rtt_ord = lists(rtt)
    ids = [s["id"] for s in spec_dict["sites"]]
    span = [(f["at_s"] * 1000.0, (f["at_s"] + f["for_s"]) * 1000.0) for f in spec_dict["faults"]]
    kinds = [f.get("kind", "site") for f in spec_dict["faults"]]
    faults = [(ids.index(f["site"]), *w) for f, w, kd in zip(spec_dict["faults"], span, kinds, strict=True)
              if kd == "site"]
    derates = []
    for f, w, kd in zip(spec_dict["faults"], span, kinds, strict=True):
        if kd == "derate":
            c = f_servers = spec_dict["sites"][ids.index(f["site"])]["servers"]
            derates.append((ids.index(f["site"]), *w, c - round(f_servers * f["fraction"])))
    link_epochs = []
    for t0 in sorted({x for f, w, kd in zip(spec_dict["faults"], span, kinds, strict=True)
                      if kd == "link" for x in w}):
        m = [list(r) for r in rtt]
        for f, (lo, hi), kd in zip(spec_dict["faults"], span, kinds, strict=True):
            if kd == "link" and lo <= t0 < hi:
                rows = [int(d[1:]) for d in f["demand"]] if f.get("demand") else range(len(m))
                for d in rows:
                    pen = f["rtt_penalty_ms"]
                    m[d][ids.index(f["site"])] = math.inf if pen is None else m[d][ids.index(f["site"])] + pen
        link_epochs.append((t0, *lists(m)))
    kernel_row = None
    if policy == "plan-share":
        u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM,))).random(N_REQ)
        n_j = len(order) // (len(rtt) * n_class)
        tot = shares.sum(axis=1) if shares is not None else np.zeros(len(rtt) * n_class)
        kernel_row = []
        for r, ui in zip(ch.row.tolist(), u.tolist(), strict=True):
            row_sh = sorted((v for v in (sh[r] if sh else []) if v > 0), reverse=True)
            c, acc = 0, 0.0
            for v in row_sh[:-1]:
                acc += v / tot[r]
                if ui >= acc:
                    c += 1
            kernel_row.append(r * n_j + c)
    ref = reference_run(
        ch.arr_ms.tolist(), ch.row.tolist(), ch.svc_ms.tolist(), n_class,
        get_policy(policy).kernel_rule, order, lens, rtt_ord,
        [s["servers"] for s in spec_dict["sites"]], [s["queue_limit"] for s in spec_dict["sites"]],
        [s["speed"] for s in spec_dict["sites"]], src.mean_svc_ms.tolist(), faults,
        derates, link_epochs, kernel_row,
    )
    table = res.requests_table
    assert table is not None and len(table) == N_REQ
    np.testing.assert_array_equal(table["arrival_ms"].to_numpy(), ch.arr_ms)
    np.testing.assert_array_equal(table["site"].to_numpy(), np.array(ref.site))
    np.testing.assert_allclose(table["wait_ms"].to_numpy(), np.array(ref.wait_ms), rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["latency_ms"].to_numpy(), np.array(ref.latency_ms), rtol=0, atol=1e-9)
    # accounting: each request once, completed or dropped
    s = res.summary
    served = int((table["site"] >= 0).sum())
    assert s["completed"] == served and s["dropped"] == N_REQ - served
    assert int(res.sites["served"].sum()) == served


def _network() -> dict[str, Any]:
    return {
        "sites": [{"id": "a", "servers": 2, "queue_limit": 3, "tier": "micro"},
                  {"id": "b", "servers": 6, "queue_limit": 8, "tier": "regional"},
                  {"id": "c", "servers": 16, "queue_limit": None, "tier": "core"}],
        "demand": [{"id": "x", "rate_per_s": 120.0}, {"id": "y", "rate_per_s": 260.0}],
        "rtt_ms": [[2.0, 6.0, 30.0], [None, 3.0, 25.0]],
        "classes": [
            {"id": "chat", "share": 0.7, "slo_ms": 80.0, "rtt_budget_ms": 10.0,
             "service": {"distribution": "exponential", "mean_ms": 30.0}},
            {"id": "batch", "share": 0.3, "slo_ms": 400.0,
             "service": {"distribution": "lognormal", "mean_ms": 60.0, "sigma": 1.0}},
        ],
        "routing": {"policy": "nearest-available", "max_hops": 2},
        "faults": [{"site": "b", "at_s": 30.0, "for_s": 20.0}],
    }


def test_every_request_is_counted_exactly_once() -> None:
    res = simulate(spec_from_dict(_network()), requests=200_000, seed=3, record=True)
    s, t = res.summary, res.requests_table
    assert t is not None
    assert s["requests"] == 200_000 == len(t)
    assert s["completed"] + s["dropped"] == s["requests"]
    assert s["dropped"] > 0 and s["spilled"] > 0  # the case exercises both paths
    assert int((t["site"] >= 0).sum()) == s["completed"]
    assert int(res.sites["served"].sum()) == s["completed"]
    assert int(res.classes["requests"].sum()) == s["requests"]
    assert int(res.classes["dropped"].sum()) == s["dropped"]
    assert int(res.demand["requests"].sum()) == s["requests"]
    assert int(res.timeseries["requests"].sum()) == s["requests"]
    assert int(res.timeseries["dropped"].sum()) == s["dropped"]
    assert int(res.hist_latency.sum()) == s["completed"] == int(res.hist_wait.sum())
    assert s["faults"]["requests_during"] == int(((t["arrival_ms"] >= 30_000) & (t["arrival_ms"] < 50_000)).sum())
    # per-site served counts agree with the per-request table
    counts = t.loc[t["site"] >= 0, "site"].value_counts().sort_index()
    assert counts.to_numpy().tolist() == res.sites["served"].to_numpy().tolist()
    # exact sums agree with the table
    done = t[t["site"] >= 0]
    assert s["mean_wait_ms"] == pytest.approx(done["wait_ms"].mean(), rel=1e-9)
    assert s["mean_latency_ms"] == pytest.approx(done["latency_ms"].mean(), rel=1e-9)


def _strip(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in ("sim_wall_s", "requests_per_s")}


def test_same_seed_same_results_independent_of_chunk_size() -> None:
    spec = spec_from_dict({**_network(), "diurnal": {"amplitude": 0.6, "peak_hour_local": 12.0},
                           "demand": [{"id": "x", "rate_per_s": 120.0, "utc_offset_h": -5},
                                      {"id": "y", "rate_per_s": 260.0, "lat": 10.0, "lon": 100.0}]})
    a = simulate(spec, requests=50_000, seed=9)
    b = simulate(spec, requests=50_000, seed=9)
    c = simulate(spec, requests=50_000, seed=9, chunk_size=777)
    d = simulate(spec, requests=50_000, seed=10)
    for other in (b, c):
        assert _strip(a.summary) == _strip(other.summary)
        for name in ("sites", "classes", "demand", "tiers", "timeseries"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(other, name))
    assert _strip(a.summary) != _strip(d.summary)


def test_kernel_binning_equals_numpy_binning() -> None:
    rng = np.random.default_rng(0)
    edges = np.concatenate(([0.0, 0.01], 0.01 * 1.01 ** np.arange(1, 2084)))
    x = np.concatenate((
        rng.lognormal(2.0, 4.0, 20_000), edges, np.nextafter(edges, 0.0), np.nextafter(edges, np.inf),
        [0.0, 1e-9, 9.999e-3, 1e7, 1.1e7, 1e300],
    ))
    expected = bin_index(x)
    got = np.array([_bin(float(v)) for v in x])
    np.testing.assert_array_equal(got, expected)
    assert expected.min() == 0 and expected.max() == N_BINS - 1
