"""Plan -> financials: identities with costing, hand-computed NPVs, tokens, spec mapping, risk."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy_financial as npf
import pytest
import yaml

from coredge.errors import InputError
from coredge.finance.from_plan import (
    assumptions_from_scenario,
    financials_from_plan,
    plan_site_table,
    risk_from_plan,
    risk_spec_from_scenario,
    served_mtok,
)
from coredge.geo import pairwise_km
from coredge.pipeline import RunResult, execute
from coredge.scenario.load import build_scenario, load_scenario
from coredge_testing import TINY_BASE


def _scenario(tmp: Path, extra: dict[str, Any] | None = None) -> Any:
    raw = yaml.safe_load(TINY_BASE)
    if extra:
        from coredge.scenario.load import deep_merge

        raw = deep_merge(raw, extra)
    p = tmp / "tiny.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_scenario(p)


@pytest.fixture(scope="module")
def run(tiny_result: RunResult) -> RunResult:
    """`execute` on TINY_BASE, computed once per session (tests/conftest.py)."""
    return tiny_result


@pytest.fixture(scope="module")
def run_regional(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The whole market: large cities get regional sites."""
    return execute(_scenario(tmp_path_factory.mktemp("reg"), {"demand": {"market_share": 1.0}}))


# ------------------------------------------------------------------ identities


def test_finance_capex_equals_costing_capex_per_site(run: RunResult) -> None:
    pf = financials_from_plan(run.inputs, run.plan, run.costs)
    costing = run.costs.capex_usd.sum(axis=1)
    assert costing.sum() > 1e9  # a real plan with a core campus
    by_site = pf.rows.groupby("site")[["capex_facility_usd", "capex_it_usd"]].sum().sum(axis=1)
    for sid, c in zip(run.plan.sites["site_id"], costing, strict=True):
        assert by_site[sid] == pytest.approx(c, rel=1e-12)
    assert pf.portfolio["capex_usd"] == pytest.approx(costing.sum(), rel=1e-12)
    assert sum(t["capex_usd"] for t in pf.tiers.values()) == pytest.approx(costing.sum(), rel=1e-12)
    # the phased facility capex in the cash flows sums to costing's facility capex
    assert pf.cash_flows is not None
    assert pf.cash_flows.capex_facility_usd.sum() == pytest.approx(run.costs.capex_facility_usd.sum(), rel=1e-12)
    # IT: the first fill of every phase plus its refreshes inside the horizon
    T = pf.assumptions.horizon_years
    n_buys = [len(range(o - 2026, T, 5)) for o in pf.rows["online_year"]]
    expected_it = float((pf.rows["capex_it_usd"] * np.array(n_buys)).sum())
    assert pf.cash_flows.capex_it_usd.sum() == pytest.approx(expected_it, rel=1e-12)


def test_sum_of_tiers_and_sites_is_the_portfolio(run: RunResult) -> None:
    pf = financials_from_plan(run.inputs, run.plan, run.costs)
    port = pf.portfolio["npv_usd"]
    assert sum(t["npv_usd"] for t in pf.tiers.values()) == pytest.approx(port, rel=1e-10)
    assert pf.sites["npv_usd"].sum() == pytest.approx(port, rel=1e-10)
    yearly = pf.yearly
    tiers_net = yearly[yearly["tier"] != "portfolio"].groupby("year")["net_usd"].sum().to_numpy()
    port_net = yearly[yearly["tier"] == "portfolio"]["net_usd"].to_numpy()
    np.testing.assert_allclose(tiers_net, port_net, rtol=1e-10)
    assert npf.npv(0.08, port_net) == pytest.approx(port, rel=1e-10)


