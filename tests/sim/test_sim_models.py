"""Models: Zipf shares, placement under memory, model-aware routing (forward up a tier), rollout."""

from __future__ import annotations

import numpy as np
import pytest

from coredge.sim import simulate
from coredge.sim.models import (
    models_spec,
    place_models,
    rollout_delay_s,
    rollout_faults,
    zipf_shares,
)

SVC = {"distribution": "exponential", "mean_ms": 50.0}


def _net(placement: np.ndarray, servers: int = 50) -> dict:
    # micro A (at the demand point), regional B (~200 km), core C (~1000 km)
    return dict(site_ids=["A", "B", "C"], tiers=["micro", "regional", "core"],
                site_lat=[40.0, 41.8, 40.0], site_lon=[-75.0, -75.0, -86.8], placement=placement,
                servers=servers, demand_ids=["d0"], demand_lat=[40.0], demand_lon=[-75.0],
                rate_per_s=[100.0], model_ids=["m0", "m1", "m2", "m3"], shares=zipf_shares(4, 1.0),
                service=SVC, queue_limit=10)


def test_zipf_and_placement() -> None:
    sh = zipf_shares(5, 1.2)
    assert sh.sum() == pytest.approx(1.0)
    assert sh[0] / sh[3] == pytest.approx(4 ** 1.2)
    mem = np.array([140.0, 16.0, 16.0, 16.0, 810.0])  # a 70B, three 8B, a 405B (bf16 GB)
    pl = place_models(["micro", "regional", "core"], [200.0, 900.0, 0.0], mem, [0.4, 0.3, 0.15, 0.1, 0.05])
    assert pl[2].all()  # core: every model
    assert pl[0].tolist() == [True, True, True, True, False]  # 140 + 3 x 16 = 188 <= 200
    assert pl[1].tolist() == [True, True, True, True, False]  # 188 + 810 > 900: the 405B stays upstream
    for j, budget in enumerate([200.0, 900.0]):
        assert mem[pl[j]].sum() <= budget


def test_model_aware_forwards_up_a_tier() -> None:
    pl = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    spec = models_spec(**_net(pl))
    r = simulate(spec, requests=40_000, seed=1, record=True)
    t = r.requests_table
    assert t is not None and r.summary["dropped"] == 0
    sites = [s.id for s in spec.sites]
    site = np.array([sites[i] for i in t["site"]])
    model = np.array(["m0", "m1", "m2", "m3"])[t["class"].to_numpy()]
    # each request at a pool of its own model
    assert all(s.split("|")[1] == m for s, m in zip(site, model, strict=True))
    # m0 (at the micro site, ample slots) served there; m1 at the regional; m2, m3 at the core
    assert np.all(site[model == "m0"] == "A|m0")
    assert np.all(site[model == "m1"] == "B|m1")
    assert np.all(np.char.startswith(site[np.isin(model, ["m2", "m3"])].astype(str), "C|"))
    # shares follow Zipf: m0 gets 12/25 of requests
    assert (model == "m0").mean() == pytest.approx(12 / 25, abs=0.01)


def test_rollout_serves_upstream_until_the_model_arrives() -> None:
    pl = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]], dtype=bool)
    spec = models_spec(**_net(pl))
    delay = rollout_delay_s(16.0, [1.0, 10.0])  # 8B bf16 over 1 and 10 Gbit/s
    assert delay.tolist() == pytest.approx([128.0, 12.8])
    faults = rollout_faults(spec, "m0", {"A": float(delay[0]), "B": float(delay[1])})
    r = simulate(spec, requests=60_000, seed=2, record=True, faults=faults)
    t = r.requests_table
    assert t is not None
    sites = np.array([s.id for s in spec.sites])[t["site"].to_numpy()]
    m0 = (t["class"] == 0).to_numpy()
    tt = t["arrival_ms"].to_numpy() / 1000.0
    before_b = m0 & (tt < delay[1])
    between = m0 & (tt >= delay[1]) & (tt < delay[0])
    after = m0 & (tt >= delay[0])
    assert before_b.any() and between.any() and after.any()
    assert np.all(sites[before_b] == "C|m0")  # neither edge has it yet: core
    assert np.all(sites[between] == "B|m0")  # regional has it
    assert np.all(sites[after] == "A|m0")  # micro has it
    assert r.summary["faults"]["requests_during"] == int((tt < delay[0]).sum())
