"""The busy-hour spec of a plan whose tiers have their own accelerators (``hardware.tiers``):
each site's pools are built from its tier's operating points and run at its speed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from coredge.inputs.build import build_inputs
from coredge.plan.greedy import greedy_plan
from coredge.scenario.load import load_scenario
from coredge.sim.from_plan import SEP, class_profiles, inference_gpus, plan_sim, simulate_plan

TINY_MIXED = {
    "name": "tiny-mixed",
    "horizon": {"start_year": 2026, "end_year": 2030},
    "demand": {"source": "cities", "countries": ["US"], "min_population": 1_500_000},
    "candidates": {"core_regions": ["dallas-fort-worth", "phoenix-mesa"],
                   "regional_min_population": 1_500_000, "micro_min_population": 1_500_000},
    "workloads": {"batch": {"dtype": "fp8"}},
    "training": {"it_mw_start": 20.0},
    "hardware": {"tiers": {"core": {"gpu": "b200"}, "micro": {"gpu": "l40s"}}},
}


def test_pools_follow_each_tiers_accelerator(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(TINY_MIXED), encoding="utf-8")
    inputs = build_inputs(load_scenario(p))
    plan = greedy_plan(inputs)
    tiers = plan.sites["tier"].astype(str).to_numpy()
    # inference GPUs per site: installed minus training IT MW at the tier's kW per GPU
    gpus = inference_gpus(inputs, plan)
    inst = plan.it_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1]
    kw = np.array([inputs.tier_hardware[t].it_kw_per_gpu for t in tiers])
    assert gpus.sum(axis=1) == pytest.approx(inst * 1000.0 / kw, rel=1e-9)
    ps = plan_sim(inputs, plan, scale=1.0)
    ref = ps.profiles
    seen = set()
    for site, sid in zip(ps.spec.sites, ps.pool_site, strict=True):
        j = list(plan.sites["site_id"]).index(sid)
        tier = tiers[j]
        prof = class_profiles(inputs, tier)
        model, tp = site.id.split(SEP)[1], int(site.id.split(SEP)[2][2:])
        ks = [k for k, c in enumerate(inputs.classes) if prof[c].model == model and prof[c].tp == tp]
        g = gpus[j, ks]
        batch = (g * np.array([prof[inputs.classes[k]].batch for k in ks])).sum() / g.sum()
        assert site.servers == max(1, round(math.floor(g.sum() / tp + 1e-9) * batch))
        if inputs.tier_hardware[tier].gpu == inputs.scenario.hardware.gpu:
            assert site.speed == 1.0
        else:
            # the reference service time over the tier's, GPU-weighted over the pool's classes
            ratio = np.array([ref[inputs.classes[k]].mean_service_ms / prof[inputs.classes[k]].mean_service_ms
                              for k in ks])
            assert site.speed == pytest.approx(float((g * ratio).sum() / g.sum()), rel=1e-12)
            seen.add(tier)
    assert seen  # pools on a non-reference accelerator were built
    res = simulate_plan(inputs, plan, requests=20_000, seed=1)
    assert res.summary["completed"] > 0