def test_phases_follow_the_build_schedule(run: RunResult) -> None:
    from coredge.results import build_schedule

    rows = plan_site_table(run.inputs, run.plan, run.costs)
    sched = build_schedule(run.plan)
    got = sorted(zip(rows["site"], rows["online_year"], rows["it_mw"], strict=True))
    want = sorted(zip(sched["site_id"], sched["year"], sched["it_mw_added"], strict=True))
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in want]
    np.testing.assert_allclose([c for *_, c in got], [c for *_, c in want])
    # the first phase of the first core campus waits for its power (the grid, or a power path that
    # energises it after the build): construction starts in 2026
    core = rows[rows["tier"] == "core"].sort_values("online_year")
    assert core["online_year"].iloc[0] == int(run.plan.sites.loc[run.plan.sites["tier"] == "core", "online_year"].min())
    assert core["build_start_year"].iloc[0] == 2026


# ------------------------------------------------------------------ one site per tier by hand


def _hand_npv(run: RunResult, site_id: str) -> tuple[float, np.ndarray]:
    """NPV of one site from the scenario's unit costs and the documented cash-flow model,
    independently of the finance code, with numpy-financial."""
    sc = run.scenario
    plan = run.plan
    i = int(np.flatnonzero(plan.sites["site_id"].to_numpy() == site_id)[0])
    tier = str(plan.sites["tier"].iat[i])
    ts, fs, e = sc.tiers[tier], sc.finance.tiers[tier], sc.economics  # type: ignore[index]
    T, start = 15, sc.horizon.start_year
    t = np.arange(T, dtype=float)
    kw = run.inputs.it_kw_per_gpu
    gpu_usd = run.inputs.gpu_capex_usd
    # billed and busy shares by use: inference at hardware.utilisation_frac, training billed
    # whole (take-or-pay, training.billed_utilisation_frac) and busy at training.busy_frac,
    # blended by the site's final-year training share of load
    load_f, train_f = run.plan.load_mw_by_year[i, -1], run.plan.training_mw_by_year[i, -1]
    f = min(1.0, train_f / load_f) if load_f > 0 else 0.0
    u = sc.hardware.utilisation_frac
    util = f * sc.training.billed_utilisation_frac + (1 - f) * u
    busy = f * sc.training.busy_frac + (1 - f) * u
    # energy at the average draw of a busy GPU (measured at training load), not its nameplate kw
    from coredge.physics.training import training_power_w

    draw = min(1.0, training_power_w(sc.hardware.gpu)[0] / (kw * 1000.0))
    # land (bought at the start, not depreciated): the tier's share of the facility cost model
    from coredge.physics.facility_cost import tier_finance_split

    land_share = tier_finance_split(tier)[0]
    pue = float(plan.sites["pue"].iat[i])
    price_e = float(plan.sites["price_usd_per_mwh"].iat[i])
    wait = float(plan.sites["interconnect_wait_months"].iat[i])
    inst = plan.it_mw_by_year[i]
    flows = np.zeros(T)
    prev = 0.0
    first = True
    for j, year in enumerate(plan.years):
        mw = inst[j] - prev
        if mw <= 1e-12:
            continue
        gpus = math.floor(inst[j] * 1000 / kw) - math.floor(prev * 1000 / kw)
        prev = inst[j]
        o = int(year) - start
        lead = ts.lead_time_months + (wait if first else 0.0)
        first = False
        b = o - math.floor((lead + 6) / 12)
        n = max(o - b, 1)
        fac = mw * ts.facility_capex_usd_per_mw * (1 + ts.land_and_soft_cost_frac)
        smooth = lambda x: 3 * x**2 - 2 * x**3  # noqa: E731
        w = smooth(np.clip((t + 1 - b) / n, 0, 1)) - smooth(np.clip((t - b) / n, 0, 1))
        w[0] += smooth(np.clip(-b / n, 0, 1))
        land = np.zeros(T)
        land[max(b, 0)] = land_share
        capex_f = fac * ((1 - land_share) * w + land)
        on = (t >= o).astype(float)
        buys = [p for p in range(o, T, 5)]
        capex_it = np.zeros(T)
        capex_it[buys] = gpus * gpu_usd
        share = fs.pre_leased_share
        ramp = np.clip((t - o + 1) / fs.absorption_years, 0, 1) * on
        vol = share * on + (1 - share) * ramp
        p0 = gpus * 8760 * util * e.gpu_hour_price_usd[tier]  # type: ignore[index]
        d = fs.price_decline_rate
        rev = share * on * p0 * (1 - d) ** o + (1 - share) * ramp * p0 * (1 - d) ** t
        energy = mw * busy * draw * pue * 8760 * price_e * (1 + e.power_price_escalator_rate) ** t * vol
        infl = (1 + sc.finance.inflation_rate) ** t * on
        fixed = (fac * ts.opex_frac_of_facility_capex_per_year + mw * (ts.staff_usd_per_mw_year + fs.network_usd_per_mw_year)) * infl
        residual = np.zeros(T)
        fac_book = (1 - land_share) * fac * max(0.0, 1 - (T - o) / 20) + land_share * fac
        it_book = sum(gpus * gpu_usd * max(0.0, 1 - (T - p) / 5) for p in buys)
        residual[-1] = fac_book + it_book
        flows += rev - energy - fixed - capex_f - capex_it + residual
    return float(npf.npv(e.discount_rate, flows)), flows


