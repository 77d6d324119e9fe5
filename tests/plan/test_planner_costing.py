"""The MILP planner's reported objective is the plan's cost as `coredge.plan.costing` prices it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from planner_util import TINY, merged, write_scenario

from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.costing import site_costs
from coredge.plan.milp import milp_plan
from coredge.plan.model import build_facilities
from coredge.plan.result import Plan
from coredge.scenario.load import load_scenario


def costing_total_usd(inp: Inputs, plan: Plan) -> float:
    """Discounted capex + opex from costing, plus the unmet penalty (first year undiscounted)."""
    sc = inp.scenario
    c = site_costs(inp, plan)
    disc = (1.0 + sc.economics.discount_rate) ** -(plan.years - plan.years[0]).astype(float)
    spend = float(((c.capex_usd + c.opex_usd) * disc[None, :]).sum())
    unmet = float((plan.unmet_mw.sum(axis=0) * disc).sum()) * sc.economics.unmet_demand_penalty_usd_per_mw_year
    return spend + unmet


@pytest.mark.parametrize("variant", ["resilient", "brownfield"])
def test_objective_equals_costing(tmp_path: Path, variant: str, request: pytest.FixtureRequest) -> None:
    if variant == "brownfield":
        ex = {"id": "denver-co", "tier": "regional", "lat": 39.74, "lon": -104.99, "state": "CO", "it_mw": 3.0}
        raw = merged(TINY, existing_sites=[ex], planning={"single_site_failure": False})
        inp = build_inputs(load_scenario(write_scenario(tmp_path, raw)))
        plan = milp_plan(inp, time_limit_s=30, mip_rel_gap=1e-4)
    else:  # TINY as is: the session's plan at the same gap and limit (tests/conftest.py)
        inp, plan = request.getfixturevalue("tiny_inputs"), request.getfixturevalue("tiny_milp")
    s = plan.solver
    # Plus the model's own charges: unprotected shares priced like unmet demand (at most the
    # penalty on the whole load of the pairs it lists) and the coverage shortfall (none here).
    assert s["coverage_shortfall_usd"] == 0.0
    pen = inp.scenario.economics.unmet_demand_penalty_usd_per_mw_year
    disc = (1.0 + inp.scenario.economics.discount_rate) ** -(plan.years - plan.years[0]).astype(float)
    pts = [(int(p), int(k)) for p, k in s["unprotected_pairs"]]
    most = sum(float(inp.load_mw[p, k, :] @ disc) for p, k in pts) * pen
    assert 0.0 <= s["unprotected_usd"] <= most + 1e-6
    assert (s["unprotected_usd"] > 0) == bool(pts)
    assert s["model_charges_usd"] == s["unprotected_usd"] + s["coverage_shortfall_usd"]
    assert s["objective_usd"] == pytest.approx(costing_total_usd(inp, plan) + s["model_charges_usd"], rel=1e-6)
    # The model's own objective prices the same plan with the same unit costs (site PUE,
    # brownfield capacity sunk) except that it counts fractional GPUs: it differs from costing's
    # figure by less than one GPU per site, plus whatever the resilience repair added.
    if not s.get("repair_modules"):
        assert abs(s["objective_model_usd"] - s["objective_usd"]) <= plan.n_sites * inp.gpu_capex_usd + 1e-6
    # Sites carry the climate-adjusted PUE of their tier, not the tier's flat figure.
    cand = inp.candidates.set_index("id")
    for sid, tier, pue in zip(plan.sites["site_id"], plan.sites["tier"], plan.sites["pue"], strict=True):
        assert pue == pytest.approx(float(cand.loc[sid, f"pue_{tier}"]), rel=1e-12)
    flat = np.array([inp.scenario.tiers[t].pue for t in plan.sites["tier"]])
    assert not np.allclose(plan.sites["pue"].to_numpy(), flat)


def test_brownfield_is_one_facility(tmp_path: Path) -> None:
    ex = {"id": "denver-co", "tier": "regional", "lat": 39.74, "lon": -104.99, "state": "CO", "it_mw": 3.0}
    inp = build_inputs(load_scenario(write_scenario(tmp_path, merged(TINY, existing_sites=[ex]))))
    fac = build_facilities(inp)
    ids = fac.table["id"].astype(str).to_numpy()
    assert int((ids == "existing-denver-co").sum()) == 1
    i = int(np.flatnonzero(ids == "existing-denver-co")[0])
    assert fac.min_modules[i] == 2 and fac.existing_it_mw[i] == 3.0
    assert fac.online_year[i] == inp.years[0]
