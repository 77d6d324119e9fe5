"""Power paths per campus: hand-worked values, feasibility rules, the choice, and a plan's study.

Truth from outside the code: with a zero discount rate and whole months the value of a path is
rent x months (x the uncurtailed share); fuel cost and CO2 per MWh follow from the heat rate, the
gas price and EIA's CO2 coefficient; the plan study's identities (one chosen path per core campus,
the shifted training year conserving the work of the always-on one).
"""

from __future__ import annotations

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.power.options import (
    BRIDGE_TECHS,
    BUILD_MONTHS,
    FLEX_WAIT_MONTHS,
    GAS_CO2_KG_PER_MMBTU,
    GAS_PRICE_USD_PER_MMBTU,
    SiteGrid,
    best_path,
    evaluate_site,
)


def _site(**kw: float) -> SiteGrid:
    base = dict(site_id="s", it_mw=100.0, pue=1.2, firm_wait_months=60.0,
                grid_price_usd_per_mwh=60.0, grid_gco2_per_kwh=400.0, rent_usd_per_kw_month=100.0,
                discount_rate=0.0, flex_headroom_mw=10_000.0, flex_limit=0.005,
                longest_event_h=6.0, curtailed_share=0.005)
    base.update(kw)
    return SiteGrid(**base)  # type: ignore[arg-type]


def test_flexible_value_is_rent_times_months_uncurtailed_at_zero_rate() -> None:
    paths = {p.path: p for p in evaluate_site(_site())}
    assert paths["firm"].npv_usd == 0.0 and paths["firm"].first_power_month == BUILD_MONTHS + 60.0
    flex = paths["flexible"]
    months = 60.0 - FLEX_WAIT_MONTHS
    assert flex.first_power_month == BUILD_MONTHS + FLEX_WAIT_MONTHS
    assert flex.months_earlier == pytest.approx(months)
    assert flex.npv_usd == pytest.approx(100.0 * 100.0 * 1000.0 * months * (1 - 0.005))


def test_bridge_fuel_and_co2_per_mwh_from_heat_rate() -> None:
    t = BRIDGE_TECHS["recip-engine"]
    assert t.fuel_usd_per_mwh == pytest.approx(GAS_PRICE_USD_PER_MMBTU * 3.412 / 0.405)
    assert t.co2_t_per_mwh == pytest.approx(GAS_CO2_KG_PER_MMBTU * 3.412 / 0.405 / 1000)
    # gas engines at ~0.45 t/MWh emit more than a 400 g/kWh grid
    p = next(p for p in evaluate_site(_site()) if p.path == "bridge:recip-engine")
    assert p.feasible and p.co2_t > 0 and p.capex_usd > 0


def test_flexible_needs_headroom_and_a_load_series() -> None:
    small = {p.path: p for p in evaluate_site(_site(flex_headroom_mw=50.0))}
    assert not small["flexible"].feasible and "headroom" in small["flexible"].note
    none = {p.path: p for p in evaluate_site(_site(flex_headroom_mw=0.0))}
    assert not none["flexible"].feasible and "load series" in none["flexible"].note
    assert best_path(list(none.values())).path.startswith(("bridge", "firm"))


def test_no_wait_leaves_only_firm() -> None:
    paths = evaluate_site(_site(firm_wait_months=0.0))
    assert best_path(paths).path == "firm"
    assert all(p.months_earlier == 0 for p in paths)


def test_best_path_is_the_largest_npv() -> None:
    paths = evaluate_site(_site(discount_rate=0.08))
    best = best_path(paths)
    assert best.npv_usd == max(p.npv_usd for p in paths if p.feasible)


def test_discounting_lowers_value() -> None:
    a = {p.path: p for p in evaluate_site(_site())}["flexible"].npv_usd
    b = {p.path: p for p in evaluate_site(_site(discount_rate=0.1))}["flexible"].npv_usd
    assert 0 < b < a


@pytest.mark.parametrize("field,value", [("it_mw", 0.0), ("pue", -1.0), ("discount_rate", 1.5),
                                         ("firm_wait_months", float("nan"))])
def test_bad_site_is_an_input_error(field: str, value: float) -> None:
    with pytest.raises(InputError):
        evaluate_site(_site(**{field: value}))


def test_plan_study_on_the_tiny_run(tiny_result) -> None:  # type: ignore[no-untyped-def]
    from coredge.power.study import power_study

    r = tiny_result
    ps = power_study(r.inputs, r.plan, r.training)
    core = r.plan.sites[(r.plan.sites["tier"] == "core") & (r.plan.sites["it_mw"] > 0)]
    assert set(ps.sites["site_id"]) == set(core["site_id"])
    assert ps.summary["campuses"] == len(core)
    # a path never energises later than firm service; the planner's 1-July rule gives the years
    assert (ps.sites["earliest_year_with_path"] <= ps.sites["earliest_year_firm"]).all()
    assert ps.summary["first_core_year_with_paths"] <= ps.summary["first_core_year_firm"]
    planned = r.plan.sites.set_index("site_id")
    for sid, g in ps.paths.groupby("site_id"):
        row = ps.sites.set_index("site_id").loc[sid]
        assert row["path"] in set(g["path"])
        # the path reported is the planner's; the study's own pick is the largest NPV
        assert row["path"] == planned.loc[sid, "power_path"]
        assert row["npv_usd"] == pytest.approx(float(g.loc[g["path"] == row["path"], "npv_usd"].iloc[0]))
        best = g[g["path"] == row["best_path_alone"]]
        assert float(best["npv_usd"].iloc[0]) == pytest.approx(g["npv_usd"][g["feasible"]].max())
    assert ps.summary["chosen_by"] == "planner"
    pl = ps.summary["planner"]
    assert {c["site_id"] for c in pl["campuses"]} == set(r.plan.sites.loc[r.plan.sites["tier"] == "core", "site_id"])
    for c in pl["campuses"]:
        assert c["years_earlier"] == c["firm_from"] - c["first_year"] >= 0
        assert (c["path"] == "firm") == (c["years_earlier"] == 0)
    if r.training is not None:
        ts = ps.summary["training_shift"]
        assert ts["always_on"]["useful_gpu_h"] == pytest.approx(ts["shifted"]["useful_gpu_h"])
        assert ps.baseline is not None and ps.shifted is not None
        ok = ps.shifted.jobs[ps.shifted.jobs["shifted"]]
        assert (ok["finish_h"] <= ok["deadline_h"] + 1e-9).all()
        # hourly table: one year per campus, loads add up to at most the schedules' energy
        assert len(ps.hourly) == 8760 * len(ts["sources"])
        assert ps.hourly["shifted_mw"].sum() <= ts["shifted"]["energy_mwh"] + 1e-6
        assert np.isfinite(ps.hourly[["price_usd_per_mwh", "carbon_g_per_kwh"]].to_numpy()).all()
