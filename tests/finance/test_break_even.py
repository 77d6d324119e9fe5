"""Break-even multipliers: at the rent (landlord) or GPU-hour price (operator) found, the view's
NPV at the hurdle rate is zero when the scenario is priced again from scratch with that value."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from coredge.finance.breakeven import view_break_even
from coredge.finance.from_plan import financials_from_plan
from coredge.pipeline import PLAN_AND_FINANCE, execute
from coredge.plan.costing import site_costs
from coredge.scenario.load import load_scenario
from coredge_testing import TINY_BASE

GREEDY = TINY_BASE + "planning: {planner: greedy}\nsimulation: {enabled: false}\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    p = tmp_path_factory.mktemp("be") / "tiny.yaml"
    p.write_text(GREEDY, encoding="utf-8")
    return execute(load_scenario(p), compute=PLAN_AND_FINANCE)


def _repriced(run: Any, finance_update: dict[str, Any], discount_rate: float) -> Any:
    sc = run.inputs.scenario
    tiers = {t: spec.model_copy(update=finance_update.get(t, {})) for t, spec in sc.finance.tiers.items()}
    sc2 = sc.model_copy(update={
        "finance": sc.finance.model_copy(update={"tiers": tiers}),
        "economics": sc.economics.model_copy(update={"discount_rate": discount_rate}),
    })
    inputs = replace(run.inputs, scenario=sc2)
    return financials_from_plan(inputs, run.plan, site_costs(inputs, run.plan))


def test_npv_at_the_hurdle_is_the_views_npv_at_that_rate(run: Any) -> None:
    be = run.summary["break_even"]
    assert be["hurdle_rate"] == run.inputs.scenario.economics.discount_rate  # null = the discount rate
    for view in ("landlord", "operator"):
        assert be[view]["npv_at_hurdle_usd"] == pytest.approx(run.finance.views[view]["portfolio"]["npv_usd"], rel=1e-9)


@pytest.mark.parametrize("hurdle", [0.06, 0.12])
def test_landlord_rent_break_even_reprices_to_zero_npv(run: Any, hurdle: float) -> None:
    pf = run.finance
    be = view_break_even(pf.rows, pf.assumptions, hurdle, run.inputs.scenario.finance.exit_cap_rate)
    m = be["landlord"]["rent"]
    assert m is not None and 0 < m < 10
    base = {t: spec.lease_usd_per_kw_month for t, spec in run.inputs.scenario.finance.tiers.items()}
    pf2 = _repriced(run, {t: {"lease_usd_per_kw_month": m * r} for t, r in base.items()}, hurdle)
    capex = float(pf2.views["landlord"]["portfolio"]["capex_usd"])
    assert abs(pf2.views["landlord"]["portfolio"]["npv_usd"]) < 1e-4 * capex
    # a higher hurdle needs a higher rent
    if hurdle == 0.12:
        lower = view_break_even(pf.rows, pf.assumptions, 0.06, run.inputs.scenario.finance.exit_cap_rate)
        assert lower["landlord"]["rent"] < m


def test_directions_of_the_other_drivers(run: Any) -> None:
    be = run.summary["break_even"]
    lv, ov = be["landlord"], be["operator"]
    # capex that can rise (landlord NPV > 0) or must fall (< 0) to reach the hurdle
    if lv["npv_at_hurdle_usd"] > 0:
        assert lv["rent"] < 1 and (lv["capex_per_mw"] is None or lv["capex_per_mw"] > 1)
    else:
        assert lv["rent"] > 1 and (lv["capex_per_mw"] is None or lv["capex_per_mw"] < 1)
    if ov["npv_at_hurdle_usd"] < 0:
        assert ov["gpu_hour_price"] is None or ov["gpu_hour_price"] > 1
    for view in (lv, ov):
        for key, m in view.items():
            if key != "npv_at_hurdle_usd":
                assert m is None or 0 <= m <= 10, (key, m)


def test_cli_prints_the_break_even_line(run: Any, tmp_path: Path) -> None:
    from coredge.cli.app import break_even_line

    line = break_even_line(run.summary["break_even"])
    assert "landlord rent x" in line and "hurdle" in line
