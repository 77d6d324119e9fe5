"""The landlord and operator views: closed forms, lease-up, tenant-owned IT, the published range."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coredge.data.market import market_band, market_lease_term, market_rent_usd_per_kw_month
from coredge.finance.assumptions import FACILITY_COMPONENTS, FinanceAssumptions, TierFinance
from coredge.finance.views import (
    exit_value_usd,
    finance_views,
    landlord_assumptions,
    landlord_view,
    operator_view,
    stabilised_index,
    view_margins,
    yield_on_cost,
)
from coredge.scenario.load import build_scenario
from coredge.units import discount_factors

RATE = 0.08
T = 10


def _table(**over: Any) -> pd.DataFrame:
    row: dict[str, Any] = {
        "site_id": "a", "tier": "core", "build_start_year": 2026, "online_year": 2026,
        "it_mw": 10.0, "gpus": 7000.0, "pue": 1.2, "capex_facility_usd": 200e6,
        "capex_it_usd": 350e6, "energy_price_usd_per_mwh": 60.0, "utilisation_frac": 0.6,
    }
    row.update(over)
    return pd.DataFrame([row])


def _flat(**tier: Any) -> FinanceAssumptions:
    """Flat rent, no growth, no opex, fully let from the online year."""
    base = {
        "revenue_model": "gpu_hour", "pre_leased_share": 1.0, "absorption_years": 0.0,
        "stabilised_occupancy_frac": 1.0, "lease_usd_per_kw_month": 150.0, "lease_escalator_rate": 0.0,
        "maintenance_frac_per_year": 0.0, "insurance_frac_per_year": 0.0, "property_tax_frac_per_year": 0.0,
        "staff_usd_per_mw_year": 0.0, "network_usd_per_mw_year": 0.0, "opex_recovery_frac": 0.0,
    }
    base.update(tier)
    return FinanceAssumptions(
        start_year=2026, horizon_years=T, discount_rate=RATE, inflation_rate=0.0,
        tiers={"core": TierFinance(**base)},
    )


def test_flat_rent_npv_closed_form_book_value_residual() -> None:
    # one site built and let in year 0: NPV = -C + R * annuity + book value at T-1, discounted
    a = _flat()
    cf, m = landlord_view(_table(), a)
    C, R = 200e6, 10_000 * 12 * 150.0
    land = C * 0.03  # default facility split: land 3 %
    book = C - (C - land) * T / 20.0  # 20-year straight line, land not depreciated
    annuity = float(discount_factors(RATE, np.arange(T)).sum())
    expected = -C + R * annuity + book * (1 + RATE) ** -(T - 1)
    assert m["core"]["npv_usd"] == pytest.approx(expected, rel=1e-9)
    assert m["portfolio"]["npv_usd"] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(cf.revenue_usd[0], R)
    assert m["core"]["yield_on_cost"] == pytest.approx(R / C)


def test_flat_rent_exit_cap_rate_residual_and_irr() -> None:
    a = _flat()
    cap = 0.06
    _cf, m = landlord_view(_table(), a, exit_cap_rate=cap)
    C, R = 200e6, 10_000 * 12 * 150.0
    annuity = float(discount_factors(RATE, np.arange(T)).sum())
    expected = -C + R * annuity + R / cap * (1 + RATE) ** -(T - 1)
    assert m["core"]["npv_usd"] == pytest.approx(expected, rel=1e-9)
    # IRR: NPV at the IRR is zero (same closed form)
    r = m["core"]["irr"]
    npv_at_irr = -C + R * float(discount_factors(r, np.arange(T)).sum()) + R / cap * (1 + r) ** -(T - 1)
    assert abs(npv_at_irr) < 1e-6 * C
    # MOIC on yearly net flows: year 0 nets rent against the build cost
    assert m["core"]["moic"] == pytest.approx((R * (T - 1) + R / cap) / (C - R), rel=1e-9)
    assert m["core"]["peak_funding_usd"] == pytest.approx(C - R)


def test_pre_leased_share_and_absorption_ramp() -> None:
    a = _flat(pre_leased_share=0.5, absorption_years=2.0, stabilised_occupancy_frac=0.9)
    cf, _m = landlord_view(_table(online_year=2027, build_start_year=2026), a)
    full = 10_000 * 12 * 150.0 * 0.9
    # year 0 building; online year: half contracted + half ramping at 1/2; then fully let
    np.testing.assert_allclose(cf.revenue_usd[0, :4], [0.0, full * 0.75, full, full])
    assert stabilised_index([1], [2.0], T).tolist() == [3]


def test_tenant_owned_it_excluded_from_landlord_capex_and_energy() -> None:
    a = _flat()
    table = _table(capex_it_usd=900e6)
    lcf, land = landlord_view(table, a)
    ocf, oper = operator_view(table, a)
    assert land["core"]["capex_usd"] == pytest.approx(200e6)
    assert lcf.capex_it_usd.sum() == 0.0 and lcf.energy_cost_usd.sum() == 0.0  # power passed through
    # the operator buys the IT in the online year and refreshes it every 5 years (10-year horizon)
    assert ocf.capex_it_usd.sum() == pytest.approx(2 * 900e6)
    assert oper["core"]["capex_usd"] == pytest.approx(200e6 + 2 * 900e6)
    assert ocf.energy_cost_usd.sum() > 0
    # same facility capex and depreciation in both views
    np.testing.assert_allclose(lcf.capex_facility_usd, ocf.capex_facility_usd)


def test_opex_recovery_scales_landlord_fixed_opex() -> None:
    kw = {"maintenance_frac_per_year": 0.02, "staff_usd_per_mw_year": 50_000.0}
    gross = landlord_view(_table(), _flat(**kw, opex_recovery_frac=0.0))[0]
    half = landlord_view(_table(), _flat(**kw, opex_recovery_frac=0.5))[0]
    nnn = landlord_view(_table(), _flat(**kw, opex_recovery_frac=1.0))[0]
    np.testing.assert_allclose(gross.opex_fixed_usd[0], 0.02 * 200e6 + 50_000.0 * 10)
    np.testing.assert_allclose(half.opex_fixed_usd, gross.opex_fixed_usd / 2)
    assert nnn.opex_fixed_usd.sum() == 0.0
    assert landlord_assumptions(_flat(**kw, opex_recovery_frac=1.0)).tiers["core"].revenue_model == "lease"


def test_operator_margins_against_landlord_rent() -> None:
    a = _flat(gpu_hour_price_usd=2.0, price_decline_rate=0.0)
    v = finance_views(_table(), a)
    o = v["operator"]["core"]
    lcf, _ = landlord_view(_table(), a)
    ocf, _ = operator_view(_table(), a, landlord=lcf)
    rev, ebitda, rent = ocf.revenue_usd.sum(), ocf.ebitda_usd.sum(), lcf.revenue_usd.sum()
    assert rev == pytest.approx(7000 * 8760 * 0.6 * 2.0 * T)
    assert o["ebitda_margin"] == pytest.approx(ebitda / rev)
    assert o["leased_ebitda_margin"] == pytest.approx((ebitda - rent) / rev)
    dep_it = (ocf.depreciation_usd - lcf.depreciation_usd).sum()
    assert dep_it == pytest.approx(2 * 350e6 * 1.0)  # two purchases, 5-year life, fully depreciated
    assert o["leased_operating_margin"] == pytest.approx((ebitda - rent - dep_it) / rev)


def test_formulas() -> None:
    assert float(exit_value_usd(-5.0, 0.05)) == 0.0
    assert float(yield_on_cost(10.0, 0.0)) != float(yield_on_cost(10.0, 0.0))  # NaN
    assert float(yield_on_cost(10.2, 100.0, 1.02)) == pytest.approx(0.10)
    m = view_margins([50.0, 50.0], [40.0, 40.0], [10.0, 10.0], [20.0, 20.0])
    assert m == pytest.approx({"ebitda_margin": 0.8, "leased_ebitda_margin": 0.6, "leased_operating_margin": 0.2})
    with pytest.raises(Exception, match="exit_cap_rate"):
        exit_value_usd(1.0, 0.0)


def test_views_cover_every_tier_and_the_portfolio() -> None:
    table = pd.concat([_table(), _table(site_id="b", tier="micro", it_mw=0.5, capex_facility_usd=6e6)])
    base = _flat()
    tiers = {"core": base.tiers["core"], "micro": replace(base.tiers["core"], lease_usd_per_kw_month=225.0)}
    v = finance_views(table, replace(base, tiers=tiers))
    for view in ("landlord", "operator"):
        assert set(v[view]) >= {"core", "regional", "micro", "portfolio", "assumptions"}
        assert v[view]["regional"]["npv_usd"] == 0.0 and v[view]["regional"]["n_rows"] == 0
        assert v[view]["portfolio"]["npv_usd"] == pytest.approx(v[view]["core"]["npv_usd"] + v[view]["micro"]["npv_usd"])
    assert "passed through" in v["power"]
    empty = finance_views(table.iloc[0:0], base)
    assert empty["landlord"]["portfolio"]["npv_usd"] == 0.0


def test_scenario_defaults_take_the_market_values() -> None:
    sc = build_scenario({"name": "x"})
    f = sc.finance
    for tier in ("core", "regional", "micro"):
        assert f.tiers[tier].lease_usd_per_kw_month == pytest.approx(market_rent_usd_per_kw_month(tier), abs=0.01)
        assert f.tiers[tier].lease_escalator_rate == market_lease_term(tier, "lease_escalator_rate")
        assert f.tiers[tier].opex_recovery_frac == market_lease_term(tier, "opex_recovery_frac")
    assert f.tiers["core"].opex_recovery_frac == 1.0  # hyperscale leases are triple-net
    assert 0.05 <= f.exit_cap_rate <= 0.065  # type: ignore[operator]
    sc2 = build_scenario({"name": "x", "finance": {"exit_cap_rate": None, "tiers": {"core": {"opex_recovery_frac": 0.5}}}})
    assert sc2.finance.exit_cap_rate is None
    assert sc2.finance.tiers["core"].opex_recovery_frac == 0.5
    assert sc2.finance.tiers["core"].lease_usd_per_kw_month == f.tiers["core"].lease_usd_per_kw_month
    with pytest.raises(Exception, match="opex_recovery_frac"):
        build_scenario({"name": "x", "finance": {"tiers": {"micro": {"opex_recovery_frac": 1.5}}}})


def test_pre_leased_core_campus_at_market_rent_lands_in_the_published_range() -> None:
    """At market rent the landlord view of a pre-leased core campus returns what published
    pre-leased hyperscale developments report: yield on cost 6.9 % (Digital Realty / Realty Income
    build-to-suit, 2023) to 12 % (The Infrastructure Investor, secondary), data/market_returns.csv;
    unlevered IRR inside that band plus the rent escalators (2-3 %/yr), a derived band."""
    from coredge.validation.finance import reference_views

    core = reference_views()["core"]["landlord"]
    lo, hi = market_band("landlord", "yield_on_cost")
    assert (lo, hi) == (0.069, 0.12)
    assert lo <= core["yield_on_cost"] <= hi
    assert lo + 0.02 <= core["irr"] <= hi + 0.03
    assert core["npv_usd"] > 0  # at an 8 % discount rate the pre-leased campus creates value


def test_capex_facility_components_survive_the_landlord_table() -> None:
    comp = {f"capex_{c}_usd": [10e6 * (i + 1)] for i, c in enumerate(FACILITY_COMPONENTS)}
    total = sum(v[0] for v in comp.values())
    table = _table(capex_facility_usd=total).assign(**{k: v[0] for k, v in comp.items()})
    lcf, m = landlord_view(table, _flat())
    assert m["core"]["capex_usd"] == pytest.approx(sum(v[0] for v in comp.values()))
    assert lcf.capex_by_component_usd.sum() == pytest.approx(m["core"]["capex_usd"])


def test_plan_financials_carry_both_views(tiny_result: Any) -> None:
    """The run's financials and summary carry ``finance_views``; the operator view of a plan whose
    tiers sell GPU-hours equals the existing investor view, and the landlord's capex is costing's
    facility capex (the tenant owns the IT)."""
    from coredge.results import money_summary

    pf = tiny_result.finance
    v = pf.views
    assert set(v) == {"landlord", "operator", "power"}
    assert pf.summary()["finance_views"] is v
    s = money_summary(pf, {t: np.array([True]) for t in ("core", "regional", "micro")})
    assert s["finance_views"] is v and "finance" in s  # additive: the existing keys stay
    if all(tf.revenue_model == "gpu_hour" for tf in pf.assumptions.tiers.values()):
        assert v["operator"]["portfolio"]["npv_usd"] == pytest.approx(pf.portfolio["npv_usd"], rel=1e-9)
        np.testing.assert_allclose(pf.view_flows["operator"].net_usd, pf.cash_flows.net_usd)
    fac = float(pf.rows["capex_facility_usd"].sum())
    assert v["landlord"]["portfolio"]["capex_usd"] == pytest.approx(fac, rel=1e-9)
    assert set(pf.view_flows) == {"landlord", "operator"}
    assert pf.view_flows["landlord"].capex_it_usd.sum() == 0.0
    for view in ("landlord", "operator"):
        tot = sum(v[view][t]["npv_usd"] for t in ("core", "regional", "micro"))
        assert v[view]["portfolio"]["npv_usd"] == pytest.approx(tot, rel=1e-9, abs=1.0)