@pytest.mark.parametrize("tier", ["core", "micro"])
def test_site_npv_by_hand_core_and_micro(run: RunResult, tier: str) -> None:
    pf = financials_from_plan(run.inputs, run.plan, run.costs)
    site = pf.sites[pf.sites["tier"] == tier].iloc[0]
    want, flows = _hand_npv(run, str(site["site_id"]))
    assert abs(want) > 1e5
    assert site["npv_usd"] == pytest.approx(want, rel=1e-9)
    if np.any(flows > 0) and np.any(flows < 0) and math.isfinite(site["irr"]):
        assert site["irr"] == pytest.approx(npf.irr(flows), abs=1e-7)


def test_site_npv_by_hand_regional(run_regional: RunResult) -> None:
    r = run_regional
    pf = financials_from_plan(r.inputs, r.plan, r.costs)
    regional = pf.sites[pf.sites["tier"] == "regional"]
    assert len(regional) > 0
    site = regional.iloc[0]
    want, flows = _hand_npv(r, str(site["site_id"]))
    assert site["npv_usd"] == pytest.approx(want, rel=1e-9)
    assert site["irr"] == pytest.approx(npf.irr(flows), abs=1e-7)


# ------------------------------------------------------------------ tokens, edge premium


def test_served_tokens_match_the_covered_demand(run: RunResult) -> None:
    inputs, sc = run.inputs, run.scenario
    tok = np.array([sc.workloads[c].tokens_in + sc.workloads[c].tokens_out for c in inputs.classes])
    # final year: every site is online; each class's demand is served in its coverage share (load
    # and requests are proportional within a class)
    cov = np.array([run.coverage[c]["coverage"] for c in inputs.classes])
    assert cov.min() > 0.5  # the check below is not vacuous
    per_class = inputs.requests_per_s[:, :, -1].sum(axis=0) * tok
    want = (per_class * cov).sum() / sc.demand.peak_to_mean_ratio * 8760 * 3600 / 1e6
    got = served_mtok(inputs, run.plan)[:, -1].sum()
    assert got == pytest.approx(want, rel=1e-9)
    pf = financials_from_plan(inputs, run.plan, run.costs)
    # per tier: a price per token where the tier serves tokens, NaN where it serves none
    tiers = run.plan.sites["tier"].to_numpy()
    per_site = served_mtok(inputs, run.plan).sum(axis=1)
    assert per_site[tiers == "micro"].sum() > 0
    for t, row in pf.tiers.items():
        if per_site[tiers == t].sum() > 0:
            assert 0 < row["usd_per_mtok"] < math.inf
        else:
            assert math.isnan(row["usd_per_mtok"])


