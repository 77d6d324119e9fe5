"""Monte Carlo: compiled kernel = numpy reference, seed reproducibility, analytic checks, tornado."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy.special import ndtri

from coredge.errors import InputError
from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import Shocks, SiteInputs, build_drivers, evaluate, site_cash_flows
from coredge.finance.metrics import npv
from coredge.finance.montecarlo import (
    Distribution,
    RiskSpec,
    UncertainVariable,
    evaluate_compiled,
    risk_spec_from_dict,
    run_monte_carlo,
    tornado,
)


def _inputs(n_sites: int = 24, seed: int = 0) -> SiteInputs:
    rng = np.random.default_rng(seed)
    tiers = np.array(["core", "regional", "micro"])[np.arange(n_sites) % 3]
    it = np.where(tiers == "core", 200.0, np.where(tiers == "regional", 8.0, 0.5))
    it = it * rng.uniform(0.5, 1.5, n_sites)
    gpus = np.round(it * 1000 / 1.3)
    build = 2026 + rng.integers(0, 3, n_sites)
    return SiteInputs.create(
        site_id=[f"s{i}" for i in range(n_sites)],
        tier=list(tiers),
        build_start_year=build,
        online_year=build + np.where(tiers == "core", 2, 1),
        it_mw=it,
        gpus=gpus,
        pue=np.where(tiers == "core", 1.18, 1.4),
        utilisation_frac=rng.uniform(0.4, 0.8, n_sites),
        energy_price_usd_per_mwh=rng.uniform(60, 120, n_sites),
        capex_it_usd=gpus * 30e3,
        capex_facility_usd=it * np.where(tiers == "core", 15e6, 10e6),
    )


def test_compiled_kernel_matches_numpy_reference() -> None:
    a = FinanceAssumptions(tax_rate=0.21, horizon_years=12)
    dv = build_drivers(_inputs(), a)
    rng = np.random.default_rng(3)
    n, S = 40, dv.n_sites
    share = np.where(rng.random((n, S)) < 0.5, np.nan, rng.random((n, S)))
    shocks = Shocks(
        demand_growth=rng.normal(0, 0.1, (n, S)),
        power_price_mult=rng.lognormal(0, 0.3, (n, 1)),
        gpu_price_decline=rng.uniform(0, 0.2, (n, 1)),
        utilisation_mult=rng.uniform(0.5, 1.5, (n, S)),
        pre_leased_share=share,
        delay_years=np.where(rng.random((n, S)) < 0.3, 2.0, rng.uniform(0, 3, (n, S))),
        capex_overrun=rng.uniform(-0.05, 0.5, (n, S)),
    )
    rate = rng.uniform(0.05, 0.12, n)
    ev = evaluate(dv, shocks)
    flows, site_npv = evaluate_compiled(dv, shocks, rate)
    for g in range(len(dv.tiers)):
        ref = ev.net_usd[:, dv.tier_index == g].sum(axis=1)
        np.testing.assert_allclose(flows[:, g], ref, rtol=1e-10, atol=1e-3)
    np.testing.assert_allclose(site_npv, npv(rate[:, None], ev.net_usd), rtol=1e-5, atol=1.0)


def test_neutral_trials_reproduce_the_base_case() -> None:
    a = FinanceAssumptions(tax_rate=0.21)
    si = _inputs()
    dv = build_drivers(si, a)
    fixed = (
        UncertainVariable("power_price", Distribution("fixed", (1.0,))),
        UncertainVariable("capex_overrun", Distribution("fixed", (0.0,)), "site"),
    )
    res = run_monte_carlo(dv, RiskSpec(fixed, n_trials=3000, seed=1))
    base = npv(a.discount_rate, site_cash_flows(si, a).net_usd).sum()
    np.testing.assert_allclose(res.npv_usd, base, rtol=1e-12)
    assert res.base_npv_usd == pytest.approx(base, rel=1e-12)
    assert all(r["swing_usd"] == 0 for r in res.tornado)


def test_same_seed_same_numbers_whatever_the_chunking() -> None:
    dv = build_drivers(_inputs(), FinanceAssumptions())
    r1 = run_monte_carlo(dv, RiskSpec(n_trials=5000, seed=42, chunk_trials=1024), with_tornado=False)
    r2 = run_monte_carlo(dv, RiskSpec(n_trials=5000, seed=42, chunk_trials=8192), with_tornado=False)
    r3 = run_monte_carlo(dv, RiskSpec(n_trials=5000, seed=43), with_tornado=False)
    np.testing.assert_array_equal(r1.npv_usd, r2.npv_usd)
    np.testing.assert_array_equal(r1.irr, r2.irr)
    np.testing.assert_array_equal(r1.site_prob_loss, r2.site_prob_loss)
    assert not np.array_equal(r1.npv_usd, r3.npv_usd)
    # a prefix of trials does not depend on how many trials follow
    r4 = run_monte_carlo(dv, RiskSpec(n_trials=2048, seed=42), with_tornado=False)
    np.testing.assert_array_equal(r4.npv_usd, r1.npv_usd[:2048])


def test_power_price_lognormal_matches_analytic_distribution() -> None:
    """NPV is linear in the power-price multiplier m ~ lognormal(0, s) (pre-tax):
    NPV(m) = NPV(1) - (m - 1) PV(energy), so its mean and quantiles are known exactly."""
    a = FinanceAssumptions(tax_rate=0.0)
    si = _inputs()
    dv = build_drivers(si, a)
    cf = site_cash_flows(si, a)
    pv_energy = float(npv(a.discount_rate, cf.energy_cost_usd).sum())
    base = float(npv(a.discount_rate, cf.net_usd).sum())
    s = 0.25
    n = 40_000
    spec = RiskSpec((UncertainVariable("power_price", Distribution("lognormal", (0.0, s))),), n_trials=n, seed=7)
    res = run_monte_carlo(dv, spec)
    mean_m = np.exp(s**2 / 2)
    sd_m = np.sqrt((np.exp(s**2) - 1) * np.exp(s**2))
    exp_mean = base - (mean_m - 1) * pv_energy
    # 4 standard errors of the sample mean
    assert abs(res.npv_usd.mean() - exp_mean) < 4 * sd_m * pv_energy / np.sqrt(n)
    summ = res.summary()["portfolio"]["npv_usd"]
    for q, key in ((0.9, "p10"), (0.5, "p50"), (0.1, "p90")):  # NPV falls as m rises
        m_q = np.exp(s * ndtri(q))
        dens = np.exp(-((np.log(m_q) / s) ** 2) / 2) / (m_q * s * np.sqrt(2 * np.pi))
        se_m = np.sqrt(q * (1 - q) / n) / dens  # standard error of a sample quantile
        assert abs(summ[key] - (base - (m_q - 1) * pv_energy)) < 4 * se_m * pv_energy
    # the tornado swing is the exact P10/P90 of the multiplier
    (row,) = res.tornado
    assert row["npv_low_usd"] == pytest.approx(base - (np.exp(s * ndtri(0.1)) - 1) * pv_energy, rel=1e-9)
    assert row["npv_high_usd"] < row["npv_low_usd"]


def test_summary_orders_and_probability_of_loss() -> None:
    dv = build_drivers(_inputs(), FinanceAssumptions())
    res = run_monte_carlo(dv, RiskSpec(n_trials=4000, seed=5))
    summ = res.summary()
    for block in [summ["portfolio"], *summ["tiers"].values()]:
        q = block["npv_usd"]
        assert q["p10"] <= q["p50"] <= q["p90"]
        assert 0.0 <= block["prob_loss"] <= 1.0
    assert summ["portfolio"]["prob_loss"] == pytest.approx(np.mean(res.npv_usd < 0))
    np.testing.assert_allclose(res.tier_npv_usd.sum(axis=1), res.npv_usd, rtol=1e-9)
    assert res.site_prob_loss.shape == (dv.n_sites,)
    swings = [r["swing_usd"] for r in res.tornado]
    assert swings == sorted(swings, reverse=True) and len(swings) == 8


def test_tornado_discount_rate_matches_deterministic_model() -> None:
    a = FinanceAssumptions()
    si = _inputs()
    dv = build_drivers(si, a)
    spec = RiskSpec((UncertainVariable("discount_rate", Distribution("uniform", (0.05, 0.15))),))
    (row,) = tornado(dv, spec)
    for rate, key in ((0.06, "npv_low_usd"), (0.14, "npv_high_usd")):
        a_r = replace(a, discount_rate=rate)
        assert row[key] == pytest.approx(npv(rate, site_cash_flows(si, a_r).net_usd).sum(), rel=1e-9)


def test_delay_and_overrun_only_hurt() -> None:
    dv = build_drivers(_inputs(), FinanceAssumptions())
    spec = RiskSpec(
        (
            UncertainVariable("interconnection_delay", Distribution("uniform", (0.0, 3.0)), "site"),
            UncertainVariable("capex_overrun", Distribution("uniform", (0.0, 0.5)), "site"),
        ),
        n_trials=2000,
    )
    res = run_monte_carlo(dv, spec)
    assert np.all(res.npv_usd <= res.base_npv_usd + 1e-3)
    for row in res.tornado:
        assert row["npv_high_usd"] < row["npv_low_usd"]


def test_distributions_ppf_and_validation() -> None:
    rng = np.random.default_rng(0)
    for d in (
        Distribution("normal", (1.0, 2.0)),
        Distribution("lognormal", (0.0, 0.5)),
        Distribution("uniform", (-1.0, 3.0)),
        Distribution("triangular", (0.0, 0.2, 1.0)),
    ):
        x = d.sample(rng, 200_000)
        for q in (0.1, 0.5, 0.9):
            assert np.quantile(x, q) == pytest.approx(d.ppf(q), abs=0.02)
    with pytest.raises(InputError):
        Distribution("triangular", (1.0, 0.0, 2.0))
    with pytest.raises(InputError):
        Distribution("gamma", (1.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        UncertainVariable("weather", Distribution("fixed", (1.0,)))
    with pytest.raises(InputError):
        UncertainVariable("discount_rate", Distribution("fixed", (0.1,)), "site")
    with pytest.raises(InputError):
        risk_spec_from_dict({"variables": {"power_price": {"dist": "normal", "params": [1]}}})
    spec = risk_spec_from_dict(
        {"n_trials": 10, "variables": {"utilisation": {"dist": "uniform", "params": [0.9, 1.0], "scope": "site"}}}
    )
    assert spec.n_trials == 10 and spec.variables[0].scope == "site"


def _old_style_draws(spec: RiskSpec, rng: np.random.Generator, n: int, site_tiers: np.ndarray):
    """The draws of one RNG block as full (n, S) Shocks, written the plain way (a reference
    for the compact layout of `run_monte_carlo`)."""
    from coredge.finance.cashflow import SHOCK_NEUTRAL
    from coredge.finance.montecarlo import _BOUNDS, VARIABLES

    S = site_tiers.size
    fields = {f: np.full((n, S), v) for f, v in SHOCK_NEUTRAL.items()}
    rate = None
    for var in spec.variables:
        lo, hi = _BOUNDS[var.name]
        if var.name == "discount_rate":
            rate = np.clip(var.dist.sample(rng, n), lo, hi)
            continue
        mask = np.ones(S, dtype=bool) if var.tiers is None else np.isin(site_tiers, var.tiers)
        k = int(mask.sum())
        draws = np.clip(var.dist.sample(rng, (n, k) if var.scope == "site" else (n, 1)), lo, hi)
        fields[VARIABLES[var.name]][:, mask] = np.broadcast_to(draws, (n, k))
    return Shocks(**fields), rate


def test_compact_draws_give_the_numbers_of_full_shock_arrays() -> None:
    """Trial by trial, the NPVs equal those of the same draws laid out as (trials, sites)
    arrays and evaluated by `evaluate_compiled` (tier-restricted, site- and portfolio-scope
    variables, a drawn discount rate), bit for bit."""
    from coredge.finance.montecarlo import RNG_BLOCK_TRIALS

    a = FinanceAssumptions(tax_rate=0.21)
    dv = build_drivers(_inputs(30), a)
    variables = (
        UncertainVariable("demand_growth", Distribution("normal", (0.0, 0.05)), "site", ("regional",)),
        UncertainVariable("power_price", Distribution("lognormal", (0.0, 0.2)), tiers=("micro", "core")),
        UncertainVariable("utilisation", Distribution("triangular", (0.8, 1.0, 1.1)), "site"),
        UncertainVariable("pre_leased_share", Distribution("uniform", (0.6, 0.9)), tiers=("core",)),
        UncertainVariable("interconnection_delay", Distribution("triangular", (0.0, 0.5, 3.0)), "site", ("core",)),
        UncertainVariable("discount_rate", Distribution("uniform", (0.06, 0.10))),
    )
    n = 2 * RNG_BLOCK_TRIALS + 100
    spec = RiskSpec(variables, n_trials=n, seed=11, chunk_trials=1024)
    res = run_monte_carlo(dv, spec, with_tornado=False)
    site_tiers = np.array([dv.tiers[i] for i in dv.tier_index])
    children = np.random.SeedSequence(11).spawn(3)
    t = np.arange(dv.n_years)
    for b in range(3):
        nb = min(RNG_BLOCK_TRIALS, n - b * RNG_BLOCK_TRIALS)
        shocks, rate = _old_style_draws(spec, np.random.default_rng(children[b]), nb, site_tiers)
        flows, _ = evaluate_compiled(dv, shocks, rate)
        ref = (flows.sum(axis=1) * (1.0 + rate[:, None]) ** -t).sum(axis=1)
        np.testing.assert_array_equal(res.npv_usd[b * RNG_BLOCK_TRIALS: b * RNG_BLOCK_TRIALS + nb], ref)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_numbers_of_one(workers: int) -> None:
    dv = build_drivers(_inputs(), FinanceAssumptions(tax_rate=0.21))
    spec = RiskSpec(n_trials=6500, seed=9, chunk_trials=1024)
    one = run_monte_carlo(dv, spec, workers=1)
    many = run_monte_carlo(dv, spec, workers=workers)
    one_chunk = run_monte_carlo(dv, RiskSpec(n_trials=6500, seed=9, chunk_trials=8192), workers=1)
    for other in (many, one_chunk):
        for name in ("npv_usd", "irr", "tier_npv_usd", "tier_irr", "site_mean_npv_usd", "site_prob_loss"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name), err_msg=name)
        assert json.dumps(other.summary()) == json.dumps(one.summary())


def test_workers_must_be_a_positive_integer() -> None:
    dv = build_drivers(_inputs(6), FinanceAssumptions())
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InputError, match="workers"):
            run_monte_carlo(dv, RiskSpec(n_trials=10), workers=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "dist",
    [
        Distribution("triangular", (0.8, 1.0, 1.1)),
        Distribution("triangular", (0.0, 0.0, 1.0)),
        Distribution("triangular", (0.0, 1.0, 1.0)),
        Distribution("uniform", (0.6, 0.9)),
        Distribution("normal", (1.3, 2.7)),
        Distribution("lognormal", (0.0, 0.2)),
        Distribution("fixed", (3.0,)),
    ],
)
def test_fill_draws_what_sample_draws(dist: Distribution) -> None:
    from coredge.finance.mc_draws import fill

    for lo, hi in ((-np.inf, np.inf), (0.85, 1.05), (0.0, np.inf)):
        r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
        out = np.empty((129, 17))
        fill(dist, r1, out, lo, hi)
        np.testing.assert_array_equal(out, np.clip(dist.sample(r2, (129, 17)), lo, hi))
        assert r1.random() == r2.random()  # the generator advanced by the same draws


@pytest.mark.parametrize(("tax", "carry"), [(0.21, True), (0.21, False), (0.0, True)])
def test_vector_and_one_trial_paths_agree_bit_for_bit(tax: float, carry: bool) -> None:
    """A 64-trial block without delays runs all its trials as vector lanes; one delayed trial
    sends the block (for that site) down the one-trial-at-a-time path. The other trials'
    numbers must not change, and both must match the numpy reference."""
    a = FinanceAssumptions(tax_rate=tax, tax_loss_carryforward=carry, horizon_years=12)
    dv = build_drivers(_inputs(), a)
    rng = np.random.default_rng(8)
    n, S = 150, dv.n_sites
    base = {
        "demand_growth": rng.normal(0, 0.1, (n, 1)),
        "power_price_mult": rng.lognormal(0, 0.3, (n, S)),
        "gpu_price_decline": np.where(rng.random((n, S)) < 0.5, np.nan, rng.uniform(0, 0.2, (n, S))),
        "utilisation_mult": rng.uniform(0.5, 1.5, (n, S)),
        "pre_leased_share": np.where(rng.random((n, 1)) < 0.5, np.nan, rng.random((n, 1))),
        "delay_years": np.zeros((n, S)),
        "capex_overrun": rng.uniform(-0.05, 0.5, (n, S)),
    }
    rate = rng.uniform(0.05, 0.12, n)
    plain_flows, plain_npv = evaluate_compiled(dv, Shocks(**base), rate)
    delayed = dict(base, delay_years=base["delay_years"].copy())
    delayed["delay_years"][[3, 70, 149], :] = [[1.5], [2.0], [0.25]]
    mixed_flows, mixed_npv = evaluate_compiled(dv, Shocks(**delayed), rate)
    others = np.setdiff1d(np.arange(n), [3, 70, 149])
    np.testing.assert_array_equal(mixed_flows[others], plain_flows[others])
    np.testing.assert_array_equal(mixed_npv[others], plain_npv[others])
    for shocks, flows in ((Shocks(**base), plain_flows), (Shocks(**delayed), mixed_flows)):
        ev = evaluate(dv, shocks)
        for g in range(len(dv.tiers)):
            ref = ev.net_usd[:, dv.tier_index == g].sum(axis=1)
            np.testing.assert_allclose(flows[:, g], ref, rtol=1e-10, atol=1e-3)
