"""Regions that latency budgets keep apart (`coredge.plan.regions`): no latency-bound pair
crosses two components, so the components' latency-bound groups are independent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coredge.inputs.build import build_inputs
from coredge.plan.facilities import build_facilities
from coredge.plan.reach import class_pairs, tier_serves
from coredge.plan.regions import latency_regions
from coredge.scenario.load import load_scenario


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return build_inputs(load_scenario("world", "quick"))


def test_no_latency_bound_pair_crosses_two_regions(inputs) -> None:  # type: ignore[no-untyped-def]
    reg = latency_regions(inputs)
    assert reg.count >= 2  # the reduced world splits (the Americas apart from the rest)
    fac = build_facilities(inputs)
    lat = fac.table["lat"].to_numpy()
    lon = fac.table["lon"].to_numpy()
    final = inputs.load_mw[:, :, -1]
    crossing = 0
    checked = 0
    for k, cid in enumerate(inputs.classes):
        if math.isinf(float(inputs.rtt_budget_ms[k])):
            continue
        serves = np.flatnonzero([tier_serves(inputs, str(t), cid) for t in fac.tier])
        pr = class_pairs(inputs, lat[serves], lon[serves], k)
        live = final[pr.point, k] > 0
        a = reg.point_region[pr.point[live]]
        b = reg.facility_region[serves[pr.site[live]]]
        checked += int(live.sum())
        crossing += int((a != b).sum())
        assert (a >= 0).all() and (b >= 0).all()
    assert checked == int(reg.pairs.sum())
    assert crossing == 0


def test_tighter_budgets_split_at_least_as_far(inputs) -> None:  # type: ignore[no-untyped-def]
    whole = latency_regions(inputs)
    tight = latency_regions(inputs, max_budget_ms=30.0)
    assert tight.count >= whole.count
    assert int(tight.pairs.sum()) < int(whole.pairs.sum())
    assert 0 < whole.largest_pair_share <= 1.0
    # every 30 ms region lies inside one region of the whole graph (components only merge)
    for r in range(tight.count):
        inside = whole.point_region[tight.point_region == r]
        assert np.unique(inside[inside >= 0]).size <= 1