def test_edge_premium_definition(run: RunResult) -> None:
    inputs, plan = run.inputs, run.plan
    pf = financials_from_plan(inputs, plan, run.costs)
    k = inputs.classes.index("financial")
    ep = pf.edge_premium["financial"]
    a = plan.assignments
    tiers = plan.sites["tier"].to_numpy()
    # the edge: regional and micro sites
    row_tier = tiers[a["site_index"].to_numpy()]
    edge = (a["class_index"] == k).to_numpy() & np.isin(row_tier, ["regional", "micro"])
    rows = a[edge]
    rows_tier = row_tier[edge]
    mw = inputs.load_mw[rows["point_index"].to_numpy(), k, -1] * rows["share"].to_numpy()
    assert mw.sum() > 0
    assert ep["edge_mw"] == pytest.approx(mw.sum())
    core = plan.sites[plan.sites["tier"] == "core"]
    d = pairwise_km(inputs.demand["lat"], inputs.demand["lon"], core["lat"], core["lon"]).min(axis=1)
    net = run.scenario.network  # the calibrated backbone model (the default), written out
    assert net.model == "calibrated"
    dd = d[rows["point_index"].to_numpy()]
    rtt_core = net.fixed_ms + 2.0 * dd * (1.0 + net.inflation_excess / (1.0 + dd / net.inflation_scale_km)) * net.fiber_us_per_km / 1000.0
    saved = float(np.sum(mw * (rtt_core - rows["rtt_ms"].to_numpy())) / mw.sum())
    assert ep["rtt_saved_ms"] == pytest.approx(saved)
    gpu_h = 1000 / inputs.it_kw_per_gpu * 8760 * run.scenario.hardware.utilisation_frac
    lcoc = np.array([pf.tiers[str(t)]["lcoc_usd_per_gpu_hour"] for t in rows_tier])
    extra = float(np.sum(mw * (lcoc - pf.tiers["core"]["lcoc_usd_per_gpu_hour"]))) * gpu_h
    assert ep["extra_cost_usd_per_year"] == pytest.approx(extra)
    assert ep["usd_per_ms_saved_per_year"] == pytest.approx(extra / saved)
    assert ep["core_within_budget_frac"] == pytest.approx(float(np.sum(mw * (rtt_core <= 10.0)) / mw.sum()))


# ------------------------------------------------------------------ spec mapping


def test_economics_is_the_single_source(tmp_path: Path) -> None:
    sc = build_scenario(
        {"name": "x", "economics": {"discount_rate": 0.11, "power_price_escalator_rate": 0.03,
                                    "gpu_hour_price_usd": {"core": 2.0, "regional": 3.0, "micro": 4.0}}}
    )
    a = assumptions_from_scenario(sc)
    assert a.discount_rate == 0.11 and a.power_escalator_rate == 0.03
    assert [a.tiers[t].gpu_hour_price_usd for t in ("core", "regional", "micro")] == [2.0, 3.0, 4.0]
    ops = sum((a.tiers["micro"].maintenance_frac_per_year, a.tiers["micro"].insurance_frac_per_year,
               a.tiers["micro"].property_tax_frac_per_year))
    assert ops == pytest.approx(sc.tiers["micro"].opex_frac_of_facility_capex_per_year)
    for dup in ("discount_rate", "gpu_hour_price_usd", "power_price_escalator_rate"):
        with pytest.raises(InputError) as ei:
            build_scenario({"name": "x", "finance": {dup: 0.1}})
        assert f"finance.{dup}" in str(ei.value)
    # discount-rate draws are offsets from economics.discount_rate
    spec = risk_spec_from_scenario(sc, 100, 3)
    dr = next(v for v in spec.variables if v.name == "discount_rate")
    assert dr.dist.params == pytest.approx((0.09, 0.13))


def test_tier_overrides_merge_over_defaults_and_bad_values_name_the_field() -> None:
    sc = build_scenario({"name": "x", "finance": {"tiers": {"core": {"revenue_model": "lease"}},
                                                  "risk": {"variables": {"capex_overrun": None}}}})
    assert sc.finance.tiers["core"].revenue_model == "lease"
    assert sc.finance.tiers["core"].pre_leased_share == 0.8  # the core default survives
    assert "capex_overrun" not in [v.name for v in risk_spec_from_scenario(sc).variables]
    with pytest.raises(InputError) as ei:
        build_scenario({"name": "x", "finance": {"tiers": {"micro": {"pre_leased_share": 1.5}}}})
    assert "finance.tiers.micro.pre_leased_share" in str(ei.value)
    with pytest.raises(InputError) as ei:
        build_scenario({"name": "x", "finance": {"risk": {"variables": {"power_price": {"dist": "triangular", "params": [1, 0]}}}}})
    assert "finance.risk.variables.power_price" in str(ei.value)


