"""The greedy planner's capacity top-up (`coredge.plan.greedy_topup`): where the coverage step's
sites fill up, more sites are opened where the load is left unserved; a shortfall smaller than
one regional site is left to the MILP (the default US plans are unchanged)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coredge.inputs.build import build_inputs
from coredge.plan.greedy import _greedy_plan, greedy_plan
from coredge.plan.greedy_topup import top_up_sites, unserved_mw
from coredge.plan.milp import plan_objective_usd
from coredge.plan.result import coverage_by_class
from coredge.scenario.load import load_scenario


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return build_inputs(load_scenario("world", "quick"))


def test_coverage_step_alone_leaves_load_behind_full_sites(inputs) -> None:  # type: ignore[no-untyped-def]
    plain = _greedy_plan(inputs, None)
    cov = coverage_by_class(inputs, plain)
    target = inputs.scenario.planning.min_coverage_frac
    short = [k for k, cid in enumerate(inputs.classes)
             if not math.isinf(inputs.rtt_budget_ms[k]) and cov[cid]["coverage"] < target]
    assert short  # the premise: one regional site per metropolis is not enough
    for k in short:
        left = unserved_mw(inputs, plain, k)
        assert left.sum() == pytest.approx((1 - cov[inputs.classes[k]]["coverage"]) * inputs.load_mw[:, k, -1].sum())


def test_top_up_meets_the_coverage_target_and_costs_less(inputs) -> None:  # type: ignore[no-untyped-def]
    plain = _greedy_plan(inputs, None)
    plan = greedy_plan(inputs)
    target = inputs.scenario.planning.min_coverage_frac
    before = coverage_by_class(inputs, plain)
    cov = coverage_by_class(inputs, plan)
    site_mw = inputs.scenario.tiers["regional"].it_mw_max
    big = [cid for k, cid in enumerate(inputs.classes) if not math.isinf(inputs.rtt_budget_ms[k])
           and target * before[cid]["demand_mw"] - before[cid]["served_mw"] >= site_mw]
    assert big  # the consumer class, short by GW
    for cid in big:
        assert cov[cid]["coverage"] >= target - 1e-9, cid
    for cid in cov:  # no class loses coverage
        assert cov[cid]["served_mw"] >= before[cid]["served_mw"] - 1e-6, cid
    assert len(plan.sites) > len(plain.sites)
    # the unmet-demand penalty it saves is worth more than the sites it adds
    assert plan_objective_usd(inputs, plan) < plan_objective_usd(inputs, plain)
    # nothing left to add once the target is met
    assert not top_up_sites(inputs, plan, np.zeros(len(inputs.candidates), dtype=bool)).any()


def test_default_us_greedy_is_unchanged() -> None:
    us = build_inputs(load_scenario("us"))
    plain = _greedy_plan(us, None)
    assert not top_up_sites(us, plain, np.zeros(len(us.candidates), dtype=bool)).any()
    assert list(greedy_plan(us).sites["site_id"]) == list(plain.sites["site_id"])
