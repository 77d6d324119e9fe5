"""Random outages: availability MTBF / (MTBF + MTTR) (renewal theory), counts, and their effect."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coredge.sim import simulate, spec_from_dict
from coredge.sim.faults import random_outages


def test_unavailability_matches_renewal_theory() -> None:
    rng = np.random.default_rng(1)
    mtbf, mttr, h = 900.0, 100.0, 2_000_000.0
    fs = random_outages(["a", "b"], mtbf, mttr, h, rng)
    for s in ("a", "b"):
        w = [f for f in fs if f.site == s]
        down = sum(min(f.for_s, h - f.at_s) for f in w)
        assert down / h == pytest.approx(mttr / (mtbf + mttr), abs=0.01)  # 0.1 +- 0.01 (~2000 cycles)
        assert len(w) == pytest.approx(h / (mtbf + mttr), rel=0.1)
        assert all(a.at_s + a.for_s <= b.at_s for a, b in itertools.pairwise(w))


def test_outages_spill_to_the_other_site() -> None:
    spec = spec_from_dict({"sites": [{"id": "near", "servers": 20, "queue_limit": 0, "tier": "micro"},
                                     {"id": "far", "servers": 40, "queue_limit": 0, "tier": "core"}],
                           "demand": [{"id": "d", "rate_per_s": 100.0}], "rtt_ms": [[2.0, 30.0]],
                           "service": {"distribution": "exponential", "mean_ms": 50.0}, "slo_ms": 40.0})
    fs = random_outages(["near"], 60.0, 20.0, 600.0, np.random.default_rng(4))
    r = simulate(spec, requests=60_000, seed=3, faults=fs, record=True)
    t = r.requests_table
    assert t is not None
    arr = t["arrival_ms"].to_numpy() / 1000.0
    down = np.zeros(len(t), dtype=bool)
    for f in fs:
        down |= (arr >= f.at_s) & (arr < f.at_s + f.for_s)
    assert not np.any(t["site"].to_numpy()[down] == 0)  # nothing accepted by the failed site
    fb = r.summary["faults"]
    assert fb["requests_during"] == int(down.sum())
    assert fb["slo_attainment_during"] < fb["slo_attainment_outside"]