def test_lease_core_has_no_it_capex_in_the_investor_flows(tmp_path: Path) -> None:
    r = execute(_scenario(tmp_path, {"finance": {"tiers": {"core": {"revenue_model": "lease"}}}}))
    pf = financials_from_plan(r.inputs, r.plan, r.costs)
    assert pf.cash_flows is not None
    core = np.array([t == "core" for t in pf.cash_flows.tier])
    assert pf.cash_flows.capex_it_usd[core].sum() == 0.0
    # build capex (costing) is still reported in full
    assert pf.portfolio["capex_usd"] == pytest.approx(r.costs.capex_usd.sum())


# ------------------------------------------------------------------ risk


def test_risk_is_reproducible_by_seed(run: RunResult) -> None:
    pf = financials_from_plan(run.inputs, run.plan, run.costs)
    a = risk_from_plan(pf, run.scenario, 2048, 11, with_tornado=False)
    b = risk_from_plan(pf, run.scenario, 2048, 11, with_tornado=False)
    c = risk_from_plan(pf, run.scenario, 2048, 12, with_tornado=False)
    np.testing.assert_array_equal(a.npv_usd, b.npv_usd)
    assert not np.array_equal(a.npv_usd, c.npv_usd)
    # base case of the Monte Carlo model is the deterministic plan NPV
    assert a.base_npv_usd == pytest.approx(pf.portfolio["npv_usd"], rel=1e-9)


def test_training_capacity_billed_whole_and_inference_at_its_load(run: RunResult) -> None:
    """Take-or-pay training: a site's billed utilisation rises with its training share; the energy
    it draws follows the busy share, not the billed one."""
    from coredge.finance.from_plan import plan_site_table, site_utilisation

    sc, plan = run.scenario, run.plan
    billed, draw = site_utilisation(run.inputs, plan)
    train = plan.training_mw_by_year[:, -1]
    load = plan.load_mw_by_year[:, -1]
    f = np.divide(train, load, out=np.zeros_like(load), where=load > 0)
    u = sc.hardware.utilisation_frac
    assert np.any(f > 0) and np.any(f == 0)
    np.testing.assert_allclose(billed[f == 0], u)
    np.testing.assert_allclose(draw[f == 0], run.inputs.energy_draw_frac)
    assert np.all(billed[f > 0] > u)
    # busy GPU-hours (billed x draw / nameplate draw) are the blend with training's busy share
    busy = f * sc.training.busy_frac + (1 - f) * u
    np.testing.assert_allclose(billed * draw / run.inputs.energy_draw_frac, busy)
    rows = plan_site_table(run.inputs, plan, run.costs)
    site0 = str(plan.sites["site_id"].iat[int(np.argmax(f))])
    assert rows.loc[rows["site"] == site0, "utilisation_frac"].iloc[0] == pytest.approx(billed[int(np.argmax(f))])


def test_facility_capex_components_follow_the_facility_cost_model(run: RunResult) -> None:
    """Each phase's facility capex is split by its tier's shares of the facility cost model."""
    from coredge.finance.from_plan import COMPONENT_COLUMNS, plan_site_table
    from coredge.physics.facility_cost import tier_finance_split

    rows = plan_site_table(run.inputs, run.plan, run.costs)
    comp = rows[list(COMPONENT_COLUMNS)].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(comp.sum(axis=1), rows["capex_facility_usd"].to_numpy(dtype=np.float64), rtol=1e-12)
    for tier, grp in rows[rows["capex_facility_usd"] > 0].groupby("tier"):
        share = grp[list(COMPONENT_COLUMNS)].to_numpy().sum(axis=0) / grp["capex_facility_usd"].sum()
        np.testing.assert_allclose(share, tier_finance_split(str(tier)), rtol=1e-9)
    pf = financials_from_plan(run.inputs, run.plan, run.costs)
    assert pf.cash_flows is not None
