"""The planner's power paths (coredge.plan.power_paths, coredge.power.planner_paths)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.facilities import build_facilities
from coredge.plan.milp import milp_plan
from coredge.plan.objective import gpu_floor_slack_usd, plan_objective_usd
from coredge.plan.power_paths import (
    NONE_YEAR,
    PathTerms,
    module_year_usd_per_mw,
    path_charges,
    path_costs,
    plan_terms,
    power_columns,
)
from coredge.plan.result import Plan
from coredge.power.planner_paths import planner_path_table, with_power_paths
from coredge.scenario.load import load_scenario
from coredge.units import discount_factors, plan_year_offsets

TL, GAP = 30.0, 1e-4


def _firm_only(inputs: Inputs) -> Inputs:
    sc = inputs.scenario.model_copy(update={"power": inputs.scenario.power.model_copy(update={"paths": []})})
    return with_power_paths(replace(inputs, scenario=sc))


@pytest.fixture(scope="module")
def path_inputs(tiny_inputs: Inputs) -> Inputs:
    return with_power_paths(tiny_inputs)


@pytest.fixture(scope="module")
def path_plan(path_inputs: Inputs) -> Plan:
    return milp_plan(path_inputs, time_limit_s=TL, mip_rel_gap=GAP)


def test_firm_only_gives_todays_facilities_and_plan(tiny_inputs: Inputs, tiny_milp: Plan) -> None:
    firm = _firm_only(tiny_inputs)
    assert firm.power_paths is not None and firm.power_paths.empty
    a, b = build_facilities(tiny_inputs), build_facilities(firm)
    assert b.power is None
    for k in ("site", "tier", "online_year", "max_modules", "module_mw", "pue"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    plan = milp_plan(firm, time_limit_s=TL, mip_rel_gap=GAP)
    assert plan.solver["objective_usd"] == pytest.approx(tiny_milp.solver["objective_usd"], rel=1e-12)
    assert list(plan.sites["site_id"]) == list(tiny_milp.sites["site_id"])
    np.testing.assert_array_equal(plan.it_mw_by_year, tiny_milp.it_mw_by_year)
    assert set(plan.sites["power_path"]) == {"firm"}


def test_path_facilities_come_online_earlier(path_inputs: Inputs) -> None:
    fac = build_facilities(path_inputs)
    assert fac.power is not None
    t = fac.power
    p = t.path != "firm"
    assert p.any()
    assert (fac.tier[p] == "core").all()
    # every path facility: first power before its firm year, stages in order
    assert (fac.online_year[p] < t.firm_from[p]).all()
    assert (t.first_year == fac.online_year).all()
    br, fl = t.bridge_from != NONE_YEAR, t.flexible_from != NONE_YEAR
    assert (t.bridge_until[br] > t.bridge_from[br]).all()
    assert (t.firm_from[fl] > t.flexible_from[fl]).all()
    # a flexible path fits in its BA's headroom: max_it_mw caps its modules
    pp = path_inputs.power_paths
    assert pp is not None and np.isfinite(pp.loc[pp["kind"] == "flexible", "max_it_mw"]).all()


def test_plan_with_paths_is_no_dearer_and_energised_only_from_its_path_date(
        path_inputs: Inputs, path_plan: Plan, tiny_milp: Plan) -> None:
    plan = path_plan
    s = plan.sites
    t = plan_terms(plan)
    years = plan.years
    # no campus energised (capacity or load) before its path's first year
    before = years[None, :] < t.first_year[:, None]
    assert not (plan.it_mw_by_year[before] > 0).any()
    assert not (plan.load_mw_by_year[before] > 0).any()
    assert (s["online_year"].to_numpy() == t.first_year).all()
    # the firm-only plan is a point of the larger model: with paths the optimum is no dearer
    assert plan.solver["objective_usd"] <= tiny_milp.solver["objective_usd"] * (1 + 2 * GAP) + 1.0
    # the tiny scenario's training cannot wait for firm service in the horizon: a path is taken
    assert (t.path[s["tier"].to_numpy() == "core"] != "firm").any()
    # the certified objective (costing incl. path charges) agrees with the model's
    slack = gpu_floor_slack_usd(path_inputs, build_facilities(path_inputs))
    assert plan.solver["objective_usd"] == pytest.approx(plan_objective_usd(path_inputs, plan), rel=1e-12)
    s_ = plan.solver
    # as tests/plan/test_planner_costing.py: fractional GPUs, plus what the resilience repair added
    assert s_["objective_model_usd"] <= s_["objective_usd"] + slack
    if not s_.get("repair_modules"):
        assert abs(s_["objective_usd"] - s_["objective_model_usd"]) <= slack + 1e-6
    assert plan.solver["bound_usd"] <= plan.solver["objective_usd"] + 1e-6 * abs(plan.solver["objective_usd"])


def _terms() -> PathTerms:
    return PathTerms(np.array(["bridge:recip-engine", "flexible+battery"]), np.array([2027, NONE_YEAR]),
                     np.array([NONE_YEAR, 2027]), np.array([2029, 2030]), {
                         "bridge_capex_usd_per_mw": np.array([2.0e6, 0.0]),
                         "bridge_credit_usd_per_mw": np.array([0.5e6, 0.0]),
                         "bridge_premium_usd_per_mwh": np.array([-10.0, 0.0]),
                         "co2_t_per_mwh": np.array([0.2, 0.0]),
                         "curtail_usd_per_mw_year": np.array([0.0, 8000.0]),
                         "battery_capex_usd_per_mw": np.array([0.0, 2.1e6]),
                         "battery_fom_usd_per_mw_year": np.array([0.0, 48000.0])})


def test_model_charges_equal_the_plans_path_costs() -> None:
    """The model's telescoped module charges and energy charges on a plan's modules and loads
    equal `path_costs` of the same plan, discounted (exact because modules never shrink)."""
    t = _terms()
    years = np.arange(2026, 2032)
    disc = discount_factors(0.08, plan_year_offsets(years))
    inst = np.array([[0, 100, 150, 150, 200, 200], [0, 50, 50, 100, 100, 300]], dtype=float)
    load = inst * 0.9
    mwh_per_mw = np.full((2, years.size), 7000.0)
    install, standing, energy = path_charges(t, years, disc, mwh_per_mw)
    model = float((module_year_usd_per_mw(install, standing) * inst).sum() + (energy * load).sum())
    sites = pd.DataFrame({"site_id": ["a", "b"], "online_year": [2027, 2027], **power_columns(t)})
    plan = SimpleNamespace(sites=sites, years=years, it_mw_by_year=inst)
    pc = path_costs(plan, load * 7000.0)  # type: ignore[arg-type]
    assert float(((pc.capex_usd + pc.opex_usd) * disc[None, :]).sum()) == pytest.approx(model, rel=1e-12)
    # by hand: bridge units on the 150 MW installed before 2029, credited in 2029
    assert pc.capex_usd[0, 1] == pytest.approx(100 * 2.0e6)
    assert pc.capex_usd[0, 3] == pytest.approx(-150 * 0.5e6)
    assert pc.bridge_mwh[0].sum() == pytest.approx((90 + 135) * 7000.0)
    assert pc.co2_t[0].sum() == pytest.approx(0.2 * pc.bridge_mwh[0].sum())
    # flexible + battery 2027-2029: curtailed rent and battery O&M on the standing MW
    assert pc.opex_usd[1, 1:4].tolist() == pytest.approx([50 * 56000.0, 50 * 56000.0, 100 * 56000.0])
    assert pc.capex_usd[1, 1] == pytest.approx(50 * 2.1e6) and pc.capex_usd[1, 4] == 0.0


def test_power_crunch_offers_bridge_and_flexible_paths() -> None:
    inp = build_inputs(load_scenario("us", "power-crunch"))
    table = planner_path_table(inp)
    assert {"flexible", "bridge"} <= set(table["kind"])
    fac = build_facilities(replace(inp, power_paths=table))
    assert fac.power is not None
    firm_first = fac.online_year[(fac.tier == "core") & (fac.path == "firm")].min()
    assert fac.online_year[fac.path != "firm"].min() < firm_first


@pytest.mark.parametrize("kinds", [["flexible"], ["bridge"], ["bridge", "bridge+flexible"]])
def test_power_paths_field_restricts_the_kinds(tiny_inputs: Inputs, kinds: list[str]) -> None:
    sc = tiny_inputs.scenario.model_copy(update={"power": tiny_inputs.scenario.power.model_copy(update={"paths": kinds})})
    table = planner_path_table(replace(tiny_inputs, scenario=sc))
    assert len(table) and set(table["kind"]) <= set(kinds)
    # one path per candidate and plan year of first power
    from coredge.plan.result import online_year

    first = online_year(int(tiny_inputs.years[0]), table["first_month"].to_numpy(np.float64))
    assert not pd.DataFrame({"c": table["candidate"], "y": first}).duplicated().any()
