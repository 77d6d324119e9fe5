"""Exact single-site-failure repair: the independent check reports exactly 0 after it.

The default US 10-year situation, reproduced small: a stranded load whose alternative sites are
all at their module limit (there: a regional site at its 20 MW limit). Here every site of a
non-resilient greedy plan is held at its current size (module limit = installed modules), so the
only way to re-home a failed site's load is to open another candidate within the class's budget
of the demand point (or grow a site's tier). After the repair `single_site_failure_shortfall`
must be exactly 0.0 for every site.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from planner_util import TINY, merged, write_scenario

from coredge.inputs.build import Inputs, build_inputs
from coredge.plan import model as sm
from coredge.plan.greedy import greedy_plan
from coredge.plan.milp import plan_objective_usd
from coredge.plan.repair import _plan_fac, repair_single_site_failure
from coredge.plan.result import single_site_failure_shortfall
from coredge.scenario.load import load_scenario

# Every class reaches more than one candidate site from every point (30 ms), so a plan that
# survives every single-site failure exists.
WIDE = merged(TINY, workloads={
    "batch": {"dtype": "fp8"},
    **{w: {"rtt_budget_ms": 30.0} for w in ("gaming-xr", "video-analytics", "financial",
                                           "autonomous-industrial", "content-delivery")},
})


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    return build_inputs(load_scenario(write_scenario(tmp_path_factory.mktemp("wide"), WIDE)))


def test_repair_opens_sites_when_every_alternative_is_full(wide: Inputs) -> None:
    inp = wide
    plan = greedy_plan(inp)
    before = single_site_failure_shortfall(inp, plan)
    assert before.max() > 0.1  # greedy keeps no reserve: failures strand load
    fac = sm.build_facilities(inp)
    # Hold every plan site at its size: no module can be added at a site of the plan.
    idx = _plan_fac(plan, fac)
    mm = fac.max_modules.copy()
    mm[idx] = np.round(plan.it_mw_by_year[:, -1] / fac.module_mw[idx]).astype(np.int64)
    held = dataclasses.replace(fac, max_modules=mm)
    cost0 = plan_objective_usd(inp, plan)
    n0 = plan.n_sites
    load0 = plan.load_mw_by_year.copy()
    out, rep = repair_single_site_failure(inp, plan, held, time_limit_s=60.0)
    short = single_site_failure_shortfall(inp, out)
    assert short.shape == (out.n_sites,)
    assert float(short.max()) == 0.0
    assert rep["repair_exact"] and rep["single_site_failure_shortfall_mw"] == 0.0
    assert rep["repair_unfixable"] == 0
    assert out.n_sites > n0 and rep["repair_opened"]
    # What it adds costs money and never removes load; capacity stays whole modules, covers load,
    # never shrinks and fits each site's module limit.
    assert plan_objective_usd(inp, out) > cost0
    assert np.allclose(out.load_mw_by_year[:n0].sum(), load0.sum())
    oi = _plan_fac(out, fac)
    mod = fac.module_mw[oi][:, None]
    assert np.allclose(out.it_mw_by_year / mod, np.round(out.it_mw_by_year / mod))
    assert np.all(out.it_mw_by_year[:, -1] <= mm[oi] * fac.module_mw[oi] + 1e-9)
    assert np.all(np.diff(out.it_mw_by_year, axis=1) >= -1e-12)
    assert np.all(out.load_mw_by_year <= out.it_mw_by_year + 1e-9)
    # One row per site (one tier per site).
    assert out.sites["site_id"].is_unique


def test_repair_reports_what_no_site_can_absorb(tmp_path: Path) -> None:
    # The default budgets: some points reach only their own city (10 ms); a failure of that city's
    # site cannot be re-homed by any plan, and the repair says so instead of looping.
    inp = build_inputs(load_scenario(write_scenario(tmp_path, TINY)))
    plan = greedy_plan(inp)
    out, rep = repair_single_site_failure(inp, plan, sm.build_facilities(inp), time_limit_s=60.0)
    short = single_site_failure_shortfall(inp, out)
    assert rep["repair_unfixable"] > 0
    assert not rep["repair_exact"]
    assert rep["single_site_failure_shortfall_mw"] == pytest.approx(float(short.max()))
    assert float(short.max()) < float(single_site_failure_shortfall(inp, greedy_plan(inp)).max())
