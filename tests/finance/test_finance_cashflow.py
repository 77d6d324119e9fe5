"""Cash-flow model: identities, hand-computed cases, monotonicity and the pipeline entry point."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest

from coredge.cli.app import to_json_line
from coredge.errors import InputError
from coredge.finance.accounting import (
    income_tax,
    phasing_weights,
    shift_years,
    straight_line_depreciation,
)
from coredge.finance.assumptions import (
    FACILITY_COMPONENTS,
    FinanceAssumptions,
    TierFinance,
    default_tiers,
)
from coredge.finance.cashflow import (
    Shocks,
    SiteInputs,
    build_drivers,
    evaluate,
    site_cash_flows,
)
from coredge.finance.metrics import npv
from coredge.finance.portfolio import (
    cash_flow_table,
    portfolio_financials,
    tier_and_portfolio_metrics,
)


def site_table() -> pd.DataFrame:
    """One core campus, two regional sites, three micro sites (2026 dollars)."""
    rows = [
        # id, tier, build, online, it_mw, gpus, pue, fac capex, it capex, price, util
        ("core-tx", "core", 2026, 2028, 300.0, 230_000, 1.18, 300 * 20e6, 230_000 * 40e3, 66.0, 0.75),
        ("reg-va", "regional", 2026, 2027, 10.0, 7_000, 1.35, 10 * 12e6, 7_000 * 40e3, 89.5, 0.6),
        ("reg-ga", "regional", 2027, 2028, 5.0, 3_500, 1.35, 5 * 12e6, 3_500 * 40e3, 68.8, 0.6),
        ("mic-1", "micro", 2027, 2027, 0.5, 350, 1.5, 0.5 * 10e6, 350 * 40e3, 107.0, 0.5),
        ("mic-2", "micro", 2027, 2028, 0.5, 350, 1.5, 0.5 * 10e6, 350 * 40e3, 92.4, 0.5),
        ("mic-3", "micro", 2028, 2029, 0.25, 175, 1.5, 0.25 * 10e6, 175 * 40e3, 120.0, 0.5),
    ]
    cols = [
        "site_id", "tier", "build_start_year", "online_year", "it_mw", "gpus", "pue",
        "capex_facility_usd", "capex_it_usd", "energy_price_usd_per_mwh", "utilisation_frac",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    df["state"] = ["TX", "VA", "GA", "CA", "NY", "IL"]
    df["facility_mw"] = df["it_mw"] * df["pue"]
    return df


def inputs_from(df: pd.DataFrame, a: FinanceAssumptions) -> SiteInputs:
    return SiteInputs.create(
        site_id=df["site_id"].tolist(),
        tier=df["tier"].tolist(),
        build_start_year=df["build_start_year"],
        online_year=df["online_year"],
        it_mw=df["it_mw"],
        gpus=df["gpus"],
        pue=df["pue"],
        utilisation_frac=df["utilisation_frac"],
        energy_price_usd_per_mwh=df["energy_price_usd_per_mwh"],
        capex_it_usd=df["capex_it_usd"],
        capex_facility_usd=df["capex_facility_usd"],
        facility_split=a.facility_split,
    )


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("shape", ["s_curve", "linear"])
def test_phasing_sums_to_one_and_respects_window(shape: str) -> None:
    starts = np.array([0, 2, 3, 5])
    lead = np.array([1, 2, 3, 4])
    w = phasing_weights(starts, lead, 12, shape)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.all(w >= 0)
    for i, (b, n) in enumerate(zip(starts, lead, strict=True)):
        inside = np.zeros(12, dtype=bool)
        inside[b : b + n] = True
        assert np.all(w[i, ~inside] == 0)
    if shape == "linear":
        np.testing.assert_allclose(w[3, 5:9], 0.25)
    else:  # S-curve: symmetric, slow start and finish, peak in the middle
        np.testing.assert_allclose(w[3, 5:9], [0.15625, 0.34375, 0.34375, 0.15625])


def test_phasing_before_horizon_is_booked_in_year_zero_and_after_is_dropped() -> None:
    w = phasing_weights([-2, 8], [4, 4], 10, "linear")
    np.testing.assert_allclose(w[0, :3], [0.75, 0.25, 0.0])
    np.testing.assert_allclose(w[1].sum(), 0.5)


def test_straight_line_depreciation_and_shift_and_tax() -> None:
    dep = straight_line_depreciation([[100.0, 0, 0, 0, 0, 0, 50.0, 0]], 5.0)
    np.testing.assert_allclose(dep, [[20, 20, 20, 20, 20, 0, 10, 10]])
    np.testing.assert_allclose(shift_years([[1.0, 2, 3, 4]], [2.0]), [[0, 0, 1, 2]])
    np.testing.assert_allclose(shift_years([1.0, 2, 3, 4], 0.25), [0.75, 1.75, 2.75, 3.75])
    with pytest.raises(InputError):
        shift_years([1.0, 2.0], -1.0)
    # losses carried forward: 100 loss then 60 + 60 profit -> tax only on 20
    np.testing.assert_allclose(income_tax([-100.0, 60, 60], 0.25), [0, 0, 5])
    np.testing.assert_allclose(income_tax([-100.0, 60, 60], 0.25, False), [0, 15, 15])


# ---------------------------------------------------------------- identities


def test_capex_phasing_sums_to_capex_per_component() -> None:
    a = FinanceAssumptions(horizon_years=15)
    df = site_table()
    cf = site_cash_flows(inputs_from(df, a), a)
    np.testing.assert_allclose(cf.capex_facility_usd.sum(axis=1), df["capex_facility_usd"], rtol=1e-12)
    comp = cf.capex_by_component_usd.sum(axis=2)
    np.testing.assert_allclose(
        comp, df["capex_facility_usd"].to_numpy()[:, None] * np.array(a.facility_split)[None, :], rtol=1e-12
    )
    # land lands in the build-start year
    land = cf.capex_by_component_usd[:, FACILITY_COMPONENTS.index("land"), :]
    b = (df["build_start_year"] - a.start_year).to_numpy()
    np.testing.assert_allclose(land[np.arange(len(df)), b], comp[:, 0])
    # facility spend ends before the online year (lead >= 1 year), or in it when lead = 0
    o = (df["online_year"] - a.start_year).to_numpy()
    for i in range(len(df)):
        last = np.flatnonzero(cf.capex_facility_usd[i] > 0).max()
        assert last == max(o[i] - 1, b[i])


def test_depreciation_plus_residual_equals_capex() -> None:
    a = FinanceAssumptions(horizon_years=15)
    cf = site_cash_flows(inputs_from(site_table(), a), a)
    spent = cf.capex_usd.sum(axis=1)
    np.testing.assert_allclose(
        cf.depreciation_usd.sum(axis=1) + cf.residual_value_usd[:, -1], spent, rtol=1e-12
    )
    assert np.all(cf.residual_value_usd[:, :-1] == 0)


def test_it_refresh_every_five_years() -> None:
    a = FinanceAssumptions(horizon_years=15, it_refresh_years=5)
    df = site_table()
    cf = site_cash_flows(inputs_from(df, a), a)
    o = (df["online_year"] - a.start_year).to_numpy()
    for i in range(len(df)):
        buys = np.flatnonzero(cf.capex_it_usd[i] > 0)
        assert buys.tolist() == list(range(o[i], 15, 5))
        np.testing.assert_allclose(cf.capex_it_usd[i, buys], df["capex_it_usd"].iloc[i])


def test_sum_of_discounted_flows_equals_npv_and_groups_add_up() -> None:
    a = FinanceAssumptions(horizon_years=15, discount_rate=0.08)
    df = site_table()
    cf = site_cash_flows(inputs_from(df, a), a)
    out = tier_and_portfolio_metrics(cf)
    disc = (1.08 ** -np.arange(15))[None, :]
    by_hand = (cf.net_usd * disc).sum(axis=1)
    site_npv = np.array([s["npv_usd"] for s in out["sites"]])
    np.testing.assert_allclose(site_npv, by_hand, rtol=1e-12)
    np.testing.assert_allclose(site_npv, [npf.npv(0.08, f) for f in cf.net_usd], rtol=1e-12)
    tier_sum = sum(v["npv_usd"] for v in out["tiers"].values())
    assert out["portfolio"]["npv_usd"] == pytest.approx(site_npv.sum(), rel=1e-12)
    assert tier_sum == pytest.approx(site_npv.sum(), rel=1e-12)
    assert out["tiers"]["regional"]["npv_usd"] == pytest.approx(site_npv[1:3].sum(), rel=1e-12)
    # net flow identity
    np.testing.assert_allclose(
        cf.net_usd,
        cf.revenue_usd
        - cf.energy_cost_usd
        - cf.opex_fixed_usd
        - cf.capex_facility_usd
        - cf.capex_it_usd
        - cf.tax_usd
        + cf.residual_value_usd,
    )


# ---------------------------------------------------------------- hand-computed cases


def _one_site(model: str, **tier: Any) -> tuple[SiteInputs, FinanceAssumptions]:
    tf = TierFinance(
        revenue_model=model,  # type: ignore[arg-type]
        pre_leased_share=1.0,
        absorption_years=0.0,
        price_decline_rate=0.0,
        lease_escalator_rate=0.0,
        maintenance_frac_per_year=0.01,
        insurance_frac_per_year=0.0,
        property_tax_frac_per_year=0.0,
        staff_usd_per_mw_year=100_000.0,
        network_usd_per_mw_year=0.0,
        **tier,
    )
    a = FinanceAssumptions(
        start_year=2030,
        horizon_years=6,
        discount_rate=0.1,
        power_escalator_rate=0.0,
        inflation_rate=0.0,
        capex_shape="linear",
        it_refresh_years=100,
        facility_life_years=10.0,
        it_life_years=5.0,
        tiers={"edge": tf},
    )
    si = SiteInputs.create(
        site_id=["x"],
        tier=["edge"],
        build_start_year=[2030],
        online_year=[2032],
        it_mw=[2.0],
        gpus=[1000],
        pue=[1.25],
        utilisation_frac=[0.5],
        energy_price_usd_per_mwh=[80.0],
        capex_it_usd=[30e6],
        capex_facility_usd=[20e6],
    )
    return si, a


def test_gpu_hour_site_by_hand() -> None:
    si, a = _one_site("gpu_hour", gpu_hour_price_usd=2.0)
    cf = site_cash_flows(si, a)
    on = np.array([0, 0, 1, 1, 1, 1.0])
    revenue = 1000 * 8760 * 0.5 * 2.0 * on  # 8.76 M$/yr
    energy = 2.0 * 0.5 * 1.25 * 8760 * 80.0 * on  # 0.876 M$/yr
    opex = (0.01 * 20e6 + 100_000 * 2.0) * on
    # land (3 %) bought when construction starts, the rest linear over the 2 build years
    capex_fac = np.array([0.6e6 + 9.7e6, 9.7e6, 0, 0, 0, 0])
    capex_it = np.array([0, 0, 30e6, 0, 0, 0])
    # residual: facility 20 M depreciated 4 of 10 years (land 3 % not depreciated) + IT 1/5 left
    land = 0.03 * 20e6
    residual = land + (20e6 - land) * (1 - 4 / 10) + 30e6 * (1 - 4 / 5)
    net = revenue - energy - opex - capex_fac - capex_it
    net[-1] += residual
    np.testing.assert_allclose(cf.revenue_usd[0], revenue)
    np.testing.assert_allclose(cf.energy_cost_usd[0], energy)
    np.testing.assert_allclose(cf.energy_mwh[0], 2.0 * 0.5 * 1.25 * 8760 * on)
    np.testing.assert_allclose(cf.net_usd[0], net, rtol=1e-12)
    np.testing.assert_allclose(cf.gpu_hours[0], 1000 * 8760 * 0.5 * on)
    out = tier_and_portfolio_metrics(cf)
    assert out["portfolio"]["npv_usd"] == pytest.approx(npf.npv(0.1, net), rel=1e-12)
    assert out["portfolio"]["irr"] == pytest.approx(npf.irr(net), abs=1e-9)


def test_lease_site_by_hand() -> None:
    si, a = _one_site("lease", lease_usd_per_kw_month=184.06, stabilised_occupancy_frac=0.9)
    cf = site_cash_flows(si, a)
    on = np.array([0, 0, 1, 1, 1, 1.0])
    np.testing.assert_allclose(cf.revenue_usd[0], 2000 * 0.9 * 12 * 184.06 * on)
    # the tenant brings the IT and pays the energy
    assert np.all(cf.capex_it_usd == 0) and np.all(cf.energy_cost_usd == 0)
    # ... but the full-stack cost for the levelised cost includes both
    energy_at_occupancy = 2.0 * 0.5 * 1.25 * 8760 * 80.0 * 0.9
    assert cf.full_cost_usd[0, 2] == pytest.approx(30e6 + energy_at_occupancy + 400e3, rel=1e-12)
    np.testing.assert_allclose(cf.gpu_hours[0, 2:], 1000 * 8760 * 0.5 * 0.9)


def test_tokens_site_by_hand() -> None:
    si, a = _one_site("tokens", usd_per_mtok=0.5, tokens_per_gpu_s=1000.0)
    cf = site_cash_flows(si, a)
    mtok = 1000 * 0.5 * 1000 * 8760 * 3600 / 1e6  # 15,768,000 Mtok per year
    np.testing.assert_allclose(cf.mtok[0, 2:], mtok)
    np.testing.assert_allclose(cf.revenue_usd[0, 2:], 0.5 * mtok)
    out = tier_and_portfolio_metrics(cf)
    # levelised $/Mtok = PV(full cost) / PV(Mtok)
    pv_cost = npf.npv(0.1, cf.full_cost_usd[0])
    pv_tok = npf.npv(0.1, cf.mtok[0])
    assert out["portfolio"]["usd_per_mtok"] == pytest.approx(pv_cost / pv_tok, rel=1e-12)
    assert out["portfolio"]["lcoc_usd_per_gpu_hour"] == pytest.approx(
        pv_cost / npf.npv(0.1, cf.gpu_hours[0]), rel=1e-12
    )


def test_absorption_ramp_and_pre_leased_share() -> None:
    si, a = _one_site("gpu_hour", gpu_hour_price_usd=2.0)
    tiers = {"edge": replace(a.tiers["edge"], pre_leased_share=0.4, absorption_years=3.0)}
    a = replace(a, tiers=tiers)
    cf = site_cash_flows(si, a)
    full = 1000 * 8760 * 0.5 * 2.0
    vol = 0.4 + 0.6 * np.array([0, 0, 1 / 3, 2 / 3, 1, 1])
    vol[:2] = 0
    np.testing.assert_allclose(cf.revenue_usd[0], full * vol)


def test_tax_reduces_npv_and_matches_formula() -> None:
    a0 = FinanceAssumptions(horizon_years=15)
    a1 = replace(a0, tax_rate=0.21)
    df = site_table()
    cf0 = site_cash_flows(inputs_from(df, a0), a0)
    cf1 = site_cash_flows(inputs_from(df, a1), a1)
    assert np.all(cf0.tax_usd == 0)
    expect = income_tax(cf1.ebitda_usd - cf1.depreciation_usd, 0.21, True)
    np.testing.assert_allclose(cf1.tax_usd, expect)
    assert cf1.tax_usd.sum() > 0
    assert np.all(npv(0.08, cf1.net_usd) <= npv(0.08, cf0.net_usd) + 1e-6)


# ---------------------------------------------------------------- monotonicity


def test_npv_falls_as_discount_rate_rises() -> None:
    df = site_table()
    values = []
    for r in np.linspace(0.02, 0.2, 10):
        values.append(portfolio_financials(df, {"discount_rate": float(r)})["portfolio"]["npv_usd"])
    assert np.all(np.diff(values) < 0)


def test_npv_falls_as_power_price_rises() -> None:
    base = site_table()
    values = []
    for mult in (0.5, 1.0, 1.5, 2.0, 3.0):
        df = base.assign(energy_price_usd_per_mwh=base["energy_price_usd_per_mwh"] * mult)
        out = portfolio_financials(df)
        values.append([out["tiers"][t]["npv_usd"] for t in ("core", "regional", "micro")])
    assert np.all(np.diff(np.array(values), axis=0) < 0)


def test_npv_rises_with_gpu_hour_price_and_lcoc_does_not_depend_on_price() -> None:
    base = site_table()
    lo = portfolio_financials(base.assign(gpu_hour_price_usd=2.0))
    hi = portfolio_financials(base.assign(gpu_hour_price_usd=3.0))
    assert hi["portfolio"]["npv_usd"] > lo["portfolio"]["npv_usd"]
    assert hi["portfolio"]["lcoc_usd_per_gpu_hour"] == pytest.approx(
        lo["portfolio"]["lcoc_usd_per_gpu_hour"], rel=1e-12
    )


def test_evaluate_neutral_equals_site_cash_flows_and_delay_shifts_revenue() -> None:
    a = FinanceAssumptions(horizon_years=15)
    si = inputs_from(site_table(), a)
    dv = build_drivers(si, a)
    cf = site_cash_flows(si, a)
    ev = evaluate(dv, Shocks.neutral(1, dv.n_sites))
    np.testing.assert_allclose(ev.net_usd[0], cf.net_usd)
    # a whole-year delay shifts usage volume by one year (contracted price is locked)
    d = Shocks.neutral(1, dv.n_sites)
    d = replace(d, delay_years=np.ones((1, dv.n_sites)))
    ev1 = evaluate(dv, d)
    np.testing.assert_allclose(ev1.volume_frac[0, :, 1:], ev.volume_frac[0, :, :-1], atol=1e-12)
    assert ev1.net_usd[0].sum() < ev.net_usd[0].sum()


# ---------------------------------------------------------------- entry point


def test_portfolio_financials_shape_units_and_json() -> None:
    out = portfolio_financials(site_table())
    assert set(out) >= {"sites", "tiers", "portfolio", "yearly", "discount_rate"}
    assert [s["site_id"] for s in out["sites"]] == site_table()["site_id"].tolist()
    assert list(out["tiers"]) == ["core", "regional", "micro"]
    keys = {
        "npv_usd", "irr", "irr_exists", "payback_years", "discounted_payback_years", "moic",
        "peak_funding_usd", "lcoc_usd_per_gpu_hour", "usd_per_mtok", "capex_usd",
    }  # fmt: skip
    for entry in [*out["sites"], *out["tiers"].values(), out["portfolio"]]:
        assert keys <= set(entry)
        assert np.isnan(entry["usd_per_mtok"])  # no token volumes given
    # sanity range from outside the model (facts.md 1c): the cheapest H100 cloud price
    # $1.65/GPU-h and an H100 node's 3-year TCO $450-650k / (8 GPUs x 3 x 8760 h) = $2.14-3.09
    core = out["tiers"]["core"]["lcoc_usd_per_gpu_hour"]
    assert 1.65 < core < 3.09
    # the edge costs more per GPU-hour than the core
    assert out["tiers"]["micro"]["lcoc_usd_per_gpu_hour"] > core
    assert len(out["yearly"]["year"]) == 15
    line = to_json_line(out)
    assert "NaN" not in line and line.startswith("{")


def test_portfolio_financials_tokens_column() -> None:
    df = site_table().assign(mtok_per_year=1e6)
    out = portfolio_financials(df)
    assert out["portfolio"]["usd_per_mtok"] > 0
    assert all(s["usd_per_mtok"] > 0 for s in out["sites"])


def test_bad_inputs_raise_input_error() -> None:
    with pytest.raises(InputError, match="gpus"):
        portfolio_financials(site_table().drop(columns=["gpus"]))
    with pytest.raises(InputError, match="tier"):
        portfolio_financials(site_table().assign(tier="mega"))
    with pytest.raises(InputError, match="utilisation_frac"):
        portfolio_financials(site_table().assign(utilisation_frac=1.5))
    with pytest.raises(InputError, match="online_year"):
        portfolio_financials(site_table().assign(online_year=2020))
    with pytest.raises(InputError, match="discount_rate"):
        FinanceAssumptions(discount_rate=-1.5)
    with pytest.raises(InputError, match="revenue_model"):
        FinanceAssumptions.from_dict({"tiers": {"core": {"revenue_model": "barter"}}})
    with pytest.raises(InputError, match="horizon"):
        FinanceAssumptions.from_dict({"horizon": 3})


def test_from_dict_merges_tier_overrides() -> None:
    a = FinanceAssumptions.from_dict(
        {"discount_rate": 0.1, "tiers": {"core": {"revenue_model": "lease"}}}
    )
    assert a.tiers["core"].revenue_model == "lease"
    assert a.tiers["core"].pre_leased_share == default_tiers()["core"].pre_leased_share
    assert a.tiers["micro"] == default_tiers()["micro"]


def test_component_columns_replace_the_split() -> None:
    df = site_table()
    comp = np.outer(df["capex_facility_usd"], [0.1, 0.2, 0.3, 0.3, 0.1])
    for j, c in enumerate(FACILITY_COMPONENTS):
        df[f"capex_{c}_usd"] = comp[:, j]
    a = FinanceAssumptions()
    cf_table = cash_flow_table(site_cash_flows(inputs_from(site_table(), a), a))
    assert len(cf_table) == 6 * 15 and cf_table["year"].min() == 2026
    out = portfolio_financials(df)
    base = portfolio_financials(site_table())
    # land is not depreciated, so a different split changes nothing pre-tax except residual
    assert out["portfolio"]["npv_usd"] != base["portfolio"]["npv_usd"]
    with pytest.raises(InputError, match="capex"):
        portfolio_financials(df.drop(columns=["capex_land_usd"]))
